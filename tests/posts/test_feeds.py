"""RSS and Atom feeds: what a feed reader gets, parsed by feedparser as a reader would."""

import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_category, make_donor, make_post, make_project
from posts.feeds import FEED_SIZE
from posts.models import Post

SITE = "https://news.example.org"
# RFC 3339 date-time as Atom requires it: full date, "T", time, and Z or a numeric offset.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def news(db):
    """One of everything, plus posts that must never appear in any feed."""
    events = make_category("Events")
    donor = make_donor("Carsmos Ltd")
    project = make_project("Carsmos", donors=[donor])
    other_project = make_project("Other OS", donors=[donor])
    unrelated = make_project("Unrelated")
    now = timezone.now()
    post = make_post(
        "Carsmos donation signed",
        summary="The signing ceremony in Beijing.",
        body="Opening paragraph.\n\n![Diagram](/media/posts/body/diagram.png)\n\n"
        "A [related post](/news/older/) and the **closing remark**.",
        categories=[events],
        projects=[project, other_project],
        hero=True,
        language="en",
        publish_at=now - timedelta(days=1),
    )
    chinese = make_post(
        "开放原子开源基金会举行捐赠签约仪式",
        slug="carsmos-signing-zh",
        categories=[events],
        language="zh-hans",
        publish_at=now - timedelta(days=2),
    )
    other = make_post("Unrelated news", projects=[unrelated], publish_at=now - timedelta(days=3))
    make_post("A draft", status=Post.Status.DRAFT, categories=[events], projects=[project])
    make_post(
        "Scheduled for tomorrow",
        publish_at=now + timedelta(days=1),
        categories=[events],
        projects=[project],
        language="zh-hans",
    )
    return {
        "category": events,
        "donor": donor,
        "project": project,
        "post": post,
        "chinese": chinese,
        "other": other,
    }


def feed_urls(news):
    """(url, expected titles) for every feed, RSS and Atom."""
    post, chinese, other = news["post"].title, news["chinese"].title, news["other"].title
    feeds = [
        ("", {}, [post, chinese, other]),
        ("category-", {"slug": news["category"].slug}, [post, chinese]),
        ("language-", {"language": "en"}, [post, other]),
        ("language-", {"language": "zh-hans"}, [chinese]),
        ("project-", {"slug": news["project"].slug}, [post]),
        ("donor-", {"slug": news["donor"].slug}, [post]),
    ]
    return [
        (reverse(f"feeds:{prefix}{kind}", kwargs=kwargs), kind, titles)
        for prefix, kwargs, titles in feeds
        for kind in ("rss", "atom")
    ]


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return response, parsed


def test_every_feed_parses_and_lists_only_published_posts(client, news):
    for url, kind, titles in feed_urls(news):
        response, parsed = parse(client, url)
        expected_type = "application/rss+xml" if kind == "rss" else "application/atom+xml"
        assert response["Content-Type"].startswith(expected_type)
        assert parsed.version == ("rss20" if kind == "rss" else "atom10")
        assert [entry.title for entry in parsed.entries] == titles, url
        body = response.content.decode()
        assert "A draft" not in body and "Scheduled for tomorrow" not in body


def test_dates_follow_rfc_822_in_rss_and_rfc_3339_in_atom(client, news):
    post = news["post"]
    _, rss = parse(client, reverse("feeds:rss"))
    entry = rss.entries[0]
    published = parsedate_to_datetime(entry.published)
    assert published.tzinfo is not None
    assert published == post.publish_at.replace(microsecond=0)
    assert parsedate_to_datetime(rss.feed.updated)  # lastBuildDate

    _, atom = parse(client, reverse("feeds:atom"))
    entry = atom.entries[0]
    for value in (entry.published, entry.updated, atom.feed.updated):
        assert RFC3339.match(value), value
    assert datetime.fromisoformat(entry.published) == post.publish_at
    assert datetime.fromisoformat(entry.updated) == post.updated_at


