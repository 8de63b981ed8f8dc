"""Every public page and every admin page runs a fixed number of queries, the same with 10
rows as with 1,000: no page does a query per post, project, donor or category it shows.

Each test builds 10 rows of everything, counts the queries of every page and compares them
with the page's expected count written below, grows the data to 1,000 rows (the new rows
hang off the same category, project and donor, so that detail pages grow too) and compares
again. A change that adds a query to a page, even one that does not grow with the data,
fails here: update the page's number on purpose, with the reason in the commit.

The admin changelists come from ``admin.site._registry``, so a model registered later fails
here until its expected count is written down.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_post
from posts.markup import excerpt_from_html, render_markdown
from posts.models import Category, Image, Post, Redirect, StateChange
from projects.models import Area, Donation, Donor, Project

SMALL, LARGE = 10, 1_000
PER_PAGE = 4  # so that 10 rows already fill a later page

BODY = "Atom news about **open source**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nMore text."


class Rows:
    """Rows 0…n-1 of each kind; row 0 of each is the one the detail pages show. Every third
    post and media library image is the author's (``owner``)."""

    def __init__(self, owner):
        self.count = 0
        self.owner = owner
        self.html = render_markdown(BODY)
        self.excerpt = excerpt_from_html(self.html)
        # One real post with a hero image and its renditions; bulk posts share its files.
        self.model_post = make_post("Atom news 0000", hero=True, body=BODY)
        self.now = timezone.now()

    def grow_to(self, total):
        start, stop = self.count, total
        numbers = range(start, stop)
        areas = Area.objects.bulk_create(
            Area(name=f"Atom area {i:04d}", slug=f"area-{i:04d}", position=i) for i in numbers
        )
        donors = Donor.objects.bulk_create(
            Donor(
                name=f"Atom donor {i:04d}",
                slug=f"donor-{i:04d}",
                kind=Donor.Kind.COMPANY,
                website="https://donor.example.org/",
                description="An Atom donor.",
                is_public=i % 7 != 3,
            )
            for i in numbers
        )
        first_area = Area.objects.get(slug="area-0000")
        first_donor = Donor.objects.get(slug="donor-0000")
        projects = Project.objects.bulk_create(
            Project(
                name=f"Atom project {i:04d}",
                slug=f"project-{i:04d}",
                summary="An Atom project.",
                description="Atom **project**.",
                description_html="<p>Atom <strong>project</strong>.</p>",
                license="Apache-2.0",
                area=first_area if i % 2 else areas[i - start],
                stage=list(Project.Stage)[i % len(Project.Stage)],
                donated_on=self.now.date() - timedelta(days=i),
            )
            for i in numbers
        )
        donations = []
        for project, donor in zip(projects, donors, strict=True):
            donations.append(Donation(project=project, donor=donor, order=0))
            if donor != first_donor:
                donations.append(
                    Donation(project=project, donor=first_donor, order=1,
                             role=Donation.Role.CO_DONOR)
                )
        Donation.objects.bulk_create(donations)
        categories = Category.objects.bulk_create(
            Category(name=f"Atom category {i:04d}", slug=f"category-{i:04d}", position=i)
            for i in numbers
        )
        first_category = Category.objects.get(slug="category-0000")
        first_project = Project.objects.get(slug="project-0000")
        model = self.model_post
        posts = Post.objects.bulk_create(
            Post(
                title=f"Atom news {i:04d}",
                slug=f"atom-news-{i:04d}",
                status=Post.Status.PUBLISHED if i % 9 != 4 else Post.Status.DRAFT,
                # ten dates a year apart in all, so that 10 rows already give the archives
                # a previous month and year; all in the past, row 0 (the model) the newest
                publish_at=self.now - timedelta(days=40 * (i % 10), hours=2, minutes=i),
                author_name="Ada",
                summary="Atom summary." if i % 2 else "",
                body=BODY,
                body_html=self.html,
                excerpt=self.excerpt,
                hero_image=model.hero_image.name,
                hero_image_width=model.hero_image_width,
                hero_image_height=model.hero_image_height,
                hero_image_alt="A hero",
                hero_renditions=model.hero_renditions,
                language="zh-hans" if i % 3 == 1 else "en",
                created_by=self.owner if i % 3 == 2 else None,
            )
            for i in numbers
            if i > 0
        )
        if start == 0:
            posts.insert(0, model)
        Post.categories.through.objects.bulk_create(
            Post.categories.through(post_id=post.pk, category_id=category.pk)
            for post, own in zip(posts, categories, strict=True)
            for category in {first_category, own}
        )
        Post.projects.through.objects.bulk_create(
            Post.projects.through(post_id=post.pk, project_id=project.pk)
            for post, own in zip(posts, projects, strict=True)
            for project in {first_project, own}
        )
        Redirect.objects.bulk_create(
            Redirect(old_path=f"/old/{i:04d}/", target_path=f"/news/atom-news-{i:04d}/")
            for i in numbers
        )
        StateChange.objects.bulk_create(
            StateChange(post=model, from_status="draft", to_status="published",
                        comment=f"Note {i}")
            for i in numbers
        )
        Image.objects.bulk_create(
            Image(
                file=model.hero_image.name,
                title=f"Atom image {i:04d}",
                alt_text="An atom" if i % 2 else "",
                width=model.hero_image_width,
                height=model.hero_image_height,
                uploaded_by=self.owner if i % 3 == 2 else None,
            )
            for i in numbers
        )
        Group.objects.bulk_create(Group(name=f"Atom group {i:04d}") for i in numbers)
        User.objects.bulk_create(
            User(username=f"atom{i:04d}", email=f"atom{i:04d}@example.org", password="!")
            for i in numbers
        )
        self.count = total


