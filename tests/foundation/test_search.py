"""The site search, as a visitor uses it: /search/?q=…&type=&category=&language=&year=.

Runs on SQLite (substring fallback) and on PostgreSQL (full-text search, with Chinese as
pairs of characters), e.g. ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres pytest
tests/foundation/test_search.py``.
"""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation import search as search_module
from foundation.factories import make_category, make_donor, make_post, make_project
from foundation.search import (
    MAX_QUERY_LENGTH,
    clean_query,
    highlight,
    highlight_pattern,
    query_terms,
)
from posts.models import Post

pytestmark = pytest.mark.django_db


def search(client, **params):
    response = client.get(reverse("search"), params)
    assert response.status_code == 200
    return response


def titles(response, kind="posts"):
    results = response.context["search"]
    paginated = kind == results.paginated_type
    items = results.page.object_list if paginated else getattr(results, kind)
    return [getattr(item, "title", None) or item.name for item in items]


def at(year, month=6, day=1):
    return timezone.make_aware(datetime(year, month, day, 10, 0))


@pytest.fixture
def content():
    events = make_category("Events")
    releases = make_category("Releases")
    donor = make_donor("Harmony Systems", description="A company that builds operating systems.")
    make_donor("Secret Benefactor", is_public=False, description="Gave an operating system.")
    project = make_project(
        "OpenHarmony",
        donors=[donor],
        summary="A distributed operating system for all devices.",
    )
    return {
        "events": events,
        "releases": releases,
        "donor": donor,
        "project": project,
        "title_match": make_post(
            "Kernel release announced",
            body="Short notes.",
            categories=[releases],
            publish_at=at(2023),
            language="en",
        ),
        "body_match": make_post(
            "Monthly digest",
            body="Among other things, the kernel team met in Shenzhen.",
            categories=[events],
            publish_at=at(2024),
            language="en",
        ),
        "chinese": make_post(
            "开放原子开源基金会举行捐赠签约仪式",
            slug="carsmos-signing",
            body="2023年6月11日，开放原子开源基金会与卡斯摩斯举行捐赠签约仪式。",
            categories=[events],
            publish_at=at(2023, 6, 11),
            language="zh-hans",
        ),
        "draft": make_post(
            "Kernel draft never shown", status=Post.Status.DRAFT, body="kernel 捐赠"
        ),
        "scheduled": make_post(
            "Kernel scheduled post",
            publish_at=timezone.now() + timedelta(days=2),
            body="kernel 捐赠",
        ),
    }


def test_empty_query_shows_a_prompt_and_no_results(client, content):
    response = search(client)
    assert response.context["search"].page is None
    assert "Type a word or two" in response.content.decode()
    assert 'name="q"' in response.content.decode()
    assert '<meta name="robots" content="noindex">' in response.content.decode()


def test_finds_english_words_in_titles_and_bodies(client, content):
    response = search(client, q="kernel")
    assert titles(response) == ["Kernel release announced", "Monthly digest"]
    assert response.context["search"].counts["posts"] == 2


def test_title_match_ranks_above_a_body_only_match(client, content):
    # The body-only match is newer, so only the ranking can put the title match first.
    assert content["body_match"].publish_at > content["title_match"].publish_at
    assert titles(search(client, q="Kernel"))[0] == "Kernel release announced"


def test_every_word_must_match(client, content):
    assert titles(search(client, q="kernel Shenzhen")) == ["Monthly digest"]


def test_drafts_and_scheduled_posts_are_never_found(client, content):
    for query in ("kernel", "draft", "scheduled", "捐赠"):
        body = search(client, q=query).content.decode()
        assert "never shown" not in body and "Kernel scheduled post" not in body


@pytest.mark.parametrize("query", ["捐赠", "基金会", "签约仪式", "卡斯摩斯"])
def test_finds_chinese_words_inside_chinese_titles_and_bodies(client, content, query):
    response = search(client, q=query)
    assert titles(response) == ["开放原子开源基金会举行捐赠签约仪式"], query
    assert f"<mark>{query}</mark>" in response.content.decode()


