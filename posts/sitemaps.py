"""The sitemap: an index at /sitemap.xml pointing at one sitemap per section.

Sections: the site's fixed pages, posts, categories (here) and projects, donors
(``projects/sitemaps.py``). Each lists public things only: posts from
``Post.objects.published()``, categories with at least one published post, public donors.
A section over 50,000 URLs is split into pages (``?p=2``) by Django's paginator, and the index
lists every page, so the sitemap grows with the site.

Pages that exist in both interface languages (home, the lists, categories, projects, donors)
are listed once per language: ``/news/`` and ``/zh-hans/news/``. A post has one language and
one address. Each page names its other-language version with ``hreflang`` in its ``<head>``.

Locations are built on ``settings.SITE_URL``, like the feeds and the page metadata, so that
the sitemap names the site's public address whatever Host header the request carried.
``index`` replaces Django's own index view only for that reason.

Every query is an index scan or an aggregate over one pass: the index and each section cost
the same few queries at 10 posts and at 10,000.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.db.models import Max
from django.db.models.functions import Greatest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import http_date

from posts.models import Category, Post, public_q


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


class BilingualSitemap(SiteSitemap):
    """A section whose pages exist in every interface language: one URL per language."""

    i18n = True


def published_posts():
    """Published posts with ``changed_at``: the later of the last save and going live.

    A post scheduled last week and live since this morning changed, for a reader, this
    morning.
    """
    return Post.objects.published().annotate(changed_at=Greatest("publish_at", "updated_at"))


def latest_news_change():
    """When public news last changed: ``max(changed_at)`` over published posts.

    Taken as the later of the two maxima, which is the same value, because each maximum is
    one index probe (``post_public_idx``, ``post_updated_idx``) where the maximum of
    ``GREATEST(…)`` would read every row.
    """
    latest = Post.objects.published().aggregate(
        published=Max("publish_at"), saved=Max("updated_at")
    )
    return max(filter(None, latest.values()), default=None)


class StaticSitemap(BilingualSitemap):
    """Pages that are not a model instance: home and the section lists."""

    def items(self):
        return ["home", "posts:list", "projects:list", "projects:donor-list"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        return self._latest_changes().get(name)

    def _latest_changes(self):
        # Computed once per sitemap instance (one request): three small aggregate queries.
        if not hasattr(self, "_changes"):
            from projects.models import Donor, Project

            news = latest_news_change()
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
        return latest_news_change()


class CategorySitemap(BilingualSitemap):
    """Categories that have published news; a category page changes with its newest post."""

    def items(self):
        if not hasattr(self, "_categories"):  # the index asks twice: count and lastmod
            # One grouped pass over the public posts' category links, not one sorted
            # subquery per category.
            latest = dict(
                Post.categories.through.objects.filter(public_q("post__"))
                .values_list("category")
                .annotate(latest=Max(Greatest("post__publish_at", "post__updated_at")))
            )
            self._categories = list(Category.objects.filter(pk__in=latest).only("slug"))
            for category in self._categories:
                category.latest_post = latest[category.pk]
        return self._categories

    def lastmod(self, category):
        return category.latest_post

    def latest_lastmod_query(self):
        return max((category.latest_post for category in self.items()), default=None)


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
