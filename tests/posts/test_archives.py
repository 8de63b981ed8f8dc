"""Year and month archives (/news/2023/, /news/2023/06/), and the breadcrumbs of news pages.

Periods are the site's time zone's (Asia/Shanghai by default): a post published at
2023-06-30 17:00 UTC is 1 July in Beijing and belongs to July.
"""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_category, make_post
from posts.models import Post

pytestmark = pytest.mark.django_db


def at(year, month, day=15, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour, 0))


def year_url(year):
    return reverse("posts:archive-year", kwargs={"year": f"{year:04d}"})


def month_url(year, month):
    return reverse("posts:archive-month", kwargs={"year": f"{year:04d}", "month": f"{month:02d}"})


def titles(response):
    return [post.title for post in response.context["post_list"]]


@pytest.fixture
def news():
    """Public posts in June and July 2023 and in 2022, plus a draft and a scheduled post."""
    return {
        "june": make_post("June signing", publish_at=at(2023, 6, 11)),
        "june_later": make_post("June summit", publish_at=at(2023, 6, 20)),
        "july": make_post("July release", publish_at=at(2023, 7, 2)),
        "old": make_post("Old news", publish_at=at(2022, 3, 1)),
        "draft": make_post("Draft in June", publish_at=at(2023, 6, 12), status=Post.Status.DRAFT),
        "scheduled": make_post("Next year", publish_at=timezone.now() + timedelta(days=400)),
    }


def test_year_archive_lists_that_years_public_posts_newest_first(visitor, news):
    response = visitor.get(year_url(2023))

    assert response.status_code == 200
    assert titles(response) == ["July release", "June summit", "June signing"]
    html = response.content.decode()
    assert "<h1>News from 2023</h1>" in html
    assert "Draft in June" not in html
    # Each month with news links to its own archive.
    assert f'<a href="{month_url(2023, 6)}">June</a>' in html
    assert f'<a href="{month_url(2023, 7)}">July</a>' in html
    assert month_url(2023, 5) not in html
    # The neighbouring year with news.
    assert f'href="{year_url(2022)}"' in html


def test_month_archive_lists_only_that_month(visitor, news):
    response = visitor.get(month_url(2023, 6))

    assert response.status_code == 200
    assert titles(response) == ["June summit", "June signing"]
    html = response.content.decode()
    assert "<h1>News from June 2023</h1>" in html
    assert "<title>News from June 2023 · " in html
    assert "Draft in June" not in html
    assert f'href="{month_url(2023, 7)}"' in html  # newer month
    assert f'href="{month_url(2022, 3)}"' in html  # older month


def test_months_are_the_sites_time_zone(client, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    make_post("Late on the 30th in UTC", publish_at=datetime(2023, 6, 30, 17, 0, tzinfo=UTC))

    assert titles(client.get(month_url(2023, 7))) == ["Late on the 30th in UTC"]
    assert client.get(month_url(2023, 6)).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/news/2021/",  # no posts that year
        "/news/2023/05/",  # none that month
        "/news/2023/13/",  # no such month
        "/news/2023/00/",
        "/news/0000/",
        "/news/2023/6/",  # months have two digits
    ],
)
def test_empty_or_invalid_periods_are_404(client, news, url):
    assert client.get(url).status_code == 404


def test_a_period_with_only_drafts_and_scheduled_posts_is_404(client):
    make_post("Draft", publish_at=at(2020, 1, 5), status=Post.Status.DRAFT)
    future = timezone.now() + timedelta(days=400)
    make_post("Scheduled", publish_at=future)

    assert client.get(year_url(2020)).status_code == 404
    assert client.get(month_url(2020, 1)).status_code == 404
    assert client.get(year_url(future.year)).status_code == 404


def test_archives_are_paginated_with_prev_and_next(client, settings):
    settings.POSTS_PER_PAGE = 2
    for day in range(1, 6):
        make_post(f"Story {day}", publish_at=at(2023, 6, day))

    first = client.get(month_url(2023, 6))
    second = client.get(month_url(2023, 6), {"page": 2})

    assert titles(first) == ["Story 5", "Story 4"]
    assert titles(second) == ["Story 3", "Story 2"]
    assert 'rel="next" href="?page=2"' in first.content.decode()
    html = second.content.decode()
    assert 'rel="prev" href="?page=1"' in html
    assert f'<link rel="canonical" href="{settings.SITE_URL}{month_url(2023, 6)}?page=2">' in html
    assert client.get(month_url(2023, 6), {"page": 9}).status_code == 404
    assert client.get(year_url(2023), {"page": "x"}).status_code == 404


