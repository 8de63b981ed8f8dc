"""Roles and states: each role can do exactly what it may in the post admin, on every path.

Authors write and change their own drafts and submit them; editors publish, unpublish,
schedule, send back and archive; registry maintainers keep the projects and nothing else.
Every path is tried: the changelist, the add form, the change form (own and others' posts),
the status field and the workflow buttons (including crafted POSTs), bulk actions, the
history page and revision restore, and the markdownx endpoints.
"""

from datetime import timedelta

import lxml.html
import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from foundation.factories import image_bytes, make_post, make_project
from posts.models import Post, StateChange
from posts.revisions import versions_of

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:posts_post_changelist"
ADD = "admin:posts_post_add"
S = Post.Status


def change_url(post):
    return reverse("admin:posts_post_change", args=[post.pk])


def history_url(post):
    return reverse("admin:posts_post_history", args=[post.pk])


def form_values(response):
    """What a browser would submit from the post form on this page (lxml's form logic)."""
    html = lxml.html.fromstring(response.content.decode())
    form = html.get_element_by_id("post_form")
    textareas = {element.name for element in form.inputs if element.tag == "textarea"}
    data = {}
    for name, value in form.form_values():
        if name in textareas and value.startswith("\n"):
            value = value[1:]  # browsers drop the newline that follows <textarea>
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


def submit_change_form(client, post, **changes):
    """Open the post's change form as a browser does, change some fields, submit it."""
    data = form_values(client.get(change_url(post)))
    data.update(changes)
    return client.post(change_url(post), data)


