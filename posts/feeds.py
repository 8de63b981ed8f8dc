"""RSS 2.0 and Atom feeds: all news, and the news of a category, a language, a project, a donor.

Every feed starts from ``Post.objects.published()`` and carries the newest ``FEED_SIZE`` posts
with their full, already sanitised body (RSS ``content:encoded``, Atom ``content``), the hero
image as an enclosure and the categories. Links are absolute, built on ``settings.SITE_URL``
(the site's public address, also used by the sitemaps and page metadata) rather than on the
Host header of whoever asked. A feed costs a fixed number of queries however many posts exist.

Each feed is one class; its Atom twin only swaps the generator (``AtomFeedMixin``).
"""

import mimetypes
import re
import time

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape, format_html
from django.utils.http import parse_http_date
from django.utils.translation import gettext as _

from posts.models import Category, Language, Post
from projects.models import Donor, Project

FEED_SIZE = 15

# Root-relative URLs in rendered bodies (uploaded images, internal links). Feed readers show
# the body away from the site, so they must become absolute.
RELATIVE_URL = re.compile(r'\b(src|href|poster)="/(?!/)')


def absolute_url(path):
    """``/news/x/`` → ``https://example.org/news/x/`` on the site's public address."""
    return f"{settings.SITE_URL}{path}"


def absolutize_html(html):
    return RELATIVE_URL.sub(lambda match: f'{match.group(1)}="{settings.SITE_URL}/', html)