def count_queries(client, pages):
    counts = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        counts[name] = len(queries)
    return counts


def assert_counts(client, pages, expected, rows):
    """Each page of ``pages`` (name → URL) runs ``expected[name]`` queries with 10 rows and
    with 1,000."""
    assert sorted(pages) == sorted(expected), "pages without an expected count, or gone"
    rows.grow_to(SMALL)
    count_queries(client, pages)  # warm-up: per-process caches (content types, …) fill once
    for total in (SMALL, LARGE):
        rows.grow_to(total)
        counts = count_queries(client, pages)
        wrong = {name: counts[name] for name in pages if counts[name] != expected[name]}
        assert not wrong, f"with {total:,} rows, queries (expected → counted): " + ", ".join(
            f"{name} ({pages[name]}): {expected[name]} → {wrong[name]}" for name in wrong
        )


@pytest.fixture
def rows(db, settings, author):
    settings.POSTS_PER_PAGE = PER_PAGE
    settings.PROJECTS_PER_PAGE = PER_PAGE
    return Rows(owner=author)


def public_pages():
    """Name → URL of every public page measured here."""
    local = timezone.localtime(Post.objects.get(slug="atom-news-0000").publish_at)
    year, month = f"{local.year:04d}", f"{local.month:02d}"
    news, projects, search = reverse("posts:list"), reverse("projects:list"), reverse("search")
    category = reverse("posts:category", kwargs={"slug": "category-0000"})
    pages = {
        "home": reverse("home"),
        "news": news,
        "news page 2": news + "?page=2",
        "category": category,
        "category page 2": category + "?page=2",
        "post": reverse("posts:detail", kwargs={"slug": "atom-news-0000"}),
        "another post": reverse("posts:detail", kwargs={"slug": "atom-news-0005"}),
        "year": reverse("posts:archive-year", kwargs={"year": year}),
        "month": reverse("posts:archive-month", kwargs={"year": year, "month": month}),
        "projects": projects,
        "projects page 2": projects + "?page=2",
        "projects of an area": projects + "?area=area-0000",
        "projects at a stage": projects + "?stage=donated",
        "projects of a donor": projects + "?donor=donor-0000",
        "projects, three filters": projects + "?area=area-0001&stage=accepted&donor=donor-0000",
        "project": reverse("projects:detail", kwargs={"slug": "project-0000"}),
        "donors": reverse("projects:donor-list"),
        "donor": reverse("projects:donor-detail", kwargs={"slug": "donor-0000"}),
        "search": search + "?q=atom",
        "search page 2": search + "?q=atom&page=2",
        "search projects": search + "?q=atom&type=projects",
        "search donors": search + "?q=atom&type=donors",
        "search, filtered": search + "?q=atom+news&category=category-0000&language=en",
        "rss": reverse("feeds:rss"),
        "atom": reverse("feeds:atom"),
        "language rss": reverse("feeds:language-rss", kwargs={"language": "zh-hans"}),
        "language atom": reverse("feeds:language-atom", kwargs={"language": "en"}),
        "category rss": reverse("feeds:category-rss", kwargs={"slug": "category-0000"}),
        "category atom": reverse("feeds:category-atom", kwargs={"slug": "category-0000"}),
        "project rss": reverse("feeds:project-rss", kwargs={"slug": "project-0000"}),
        "project atom": reverse("feeds:project-atom", kwargs={"slug": "project-0000"}),
        "donor rss": reverse("feeds:donor-rss", kwargs={"slug": "donor-0000"}),
        "donor atom": reverse("feeds:donor-atom", kwargs={"slug": "donor-0000"}),
        "sitemap": reverse("sitemap"),
        "robots.txt": reverse("robots"),
    }
    from foundation.urls import sitemaps

    for section in sitemaps:
        pages[f"sitemap {section}"] = reverse("sitemap-section", kwargs={"section": section})
    return pages


