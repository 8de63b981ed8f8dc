"""Every role against every admin path of the news and the media library.

Each group the migrations create (foundation/migrations/0001-0005), and staff with no group
at all, tries each path with real requests; ``ALLOWED`` says who may. A path that is refused
must also have changed nothing, and a path that is allowed must have done its work, so each
check below looks at the database (or the page) rather than at a status code alone.

The groups, as the migrations grant them:

- Editors: posts, categories, redirects and library images (add, change, delete, view), and
  ``publish_post``; the registry. Not export or import.
- Authors: ``add_post`` and ``change_post`` (their own posts, while draft or in review),
  ``add_image`` and ``view_image`` (upload to the library and browse it, never change or
  delete an image). May submit for review, never publish.
- Registry maintainers: the projects, donors, areas and donations. The Markdown editor's
  preview and upload serve them too: project descriptions use the same editor.
- Staff exporters: view posts, export them.
- Staff importers: import posts, add posts and change the ones they created, as an author
  may (they do not publish, transition others' posts, bulk-change or delete).
"""

from datetime import timedelta

import pytest
import reversion
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from foundation.factories import image_bytes, image_file, make_post
from posts.models import Image, Post, Redirect, ShareLink

pytestmark = pytest.mark.django_db

S = Post.Status
EDITORS = "Editors"
AUTHORS = "Authors"
REGISTRY = "Registry maintainers"
EXPORTERS = "Staff exporters"
IMPORTERS = "Staff importers"
NO_GROUP = "no group"
ROLES = (EDITORS, AUTHORS, REGISTRY, EXPORTERS, IMPORTERS, NO_GROUP)


class World:
    """A logged-in member of one role, and what there is to try things on."""

    def __init__(self, role):
        # No password: the client logs in with force_login, and hashing one costs time.
        self.user = User.objects.create_user("member", is_staff=True)
        if role != NO_GROUP:
            self.user.groups.add(Group.objects.get(name=role))
        self.client = Client()
        self.client.force_login(self.user)
        other = User.objects.create_user("bob", is_staff=True)
        other.groups.add(Group.objects.get(name=AUTHORS))
        self.other = other
        self.own_draft = make_post("Own draft", status=S.DRAFT, created_by=self.user)
        with reversion.create_revision():
            self.others_draft = make_post("Bob's draft", status=S.DRAFT, created_by=other)
        self.published = make_post("Live story", status=S.PUBLISHED, created_by=other)
        self.image = Image.objects.create(
            file=image_file("stage.jpg", size=(320, 200)), title="Stage", uploaded_by=other
        )
        self.redirect = Redirect.objects.record("/old/", "/news/")

    def get(self, name, *args, **params):
        return self.client.get(reverse(name, args=args), params)

    def post(self, name, *args, data=None, **kwargs):
        return self.client.post(reverse(name, args=args), data or {}, **kwargs)


def page(response):
    """True if the page was served, False if it was refused: 403, or a redirect away (to the
    admin's index, "does not exist", or to the login page)."""
    assert response.status_code in (200, 302, 403), response.status_code
    return response.status_code == 200


def status_of(post):
    return Post.objects.get(pk=post.pk).status