def test_scheduled_post_counts_as_updated_when_it_went_live(client, db):
    post = make_post("Went live this morning", publish_at=timezone.now() - timedelta(hours=1))
    Post.objects.filter(pk=post.pk).update(updated_at=timezone.now() - timedelta(days=7))
    _, atom = parse(client, reverse("feeds:atom"))
    updated = datetime.fromisoformat(atom.entries[0].updated)
    assert updated == post.publish_at


def test_entries_carry_the_full_body_with_absolute_links(client, news):
    post = news["post"]
    for url in (reverse("feeds:rss"), reverse("feeds:atom")):
        _, parsed = parse(client, url)
        entry = parsed.entries[0]
        assert entry.link == f"{SITE}{post.get_absolute_url()}"
        assert entry.summary == "The signing ceremony in Beijing."
        content = entry.content[0].value
        assert "closing remark" in content
        assert f'src="{SITE}/media/posts/body/diagram.png"' in content
        assert f'href="{SITE}/news/older/"' in content
        assert f'src="{SITE}{post.hero_image.url}"' in content  # the hero image leads
        assert [tag.term for tag in entry.tags] == ["Events"]


def test_channel_links_are_absolute_on_site_url(client, news):
    category = news["category"]
    for kind in ("rss", "atom"):
        url = reverse(f"feeds:category-{kind}", kwargs={"slug": category.slug})
        _, parsed = parse(client, url)
        assert parsed.feed.link == f"{SITE}{category.get_absolute_url()}"
        self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
        assert self_links == [f"{SITE}{url}"]
        assert "Events" in parsed.feed.title


def test_hero_image_is_an_enclosure_with_its_size_and_type(client, news):
    post = news["post"]
    for url in (reverse("feeds:rss"), reverse("feeds:atom")):
        _, parsed = parse(client, url)
        enclosures = parsed.entries[0].enclosures
        assert len(enclosures) == 1
        assert enclosures[0].href == f"{SITE}{post.hero_image.url}"
        assert int(enclosures[0].length) == post.hero_image.size > 0
        assert enclosures[0].type == "image/jpeg"
        assert parsed.entries[1].enclosures == []  # the Chinese post has no hero image


def test_missing_hero_file_drops_the_enclosure_not_the_feed(client, news):
    post = news["post"]
    post.hero_image.storage.delete(post.hero_image.name)
    for url in (reverse("feeds:rss"), reverse("feeds:atom")):
        _, parsed = parse(client, url)
        assert parsed.entries[0].title == post.title
        assert parsed.entries[0].enclosures == []


def test_language_feed_declares_its_language(client, news):
    _, parsed = parse(client, reverse("feeds:language-rss", kwargs={"language": "zh-hans"}))
    assert parsed.feed.language == "zh-hans"


def test_chinese_category_slug_has_a_feed(client, db):
    category = make_category("活动")
    make_post("开源年会", slug="osc-2024", categories=[category])
    _, parsed = parse(client, reverse("feeds:category-atom", kwargs={"slug": "活动"}))
    assert [entry.title for entry in parsed.entries] == ["开源年会"]


def test_donor_feed_lists_a_post_about_two_of_its_projects_once(client, news):
    _, parsed = parse(client, reverse("feeds:donor-rss", kwargs={"slug": news["donor"].slug}))
    assert [entry.title for entry in parsed.entries] == [news["post"].title]


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("feeds:category-rss", {"slug": "no-such-category"}),
        ("feeds:category-atom", {"slug": "no-such-category"}),
        ("feeds:project-rss", {"slug": "no-such-project"}),
        ("feeds:project-atom", {"slug": "no-such-project"}),
        ("feeds:donor-rss", {"slug": "no-such-donor"}),
        ("feeds:donor-atom", {"slug": "no-such-donor"}),
        ("feeds:language-rss", {"language": "fr"}),
        ("feeds:language-atom", {"language": "fr"}),
    ],
)
def test_unknown_subjects_are_404(client, db, name, kwargs):
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 404