# Queries each page runs, whatever the number of rows.
PUBLIC = {
    "home": 4,
    "news": 6,
    "news page 2": 6,
    "category": 7,
    "category page 2": 7,
    "post": 6,
    "another post": 6,
    "year": 11,
    "month": 11,
    "projects": 5,
    "projects page 2": 5,
    "projects of an area": 6,
    "projects at a stage": 5,
    "projects of a donor": 6,
    "projects, three filters": 5,
    "project": 4,
    "donors": 1,
    "donor": 5,
    "search": 11,
    "search page 2": 11,
    "search projects": 8,
    "search donors": 8,
    "search, filtered": 9,
    "rss": 2,
    "atom": 2,
    "language rss": 2,
    "language atom": 2,
    "category rss": 3,
    "category atom": 3,
    "project rss": 3,
    "project atom": 3,
    "donor rss": 3,
    "donor atom": 3,
    "sitemap": 11,
    "robots.txt": 0,
    "sitemap pages": 3,
    "sitemap posts": 2,
    "sitemap categories": 2,
    "sitemap projects": 1,
    "sitemap donors": 1,
}

# On PostgreSQL, search runs two queries more than on SQLite (measured; foundation/search.py
# takes another path there).
POSTGRESQL_SEARCH_EXTRA = 2


def for_this_database(expected):
    if connection.vendor != "postgresql":
        return expected
    return {
        name: count + (POSTGRESQL_SEARCH_EXTRA if name.startswith("search") else 0)
        for name, count in expected.items()
    }


# The same pages in Chinese (/zh-hans/…), feeds aside.
PUBLIC_IN_CHINESE = {
    "news": 6,
    "news page 2": 6,
    "category": 7,
    "category page 2": 7,
    "post": 6,
    "another post": 6,
    "year": 11,
    "month": 11,
    "projects": 5,
    "projects page 2": 5,
    "projects of an area": 6,
    "projects at a stage": 5,
    "projects of a donor": 6,
    "projects, three filters": 5,
    "project": 4,
    "donors": 1,
    "donor": 5,
}