def new_post_data(**overrides):
    publish_at = timezone.localtime() - timedelta(hours=1)
    data = {
        "title": "Carsmos joins the foundation",
        "slug": "carsmos-joins",
        "status": S.DRAFT,
        "publish_at_0": publish_at.strftime("%Y-%m-%d"),
        "publish_at_1": publish_at.strftime("%H:%M:%S"),
        "language": "en",
        "body": "Signed **today**.",
        "extras": "{}",
        "hero_focal_x": "0.5",
        "hero_focal_y": "0.5",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def make_user(username, group):
    user = User.objects.create_user(username, f"{username}@example.org", "pass-123-word",
                                    is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def authors_draft(author):
    return make_post("Ada's draft", status=S.DRAFT, created_by=author, author=author)


@pytest.fixture
def someone_elses_draft(db):
    other = make_user("bob", "Authors")
    return make_post("Bob's draft", status=S.DRAFT, created_by=other, author=other)


# --- the changelist -----------------------------------------------------------------------


def test_author_lists_only_their_own_posts_and_only_the_submit_action(
    client, author, authors_draft, someone_elses_draft
):
    make_post("A published post")
    client.force_login(author)
    response = client.get(reverse(CHANGELIST))
    assert [post.title for post in response.context["cl"].result_list] == ["Ada's draft"]
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "submit_for_review" in actions
    assert not {"publish", "unpublish", "archive", "delete_selected"} & set(actions)


def test_editor_lists_every_post_with_every_action(client, editor, authors_draft,
                                                   someone_elses_draft):
    client.force_login(editor)
    response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 2
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"submit_for_review", "publish", "unpublish", "archive"} <= set(actions)


# --- adding -------------------------------------------------------------------------------


def test_author_add_form_offers_draft_and_review_only(client, author):
    client.force_login(author)
    response = client.get(reverse(ADD))
    form = response.context["adminform"].form
    assert [value for value, _label in form.fields["status"].choices] == [S.DRAFT, S.IN_REVIEW]
    assert list(form.fields["author"].queryset) == [author]  # no list of every account
    buttons = [t.name for t in response.context["workflow_transitions"]]
    assert buttons == ["submit"]


@pytest.mark.parametrize("status", [S.PUBLISHED, S.UNPUBLISHED, S.ARCHIVED])
def test_author_cannot_create_a_published_post_with_a_crafted_post(client, author, status):
    client.force_login(author)
    response = client.post(reverse(ADD), new_post_data(status=status))
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert not Post.objects.exists()


def test_author_cannot_publish_a_new_post_with_a_crafted_button(client, author):
    client.force_login(author)
    response = client.post(reverse(ADD), new_post_data(_transition="publish"))
    assert response.status_code == 200
    assert "You may not do “Publish”" in response.content.decode()
    assert not Post.objects.exists()


def test_author_creates_a_post_and_submits_it_in_one_go(client, author):
    client.force_login(author)
    response = client.post(reverse(ADD), new_post_data(_transition="submit"))
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.status == S.IN_REVIEW and post.created_by == author
    change = post.state_changes.get()
    assert (change.from_status, change.to_status, change.user) == ("", S.IN_REVIEW, author)


# --- changing: own and others' posts ------------------------------------------------------


def test_author_changes_their_own_draft(client, author, authors_draft):
    client.force_login(author)
    response = submit_change_form(client, authors_draft, title="Ada's better draft")
    assert response.status_code == 302
    authors_draft.refresh_from_db()
    assert authors_draft.title == "Ada's better draft"
    assert authors_draft.status == S.DRAFT


def test_author_cannot_open_or_change_someone_elses_post(client, author, someone_elses_draft):
    client.force_login(author)
    response = client.get(change_url(someone_elses_draft))
    assert response.status_code == 302  # "does not exist": others' posts are not theirs to see
    response = client.post(change_url(someone_elses_draft), new_post_data(title="Mine now"))
    someone_elses_draft.refresh_from_db()
    assert someone_elses_draft.title == "Bob's draft"
    assert client.get(history_url(someone_elses_draft)).status_code == 302


@pytest.mark.parametrize("status", [S.PUBLISHED, S.UNPUBLISHED, S.ARCHIVED])
def test_author_sees_but_cannot_change_their_post_once_out_of_their_hands(
    client, author, status
):
    post = make_post("Ada's story", status=status, created_by=author)
    client.force_login(author)
    response = client.get(change_url(post))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html and 'name="_transition"' not in html
    assert client.post(change_url(post), new_post_data(title="Rewritten")).status_code == 403
    post.refresh_from_db()
    assert post.title == "Ada's story" and post.status == status


def test_author_can_edit_while_in_review_but_not_publish_by_crafted_status(client, author):
    post = make_post("In review", status=S.IN_REVIEW, created_by=author)
    client.force_login(author)
    form = client.get(change_url(post)).context["adminform"].form
    assert [value for value, _label in form.fields["status"].choices] == [S.DRAFT, S.IN_REVIEW]

    response = submit_change_form(client, post, status=S.PUBLISHED)
    assert response.status_code == 200 and "status" in response.context["adminform"].form.errors
    response = submit_change_form(client, post, _transition="publish")
    assert "You may not do “Publish”" in response.content.decode()
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW and not Post.objects.published().exists()

    response = submit_change_form(client, post, summary="Tighter.")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.summary == "Tighter." and post.status == S.IN_REVIEW


def test_staff_without_permission_gets_nothing(client, staff_without_permission, authors_draft):
    client.force_login(staff_without_permission)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse(ADD)).status_code == 403
    assert client.get(change_url(authors_draft)).status_code == 403
    response = client.get(history_url(authors_draft))
    assert response.status_code == 302  # as if it did not exist
    assert "Ada" not in client.get(response.url).content.decode()


# --- the workflow: submit, send back, publish, schedule -----------------------------------


def test_review_round_trip_records_every_state_change(client, author, editor, authors_draft):
    client.force_login(author)
    response = submit_change_form(client, authors_draft, _transition="submit")
    assert response.status_code == 302
    authors_draft.refresh_from_db()
    assert authors_draft.status == S.IN_REVIEW

    client.force_login(editor)
    response = submit_change_form(client, authors_draft, _transition="send_back")
    assert response.status_code == 200
    assert "Say what the author should change" in response.content.decode()
    authors_draft.refresh_from_db()
    assert authors_draft.status == S.IN_REVIEW

    response = submit_change_form(
        client, authors_draft, _transition="send_back",
        transition_comment="Name the donor in the first paragraph.",
    )
    assert response.status_code == 302
    authors_draft.refresh_from_db()
    assert authors_draft.status == S.DRAFT

    # The author reads the comment on the post's form and on its history page.
    client.force_login(author)
    html = client.get(change_url(authors_draft)).content.decode()
    assert "Name the donor in the first paragraph." in html
    history = client.get(history_url(authors_draft)).content.decode()
    assert "Name the donor in the first paragraph." in history

    moves = list(
        authors_draft.state_changes.order_by("at", "id").values_list(
            "user__username", "from_status", "to_status"
        )
    )
    assert moves == [("author", S.DRAFT, S.IN_REVIEW), ("editor", S.IN_REVIEW, S.DRAFT)]


