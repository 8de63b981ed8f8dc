"""Scheduled publish and scheduled expiry take effect at their instant, with no process.

Time is frozen on both sides of each instant (time_machine); nothing runs in between. The
post is checked through ``Post.objects.published()`` and the public list and detail pages,
and, with the page cache on, a cached page does not outlive the instant either.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_post
from foundation.pagecache import content_changed
from posts.models import Post

pytestmark = pytest.mark.django_db

SECOND = timedelta(seconds=1)


def visible_everywhere(client, post):
    """Whether an anonymous visitor finds the post: queryset, list page, detail page."""
    in_queryset = Post.objects.published().filter(pk=post.pk).exists()
    in_list = post.title in client.get(reverse("posts:list")).content.decode()
    detail = client.get(post.get_absolute_url()).status_code
    assert detail in (200, 404)
    assert in_queryset == in_list == (detail == 200), (in_queryset, in_list, detail)
    return in_queryset


@pytest.fixture
def instants():
    now = timezone.now().replace(microsecond=0)
    return {"go_live": now + timedelta(hours=2), "expire": now + timedelta(days=3)}


def test_scheduled_post_appears_at_its_publish_time(client, instants):
    post = make_post("Embargoed news", publish_at=instants["go_live"])
    with time_machine.travel(instants["go_live"] - SECOND, tick=False):
        assert post.is_scheduled
        assert not visible_everywhere(client, post)
    with time_machine.travel(instants["go_live"], tick=False):
        assert visible_everywhere(client, post)
    with time_machine.travel(instants["go_live"] + SECOND, tick=False):
        assert visible_everywhere(client, post)


def test_post_leaves_the_site_at_its_expiry_time(client, instants):
    post = make_post(
        "Call for papers", publish_at=instants["go_live"], expire_at=instants["expire"]
    )
    with time_machine.travel(instants["expire"] - SECOND, tick=False):
        assert visible_everywhere(client, post)
        assert not post.is_expired
    with time_machine.travel(instants["expire"], tick=False):
        assert not visible_everywhere(client, post)
        assert Post.objects.get(pk=post.pk).is_expired
        assert Post.objects.get(pk=post.pk).status == Post.Status.PUBLISHED  # nothing ran


def test_no_cached_page_outlives_an_expiry(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    make_post("Old call for papers", expire_at=timezone.now() + timedelta(minutes=2))
    content_changed()
    expire = Post.objects.get().expire_at
    try:
        with time_machine.travel(expire - SECOND, tick=False):
            assert "Old call for papers" in client.get(reverse("posts:list")).content.decode()
            assert client.get(reverse("posts:list"))["X-Cache"] == "hit"
        with time_machine.travel(expire + SECOND, tick=False):
            page = client.get(reverse("posts:list"))
            assert page["X-Cache"] == "miss"
            assert "Old call for papers" not in page.content.decode()
    finally:
        cache.clear()
