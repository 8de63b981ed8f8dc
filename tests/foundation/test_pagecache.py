"""The anonymous page cache serves stale pages never: it drops them exactly when content changes."""

import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_post
from foundation.pagecache import content_changed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    # The cache-down test leaves an unreachable cache configured.
    with contextlib.suppress(Exception):
        cache.clear()


def test_second_anonymous_visit_is_served_from_the_cache(client):
    make_post("Cached headline")
    first = client.get(reverse("posts:list"))
    second = client.get(reverse("posts:list"))
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert "Cached headline" in second.content.decode()


def test_a_content_change_drops_every_cached_page(client):
    make_post("First story")
    client.get(reverse("posts:list"))
    make_post("Second story")
    content_changed()
    page = client.get(reverse("posts:list"))
    assert page["X-Cache"] == "miss"
    assert "Second story" in page.content.decode()


def test_a_scheduled_post_appears_at_its_instant_without_any_process(client):
    go_live = timezone.now() + timedelta(minutes=10)
    make_post("Embargoed announcement", publish_at=go_live)
    content_changed()
    with time_machine.travel(go_live - timedelta(seconds=1), tick=False):
        before = client.get(reverse("posts:list"))
        assert "Embargoed announcement" not in before.content.decode()
        assert client.get(reverse("posts:list"))["X-Cache"] == "hit"
    with time_machine.travel(go_live + timedelta(seconds=1), tick=False):
        after = client.get(reverse("posts:list"))
        assert after["X-Cache"] == "miss"
        assert "Embargoed announcement" in after.content.decode()


def test_logged_in_users_always_get_fresh_pages(client, editor):
    client.force_login(editor)
    client.get(reverse("posts:list"))
    make_post("Fresh for editors")
    page = client.get(reverse("posts:list"))
    assert "X-Cache" not in page
    assert "Fresh for editors" in page.content.decode()


def test_repeat_visitors_get_304_not_modified(client):
    make_post()
    page = client.get(reverse("posts:list"))
    etag = page["ETag"]
    again = client.get(reverse("posts:list"), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_not_found_pages_are_not_cached(client):
    assert client.get(reverse("posts:detail", args=["nothing-here"])).status_code == 404
    make_post("Nothing here", slug="nothing-here")
    assert client.get(reverse("posts:detail", args=["nothing-here"])).status_code == 200


def test_the_site_serves_uncached_when_the_cache_server_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    make_post("Still readable")
    page = client.get(reverse("posts:list"))
    assert page.status_code == 200
    assert "Still readable" in page.content.decode()


def test_an_edit_in_the_admin_reaches_anonymous_visitors_at_once(client, editor):
    from django.test import Client

    from foundation.factories import make_category

    category = make_category("Events", slug="events")
    make_post("Summit recap", categories=[category])
    assert "Events" in client.get(reverse("posts:list")).content.decode()
    assert client.get(reverse("posts:list"))["X-Cache"] == "hit"

    admin = Client()
    admin.force_login(editor)
    response = admin.post(
        reverse("admin:posts_category_change", args=[category.pk]),
        {"name": "Gatherings", "slug": "events", "description": "", "position": 0},
    )
    assert response.status_code == 302

    page = client.get(reverse("posts:list"))
    assert page["X-Cache"] == "miss"
    assert "Gatherings" in page.content.decode()


def test_remembered_aggregates_follow_content_changes():
    from posts.models import published_years

    make_post("Old news", publish_at=timezone.now().replace(year=2021))
    content_changed()
    assert [d.year for d in published_years()] == [2021]
    make_post("Newer news", publish_at=timezone.now().replace(year=2022))
    assert [d.year for d in published_years()] == [2021]  # remembered…
    content_changed()
    assert [d.year for d in published_years()] == [2022, 2021]  # …until content changes