@pytest.mark.parametrize("query", ["捐", "式", "开放原子", "仪式"])
def test_finds_single_chinese_characters_and_words_at_either_end(client, content, query):
    assert titles(search(client, q=query)) == ["开放原子开源基金会举行捐赠签约仪式"], query


def test_chinese_words_must_be_whole_not_scattered(client, content):
    # 签 and 仪 are both in the title, but never next to each other.
    assert titles(search(client, q="签仪")) == []


def test_finds_the_parts_of_camel_case_names(client):
    make_post("OpenLake ships a long-term support release")
    assert titles(search(client, q="lake")) == ["OpenLake ships a long-term support release"]
    assert titles(search(client, q="OpenLake")) == ["OpenLake ships a long-term support release"]


def test_finds_chinese_words_in_project_descriptions(client):
    make_project("openEuler", description="面向数字基础设施的开源操作系统。")
    assert titles(search(client, q="操作系统", type="projects"), "projects") == ["openEuler"]


def test_counts_stop_at_a_thousand_news_results(client, settings, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_COUNTED", 3)
    settings.POSTS_PER_PAGE = 2
    for number in range(5):
        make_post(f"Almanac number {number}", publish_at=at(2020 + number))
    response = search(client, q="almanac")
    body = response.content.decode()
    assert response.context["search"].counts["posts"] == 3
    assert "More than 3 results for “almanac”" in body
    assert "News (3+)" in body
    # The pages go as far as the count: the third post is on the second and last page.
    assert titles(search(client, q="almanac", page="9")) == ["Almanac number 2"]


def test_searches_projects_and_public_donors(client, content):
    response = search(client, q="operating system")
    results = response.context["search"]
    assert titles(response, "projects") == ["OpenHarmony"]
    assert titles(response, "donors") == ["Harmony Systems"]
    assert results.counts == {"posts": 0, "projects": 1, "donors": 1}
    assert "Secret Benefactor" not in response.content.decode()
    assert titles(search(client, q="Harmony", type="donors"), "donors") == ["Harmony Systems"]
    assert titles(search(client, q="Secret", type="donors"), "donors") == []


def test_filters_by_type(client, content):
    response = search(client, q="harmony", type="projects")
    assert titles(response, "projects") == ["OpenHarmony"]
    body = response.content.decode()
    assert "Harmony Systems" not in body  # the donor is counted in its tab, not listed
    assert response.context["search"].counts["donors"] == 1


def test_filters_by_category_language_and_year(client, content):
    assert titles(search(client, q="kernel", category="events")) == ["Monthly digest"]
    assert titles(search(client, q="kernel", year="2023")) == ["Kernel release announced"]
    assert titles(search(client, q="kernel", language="zh-hans")) == []
    assert titles(search(client, q="捐赠", language="zh-hans")) == [content["chinese"].title]
    # News filters leave projects and donors out.
    response = search(client, q="harmony", category="events")
    assert titles(response, "projects") == []


@pytest.mark.parametrize(
    "params",
    [
        {"category": "no-such"},
        {"year": "19999"},
        {"year": "abc"},
        {"type": "<x>"},
        {"language": "fr"},
    ],
)
def test_invalid_filters_are_ignored(client, content, params):
    assert titles(search(client, q="kernel", **params)) == [
        "Kernel release announced",
        "Monthly digest",
    ]


def test_filter_choices_list_categories_and_years_with_news(client, content):
    body = search(client, q="kernel").content.decode()
    assert '<option value="events">Events</option>' in body
    assert '<option value="2024">2024</option>' in body
    assert '<option value="2023">2023</option>' in body


def test_highlights_matches_and_escapes_the_query(client, content):
    body = search(client, q="kernel").content.decode()
    assert "<mark>Kernel</mark> release announced" in body
    assert "the <mark>kernel</mark> team met" in body

    hostile = '<script>alert("kernel")</script>'
    response = search(client, q=hostile)
    body = response.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body


def test_markup_in_content_is_escaped_in_snippets(client):
    make_post("Release notes", summary='Use <img src=x onerror="alert(1)"> in kernel docs')
    body = search(client, q="kernel").content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; in <mark>kernel</mark> docs" in body


@pytest.mark.parametrize(
    "query",
    [
        "k" * 10_000,
        "kernel " * 2_000,
        "!!! ??? ... ---",
        "'; DROP TABLE posts_post; --",
        '" OR 1=1 --',
        "kernel\x00",
        "\x00",
        "% _ \\",
        "(kernel & !) | :*",
        "<>",
        "🙂",
    ],
)
def test_absurd_queries_return_a_normal_page(client, content, query):
    response = search(client, q=query)
    assert "Search" in response.content.decode()
    assert Post.objects.count() == 5  # the table is still there


def test_sql_fragment_is_just_words(client, content):
    make_post("How to drop a table safely")
    assert titles(search(client, q="'; DROP TABLE posts_post; --")) == []
    assert titles(search(client, q="drop table")) == ["How to drop a table safely"]


def test_nul_bytes_are_stripped(client, content):
    assert titles(search(client, q="ker\x00nel\x00")) == [
        "Kernel release announced",
        "Monthly digest",
    ]


def test_long_queries_are_truncated():
    assert len(clean_query("word " * 5000)) <= MAX_QUERY_LENGTH
    assert clean_query("a\x00b\tc\n  d") == "ab c d"
    assert query_terms("--- ; 'kernel', (捐赠)。 ***") == ["kernel", "捐赠"]


def test_highlight_escapes_before_marking():
    pattern = highlight_pattern(["<b>"])
    assert highlight("a <b> c", pattern) == "a <mark>&lt;b&gt;</mark> c"
    assert highlight("Donation signed", highlight_pattern(["donations"])) == (
        "<mark>Donation</mark> signed"
    )


def test_results_are_paginated(client, settings):
    settings.POSTS_PER_PAGE = 2
    for number in range(5):
        make_post(f"Gazette number {number}", publish_at=at(2020 + number))
    first = search(client, q="gazette")
    assert titles(first) == ["Gazette number 4", "Gazette number 3"]
    assert 'rel="next"' in first.content.decode()
    assert titles(search(client, q="gazette", page="3")) == ["Gazette number 0"]
    assert titles(search(client, q="gazette", page="999")) == ["Gazette number 0"]
    assert titles(search(client, q="gazette", page="x")) == titles(first)


def test_query_count_does_not_grow_with_the_data(client, content):
    make_project("Kernel project")
    make_donor("Kernel donor")
    with CaptureQueriesContext(connection) as small:
        search(client, q="kernel")
    for number in range(15):
        category = make_category(f"Topic {number}")
        make_post(f"Kernel news {number}", categories=[category], publish_at=at(2010 + number))
        make_project(f"Kernel project {number}")
        make_donor(f"Kernel donor {number}")
    with CaptureQueriesContext(connection) as large:
        response = search(client, q="kernel")
    assert response.context["search"].counts == {"posts": 17, "projects": 16, "donors": 16}
    assert len(large.captured_queries) == len(small.captured_queries)


def test_header_search_box_posts_to_the_search_page(client, content):
    body = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("search")}"' in body
    assert 'name="q"' in body


def test_postgresql_matches_word_forms_through_full_text_search(client, content):
    """'announcements' shares the stem of 'announced': full-text search finds it, the SQLite
    substring fallback does not."""
    found = titles(search(client, q="announcements"))
    if connection.vendor == "postgresql":
        assert found == ["Kernel release announced"]
    else:
        assert found == []


def test_edited_posts_are_searched_as_they_are_now(client, content):
    post = content["body_match"]
    post.title = "Zebra crossings in the city"
    post.save()
    # "zebra" is a substring everywhere; on PostgreSQL the stemmed "zebras" also goes
    # through the stored tsvector, which must have followed the edit.
    assert titles(search(client, q="zebra")) == ["Zebra crossings in the city"]
    if connection.vendor == "postgresql":
        assert titles(search(client, q="zebras")) == ["Zebra crossings in the city"]
    assert titles(search(client, q="Monthly digest")) == []