def post_form(post=None, **overrides):
    publish_at = timezone.localtime() - timedelta(hours=1)
    data = {
        "title": post.title if post else "A new post",
        "slug": post.slug if post else "a-new-post",
        "status": post.status if post else S.DRAFT,
        "publish_at_0": publish_at.strftime("%Y-%m-%d"),
        "publish_at_1": publish_at.strftime("%H:%M:%S"),
        "language": "en",
        "body": "Body.",
        "extras": "{}",
        "hero_focal_x": "0.5",
        "hero_focal_y": "0.5",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def image_upload(name="upload.png"):
    return SimpleUploadedFile(name, image_bytes(size=(64, 48), fmt="PNG"), "image/png")


# --- the checks: each returns whether the user got to do it --------------------------------


def post_changelist(w):
    return page(w.get("admin:posts_post_changelist"))


def post_add_page(w):
    return page(w.get("admin:posts_post_add"))


def post_add(w):
    w.post("admin:posts_post_add", data=post_form())
    return Post.objects.filter(slug="a-new-post").exists()


def view_others_post(w):
    response = w.get("admin:posts_post_change", w.others_draft.pk)
    return page(response) and "Bob&#x27;s draft" in response.content.decode()


def change_own_draft(w):
    w.post("admin:posts_post_change", w.own_draft.pk,
           data=post_form(w.own_draft, title="Changed"))
    return Post.objects.get(pk=w.own_draft.pk).title == "Changed"


def change_others_draft(w):
    w.post("admin:posts_post_change", w.others_draft.pk,
           data=post_form(w.others_draft, title="Changed"))
    return Post.objects.get(pk=w.others_draft.pk).title == "Changed"


def history_of_others_post(w):
    return page(w.get("admin:posts_post_history", w.others_draft.pk))


def restore_others_revision(w):
    Post.objects.filter(pk=w.others_draft.pk).update(title="Retitled")
    version = reversion.models.Version.objects.get_for_object(w.others_draft).get()
    w.post("admin:posts_post_restore", w.others_draft.pk, version.pk)
    return Post.objects.get(pk=w.others_draft.pk).title == "Bob's draft"


def delete_page_own(w):
    return page(w.get("admin:posts_post_delete", w.own_draft.pk))


def delete_own(w):
    response = w.post("admin:posts_post_delete", w.own_draft.pk, data={"post": "yes"})
    deleted = not Post.objects.filter(pk=w.own_draft.pk).exists()
    assert deleted or response.status_code in (302, 403)
    return deleted


def delete_others(w):
    w.post("admin:posts_post_delete", w.others_draft.pk, data={"post": "yes"})
    return not Post.objects.filter(pk=w.others_draft.pk).exists()


def bulk(w, action, *posts, **extra):
    return w.post(
        "admin:posts_post_changelist",
        data={"action": action, "_selected_action": [p.pk for p in posts], **extra},
    )


def bulk_publish(w):
    bulk(w, "publish", w.own_draft, w.others_draft)
    return S.PUBLISHED in {status_of(w.own_draft), status_of(w.others_draft)}


def bulk_unpublish(w):
    bulk(w, "unpublish", w.published)
    return status_of(w.published) == S.UNPUBLISHED


def bulk_archive(w):
    bulk(w, "archive", w.own_draft, w.others_draft)
    return S.ARCHIVED in {status_of(w.own_draft), status_of(w.others_draft)}


def bulk_submit_others(w):
    bulk(w, "submit_for_review", w.others_draft)
    return status_of(w.others_draft) == S.IN_REVIEW


def bulk_delete(w):
    bulk(w, "delete_selected", w.own_draft, w.others_draft, post="yes")
    return Post.objects.filter(pk__in=[w.own_draft.pk, w.others_draft.pk]).count() < 2


def transition(w, post, name):
    w.post("admin:posts_post_change", post.pk, data=post_form(post, _transition=name))
    return status_of(post)


def publish_own_with_the_button(w):
    return transition(w, w.own_draft, "publish") == S.PUBLISHED


def publish_others_with_the_button(w):
    return transition(w, w.others_draft, "publish") == S.PUBLISHED


def publish_own_with_the_status_field(w):
    w.post("admin:posts_post_change", w.own_draft.pk,
           data=post_form(w.own_draft, status=S.PUBLISHED))
    return status_of(w.own_draft) == S.PUBLISHED


def submit_own(w):
    return transition(w, w.own_draft, "submit") == S.IN_REVIEW


def submit_others(w):
    return transition(w, w.others_draft, "submit") == S.IN_REVIEW


def unpublish_with_the_button(w):
    return transition(w, w.published, "unpublish") == S.UNPUBLISHED


def share_own_draft(w):
    w.post("admin:posts_post_share_create", w.own_draft.pk)
    return ShareLink.objects.filter(post=w.own_draft).exists()


def share_others_draft(w):
    w.post("admin:posts_post_share_create", w.others_draft.pk)
    return ShareLink.objects.filter(post=w.others_draft).exists()


def revoke_others_share_link(w):
    link = ShareLink.objects.create(post=w.others_draft, created_by=w.other)
    w.post("admin:posts_post_share_revoke", w.others_draft.pk, link.pk)
    return ShareLink.objects.get(pk=link.pk).revoked_at is not None


def redirects_list(w):
    return page(w.get("admin:posts_redirect_changelist"))


def redirect_add(w):
    w.post("admin:posts_redirect_add",
           data={"old_path": "/added/", "target_path": "/news/", "is_permanent": "on"})
    return Redirect.objects.filter(old_path="/added/").exists()


def redirect_change(w):
    w.post("admin:posts_redirect_change", w.redirect.pk,
           data={"old_path": "/old/", "target_path": "/changed/", "is_permanent": "on"})
    return Redirect.objects.get(pk=w.redirect.pk).target_path == "/changed/"


def redirect_delete(w):
    w.post("admin:posts_redirect_delete", w.redirect.pk, data={"post": "yes"})
    return not Redirect.objects.filter(pk=w.redirect.pk).exists()


def redirect_bulk_delete(w):
    w.post("admin:posts_redirect_changelist",
           data={"action": "delete_selected", "_selected_action": [w.redirect.pk], "post": "yes"})
    return not Redirect.objects.filter(pk=w.redirect.pk).exists()


def redirect_import(w):
    csv_file = SimpleUploadedFile("r.csv", b"/imported/,/news/\n", "text/csv")
    w.post("admin:posts_redirect_import", data={"file": csv_file})
    return Redirect.objects.filter(old_path="/imported/").exists()


def markdown_preview(w):
    response = w.client.post(reverse("markdownx_markdownify"), {"content": "**bold**"})
    return page(response) and "<strong>bold</strong>" in response.content.decode()


def markdown_upload(w):
    before = Image.objects.count()
    response = w.client.post(
        reverse("markdownx_upload"), {"image": image_upload()},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    added = Image.objects.count() > before
    assert added == (response.status_code == 200)
    return added


def picker_list(w):
    response = w.get("admin:posts_post_image_picker")
    return page(response) and w.image.file.url in response.content.decode()


def picker_upload(w):
    w.post("admin:posts_post_image_picker_upload",
           data={"file": image_upload(), "title": "Picked", "alt_text": "A picked image"})
    return Image.objects.filter(title="Picked").exists()


def picker_describe_others_image(w):
    w.post("admin:posts_post_image_describe", w.image.pk, data={"alt_text": "Described"})
    return Image.objects.get(pk=w.image.pk).alt_text == "Described"


def library_list(w):
    return page(w.get("admin:posts_image_changelist"))


def library_add(w):
    w.post("admin:posts_image_add",
           data={"file": image_upload(), "title": "Added", "alt_text": "An added image"})
    return Image.objects.filter(title="Added").exists()


def library_change(w):
    w.post("admin:posts_image_change", w.image.pk,
           data={"title": "Renamed", "alt_text": "A stage", "caption": "", "credit": ""})
    return Image.objects.get(pk=w.image.pk).title == "Renamed"


def library_delete_page(w):
    return page(w.get("admin:posts_image_delete", w.image.pk))


def library_delete(w):
    w.post("admin:posts_image_delete", w.image.pk, data={"post": "yes"})
    return not Image.objects.filter(pk=w.image.pk).exists()


def library_bulk_delete(w):
    w.post("admin:posts_image_changelist",
           data={"action": "delete_selected", "_selected_action": [w.image.pk], "post": "yes"})
    return not Image.objects.filter(pk=w.image.pk).exists()


def export_page(w):
    return page(w.get("admin:posts_post_export"))


def import_page(w):
    return page(w.get("admin:posts_post_import"))


ED, AU, RM, EX, IM = EDITORS, AUTHORS, REGISTRY, EXPORTERS, IMPORTERS
ALLOWED = {
    post_changelist: {ED, AU, EX, IM},
    post_add_page: {ED, AU, IM},
    post_add: {ED, AU, IM},
    view_others_post: {ED, EX, IM},
    change_own_draft: {ED, AU, IM},
    change_others_draft: {ED},
    history_of_others_post: {ED, EX, IM},
    restore_others_revision: {ED},
    delete_page_own: {ED},
    delete_own: {ED},
    delete_others: {ED},
    bulk_publish: {ED},
    bulk_unpublish: {ED},
    bulk_archive: {ED},
    bulk_submit_others: {ED},
    bulk_delete: {ED},
    publish_own_with_the_button: {ED},
    publish_others_with_the_button: {ED},
    publish_own_with_the_status_field: {ED},
    submit_own: {ED, AU, IM},
    submit_others: {ED},
    unpublish_with_the_button: {ED},
    share_own_draft: {ED, AU, IM},
    share_others_draft: {ED},
    revoke_others_share_link: {ED},
    redirects_list: {ED},
    redirect_add: {ED},
    redirect_change: {ED},
    redirect_delete: {ED},
    redirect_bulk_delete: {ED},
    redirect_import: {ED},
    markdown_preview: {ED, AU, RM, IM},
    markdown_upload: {ED, AU, RM, IM},
    picker_list: {ED, AU},
    picker_upload: {ED, AU},
    picker_describe_others_image: {ED},
    library_list: {ED, AU},
    library_add: {ED, AU},
    library_change: {ED},
    library_delete_page: {ED},
    library_delete: {ED},
    library_bulk_delete: {ED},
    export_page: {EX},
    import_page: {IM},
}

@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("check", ALLOWED, ids=lambda check: check.__name__)
def test_role_may_do_exactly_what_it_is_allowed(role, check):
    world = World(role)
    expected = role in ALLOWED[check]
    assert check(world) is expected, (
        f"{role} {'should' if expected else 'should not'} be able to: {check.__name__}"
    )


def test_the_author_is_told_no_when_deleting_their_own_post(client, author):
    """Not only refused in effect: the delete page and its POST answer 403."""
    post = make_post("Ada's draft", status=S.DRAFT, created_by=author)
    client.force_login(author)
    url = reverse("admin:posts_post_delete", args=[post.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Post.objects.filter(pk=post.pk).exists()


def test_authors_see_the_library_read_only(client, author):
    """The change page of a library image shows it but offers no save or delete."""
    image = Image.objects.create(file=image_file("stage.jpg", size=(320, 200)), title="Stage")
    client.force_login(author)
    response = client.get(reverse("admin:posts_image_change", args=[image.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html and "deletelink" not in html
    assert client.post(
        reverse("admin:posts_image_change", args=[image.pk]), {"title": "Renamed"}
    ).status_code == 403


def test_every_group_the_migrations_make_is_in_the_matrix():
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES) - {NO_GROUP}