def test_hidden_donor_has_no_feed(client, db):
    donor = make_donor("Anonymous benefactor", is_public=False)
    project = make_project("Quiet project", donors=[donor])
    make_post("About the quiet project", projects=[project])
    for kind in ("rss", "atom"):
        url = reverse(f"feeds:donor-{kind}", kwargs={"slug": donor.slug})
        assert client.get(url).status_code == 404


def test_feed_is_capped_and_costs_the_same_queries_at_any_size(client, db):
    category = make_category("News")
    make_post("First", categories=[category], hero=True)
    url = reverse("feeds:category-rss", kwargs={"slug": category.slug})
    with CaptureQueriesContext(connection) as small:
        parse(client, url)

    start = timezone.now() - timedelta(days=100)
    for number in range(FEED_SIZE + 5):
        make_post(
            f"Post {number}", categories=[category], publish_at=start + timedelta(hours=number)
        )
    with CaptureQueriesContext(connection) as large:
        _, parsed = parse(client, url)
    assert len(parsed.entries) == FEED_SIZE
    assert parsed.entries[0].title == "First"  # newest first
    assert len(large.captured_queries) == len(small.captured_queries)


def test_plain_text_summary_is_not_read_as_html(client, db):
    make_post("Markup in summary", summary="Use <b>bold</b> & more")
    for url in (reverse("feeds:rss"), reverse("feeds:atom")):
        response, parsed = parse(client, url)
        assert b"<b>" not in response.content
        assert "&lt;b&gt;bold&lt;/b&gt;" in parsed.entries[0].summary


def test_body_html_is_the_sanitised_one(client, db):
    make_post("Hostile", body='Hello <script>alert("x")</script> <img src=x onerror="alert(1)">')
    _, parsed = parse(client, reverse("feeds:atom"))
    content = parsed.entries[0].content[0].value
    assert "Hello" in content
    assert "<script" not in content and "onerror" not in content


# --- feed readers revalidate: 304 Not Modified ---------------------------------------------


@pytest.mark.parametrize("name", ["feeds:rss", "feeds:atom"])
def test_feed_answers_304_to_its_etag_and_to_its_last_modified(client, news, name):
    url = reverse(name)
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=2)):
        feed = client.get(url)
        assert feed["ETag"]
        newest = max(post.updated_at for post in Post.objects.published())
        assert parsedate_to_datetime(feed["Last-Modified"]) == newest.replace(microsecond=0)
        for headers in (
            {"if-none-match": feed["ETag"]},
            {"if-modified-since": feed["Last-Modified"]},
        ):
            again = client.get(url, headers=headers)
            assert again.status_code == 304, headers
            assert again.content == b""

    with time_machine.travel(start + timedelta(seconds=4)):
        make_post("Newer news")
    with time_machine.travel(start + timedelta(seconds=6)):
        for headers in (
            {"if-none-match": feed["ETag"]},
            {"if-modified-since": feed["Last-Modified"]},
        ):
            again = client.get(url, headers=headers)
            assert again.status_code == 200, headers
            assert "Newer news" in again.content.decode()


def test_feed_has_no_date_in_the_second_of_its_newest_post(client, news):
    """Another post could still come in that second with the same HTTP date: a reader
    revalidating by date would miss it. The ETag alone answers until the second is over."""
    with time_machine.travel(timezone.now(), tick=False):
        make_post("Just now")
        feed = client.get(reverse("feeds:rss"))
        assert feed["ETag"] and not feed.has_header("Last-Modified")
        make_post("Same second")
        again = client.get(reverse("feeds:rss"), headers={"if-none-match": feed["ETag"]})
        assert again.status_code == 200 and "Same second" in again.content.decode()
