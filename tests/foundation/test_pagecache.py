"""The anonymous page cache serves stale pages never: it drops them exactly when content changes."""

import contextlib
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

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


def test_pages_cached_while_a_change_commits_are_dropped_at_the_commit(
    client, django_capture_on_commit_callbacks
):
    """A save in the admin runs in a transaction: until it commits, other requests still
    see the old content and may cache it under the new version. The commit drops them."""
    make_post("Old headline")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        content_changed()
        # A request served in between (here on the same connection, for simplicity).
        assert client.get(reverse("posts:list"))["X-Cache"] == "miss"
        assert client.get(reverse("posts:list"))["X-Cache"] == "hit"
    assert client.get(reverse("posts:list"))["X-Cache"] == "miss"


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


# --- every change an editor makes in the admin drops the pages that showed it --------------


def fill_the_cache(client, urls):
    """Visit each page twice as an anonymous visitor: the second visit is a cache hit."""
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit", url


def admin_client(user):
    from django.test import Client

    admin = Client()
    admin.force_login(user)
    return admin


@pytest.mark.parametrize("how", ["delete-view", "delete-selected-action"])
def test_a_post_deleted_in_the_admin_leaves_every_cached_page(client, superuser, how):
    from foundation.factories import make_category

    category = make_category("Events", slug="events")
    post = make_post("Withdrawn announcement", categories=[category])
    make_post("Another story", categories=[category])
    pages = [
        reverse("posts:list"),
        reverse("home"),
        reverse("posts:category", args=["events"]),
    ]
    own_page = reverse("posts:detail", args=[post.slug])
    fill_the_cache(client, [*pages, own_page])
    for url in pages:
        assert "Withdrawn announcement" in client.get(url).content.decode()

    admin = admin_client(superuser)
    if how == "delete-view":
        response = admin.post(reverse("admin:posts_post_delete", args=[post.pk]), {"post": "yes"})
    else:
        response = admin.post(
            reverse("admin:posts_post_changelist"),
            {"action": "delete_selected", "_selected_action": [post.pk], "post": "yes"},
        )
    assert response.status_code == 302

    assert client.get(own_page).status_code == 404
    for url in pages:
        page = client.get(url)
        assert page["X-Cache"] == "miss", url
        assert "Withdrawn announcement" not in page.content.decode(), url
        assert "Another story" in page.content.decode(), url


def test_a_project_changed_in_the_admin_is_shown_changed_at_once(client, editor):
    from foundation.factories import make_donor, make_project
    from tests.projects.test_admin import admin_form_data

    donor = make_donor("Acme", slug="acme")
    project = make_project("Cloudkit", slug="cloudkit", summary="Clouds, kept.", donors=[donor])
    pages = [
        reverse("projects:detail", args=["cloudkit"]),
        reverse("projects:list"),
        reverse("projects:donor-detail", args=["acme"]),
        reverse("home"),
    ]
    fill_the_cache(client, pages)
    for url in pages:
        assert "Cloudkit" in client.get(url).content.decode(), url

    admin = admin_client(editor)
    url = reverse("admin:projects_project_change", args=[project.pk])
    response = admin.post(url, admin_form_data(admin, url, name="Skyframe"))
    assert response.status_code == 302

    for url in pages:
        page = client.get(url)
        assert page["X-Cache"] == "miss", url
        assert "Skyframe" in page.content.decode(), url
        assert "Cloudkit" not in page.content.decode(), url


def test_a_donor_changed_in_the_admin_is_shown_changed_at_once(client, editor):
    from foundation.factories import make_donor, make_project
    from tests.projects.test_admin import admin_form_data

    donor = make_donor("Acme Corporation", slug="acme")
    make_project("Cloudkit", slug="cloudkit", summary="Clouds, kept.", donors=[donor])
    pages = [
        reverse("projects:donor-detail", args=["acme"]),
        reverse("projects:donor-list"),
        reverse("projects:detail", args=["cloudkit"]),
    ]
    fill_the_cache(client, pages)
    for url in pages:
        assert "Acme Corporation" in client.get(url).content.decode(), url

    admin = admin_client(editor)
    url = reverse("admin:projects_donor_change", args=[donor.pk])
    response = admin.post(url, admin_form_data(admin, url, name="Acme Holdings"))
    assert response.status_code == 302

    for url in pages:
        page = client.get(url)
        assert page["X-Cache"] == "miss", url
        assert "Acme Holdings" in page.content.decode(), url
        assert "Acme Corporation" not in page.content.decode(), url