class ContentRssFeed(Rss201rev2Feed):
    """RSS 2.0 with the full body in ``content:encoded`` (the description is the summary)."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class ContentAtomFeed(Atom1Feed):
    """Atom with the full body in ``content`` (the ``summary`` is the post's summary)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


class PostFeed(Feed):
    """All published news. Subclasses narrow it to one object (``get_object``/``filter``)."""

    feed_type = ContentRssFeed
    url_name = "feeds:rss"

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # Django dates the feed by its newest entry. HTTP dates count whole seconds: while
        # that second lasts, another post could still arrive with the same date, and a
        # reader revalidating by date alone would be told nothing changed. The ETag holds.
        last_modified = response.get("Last-Modified")
        if last_modified and parse_http_date(last_modified) >= int(time.time()):
            del response["Last-Modified"]
        return response

    # --- what the feed is about -------------------------------------------------------

    def get_object(self, request, *args, **kwargs):
        return None

    def filter(self, posts, obj):
        return posts

    def url_kwargs(self, obj):
        return {}

    def page_url(self, obj):
        return reverse("posts:list")

    def heading(self, obj):
        return None

    def description(self, obj):
        return _(
            "News from the foundation: donations, project milestones, events and announcements."
        )

    def feed_language(self, obj):
        return None

    # --- the channel ------------------------------------------------------------------

    def title(self, obj):
        heading = self.heading(obj)
        return f"{settings.SITE_NAME}: {heading}" if heading else settings.SITE_NAME

    def link(self, obj):
        return absolute_url(self.page_url(obj))

    def feed_url(self, obj):
        return absolute_url(reverse(self.url_name, kwargs=self.url_kwargs(obj)))

    def author_name(self, obj):
        return settings.SITE_NAME

    def feed_guid(self, obj):
        return self.feed_url(obj)

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        if self.feed_language(obj):
            feed.feed["language"] = self.feed_language(obj)
        return feed

    def items(self, obj):
        posts = (
            Post.objects.published()
            .defer("body", "extras")
            .select_related("author")
            .prefetch_related(Prefetch("categories", queryset=Category.objects.only("name")))
        )
        return self.filter(posts, obj)[:FEED_SIZE]

    # --- one entry --------------------------------------------------------------------

    def item_title(self, post):
        return post.title

    def item_link(self, post):
        return absolute_url(post.get_absolute_url())

    def item_description(self, post):
        # Both formats declare the description HTML; the summary is plain text.
        return escape(post.description)

    def item_extra_kwargs(self, post):
        hero = ""
        if post.hero_image:
            hero = format_html(
                '<figure><img src="{}" alt="{}" width="{}" height="{}">{}</figure>\n',
                absolute_url(post.hero_image.url),
                post.hero_image_alt,
                post.hero_image_width or "",
                post.hero_image_height or "",
                format_html("<figcaption>{}</figcaption>", post.hero_image_caption)
                if post.hero_image_caption
                else "",
            )
        return {"content": hero + absolutize_html(post.body_html)}

    def item_pubdate(self, post):
        return post.publish_at

    def item_updateddate(self, post):
        # A scheduled post saved last week goes live today: it was not "updated" before
        # readers could see it.
        return max(post.updated_at, post.publish_at)

    def item_author_name(self, post):
        return post.byline or None

    def item_categories(self, post):
        return [category.name for category in post.categories.all()]

    def item_enclosures(self, post):
        """The hero image, with its size in bytes; nothing when the file has gone missing."""
        if not post.hero_image:
            return []
        mime_type, _encoding = mimetypes.guess_type(post.hero_image.name)
        try:
            length = post.hero_image.size
        except (OSError, ValueError):
            return []
        if not mime_type:
            return []
        return [Enclosure(absolute_url(post.hero_image.url), str(length), mime_type)]


class AtomFeedMixin:
    feed_type = ContentAtomFeed

    def subtitle(self, obj):
        return self.description(obj)


class LatestPostsFeed(PostFeed):
    pass


class LatestPostsAtomFeed(AtomFeedMixin, LatestPostsFeed):
    url_name = "feeds:atom"


class CategoryFeed(PostFeed):
    url_name = "feeds:category-rss"

    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def filter(self, posts, category):
        return posts.filter(categories=category)

    def url_kwargs(self, category):
        return {"slug": category.slug}

    def page_url(self, category):
        return category.get_absolute_url()

    def heading(self, category):
        return category.name

    def description(self, category):
        return category.description or _("News in the category “%(name)s”.") % {
            "name": category.name
        }


class CategoryAtomFeed(AtomFeedMixin, CategoryFeed):
    url_name = "feeds:category-atom"


class LanguageFeed(PostFeed):
    url_name = "feeds:language-rss"

    def get_object(self, request, language):
        languages = dict(Language.choices)
        if language not in languages:
            raise Http404(_("No news in that language."))
        return language

    def filter(self, posts, language):
        return posts.filter(language=language)

    def url_kwargs(self, language):
        return {"language": language}

    def heading(self, language):
        return _("News in %(language)s") % {"language": Language(language).label}

    def description(self, language):
        return _("News from the foundation written in %(language)s.") % {
            "language": Language(language).label
        }

    def feed_language(self, language):
        return language


class LanguageAtomFeed(AtomFeedMixin, LanguageFeed):
    url_name = "feeds:language-atom"


class ProjectFeed(PostFeed):
    url_name = "feeds:project-rss"

    def get_object(self, request, slug):
        return get_object_or_404(Project.objects.only("name", "slug"), slug=slug)

    def filter(self, posts, project):
        return posts.filter(projects=project)

    def url_kwargs(self, project):
        return {"slug": project.slug}

    def page_url(self, project):
        return project.get_absolute_url()

    def heading(self, project):
        return _("News about %(name)s") % {"name": project.name}

    def description(self, project):
        return _("News from the foundation about the project %(name)s.") % {"name": project.name}


class ProjectAtomFeed(AtomFeedMixin, ProjectFeed):
    url_name = "feeds:project-atom"


class DonorFeed(PostFeed):
    """News about the projects a donor gave to the foundation. Hidden donors have no feed."""

    url_name = "feeds:donor-rss"

    def get_object(self, request, slug):
        return get_object_or_404(Donor.objects.public().only("name", "slug"), slug=slug)

    def filter(self, posts, donor):
        # A subquery rather than a join: a post about two of the donor's projects appears once.
        return posts.filter(pk__in=Post.objects.filter(projects__donors=donor).values("pk"))

    def url_kwargs(self, donor):
        return {"slug": donor.slug}

    def page_url(self, donor):
        return donor.get_absolute_url()

    def heading(self, donor):
        return _("News about projects donated by %(name)s") % {"name": donor.name}

    def description(self, donor):
        return _("News from the foundation about the projects donated by %(name)s.") % {
            "name": donor.name
        }


class DonorAtomFeed(AtomFeedMixin, DonorFeed):
    url_name = "feeds:donor-atom"