def test_editor_schedules_a_post_that_appears_at_its_time(client, editor, authors_draft):
    authors_draft.status = S.IN_REVIEW
    authors_draft.save()
    go_live = timezone.localtime() + timedelta(days=1)
    client.force_login(editor)
    response = submit_change_form(
        client, authors_draft, _transition="publish",
        publish_at_0=go_live.strftime("%Y-%m-%d"), publish_at_1=go_live.strftime("%H:%M:%S"),
    )
    assert response.status_code == 302
    authors_draft.refresh_from_db()
    assert authors_draft.status == S.PUBLISHED and authors_draft.is_scheduled
    assert not Post.objects.published().exists()
    with time_machine.travel(go_live + timedelta(seconds=1), tick=False):
        assert list(Post.objects.published()) == [authors_draft]


def test_editor_status_field_offers_the_reachable_states(client, editor):
    post = make_post(status=S.PUBLISHED)
    client.force_login(editor)
    form = client.get(change_url(post)).context["adminform"].form
    assert [v for v, _label in form.fields["status"].choices] == [
        S.PUBLISHED, S.UNPUBLISHED, S.ARCHIVED
    ]
    response = submit_change_form(client, post, status=S.DRAFT)  # not a move from published
    assert "status" in response.context["adminform"].form.errors
    response = submit_change_form(client, post, status=S.UNPUBLISHED)
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == S.UNPUBLISHED
    assert post.state_changes.get().to_status == S.UNPUBLISHED


def test_expiry_must_come_after_the_publish_date(client, editor):
    post = make_post()
    client.force_login(editor)
    before = timezone.localtime(post.publish_at) - timedelta(days=1)
    response = submit_change_form(
        client, post, expire_at_0=before.strftime("%Y-%m-%d"),
        expire_at_1=before.strftime("%H:%M:%S"),
    )
    assert "expire_at" in response.context["adminform"].form.errors


# --- bulk actions -------------------------------------------------------------------------


def test_author_cannot_publish_in_bulk_even_with_a_crafted_post(client, author, authors_draft):
    client.force_login(author)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "publish", "_selected_action": [authors_draft.pk]},
        follow=True,
    )
    assert "No action selected." in response.content.decode()
    authors_draft.refresh_from_db()
    assert authors_draft.status == S.DRAFT


def test_author_submits_in_bulk_only_their_own_drafts(
    client, author, authors_draft, someone_elses_draft
):
    client.force_login(author)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "submit_for_review",
         "_selected_action": [authors_draft.pk, someone_elses_draft.pk]},
        follow=True,
    )
    assert "1 post was submitted for review." in response.content.decode()
    authors_draft.refresh_from_db()
    someone_elses_draft.refresh_from_db()
    assert authors_draft.status == S.IN_REVIEW
    assert someone_elses_draft.status == S.DRAFT  # not in the author's queryset at all


def test_editor_bulk_actions_move_record_and_keep_revisions(client, editor):
    drafts = [make_post(status=S.DRAFT) for _ in range(2)]
    archived = make_post(status=S.ARCHIVED)
    live = make_post(status=S.PUBLISHED)
    client.force_login(editor)

    response = client.post(
        reverse(CHANGELIST),
        {"action": "publish", "_selected_action": [p.pk for p in [*drafts, live]]},
        follow=True,
    )
    html = response.content.decode()
    assert "2 posts were published." in html
    assert "1 selected post was left alone" in html  # already published
    assert set(Post.objects.published()) == {*drafts, live}

    response = client.post(
        reverse(CHANGELIST),
        {"action": "unpublish", "_selected_action": [drafts[0].pk]},
        follow=True,
    )
    assert "1 post was unpublished." in response.content.decode()
    response = client.post(
        reverse(CHANGELIST),
        {"action": "archive", "_selected_action": [drafts[1].pk, archived.pk]},
        follow=True,
    )
    assert "1 post was archived." in response.content.decode()

    assert Post.objects.get(pk=drafts[0].pk).status == S.UNPUBLISHED
    assert Post.objects.get(pk=drafts[1].pk).status == S.ARCHIVED
    assert StateChange.objects.filter(post=drafts[0], user=editor).count() == 2
    assert versions_of(drafts[0]).count() == 2  # a revision per move
    assert versions_of(drafts[0]).first().revision.user == editor