# The admin, for a superuser; "<app>.<model> list" for every changelist of the site.
ADMIN = {
    "auth.group list": 5,
    "auth.user list": 6,
    "axes.accessattempt list": 8,
    "axes.accesslog list": 8,
    "axes.accessfailurelog list": 8,
    "posts.image list": 7,
    "posts.redirect list": 7,
    "posts.category list": 5,
    "posts.post list": 9,
    "projects.area list": 5,
    "projects.donor list": 5,
    "projects.project list": 8,
    "index": 3,
    "published posts": 9,
    "posts found": 9,
    "posts page 2": 9,
    "images without alt text": 7,
    "projects found": 8,
    "post": 12,
    "post history": 10,
    "project": 5,
    "donor": 4,
    "new post": 5,
    "new project": 3,
}

# What an author (Authors group) sees: the post list shows only their own posts.
ADMIN_FOR_AN_AUTHOR = {
    "index": 5,
    "posts.post list": 11,
    "posts found": 11,
    "post": 8,
    "posts.image list": 9,
}


def test_public_pages_run_a_fixed_number_of_queries(client, rows):
    rows.grow_to(SMALL)
    assert_counts(client, public_pages(), for_this_database(PUBLIC), rows)


def test_public_pages_in_chinese_run_a_fixed_number_of_queries(client, rows):
    rows.grow_to(SMALL)
    pages = {
        name: "/zh-hans" + url
        for name, url in public_pages().items()
        if url.startswith(("/news/", "/projects/", "/donors/")) and "/feed/" not in url
    }
    assert_counts(client, pages, PUBLIC_IN_CHINESE, rows)


def test_admin_pages_run_a_fixed_number_of_queries(client, rows, superuser):
    client.force_login(superuser)
    rows.grow_to(SMALL)
    post = Post.objects.get(slug="atom-news-0000")
    project = Project.objects.get(slug="project-0000")
    posts = reverse("admin:posts_post_changelist")
    pages = {
        f"{model._meta.label_lower} list": reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        for model in admin.site._registry
    }
    assert pages["posts.post list"] == posts
    assert pages["posts.image list"] == reverse("admin:posts_image_changelist")
    pages |= {
        "index": reverse("admin:index"),
        "published posts": posts + "?status__exact=published",
        "posts found": posts + "?q=atom",
        "posts page 2": posts + "?p=2",
        "images without alt text": reverse("admin:posts_image_changelist") + "?alt=missing",
        "projects found": reverse("admin:projects_project_changelist") + "?q=atom",
        "post": reverse("admin:posts_post_change", args=[post.pk]),
        "post history": reverse("admin:posts_post_history", args=[post.pk]),
        "project": reverse("admin:projects_project_change", args=[project.pk]),
        "donor": reverse(
            "admin:projects_donor_change", args=[Donor.objects.get(slug="donor-0000").pk]
        ),
        "new post": reverse("admin:posts_post_add"),
        "new project": reverse("admin:projects_project_add"),
    }
    assert_counts(client, pages, ADMIN, rows)


def test_an_authors_admin_pages_run_a_fixed_number_of_queries(client, rows, author):
    client.force_login(author)
    rows.grow_to(SMALL)
    posts = reverse("admin:posts_post_changelist")
    own = Post.objects.filter(created_by=author).order_by("slug").first()
    listed = client.get(posts).context["cl"].result_list
    assert {post.created_by_id for post in listed} == {author.pk}  # only their own
    pages = {
        "index": reverse("admin:index"),
        "posts.post list": posts,
        "posts found": posts + "?q=atom",
        "post": reverse("admin:posts_post_change", args=[own.pk]),
        "posts.image list": reverse("admin:posts_image_changelist"),
    }
    assert_counts(client, pages, ADMIN_FOR_AN_AUTHOR, rows)
