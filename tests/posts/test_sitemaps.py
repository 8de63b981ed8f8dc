"""sitemap.xml (an index of sections) and robots.txt, validated against the sitemaps.org schema."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from foundation.factories import make_category, make_donor, make_post, make_project
from posts.models import Post
from posts.sitemaps import PostSitemap

SITE = "https://news.example.org"
SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "sitemaps"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def schema(name):
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def fetch(client, url, xsd):
    """GET a sitemap by its absolute or relative URL; assert it validates; return the tree."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.get(path)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    tree = etree.fromstring(response.content)
    validator = schema(xsd)
    assert validator.validate(tree), (url, validator.error_log)
    return tree


def sections(client):
    tree = fetch(client, reverse("sitemap"), "siteindex.xsd")
    return {
        node.findtext("sm:loc", namespaces=NS): node.findtext("sm:lastmod", namespaces=NS)
        for node in tree.findall("sm:sitemap", NS)
    }


def urls(client, section, page=None):
    url = reverse("sitemap-section", kwargs={"section": section})
    tree = fetch(client, url + (f"?p={page}" if page else ""), "sitemap.xsd")
    return {
        node.findtext("sm:loc", namespaces=NS): node.findtext("sm:lastmod", namespaces=NS)
        for node in tree.findall("sm:url", NS)
    }


def day(moment):
    return timezone.localtime(moment).date().isoformat()


@pytest.fixture
def site(db):
    now = timezone.now()
    events = make_category("Events")
    chinese = make_category("活动")
    empty = make_category("Nothing here yet")
    hidden_category = make_category("Only drafts")
    public = make_donor("Carsmos Ltd")
    hidden = make_donor("Quiet donor", is_public=False)
    project = make_project("Carsmos", donors=[public, hidden])
    older = make_post("Older", categories=[events], publish_at=now - timedelta(days=10))
    newer = make_post("Newer", categories=[events, chinese], publish_at=now - timedelta(days=2))
    draft = make_post("Draft", status=Post.Status.DRAFT, categories=[hidden_category])
    scheduled = make_post(
        "Scheduled", publish_at=now + timedelta(days=3), categories=[hidden_category]
    )
    return locals()


def test_index_lists_every_section_on_the_site_url(client, site):
    index = sections(client)
    expected = {
        f"{SITE}{reverse('sitemap-section', kwargs={'section': name})}"
        for name in ("pages", "posts", "categories", "projects", "donors")
    }
    assert set(index) == expected
    assert all(lastmod for lastmod in index.values())
    response = client.get(reverse("sitemap"))
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response.has_header("Last-Modified")


def test_every_section_validates_and_lists_only_public_things(client, site):
    for location in sections(client):
        fetch(client, location, "sitemap.xsd")

    posts = urls(client, "posts")
    assert set(posts) == {
        f"{SITE}{site['older'].get_absolute_url()}",
        f"{SITE}{site['newer'].get_absolute_url()}",
    }
    assert posts[f"{SITE}{site['newer'].get_absolute_url()}"] == day(site["newer"].updated_at)

    # Pages that exist in both interface languages are listed in both.
    categories = urls(client, "categories")
    assert set(categories) == {
        f"{SITE}{prefix}/news/category/{slug}/"
        for prefix in ("", "/zh-hans")
        for slug in ("events", quote("活动"))
    }
    # A category changes when its newest post does.
    assert categories[f"{SITE}/news/category/events/"] == day(site["newer"].updated_at)
    assert categories[f"{SITE}/zh-hans/news/category/events/"] == day(site["newer"].updated_at)

    donor = site["public"].get_absolute_url()
    donors = urls(client, "donors")
    assert set(donors) == {f"{SITE}{donor}", f"{SITE}/zh-hans{donor}"}
    assert donors[f"{SITE}{donor}"] == day(site["public"].updated_at)

    project = site["project"].get_absolute_url()
    projects = urls(client, "projects")
    assert projects == {
        f"{SITE}{project}": day(site["project"].updated_at),
        f"{SITE}/zh-hans{project}": day(site["project"].updated_at),
    }

    pages = urls(client, "pages")
    assert set(pages) == {
        f"{SITE}{prefix}{reverse(name)}"
        for prefix in ("", "/zh-hans")
        for name in ("home", "posts:list", "projects:list", "projects:donor-list")
    }
    assert pages[f"{SITE}{reverse('posts:list')}"] == day(site["newer"].updated_at)
    assert pages[f"{SITE}/zh-hans{reverse('posts:list')}"] == day(site["newer"].updated_at)
    for url in pages:  # every listed page exists
        assert client.get(urlsplit(url).path).status_code == 200, url


def test_a_long_section_is_split_into_pages(client, site, monkeypatch):
    monkeypatch.setattr(PostSitemap, "limit", 1)
    index = sections(client)
    posts = f"{SITE}{reverse('sitemap-section', kwargs={'section': 'posts'})}"
    assert posts in index and f"{posts}?p=2" in index and f"{posts}?p=3" not in index
    assert len(urls(client, "posts", page=2)) == 1
    assert (
        client.get(reverse("sitemap-section", kwargs={"section": "posts"}) + "?p=3").status_code
        == 404
    )


def test_unknown_section_and_bad_page_are_404(client, site):
    assert client.get(reverse("sitemap-section", kwargs={"section": "nope"})).status_code == 404
    posts = reverse("sitemap-section", kwargs={"section": "posts"})
    assert client.get(posts + "?p=abc").status_code == 404


def test_empty_site_still_has_a_valid_index(client, db):
    index = sections(client)
    assert len(index) == 5
    assert set(urls(client, "pages")) == {
        f"{SITE}{prefix}{reverse(name)}"
        for prefix in ("", "/zh-hans")
        for name in ("home", "posts:list", "projects:list", "projects:donor-list")
    }


@pytest.mark.parametrize("section", ["posts", "categories", None])
def test_sitemaps_cost_the_same_queries_at_any_size(client, db, section):
    url = reverse("sitemap-section", kwargs={"section": section}) if section else reverse("sitemap")
    make_post("One", categories=[make_category("First")])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(20):
        make_post(f"Post {number}", categories=[make_category(f"Category {number}")])
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    if section == "posts":
        assert response.content.count(b"<url>") == 21
    elif section == "categories":
        assert response.content.count(b"<url>") == 2 * 21  # English and Chinese
    assert len(large.captured_queries) == len(small.captured_queries)


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_the_admin(client, db):
    response = client.get(reverse("robots"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert reverse("robots") == "/robots.txt"
