"""Revisions (django-reversion) and safe editing in the post admin.

Every admin save keeps a revision; the history page lists them; two can be compared, and
the current text with the live version; one can be restored as a new draft. A change form
that went stale while someone else saved is refused, keeps its text and names who changed
the post and when.
"""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from foundation.factories import image_bytes, make_category, make_post
from posts.models import Post
from posts.revisions import text_diff, versions_of
from tests.posts.test_workflow import change_url, form_values, history_url, submit_change_form

pytestmark = pytest.mark.django_db

S = Post.Status


def compare_url(post, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("admin:posts_post_compare", args=[post.pk]) + (f"?{query}" if query else "")


def restore_url(post, version):
    return reverse("admin:posts_post_restore", args=[post.pk, version.pk])


@pytest.fixture
def second_editor(db):
    user = User.objects.create_user(
        "grace", "grace@example.org", "grace-pass-123", is_staff=True,
        first_name="Grace", last_name="Hopper",
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def edited_post(client, editor):
    """A post saved three times in the admin: created, then its body and categories changed."""
    news = make_category("News")
    client.force_login(editor)
    post = make_post("Signing ceremony", status=S.DRAFT,
                     body="The ceremony was held in Beijing.\n\nDonors signed.")
    submit_change_form(client, post)  # first revision: as created
    submit_change_form(
        client, post, body="The ceremony was held in Shanghai.\n\nDonors signed.",
        categories=str(news.pk),
    )
    post.refresh_from_db()
    return post


def test_every_admin_save_keeps_a_revision_with_its_author(client, editor, edited_post):
    versions = list(versions_of(edited_post))
    assert len(versions) == 2
    assert all(version.revision.user == editor for version in versions)
    newest, oldest = versions
    assert "Shanghai" in newest.field_dict["body"] and "Beijing" in oldest.field_dict["body"]
    assert newest.field_dict["categories"] == [edited_post.categories.get().pk]


def test_history_page_lists_the_revisions(client, editor, edited_post):
    html = client.get(history_url(edited_post)).content.decode()
    section = html[html.index('id="revisions"'):]
    assert section.count('name="from"') == 2
    assert "Restore as draft…" in section


def test_compare_shows_the_changed_words(client, edited_post):
    newest, oldest = versions_of(edited_post)
    response = client.get(compare_url(edited_post, **{"from": oldest.pk, "to": newest.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>Beijing</del><ins>Shanghai</ins>" in html
    assert "<ins>News</ins>" in html  # the category added
    rows = {str(label): changed for label, changed, _diff in response.context["rows"]}
    assert rows["Body"] and rows["Categories"] and not rows["Title"]


def test_compare_escapes_what_editors_wrote():
    html = text_diff("Hello", 'Hello <script>alert("x")</script>')
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_chinese_text_is_compared_character_by_character():
    html = text_diff("签约仪式在北京举行。", "签约仪式在上海举行。")
    assert "签约仪式在<del>北京</del><ins>上海</ins>举行。" in html


def test_long_unchanged_stretches_are_shortened():
    old = "\n".join(f"Line {n}" for n in range(40))
    new = old.replace("Line 20", "Line twenty")
    html = text_diff(old, new)
    assert "unchanged lines" in html and "Line 2\n" not in html
    assert "<del>20</del><ins>twenty</ins>" in html


def test_compare_with_the_live_version(client, editor):
    client.force_login(editor)
    post = make_post("Live story", status=S.DRAFT, body="Version one.")
    submit_change_form(client, post, _transition="publish")
    post.refresh_from_db()
    assert post.is_published()
    submit_change_form(client, post, _transition="unpublish")
    submit_change_form(client, Post.objects.get(), body="Version two, being reworked.")

    html = client.get(history_url(post)).content.decode()
    assert "Compare with the live version" in html
    response = client.get(compare_url(post, **{"from": "live", "to": "current"}))
    html = response.content.decode()
    assert "<del>one</del>" in html and "<ins>two, being reworked</ins>" in html
    assert "<del>Published</del><ins>Unpublished</ins>" in html


def test_compare_of_unknown_or_foreign_revisions_is_404(client, editor, edited_post):
    other = make_post("Another post", status=S.DRAFT)
    submit_change_form(client, other)
    foreign = versions_of(other).first()
    assert client.get(compare_url(edited_post, **{"from": foreign.pk})).status_code == 404
    assert client.get(compare_url(edited_post, **{"from": "nonsense"})).status_code == 404
    assert client.get(compare_url(edited_post, **{"from": 999999})).status_code == 404
    assert client.get(compare_url(other, **{"from": "live"})).status_code == 404  # never live
    assert client.get(restore_url(edited_post, foreign)).status_code == 404


def test_restore_brings_the_old_text_back_as_a_new_draft(client, editor, edited_post):
    edited_post.transition("publish", editor)
    newest_before = versions_of(edited_post).count()
    oldest = versions_of(edited_post).last()

    # The confirmation page shows what would change, and changes nothing.
    response = client.get(restore_url(edited_post, oldest))
    assert "<del>Shanghai</del><ins>Beijing</ins>" in response.content.decode()
    assert Post.objects.get().is_published()

    response = client.post(restore_url(edited_post, oldest))
    assert response.status_code == 302 and response.url == change_url(edited_post)
    post = Post.objects.get()
    assert "Beijing" in post.body and "Beijing" in post.body_html
    assert list(post.categories.all()) == []  # the old revision had none
    assert post.status == S.DRAFT and not post.is_published()  # never silently (re)published
    assert post.slug == edited_post.slug
    assert versions_of(post).count() == newest_before + 1
    assert "Restored the revision" in versions_of(post).first().revision.get_comment()
    change = post.state_changes.first()
    assert (change.from_status, change.to_status, change.user) == (S.PUBLISHED, S.DRAFT, editor)
    assert "Restored the revision" in change.comment


def test_an_author_restores_a_revision_of_their_own_draft(client, author):
    post = make_post("Ada's draft", status=S.DRAFT, created_by=author, body="First words.")
    client.force_login(author)
    submit_change_form(client, post)
    submit_change_form(client, post, body="Second words.")
    oldest = versions_of(post).last()
    response = client.get(restore_url(post, oldest))
    assert "Restore this revision as a draft" in response.content.decode()
    assert Post.objects.get().body == "Second words."  # a GET changes nothing
    assert client.post(restore_url(post, oldest)).status_code == 302
    assert Post.objects.get().body == "First words."


# --- two editors on one post --------------------------------------------------------------


def test_a_stale_form_is_refused_naming_who_changed_the_post_and_keeping_the_text(
    client, editor, second_editor
):
    post = make_post("Shared story", body="Original text.")
    client.force_login(editor)
    opened_at = timezone.now()
    stale = form_values(client.get(change_url(post)))  # editor opens the form …

    other = client.__class__()
    other.force_login(second_editor)
    with time_machine.travel(opened_at + timedelta(minutes=3), tick=False):
        submit_change_form(other, post, body="Grace's correction.")  # … Grace saves first
    saved_at = timezone.localtime(Post.objects.get().updated_at).strftime("%H:%M")

    stale["body"] = "Editor's long rewrite."
    response = client.post(change_url(post), stale)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Grace Hopper changed this post at {saved_at}, after you opened it" in html
    assert "Editor&#x27;s long rewrite." in html  # the text is still in the form
    assert Post.objects.get().body == "Grace's correction."  # not overwritten

    # Saving the form again, having been told, is a deliberate choice: it goes through.
    again = form_values(response)
    assert again["body"] == "Editor's long rewrite."
    assert client.post(change_url(post), again).status_code == 302
    assert Post.objects.get().body == "Editor's long rewrite."


def test_an_unchanged_post_saves_normally(client, editor):
    post = make_post("Quiet story")
    client.force_login(editor)
    assert submit_change_form(client, post, summary="Fine.").status_code == 302
    assert Post.objects.get().summary == "Fine."


def test_compare_shows_a_changed_summary_hero_image_and_categories(client, editor):
    news, events = make_category("News"), make_category("Events")
    client.force_login(editor)
    post = make_post("Signing ceremony", status=S.DRAFT, hero=True, categories=[news],
                     summary="Donors met in Beijing.", hero_image_alt="An empty stage")
    submit_change_form(client, post)  # first revision
    new_hero = SimpleUploadedFile(
        "podium.png", image_bytes(size=(1600, 900), fmt="PNG"), content_type="image/png"
    )
    response = submit_change_form(
        client, post, summary="Donors met in Shanghai.", hero_image=new_hero,
        hero_image_alt="Two donors at the podium", categories=[str(events.pk)],
    )
    assert response.status_code == 302
    newest, oldest = versions_of(post)

    response = client.get(compare_url(post, **{"from": oldest.pk, "to": newest.pk}))
    rows = {str(label): (changed, diff) for label, changed, diff in response.context["rows"]}
    assert rows["Summary"][0] and rows["Hero image"][0] and rows["Categories"][0]
    assert not rows["Title"][0] and not rows["Body"][0]
    html = response.content.decode()
    assert "Donors met in <del>Beijing</del><ins>Shanghai</ins>." in html
    hero = str(rows["Hero image"][1])
    assert "<del>signing-ceremony</del><ins>podium</ins>.<del>jpg</del><ins>png</ins>" in hero
    assert "<del>empty</del><ins>donors</ins>" in hero  # the alt text changed too
    assert "<del>stage</del><ins>at the podium</ins>" in hero
    assert "<del>News</del><ins>Events</ins>" in str(rows["Categories"][1])