# --- history and restore ------------------------------------------------------------------


def test_history_page_shows_who_moved_the_post_when_from_where_to_where(client, editor):
    post = make_post(status=S.DRAFT)
    post.transition("publish", editor)
    post.transition("unpublish", editor, comment="Wrong date in the title.")
    client.force_login(editor)
    html = client.get(history_url(post)).content.decode()
    section = html[html.index('id="workflow-history"'):html.index('id="revisions"')]
    assert section.count("<tr>") == 3  # header + two moves
    assert "Wrong date in the title." in section
    assert "Unpublished" in section and "Published" in section and "editor" in section


def test_restore_is_refused_to_an_author_once_the_post_is_published(client, author, editor):
    post = make_post("Ada's story", status=S.DRAFT, created_by=author)
    post.transition("publish", editor)
    version = versions_of(post).first()
    client.force_login(author)
    url = reverse("admin:posts_post_restore", args=[post.pk, version.pk])
    assert client.post(url).status_code == 403
    post.refresh_from_db()
    assert post.status == S.PUBLISHED


def test_restore_of_someone_elses_post_is_not_found_for_an_author(
    client, author, editor, someone_elses_draft
):
    someone_elses_draft.transition("submit", editor)
    version = versions_of(someone_elses_draft).first()
    client.force_login(author)
    url = reverse("admin:posts_post_restore", args=[someone_elses_draft.pk, version.pk])
    assert client.post(url).status_code == 404


# --- the other roles and the endpoints ----------------------------------------------------


def test_registry_maintainer_keeps_the_registry_and_nothing_else(client):
    maintainer = make_user("rita", "Registry maintainers")
    project = make_project("Tongsuo")
    client.force_login(maintainer)
    assert client.get(reverse("admin:projects_project_changelist")).status_code == 200
    assert client.get(
        reverse("admin:projects_project_change", args=[project.pk])
    ).status_code == 200
    assert client.get(reverse("admin:projects_donor_add")).status_code == 200
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse(ADD)).status_code == 403


def test_editors_keep_the_registry(client, editor):
    client.force_login(editor)
    assert client.get(reverse("admin:projects_project_add")).status_code == 200


def test_markdownx_endpoints_for_authors_but_not_for_staff_without_permission(
    client, author, staff_without_permission
):
    preview = reverse("markdownx_markdownify")
    client.force_login(author)
    response = client.post(preview, {"content": "**bold**"})
    assert response.status_code == 200 and "<strong>bold</strong>" in response.content.decode()
    client.force_login(staff_without_permission)
    assert client.post(preview, {"content": "**bold**"}).status_code in (302, 403)
    upload = reverse("markdownx_upload")
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("a.png", image_bytes(size=(20, 20), fmt="PNG"), "image/png")
    assert client.post(upload, {"image": image}).status_code in (302, 403)


def test_authors_preview_their_own_drafts_on_the_site_but_not_others(
    client, author, authors_draft, someone_elses_draft
):
    client.force_login(author)
    response = client.get(authors_draft.get_absolute_url())
    assert response.status_code == 200 and "Ada&#x27;s draft" in response.content.decode()
    assert client.get(someone_elses_draft.get_absolute_url()).status_code == 404


def test_bulk_unpublish_and_restore_drop_cached_public_pages(client, editor, settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    live = make_post("Cached story", status=S.DRAFT)
    live.transition("publish", editor)
    visitor = client.__class__()
    assert "Cached story" in visitor.get(reverse("posts:list")).content.decode()
    assert visitor.get(reverse("posts:list"))["X-Cache"] == "hit"

    client.force_login(editor)
    client.post(reverse(CHANGELIST), {"action": "unpublish", "_selected_action": [live.pk]})
    assert "Cached story" not in visitor.get(reverse("posts:list")).content.decode()

    client.post(reverse(CHANGELIST), {"action": "publish", "_selected_action": [live.pk]})
    assert "Cached story" in visitor.get(reverse("posts:list")).content.decode()
    version = versions_of(live).last()
    client.post(reverse("admin:posts_post_restore", args=[live.pk, version.pk]))
    assert "Cached story" not in visitor.get(reverse("posts:list")).content.decode()
    cache.clear()
