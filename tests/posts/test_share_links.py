"""Share links: a signed, expiring, revocable URL that shows a draft to anyone who has it,
exactly as the public page renders it, noindex and never cached."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_post
from posts.models import Post, ShareLink
from tests.conftest import grant

pytestmark = pytest.mark.django_db


def make_draft(**fields):
    return make_post("Carsmos joins the foundation (draft)", status=Post.Status.DRAFT, **fields)


def create_url(post):
    return reverse("admin:posts_post_share_create", args=[post.pk])


def test_editor_creates_a_link_that_shows_the_draft_to_anyone(client, editor, settings):
    settings.PAGE_CACHE_SECONDS = 300  # the anonymous page cache must leave it alone
    post = make_draft()
    assert client.get(post.get_absolute_url()).status_code == 404  # not public

    client.force_login(editor)
    response = client.post(create_url(post), follow=True)
    link = ShareLink.objects.get(post=post)
    assert link.created_by == editor
    assert link.expires_at - timezone.now() > timedelta(days=6, hours=23)
    page = response.content.decode()
    assert link.get_absolute_url() in page  # in the message and the list
    assert "Revoke" in page

    client.logout()
    for _attempt in range(2):  # the second time would be a cache hit if it were cached
        response = client.get(link.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        assert "Carsmos joins the foundation (draft)" in html
        assert '<meta name="robots" content="noindex">' in html
        assert response["X-Robots-Tag"] == "noindex"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert "X-Cache" not in response
    # The same template as the public page.
    assert "posts/post_detail.html" in [t.name for t in response.templates]


def test_link_lifetime_is_a_setting(editor, settings):
    settings.SHARE_LINK_DAYS = 2
    link = ShareLink.objects.create(post=make_draft(), created_by=editor)
    assert timedelta(days=1, hours=23) < link.expires_at - timezone.now() <= timedelta(days=2)


def test_expired_link_is_a_404(client, editor):
    link = ShareLink.objects.create(post=make_draft(), created_by=editor)
    url = link.get_absolute_url()
    with time_machine.travel(link.expires_at - timedelta(minutes=1)):
        assert client.get(url).status_code == 200
    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        assert client.get(url).status_code == 404


def test_revoked_link_is_a_404(client, editor):
    post = make_draft()
    link = ShareLink.objects.create(post=post, created_by=editor)
    client.force_login(editor)
    response = client.post(reverse("admin:posts_post_share_revoke", args=[post.pk, link.pk]))
    assert response.status_code == 302
    client.logout()
    assert client.get(link.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "x" + token,  # key changed
        lambda token: token.split(":")[0],  # no signature
        lambda token: "not-a-token",
    ],
)
def test_tampered_token_is_a_404(client, editor, tamper):
    link = ShareLink.objects.create(post=make_draft(), created_by=editor)
    url = reverse("posts:shared", kwargs={"token": tamper(link.token)})
    assert client.get(url).status_code == 404


def test_link_to_a_deleted_post_is_a_404(client, editor):
    post = make_draft()
    url = ShareLink.objects.create(post=post, created_by=editor).get_absolute_url()
    post.delete()
    assert client.get(url).status_code == 404


def test_staff_without_change_permission_cannot_create_or_revoke(
    client, editor, staff_without_permission
):
    post = make_draft()
    link = ShareLink.objects.create(post=post, created_by=editor)
    viewer = grant(staff_without_permission, "posts.view_post")
    client.force_login(viewer)
    assert client.post(create_url(post)).status_code == 403
    revoke = reverse("admin:posts_post_share_revoke", args=[post.pk, link.pk])
    assert client.post(revoke).status_code == 403
    assert ShareLink.objects.count() == 1 and ShareLink.objects.get().revoked_at is None
    page = client.get(reverse("admin:posts_post_change", args=[post.pk])).content.decode()
    assert "Create a share link" not in page


def test_creating_a_link_needs_post_not_get(client, editor):
    post = make_draft()
    client.force_login(editor)
    assert client.get(create_url(post)).status_code == 405
    assert not ShareLink.objects.exists()


def test_author_shares_only_their_own_posts(client, editor, author):
    others = make_draft(slug="someone-elses")
    own = make_post("Mine", status=Post.Status.DRAFT, created_by=author)
    client.force_login(author)
    assert client.post(create_url(own)).status_code == 302
    assert client.post(create_url(others)).status_code in (403, 404)
    assert list(ShareLink.objects.values_list("post", flat=True)) == [own.pk]
