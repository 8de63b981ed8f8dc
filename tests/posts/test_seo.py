"""What search engines, social sites and feed readers read from a news page.

Meta title / description / canonical URL (editors' overrides, else the defaults), OpenGraph
and Twitter cards, the ``NewsArticle`` and ``WebSite`` JSON-LD, and the ``<link
rel="alternate">`` that lets a feed reader find each page's RSS and Atom feeds. JSON-LD is
read the way a crawler reads it: the text of every ``application/ld+json`` script, parsed with
``json.loads``.
"""

import json
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_category, make_post
from posts.models import Post

pytestmark = pytest.mark.django_db


class PageMetadata(HTMLParser):
    """The ``<meta>``, ``<link>`` and JSON-LD of a page, as a crawler collects them."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.meta = {}
        self.links = []
        self.json_ld = []
        self.other_scripts = 0
        self._in_json_ld = False
        self._script_text = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "content" in attrs:
            self.meta[attrs.get("property") or attrs.get("name")] = attrs["content"]
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script":
            if attrs.get("type") == "application/ld+json":
                self._in_json_ld, self._script_text = True, []
            else:
                self.other_scripts += 1

    def handle_data(self, data):
        if self._in_json_ld:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_json_ld:
            self.json_ld.append(json.loads("".join(self._script_text)))
            self._in_json_ld = False

    def of_type(self, schema_type):
        found = [data for data in self.json_ld if data.get("@type") == schema_type]
        assert len(found) == 1, f"expected one {schema_type}, found {self.json_ld!r}"
        return found[0]

    def canonical(self):
        return [link["href"] for link in self.links if link.get("rel") == "canonical"]

    def feeds(self):
        return {
            (link["type"], link["href"]): link["title"]
            for link in self.links
            if link.get("rel") == "alternate" and "xml" in link.get("type", "")
        }


def metadata(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return PageMetadata(response.content.decode())


def is_absolute(url, settings):
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and url.startswith(settings.SITE_URL + "/")


# Meta title, description and canonical URL --------------------------------------------------


def test_meta_defaults_to_the_title_summary_and_the_posts_own_address(client, settings):
    post = make_post("Signing ceremony", summary="Two projects were donated.")

    page = metadata(client, post.get_absolute_url())

    own_url = f"{settings.SITE_URL}{post.get_absolute_url()}"
    assert page.canonical() == [own_url]
    assert page.meta["og:url"] == own_url
    assert page.meta["og:title"] == page.meta["twitter:title"] == "Signing ceremony"
    assert page.meta["description"] == "Two projects were donated."
    assert (
        page.meta["og:description"]
        == page.meta["twitter:description"]
        == ("Two projects were donated.")
    )


def test_without_a_summary_the_description_comes_from_the_body(client):
    post = make_post("Plain story", body="The first paragraph says what happened.")

    page = metadata(client, post.get_absolute_url())

    assert page.meta["description"] == "The first paragraph says what happened."


def test_editors_overrides_replace_title_description_and_canonical(client, settings):
    post = make_post(
        "Signing ceremony",
        summary="Two projects were donated.",
        meta_title="Twenty projects donated at the 2023 summit",
        meta_description='The "donation" ceremony, in short.',
        canonical_url="https://example.com/original-story/",
    )

    response = client.get(post.get_absolute_url())
    html = response.content.decode()
    page = PageMetadata(html)

    title = "Twenty projects donated at the 2023 summit"
    assert f"<title>{title} · {settings.SITE_NAME}</title>" in html
    assert (
        page.meta["og:title"]
        == page.meta["twitter:title"]
        == ("Twenty projects donated at the 2023 summit")
    )
    assert page.meta["description"] == 'The "donation" ceremony, in short.'
    assert 'content="The &quot;donation&quot; ceremony, in short."' in html
    assert page.canonical() == ["https://example.com/original-story/"]
    assert page.meta["og:url"] == "https://example.com/original-story/"
    # The page itself keeps its real title and summary.
    assert '<h1 class="article__title">Signing ceremony</h1>' in html
    assert "Two projects were donated." in html


def test_seo_fields_are_in_a_collapsed_fieldset_of_the_post_form(client, editor):
    post = make_post("Signing ceremony")
    client.force_login(editor)

    html = client.get(reverse("admin:posts_post_change", args=[post.pk])).content.decode()

    for field in ("meta_title", "meta_description", "canonical_url"):
        assert f'name="{field}"' in html
    assert "Search engines and social sites" in html


def test_an_invalid_canonical_url_is_refused():
    post = make_post("Signing ceremony")
    post.canonical_url = "not a url"
    with pytest.raises(ValidationError) as error:
        post.full_clean()
    assert "canonical_url" in error.value.message_dict


# OpenGraph and Twitter cards --------------------------------------------------------------


def test_twitter_card_is_a_large_image_with_alt_text(client, settings):
    post = make_post("Signing ceremony", hero=True, hero_image_alt="Two people signing")

    page = metadata(client, post.get_absolute_url())

    image = f"{settings.SITE_URL}{post.hero_image.url}"
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["twitter:image"] == page.meta["og:image"] == image
    assert page.meta["twitter:image:alt"] == page.meta["og:image:alt"] == "Two people signing"
    assert page.meta["og:image:width"] == "1600"
    assert page.meta["og:image:height"] == "900"


def test_without_an_image_the_twitter_card_is_a_summary(client):
    post = make_post("Plain story")

    page = metadata(client, post.get_absolute_url())

    assert page.meta["twitter:card"] == "summary"
    assert "twitter:image" not in page.meta
    assert "og:image" not in page.meta


# JSON-LD ----------------------------------------------------------------------------------


def test_news_article_json_ld(client, settings):
    category = make_category("Donations")
    publish_at = timezone.now() - timedelta(days=3)
    post = make_post(
        "Signing ceremony",
        summary="Two projects were donated.",
        publish_at=publish_at,
        author_name="Li Wei",
        hero=True,
        categories=[category],
        language="en",
    )

    article = metadata(client, post.get_absolute_url()).of_type("NewsArticle")

    own_url = f"{settings.SITE_URL}{post.get_absolute_url()}"
    assert article["@context"] == "https://schema.org"
    assert article["headline"] == "Signing ceremony"
    assert article["description"] == "Two projects were donated."
    assert article["url"] == own_url
    assert article["mainEntityOfPage"] == {"@type": "WebPage", "@id": own_url}
    published = datetime.fromisoformat(article["datePublished"])
    modified = datetime.fromisoformat(article["dateModified"])
    assert published.tzinfo is not None and modified.tzinfo is not None
    assert published == publish_at.replace(microsecond=0)
    assert modified >= published
    assert article["author"] == {"@type": "Person", "name": "Li Wei"}
    publisher = article["publisher"]
    assert publisher["@type"] == "Organization"
    assert publisher["name"] == settings.SITE_NAME
    assert publisher["url"] == f"{settings.SITE_URL}/"
    assert is_absolute(publisher["logo"]["url"], settings)
    [image] = article["image"]
    assert image["url"] == f"{settings.SITE_URL}{post.hero_image.url}"
    assert is_absolute(image["url"], settings)
    assert (image["width"], image["height"]) == (1600, 900)
    assert article["articleSection"] == ["Donations"]
    assert article["inLanguage"] == "en"


def test_news_article_json_ld_follows_the_overrides(client):
    post = make_post(
        "Signing ceremony",
        meta_description="Short description.",
        canonical_url="https://example.com/original-story/",
    )

    article = metadata(client, post.get_absolute_url()).of_type("NewsArticle")

    assert article["headline"] == "Signing ceremony"
    assert article["description"] == "Short description."
    assert article["mainEntityOfPage"]["@id"] == "https://example.com/original-story/"
    assert "image" not in article
    # No byline: the foundation itself is the author.
    assert article["author"]["@type"] == "Organization"


def test_a_title_cannot_break_out_of_the_json_ld_script(client):
    title = 'Hack </script><script>alert("x")</script> & <!-- more'
    post = make_post(title, slug="hack")

    html = client.get(post.get_absolute_url()).content.decode()
    page = PageMetadata(html)

    assert page.other_scripts == 0
    assert page.of_type("NewsArticle")["headline"] == title
    assert '<script>alert("x")' not in html
    assert "\\u003C/script\\u003E" in html


def test_home_page_describes_the_site_and_its_search(client, settings):
    page = metadata(client, reverse("home"))

    website = page.of_type("WebSite")
    assert website["url"] == f"{settings.SITE_URL}/"
    assert website["name"] == settings.SITE_NAME
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    template = action["target"]["urlTemplate"]
    assert template == f"{settings.SITE_URL}{reverse('search')}?q={{search_term_string}}"
    assert action["query-input"] == "required name=search_term_string"


def test_the_search_action_leads_to_a_working_search(client, settings):
    make_post("Tongsuo joins the foundation")
    website = metadata(client, reverse("home")).of_type("WebSite")
    url = website["potentialAction"]["target"]["urlTemplate"].replace(
        "{search_term_string}", "Tongsuo"
    )

    response = client.get(url.removeprefix(settings.SITE_URL))

    assert response.status_code == 200
    assert response.context["search"].query == "Tongsuo"
    assert "joins the foundation" in response.content.decode()


def test_draft_preview_is_noindex_with_its_own_json_ld(client, editor):
    post = make_post("Draft story", status=Post.Status.DRAFT)
    client.force_login(editor)

    page = metadata(client, post.get_absolute_url())

    assert page.meta["robots"] == "noindex"
    assert page.of_type("NewsArticle")["headline"] == "Draft story"


# Feed discovery ---------------------------------------------------------------------------


def feed_pages():
    """(page name, how to build its URL, the feed URL names it must advertise)."""
    return {
        "home": (lambda: reverse("home"), [("feeds:rss", {}), ("feeds:atom", {})]),
        "news": (
            lambda: reverse("posts:list"),
            [
                ("feeds:rss", {}),
                ("feeds:atom", {}),
                ("feeds:language-rss", {"language": "en"}),
                ("feeds:language-atom", {"language": "en"}),
            ],
        ),
        "category": (
            lambda: reverse("posts:category", kwargs={"slug": "基金会"}),
            [
                ("feeds:category-rss", {"slug": "基金会"}),
                ("feeds:category-atom", {"slug": "基金会"}),
            ],
        ),
        "post": (
            lambda: reverse("posts:detail", kwargs={"slug": "signing-ceremony"}),
            [("feeds:rss", {}), ("feeds:atom", {})],
        ),
    }


@pytest.mark.parametrize("name", ["home", "news", "category", "post"])
def test_pages_advertise_their_feeds_and_the_feeds_work(client, settings, name):
    category = make_category("基金会", slug="基金会")
    make_post("Signing ceremony", categories=[category])
    build_url, expected = feed_pages()[name]

    feeds = metadata(client, build_url()).feeds()

    for url_name, kwargs in expected:
        href = f"{settings.SITE_URL}{reverse(url_name, kwargs=kwargs)}".replace(
            "基金会", "%E5%9F%BA%E9%87%91%E4%BC%9A"
        )
        kind = "application/atom+xml" if url_name.endswith("atom") else "application/rss+xml"
        assert (kind, href) in feeds, f"{name} does not link {href}: {feeds}"
        assert feeds[(kind, href)].endswith("(Atom)" if "atom" in kind else "(RSS)")
    for (kind, href), title in feeds.items():
        response = client.get(urlsplit(href).path)
        assert response.status_code == 200, href
        assert response["Content-Type"].startswith(kind), (href, title)
        assert b"Signing ceremony" in response.content


def test_category_feed_link_is_titled_after_the_category(client, settings):
    category = make_category("Events")

    feeds = metadata(client, category.get_absolute_url()).feeds()

    href = f"{settings.SITE_URL}{reverse('feeds:category-rss', kwargs={'slug': 'events'})}"
    assert feeds[("application/rss+xml", href)] == f"{settings.SITE_NAME}: Events (RSS)"