def test_a_donor_taken_off_the_public_site_disappears_from_cached_pages(client, editor):
    from foundation.factories import make_donor, make_project
    from tests.projects.test_admin import admin_form_data

    donor = make_donor("Acme Corporation", slug="acme")
    make_project("Cloudkit", slug="cloudkit", summary="Clouds, kept.", donors=[donor])
    fill_the_cache(client, [reverse("projects:donor-detail", args=["acme"]),
                            reverse("projects:donor-list")])

    admin = admin_client(editor)
    url = reverse("admin:projects_donor_change", args=[donor.pk])
    data = admin_form_data(admin, url)
    del data["is_public"]  # the box unticked
    assert admin.post(url, data).status_code == 302

    assert client.get(reverse("projects:donor-detail", args=["acme"])).status_code == 404
    assert "Acme Corporation" not in client.get(reverse("projects:donor-list")).content.decode()


# --- validators: ETag and Last-Modified give repeat visitors a 304 --------------------------


@pytest.fixture
def registry_pages(db):
    from foundation.factories import make_donor, make_project

    donor = make_donor("Acme", slug="acme")
    make_project("Cloudkit", slug="cloudkit", donors=[donor])
    post = make_post("Cloudkit joins", hero=True)
    return [
        reverse("home"),
        reverse("posts:list"),
        reverse("posts:detail", args=[post.slug]),
        reverse("projects:list"),
        reverse("projects:detail", args=["cloudkit"]),
        reverse("projects:donor-list"),
        reverse("projects:donor-detail", args=["acme"]),
        reverse("search") + "?q=cloudkit",
    ]


@pytest.mark.parametrize("visit", ["first", "repeat"])
def test_public_pages_answer_304_to_their_etag(client, registry_pages, visit):
    for url in registry_pages:
        page = client.get(url)
        if visit == "repeat":
            page = client.get(url)
            assert page["X-Cache"] == "hit", url
        again = client.get(url, headers={"if-none-match": page["ETag"]})
        assert again.status_code == 304, url
        assert again.content == b""
        assert client.get(url, headers={"if-none-match": '"other"'}).status_code == 200


def test_public_pages_say_when_their_content_last_changed(client, registry_pages):
    changed_at = timezone.now().replace(microsecond=200_000)
    with time_machine.travel(changed_at, tick=False):
        content_changed()
    with time_machine.travel(changed_at + timedelta(seconds=5), tick=False):
        for url in registry_pages:
            for _visit in ("miss", "hit"):
                page = client.get(url)
                assert page["Last-Modified"] == http_date(int(changed_at.timestamp())), url
                again = client.get(url, headers={"if-modified-since": page["Last-Modified"]})
                assert again.status_code == 304, url
        seen = client.get(reverse("posts:list"))["Last-Modified"]

    with time_machine.travel(changed_at + timedelta(seconds=10), tick=False):
        make_post("Breaking news")
        content_changed()
    with time_machine.travel(changed_at + timedelta(seconds=12), tick=False):
        page = client.get(reverse("posts:list"), headers={"if-modified-since": seen})
        assert page.status_code == 200
        assert "Breaking news" in page.content.decode()
        assert page["Last-Modified"] == http_date(int(changed_at.timestamp()) + 10)


def test_no_last_modified_in_the_second_of_a_change(client, registry_pages):
    """Dates count whole seconds: a second change in the same second would carry the same
    date, so a client asking "changed since?" with it would keep the first page."""
    changed_at = timezone.now().replace(microsecond=100_000)
    url = reverse("posts:list")
    with time_machine.travel(changed_at, tick=False):
        content_changed()
    with time_machine.travel(changed_at + timedelta(milliseconds=300), tick=False):
        page = client.get(url)
        assert "Last-Modified" not in page
        assert page.has_header("ETag")
        make_post("Second change in the same second")
        content_changed()
    with time_machine.travel(changed_at + timedelta(seconds=2), tick=False):
        page = client.get(url)
        assert "Second change in the same second" in page.content.decode()
        assert page["Last-Modified"] == http_date(int(changed_at.timestamp()))


def test_feeds_keep_the_date_of_their_newest_entry(client):
    """Feeds set their own Last-Modified (their newest entry), which the cache keeps."""
    saved_at = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
    with time_machine.travel(saved_at, tick=False):
        make_post("Old news", publish_at=saved_at - timedelta(days=3))
    with time_machine.travel(saved_at + timedelta(minutes=5), tick=False):
        content_changed()  # a later change that the feeds do not show
    for name in ("feeds:rss", "feeds:atom"):
        for _visit in ("miss", "hit"):
            feed = client.get(reverse(name))
            assert feed["Last-Modified"] == http_date(saved_at.timestamp()), (name, _visit)
            again = client.get(reverse(name), headers={"if-modified-since": feed["Last-Modified"]})
            assert again.status_code == 304
