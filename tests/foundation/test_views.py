"""Site-wide pages: the home page, the page frame every page shares, and the error pages."""

from datetime import date, timedelta

import pytest
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils import timezone

from foundation import views
from foundation.factories import make_donor, make_post, make_project
from posts.models import Post

pytestmark = pytest.mark.django_db


def test_home_shows_latest_news_and_recently_donated_projects(visitor):
    for n in range(8):
        make_post(f"Story {n}", publish_at=timezone.now() - timedelta(days=n + 1))
    make_post("Draft story", status=Post.Status.DRAFT)
    make_post("Scheduled story", publish_at=timezone.now() + timedelta(days=1))
    donor = make_donor("Ant Group")
    make_project("Old project", donated_on=date(2020, 1, 1), donors=[donor])
    make_project("New project", donated_on=date(2024, 6, 11), donors=[donor])
    make_project("Undated project", donated_on=None)

    response = visitor.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Latest news" in html and "Recently donated projects" in html
    assert html.index("Story 0") < html.index("Story 5")
    assert "Story 6" not in html  # six stories at most
    assert "Draft story" not in html and "Scheduled story" not in html
    assert html.index("New project") < html.index("Old project")
    assert "Undated project" not in html
    assert ">Ant Group</a>" in html


def test_home_empty_states(client):
    html = client.get(reverse("home")).content.decode()
    assert "No news yet." in html
    assert "No projects in the registry yet." in html


@pytest.mark.parametrize(
    "url_name",
    ["home", "posts:list", "projects:list", "projects:donor-list"],
)
def test_every_page_has_the_accessible_frame(client, settings, url_name):
    html = client.get(reverse(url_name)).content.decode()

    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html
    assert '<main id="main"' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    for name in ("posts:list", "projects:list", "projects:donor-list"):
        assert f'href="{reverse(name)}"' in html
    search = html[html.index('<form class="site-search"') :]
    search = search[: search.index("</form>")]
    assert 'role="search"' in search
    assert 'method="get"' in search
    assert f'action="{reverse("search")}"' in search
    assert '<label for="site-search-q">Search</label>' in search
    assert 'id="site-search-q" type="search" name="q"' in search
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert f'<link rel="canonical" href="{settings.SITE_URL}{reverse(url_name)}">' in html
    assert f'<meta property="og:url" content="{settings.SITE_URL}{reverse(url_name)}">' in html
    # No JavaScript: the only scripts are JSON-LD data blocks, which browsers never run.
    assert html.count("<script") == html.count('<script type="application/ld+json">')


def test_the_current_section_is_marked_in_the_menu(client):
    html = client.get(reverse("projects:list")).content.decode()
    assert f'<a href="{reverse("projects:list")}" aria-current="true">Projects</a>' in html
    assert f'<a href="{reverse("posts:list")}">News</a>' in html


def test_unknown_address_gets_the_custom_404_page(visitor):
    response = visitor.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'class="skip-link"' in html  # the site's frame, not Django's bare page


def test_server_error_page_needs_no_database_and_no_context(django_assert_num_queries):
    request = RequestFactory().get("/")

    with django_assert_num_queries(0):
        response = views.server_error(request)

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert '<a href="/">' in html
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html


def broken_view(request):
    raise RuntimeError("database on fire")


# A URLconf with a view that fails, wired to the site's own 500 handler.
urlpatterns = [path("broken/", broken_view)]
handler500 = "foundation.views.server_error"


def test_an_exception_in_a_view_shows_the_500_page(client, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "database on fire" not in html
