"""Every public page and every admin page runs the same number of queries with 10 rows as
with 1,000: no page does a query per post, project, donor or category it shows.

Each test builds 10 rows of everything, counts the queries of every page, grows the data to
1,000 rows (the new rows hang off the same category, project and donor, so that detail pages
grow too) and counts again. The admin changelists come from ``admin.site._registry``, so a
model registered later is covered without touching this file.
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
from posts.models import Category, Post, Redirect, StateChange
from projects.models import Area, Donation, Donor, Project

SMALL, LARGE = 10, 1_000
PER_PAGE = 4  # so that 10 rows already fill a later page

BODY = "Atom news about **open source**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nMore text."


class Rows:
    """Rows 0…n-1 of each kind; row 0 of each is the one the detail pages show."""

    def __init__(self):
        self.count = 0
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
        Group.objects.bulk_create(Group(name=f"Atom group {i:04d}") for i in numbers)
        User.objects.bulk_create(
            User(username=f"atom{i:04d}", email=f"atom{i:04d}@example.org", password="!")
            for i in numbers
        )
        self.count = total


def count_queries(client, urls):
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        counts[url] = len(queries)
    return counts


def assert_same_counts(client, urls, rows):
    rows.grow_to(SMALL)
    count_queries(client, urls)  # warm-up: per-process caches (content types, …) fill once
    small = count_queries(client, urls)
    rows.grow_to(LARGE)
    large = count_queries(client, urls)
    grown = {url: (small[url], large[url]) for url in urls if small[url] != large[url]}
    assert not grown, "queries grow with the data (url: 10 rows, 1,000 rows): " + ", ".join(
        f"{url}: {a} → {b}" for url, (a, b) in grown.items()
    )


@pytest.fixture
def rows(db, settings):
    settings.POSTS_PER_PAGE = PER_PAGE
    settings.PROJECTS_PER_PAGE = PER_PAGE
    return Rows()


def public_urls():
    local = timezone.localtime(Post.objects.get(slug="atom-news-0000").publish_at)
    year, month = local.year, local.month
    urls = [
        reverse("home"),
        reverse("posts:list"),
        reverse("posts:list") + "?page=2",
        reverse("posts:category", kwargs={"slug": "category-0000"}),
        reverse("posts:category", kwargs={"slug": "category-0000"}) + "?page=2",
        reverse("posts:detail", kwargs={"slug": "atom-news-0000"}),
        reverse("posts:detail", kwargs={"slug": "atom-news-0005"}),
        reverse("posts:archive-year", kwargs={"year": f"{year:04d}"}),
        reverse("posts:archive-month", kwargs={"year": f"{year:04d}", "month": f"{month:02d}"}),
        reverse("projects:list"),
        reverse("projects:list") + "?page=2",
        reverse("projects:list") + "?area=area-0000",
        reverse("projects:list") + "?stage=donated",
        reverse("projects:list") + "?donor=donor-0000",
        reverse("projects:list") + "?area=area-0001&stage=accepted&donor=donor-0000",
        reverse("projects:detail", kwargs={"slug": "project-0000"}),
        reverse("projects:donor-list"),
        reverse("projects:donor-detail", kwargs={"slug": "donor-0000"}),
        reverse("search") + "?q=atom",
        reverse("search") + "?q=atom&page=2",
        reverse("search") + "?q=atom&type=projects",
        reverse("search") + "?q=atom&type=donors",
        reverse("search") + "?q=atom+news&category=category-0000&language=en",
        reverse("feeds:rss"),
        reverse("feeds:atom"),
        reverse("feeds:language-rss", kwargs={"language": "zh-hans"}),
        reverse("feeds:language-atom", kwargs={"language": "en"}),
        reverse("feeds:category-rss", kwargs={"slug": "category-0000"}),
        reverse("feeds:category-atom", kwargs={"slug": "category-0000"}),
        reverse("feeds:project-rss", kwargs={"slug": "project-0000"}),
        reverse("feeds:project-atom", kwargs={"slug": "project-0000"}),
        reverse("feeds:donor-rss", kwargs={"slug": "donor-0000"}),
        reverse("feeds:donor-atom", kwargs={"slug": "donor-0000"}),
        reverse("sitemap"),
        reverse("robots"),
    ]
    from foundation.urls import sitemaps

    urls += [reverse("sitemap-section", kwargs={"section": name}) for name in sitemaps]
    return urls


def test_public_pages_run_the_same_queries_with_1000_rows_as_with_10(client, rows):
    rows.grow_to(SMALL)
    assert_same_counts(client, public_urls(), rows)


def test_public_pages_in_chinese_run_the_same_queries_too(client, rows):
    rows.grow_to(SMALL)
    urls = [
        url for url in public_urls() if url.startswith(("/news/", "/projects/", "/donors/"))
        and "/feed/" not in url
    ]
    assert_same_counts(client, ["/zh-hans" + url for url in urls], rows)


def test_admin_pages_run_the_same_queries_with_1000_rows_as_with_10(client, rows, superuser):
    client.force_login(superuser)
    rows.grow_to(SMALL)
    changelists = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    assert reverse("admin:posts_post_changelist") in changelists
    post = Post.objects.get(slug="atom-news-0000")
    project = Project.objects.get(slug="project-0000")
    urls = [
        reverse("admin:index"),
        *changelists,
        reverse("admin:posts_post_changelist") + "?status__exact=published",
        reverse("admin:posts_post_changelist") + "?q=atom",
        reverse("admin:posts_post_changelist") + "?p=2",
        reverse("admin:projects_project_changelist") + "?q=atom",
        reverse("admin:posts_post_change", args=[post.pk]),
        reverse("admin:posts_post_history", args=[post.pk]),
        reverse("admin:projects_project_change", args=[project.pk]),
        reverse("admin:projects_donor_change", args=[Donor.objects.get(slug="donor-0000").pk]),
        reverse("admin:posts_post_add"),
        reverse("admin:projects_project_add"),
    ]
    assert_same_counts(client, urls, rows)
