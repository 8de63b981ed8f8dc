"""The sitemap: an index at /sitemap.xml pointing at one sitemap per section.

Sections: the site's fixed pages, posts, categories (here) and projects, donors
(``projects/sitemaps.py``). Each lists public things only: posts from
``Post.objects.published()``, categories with at least one published post, public donors.
A section over 50,000 URLs is split into pages (``?p=2``) by Django's paginator, and the index
lists every page, so the sitemap grows with the site.

Locations are built on ``settings.SITE_URL``, like the feeds and the page metadata, so that
the sitemap names the site's public address whatever Host header the request carried.
``index`` replaces Django's own index view only for that reason.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Greatest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import http_date

from posts.models import Category, Post


class SiteSitemap(Sitemap):
    """Locations on ``SITE_URL``; ``latest_lastmod`` for the index from one aggregate query."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def latest_lastmod_query(self):
        return None

    def get_latest_lastmod(self):
        # Django's default calls lastmod() for every item; one aggregate query does instead.
        return self.latest_lastmod_query()


def published_posts():
    """Published posts with ``changed_at``: the later of the last save and going live.

    A post scheduled last week and live since this morning changed, for a reader, this
    morning.
    """
    return Post.objects.published().annotate(changed_at=Greatest("publish_at", "updated_at"))


class StaticSitemap(SiteSitemap):
    """Pages that are not a model instance: home and the section lists."""

    def items(self):
        return ["home", "posts:list", "projects:list", "projects:donor-list"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        return self._latest_changes().get(name)

    def _latest_changes(self):
        # Computed once per sitemap instance (one request): four small aggregate queries.
        if not hasattr(self, "_changes"):
            from projects.models import Donor, Project

            news = published_posts().aggregate(latest=Max("changed_at"))["latest"]
            self._changes = {
                "home": news,
                "posts:list": news,
                "projects:list": Project.objects.aggregate(latest=Max("updated_at"))["latest"],
                "projects:donor-list": Donor.objects.public().aggregate(latest=Max("updated_at"))[
                    "latest"
                ],
            }
        return self._changes

    def latest_lastmod_query(self):
        dates = [date for date in self._latest_changes().values() if date]
        return max(dates, default=None)


class PostSitemap(SiteSitemap):
    def items(self):
        return published_posts().only("slug", "language", "publish_at", "updated_at")

    def lastmod(self, post):
        return post.changed_at

    def latest_lastmod_query(self):
        return published_posts().aggregate(latest=Max("changed_at"))["latest"]


class CategorySitemap(SiteSitemap):
    """Categories that have published news; a category page changes with its newest post."""

    def items(self):
        latest = (
            published_posts()
            .filter(categories=OuterRef("pk"))
            .order_by("-changed_at")
            .values("changed_at")[:1]
        )
        return (
            Category.objects.only("slug")
            .annotate(latest_post=Subquery(latest))
            .filter(latest_post__isnull=False)
        )

    def lastmod(self, category):
        return category.latest_post

    def latest_lastmod_query(self):
        return (
            published_posts()
            .filter(categories__isnull=False)
            .aggregate(latest=Max("changed_at"))["latest"]
        )


@x_robots_tag
def index(request, sitemaps, sitemap_url_name="sitemap-section"):
    """The sitemap index: every section and every page of a long section, on ``SITE_URL``."""
    items = []
    latest = []
    for section, sitemap in sitemaps.items():
        sitemap = sitemap() if callable(sitemap) else sitemap
        location = settings.SITE_URL + reverse(sitemap_url_name, kwargs={"section": section})
        lastmod = sitemap.get_latest_lastmod()
        if lastmod:
            latest.append(lastmod)
        items.append(SitemapIndexItem(location, lastmod))
        for page in range(2, sitemap.paginator.num_pages + 1):
            items.append(SitemapIndexItem(f"{location}?p={page}", lastmod))
    headers = {"Last-Modified": http_date(max(latest).timestamp())} if latest else None
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": items},
        content_type="application/xml",
        headers=headers,
    )
