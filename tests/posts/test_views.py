"""The public news pages: list, category, detail and the editors' draft preview."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_category, make_post, make_project
from posts.models import Category, Post
from tests.conftest import grant

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SAMPLE = (
    Path(settings.BASE_DIR)
    / "foundation/demo/jekyll/_posts/2023-06-11-carsmos-donation-signing-ceremony.md"
)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def bulk_posts(count, *, category, project, start=0):
    """Published posts in two queries per relation, each with a hero image and a category."""
    posts = Post.objects.bulk_create(
        Post(
            title=f"Bulk post {n}",
            slug=f"bulk-post-{n}",
            status=Post.Status.PUBLISHED,
            publish_at=NOW - timedelta(days=2, minutes=n),
            body=f"Body {n}",
            body_html=f"<p>Body {n}</p>",
            excerpt=f"Body {n}",
            hero_image=f"posts/hero/bulk-{n}.jpg",
            hero_image_width=1600,
            hero_image_height=900,
            hero_image_alt=f"Picture {n}",
        )
        for n in range(start, start + count)
    )
    Post.categories.through.objects.bulk_create(
        Post.categories.through(post_id=post.pk, category_id=category.pk) for post in posts
    )
    Post.projects.through.objects.bulk_create(
        Post.projects.through(post_id=post.pk, project_id=project.pk) for post in posts
    )
    return posts


# The list -------------------------------------------------------------------------------


def test_list_shows_published_posts_newest_first_and_nothing_else(visitor):
    make_post("Older story", publish_at=NOW - timedelta(days=2))
    make_post("Newer story", publish_at=NOW - timedelta(days=1))
    make_post("Draft story", status=Post.Status.DRAFT)
    make_post("Scheduled story", publish_at=NOW + timedelta(days=1))

    response = visitor.get(reverse("posts:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Newer story") < html.index("Older story")
    assert "Draft story" not in html
    assert "Scheduled story" not in html
    assert "<title>News · " in html


def test_list_cards_show_date_categories_summary_and_thumbnail(client):
    category = make_category("Events")
    post = make_post("Summit", summary="The summit in brief.", categories=[category], hero=True)

    html = client.get(reverse("posts:list")).content.decode()

    assert f'href="{post.get_absolute_url()}"' in html
    local = timezone.localtime(post.publish_at)  # the site's time zone, with its offset
    assert f'<time datetime="{local.isoformat(timespec="seconds")}">' in html
    assert f'href="{category.get_absolute_url()}"' in html
    assert "The summit in brief." in html
    # The thumbnail is one of the hero's renditions (tests/posts/test_images.py has more).
    thumbnail = next(i for i in post.hero_renditions if (i["width"], i["format"]) == (800, "jpeg"))
    assert f'src="{default_storage.url(thumbnail["name"])}"' in html
    assert 'width="1600" height="900"' in html


def test_list_never_loads_post_bodies(client):
    make_post("Story", body="A SECRET-LOOKING BODY that lists must not print.")

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("posts:list"))

    post_selects = [q["sql"] for q in queries if 'FROM "posts_post"' in q["sql"]]
    assert post_selects
    assert not any('"body_html"' in sql or '"body",' in sql for sql in post_selects)


def test_empty_list_says_so(client):
    response = client.get(reverse("posts:list"))
    assert "No news yet." in response.content.decode()


def test_list_is_paginated_with_prev_and_next_links(client, settings):
    settings.POSTS_PER_PAGE = 2
    for n in range(5):
        make_post(f"Story {n}", publish_at=NOW - timedelta(days=n + 1))

    first = client.get(reverse("posts:list")).content.decode()
    second = client.get(reverse("posts:list"), {"page": 2}).content.decode()
    last = client.get(reverse("posts:list"), {"page": 3}).content.decode()

    assert "Story 0" in first and "Story 1" in first and "Story 2" not in first
    assert 'rel="next" href="?page=2"' in first and 'rel="prev"' not in first
    assert "Story 2" in second and "Story 3" in second
    assert 'rel="prev" href="?page=1"' in second and 'rel="next" href="?page=3"' in second
    assert "Page 2 of 3" in second
    assert "Story 4" in last and 'rel="next"' not in last
    assert 'aria-label="Pages"' in second
    assert f'<link rel="canonical" href="{settings.SITE_URL}/news/?page=2">' in second


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1.5", ""])
def test_bad_page_numbers_are_404(client, settings, page):
    settings.POSTS_PER_PAGE = 2
    for _ in range(3):
        make_post()

    response = client.get(reverse("posts:list"), {"page": page})

    if page == "":  # an empty parameter is the first page, like no parameter
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "0", "99999"])
def test_bad_page_numbers_on_a_category_are_404(client, page):
    category = make_category("Events", slug="events")
    make_post(categories=[category])
    response = client.get(reverse("posts:category", args=["events"]), {"page": page})
    assert response.status_code == 404


# Categories -----------------------------------------------------------------------------


def test_category_page_shows_description_and_only_its_public_posts(visitor):
    events = make_category("Events", description="Summits, meet-ups and hackathons.")
    other = make_category("Releases")
    make_post("At the summit", categories=[events])
    make_post("A release", categories=[other])
    make_post("Draft event", categories=[events], status=Post.Status.DRAFT)

    response = visitor.get(events.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Events</h1>" in html
    assert "Summits, meet-ups and hackathons." in html
    assert "At the summit" in html
    assert "A release" not in html
    assert "Draft event" not in html
    assert '<meta name="description" content="Summits, meet-ups and hackathons.">' in html


def test_category_with_a_chinese_slug(client, settings):
    category = make_category("基金会")
    make_post("基金会新闻", categories=[category])

    response = client.get(reverse("posts:category", args=["基金会"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "基金会新闻" in html
    encoded = "/news/category/%E5%9F%BA%E9%87%91%E4%BC%9A/"
    assert f'<link rel="canonical" href="{settings.SITE_URL}{encoded}">' in html


def test_empty_category_says_so(client):
    category = make_category("Events")
    response = client.get(category.get_absolute_url())
    assert "No news in this category yet." in response.content.decode()


def test_unknown_category_is_404(client):
    assert client.get(reverse("posts:category", args=["nope"])).status_code == 404


# The detail page ------------------------------------------------------------------------


def test_detail_shows_the_whole_story(visitor):
    category = make_category("Foundation news")
    project = make_project("Tongsuo", summary="A cryptographic library.")
    post = make_post(
        "Tongsuo joins the foundation",
        body="The **Tongsuo** project was donated.",
        summary="Tongsuo is now a foundation project.",
        author_name="Press office",
        hero=True,
        hero_image_alt="Two people signing the agreement",
        hero_image_caption="The signing, in Beijing.",
        categories=[category],
        projects=[project],
    )

    response = visitor.get(post.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="article__title">Tongsuo joins the foundation</h1>' in html
    assert "<strong>Tongsuo</strong> project was donated." in html
    assert "By Press office" in html
    local = timezone.localtime(post.publish_at)
    assert f'<time datetime="{local.isoformat(timespec="seconds")}">' in html
    hero = re.search(r'<figure class="article__hero[^"]*">\s*<picture>.*?(<img [^>]*>)', html, re.S)
    assert 'alt="Two people signing the agreement"' in hero.group(1)
    assert 'width="1600" height="900"' in hero.group(1)
    assert "<figcaption>The signing, in Beijing.</figcaption>" in html
    assert f'href="{category.get_absolute_url()}">Foundation news</a>' in html
    assert f'<a href="{project.get_absolute_url()}">Tongsuo</a>' in html
    assert "Draft preview" not in html
    assert 'name="robots"' not in html


def test_detail_page_meta(client, settings):
    post = make_post(
        "Signing ceremony",
        summary="Two projects were donated.",
        hero=True,
        hero_image_alt="The ceremony",
    )

    html = client.get(post.get_absolute_url()).content.decode()

    url = f"{settings.SITE_URL}{post.get_absolute_url()}"
    assert f"<title>Signing ceremony · {settings.SITE_NAME}</title>" in html
    assert '<meta name="description" content="Two projects were donated.">' in html
    assert f'<link rel="canonical" href="{url}">' in html
    assert '<meta property="og:title" content="Signing ceremony">' in html
    assert '<meta property="og:description" content="Two projects were donated.">' in html
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert f'<meta property="og:image" content="{settings.SITE_URL}{post.hero_image.url}">' in html
    assert '<meta property="og:image:alt" content="The ceremony">' in html


def test_detail_without_hero_image_has_no_og_image(client):
    post = make_post("Plain")
    html = client.get(post.get_absolute_url()).content.decode()
    assert "og:image" not in html
    assert "<figure" not in html


def test_meta_description_falls_back_to_the_excerpt_and_is_escaped(client):
    post = make_post("Quotes", body='He said "open" and <b>free</b>.')
    html = client.get(post.get_absolute_url()).content.decode()
    assert '<meta name="description" content="He said &quot;open&quot; and free.">' in html


def test_previous_and_next_are_the_neighbouring_published_posts(client):
    older = make_post("Older", publish_at=NOW - timedelta(days=5))
    make_post("Draft between", status=Post.Status.DRAFT, publish_at=NOW - timedelta(days=4))
    post = make_post("Middle", publish_at=NOW - timedelta(days=3))
    make_post("Scheduled", publish_at=NOW + timedelta(days=1))
    newer = make_post("Newer", publish_at=NOW - timedelta(days=1))

    html = client.get(post.get_absolute_url()).content.decode()

    assert f'rel="prev" href="{older.get_absolute_url()}"' in html
    assert f'rel="next" href="{newer.get_absolute_url()}"' in html
    assert "Draft between" not in html
    assert "Scheduled" not in html

    first = client.get(older.get_absolute_url()).content.decode()
    assert 'rel="prev"' not in first
    assert f'rel="next" href="{post.get_absolute_url()}"' in first


def test_posts_published_at_the_same_instant_still_link_to_each_other(client):
    at = NOW - timedelta(days=1)
    first, second = make_post("First", publish_at=at), make_post("Second", publish_at=at)

    html = client.get(first.get_absolute_url()).content.decode()

    assert f'rel="next" href="{second.get_absolute_url()}"' in html
    assert (
        f'rel="prev" href="{first.get_absolute_url()}"'
        in client.get(second.get_absolute_url()).content.decode()
    )


def test_unknown_post_is_404(visitor):
    response = visitor.get(reverse("posts:detail", args=["no-such-post"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_script_in_a_body_never_reaches_the_page(client):
    post = make_post(body='Hi <script>alert("x")</script><a href="javascript:alert(1)">x</a>')
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'alert("x")' not in html
    assert "javascript:" not in html


def test_the_sample_post_renders_its_table_and_centred_captions(client):
    front_matter, body = SAMPLE.read_text(encoding="utf-8").split("---", 2)[1:]
    post = make_post("CARSMOS donation signing ceremony", body=body)

    html = client.get(post.get_absolute_url()).content.decode()

    scroller = '<div class="table-scroll" role="region" tabindex="0" aria-label="Table (scrolls'
    assert f'{scroller} sideways)"><table>' in html  # phones scroll it sideways
    table = html[html.index("<table>") : html.index("</table>")]
    assert table.count("<tr>") == 21  # header row + 20 projects
    assert "<td>Vearch</td>" in table
    assert "<strong>CARSMOS</strong>" in table
    assert '<figure class="align-center">' in html
    assert "<figcaption>Group photo at the signing ceremony" in html
    assert '<p class="align-center">All walks of life around the world' in html
    assert 'src="/img/blog/d1.jpg"' in html
    assert "relative_url" not in html and "{{" not in html
    assert "<center>" not in html


# Drafts and scheduled posts: a preview for editors only --------------------------------


@pytest.mark.parametrize(
    ("status", "publish_at", "banner"),
    [
        (Post.Status.DRAFT, NOW - timedelta(days=1), "Draft preview"),
        (Post.Status.DRAFT, NOW + timedelta(days=1), "Draft preview"),
        (Post.Status.PUBLISHED, NOW + timedelta(days=1), "Scheduled post – preview"),
    ],
)
def test_unpublished_post_is_404_except_as_an_editors_preview(visitor, status, publish_at, banner):
    post = make_post("Not yet public", status=status, publish_at=publish_at)

    response = visitor.get(post.get_absolute_url())

    if visitor.kind == "editor":
        assert response.status_code == 200
        html = response.content.decode()
        assert banner in html
        assert "Not yet public" in html
        assert '<meta name="robots" content="noindex">' in html
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-cache", "no-store", "must-revalidate"} <= cache_control
    else:
        assert response.status_code == 404
        assert "Not yet public" not in response.content.decode()


def test_published_post_is_not_a_preview_for_an_editor(client, editor):
    post = make_post("Live story")
    client.force_login(editor)

    response = client.get(post.get_absolute_url())

    html = response.content.decode()
    assert "Draft preview" not in html and "Scheduled post" not in html
    assert 'name="robots"' not in html
    assert "no-store" not in response.get("Cache-Control", "")


def test_preview_needs_the_change_permission_not_just_staff(client, staff_without_permission):

    post = make_post("Draft", status=Post.Status.DRAFT)
    client.force_login(staff_without_permission)
    assert client.get(post.get_absolute_url()).status_code == 404

    # change_post without view_post is an author's lot: their own posts only (test_workflow)
    client.force_login(grant(staff_without_permission, "posts.change_post", "posts.view_post"))
    assert client.get(post.get_absolute_url()).status_code == 200


def test_drafts_stay_out_of_an_editors_lists(client, editor):
    make_post("Draft story", status=Post.Status.DRAFT)
    client.force_login(editor)
    assert "Draft story" not in client.get(reverse("posts:list")).content.decode()


# A fixed number of queries, whatever the number of rows --------------------------------


@pytest.fixture
def relations():
    category = make_category("Events", slug="events")
    project = make_project("Tongsuo")
    return category, project


@pytest.mark.parametrize("kind", ["anonymous", "editor"])
def test_list_pages_run_the_same_queries_for_5_and_200_posts(
    client, relations, kind, request, settings
):
    settings.POSTS_PER_PAGE = 50  # so that a page holds 5 rows at first, then 50
    if kind == "editor":
        client.force_login(request.getfixturevalue("editor"))
    category, project = relations
    urls = [reverse("posts:list"), category.get_absolute_url(), reverse("home")]
    bulk_posts(5, category=category, project=project)
    few = [count_queries(client, url) for url in urls]

    bulk_posts(195, category=category, project=project, start=5)
    many = [count_queries(client, url) for url in urls]

    assert Post.objects.published().count() == 200
    assert few == many
    assert count_queries(client, reverse("posts:list") + "?page=4") == many[0]


def test_detail_page_runs_the_same_queries_for_few_and_many_rows(client, relations, editor):
    category, project = relations
    bulk_posts(5, category=category, project=project)
    small = make_post("Small", categories=[category], projects=[project])
    few = count_queries(client, small.get_absolute_url())

    bulk_posts(195, category=category, project=project, start=5)
    categories = [make_category(f"Category {n}") for n in range(10)]
    projects = [make_project(f"Project {n}") for n in range(10)]
    big = make_post("Big", categories=categories, projects=projects, hero=True)
    many = count_queries(client, big.get_absolute_url())

    assert few == many
    assert Category.objects.count() == 11

    client.force_login(editor)
    draft = make_post("Draft", status=Post.Status.DRAFT, categories=categories)
    assert count_queries(client, draft.get_absolute_url()) == count_queries(
        client, small.get_absolute_url()
    )