def archive_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_archives_run_the_same_queries_for_few_and_many_posts(client):
    category = make_category("Events")
    for day in range(1, 3):
        make_post(f"Few {day}", publish_at=at(2023, 6, day), categories=[category], hero=True)
    few = [archive_queries(client, year_url(2023)), archive_queries(client, month_url(2023, 6))]

    for day in range(3, 28):
        make_post(f"Many {day}", publish_at=at(2023, 6, day), categories=[category], hero=True)
    many = [archive_queries(client, year_url(2023)), archive_queries(client, month_url(2023, 6))]

    assert few == many


def test_archive_pages_never_load_post_bodies(client):
    make_post("Story", publish_at=at(2023, 6, 1), body="SECRET-BODY-TEXT " * 50)
    with CaptureQueriesContext(connection) as queries:
        client.get(year_url(2023))
    post_queries = [q["sql"] for q in queries if 'FROM "posts_post"' in q["sql"]]
    assert post_queries
    assert not any('"posts_post"."body"' in sql for sql in post_queries)


# Links into the archives ------------------------------------------------------------------


def test_news_list_sidebar_links_each_year_with_news(client, news):
    html = client.get(reverse("posts:list")).content.decode()

    sidebar = re.search(r'<nav class="category-nav archive-nav".*?</nav>', html, re.S).group()
    assert re.findall(r'href="(/news/\d{4}/)"', sidebar) == [year_url(2023), year_url(2022)]


def test_year_archive_marks_its_year_in_the_sidebar(client, news):
    html = client.get(year_url(2022)).content.decode()

    assert f'<a href="{year_url(2022)}" aria-current="page">2022</a>' in html


def test_a_posts_date_links_to_its_month(client, news):
    html = client.get(news["june"].get_absolute_url()).content.decode()

    assert f'<a href="{month_url(2023, 6)}"><time datetime=' in html


def test_a_slug_of_four_digits_is_refused_since_it_is_a_year():
    post = Post(title="2024", slug="2024", body="A year in review.")
    with pytest.raises(ValidationError) as error:
        post.full_clean()
    assert "slug" in error.value.message_dict

    Post(title="2024 in review", slug="2024-in-review", body="A year in review.").full_clean()


# Breadcrumbs ------------------------------------------------------------------------------


def breadcrumbs(html):
    """The visible trail as (label, href or None) and the BreadcrumbList JSON-LD."""
    nav = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', html, re.S)
    assert nav, "no breadcrumbs"
    trail = [
        (label, href or None)
        for href, label in re.findall(
            r'<li>(?:<a href="([^"]*)">|<span aria-current="page">)([^<]*)<', nav.group(1)
        )
    ]
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(block)
        if data["@type"] == "BreadcrumbList":
            return trail, data
    raise AssertionError("no BreadcrumbList JSON-LD")


def test_post_breadcrumbs_go_home_news_category(client, settings):
    category = make_category("Events")
    post = make_post("Summit", categories=[category])

    trail, data = breadcrumbs(client.get(post.get_absolute_url()).content.decode())

    assert trail == [
        ("Home", "/"),
        ("News", reverse("posts:list")),
        ("Events", category.get_absolute_url()),
        ("Summit", None),
    ]
    items = data["itemListElement"]
    assert [item["position"] for item in items] == [1, 2, 3, 4]
    assert [item["name"] for item in items] == ["Home", "News", "Events", "Summit"]
    assert items[-1]["item"] == f"{settings.SITE_URL}{post.get_absolute_url()}"
    assert all(item["item"].startswith(settings.SITE_URL + "/") for item in items)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("category", [("Home", "/"), ("News", "/news/"), ("基金会", None)]),
        ("year", [("Home", "/"), ("News", "/news/"), ("2023", None)]),
        (
            "month",
            [("Home", "/"), ("News", "/news/"), ("2023", "/news/2023/"), ("June 2023", None)],
        ),
    ],
)
def test_news_pages_have_breadcrumbs(client, url, expected):
    category = make_category("基金会", slug="基金会")
    make_post("Summit", categories=[category], publish_at=at(2023, 6, 11))
    urls = {
        "category": category.get_absolute_url(),
        "year": year_url(2023),
        "month": month_url(2023, 6),
    }

    trail, data = breadcrumbs(client.get(urls[url]).content.decode())

    assert trail == expected
    assert [item["name"] for item in data["itemListElement"]] == [label for label, _ in expected]
