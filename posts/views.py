"""The public news pages: the list, a category's posts, year and month archives and a post.

Every view starts from ``Post.objects.published()`` (the one definition of "public"). The
only exception is the detail view for a user who may change posts: it shows drafts and
scheduled posts as a never-cached, noindex preview.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView, ListView, MonthArchiveView, YearArchiveView

from posts.models import Category, Post, ShareLink, published_years
from projects.models import Project


class PostViewMixin:
    """What every news page shares: public posts, newest first, and the category menu."""

    model = Post

    def get_queryset(self):
        return Post.objects.published()

    def get_paginate_by(self, queryset):
        return settings.POSTS_PER_PAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["categories"] = Category.objects.only("name", "slug")
        return context


class PostPaginator(Paginator):
    """Pages of posts read in two steps: the page's ids, then those posts.

    The first query sorts and skips over narrow index entries only (``Post.Meta.indexes``
    cover the language-first order), so page 400 costs about what page 1 does; the second
    reads whole rows for the page's posts alone, by primary key.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        posts = self.object_list.order_by().in_bulk(ids)
        return self._get_page([posts[pk] for pk in ids], number, self)


class PostListMixin(PostViewMixin):
    """A list of posts (no bodies) with the sidebar: categories and the years with news."""

    paginator_class = PostPaginator

    def get_queryset(self):
        return super().get_queryset().for_list().language_first()

    def get_context_data(self, **kwargs):
        return super().get_context_data(archive_years=published_years(), **kwargs)


class PostListView(PostListMixin, ListView):
    pass


class CategoryView(PostListView):
    template_name = "posts/category_detail.html"

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return super().get_queryset().filter(categories=self.category)

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


class PostArchiveMixin(PostListMixin):
    """A year's or a month's news (in the site's time zone), paginated.

    An invalid date (``/news/2023/13/``) and a period without public news are 404s. The
    surrounding periods with news come from Django's date views (``previous_year``,
    ``next_month``…), so an archive page links to its neighbours without dead ends.
    """

    date_field = "publish_at"
    allow_empty = False
    make_object_list = True


class PostYearArchiveView(PostArchiveMixin, YearArchiveView):
    pass


class PostMonthArchiveView(PostArchiveMixin, MonthArchiveView):
    month_format = "%m"


class PostDetailView(PostViewMixin, DetailView):
    def get_queryset(self):
        # Previews of drafts for who may change them (authors: their own posts only).
        return self.with_page_relations(Post.objects.previewable_by(self.request.user))

    @staticmethod
    def with_page_relations(posts):
        """What the page shows besides the post: its author, categories and projects."""
        return posts.select_related("author").prefetch_related(
            Prefetch("categories", queryset=Category.objects.only("name", "slug")),
            Prefetch("projects", queryset=Project.objects.only("name", "slug", "summary")),
        )

    def get_context_data(self, **kwargs):
        post = self.object
        newer = Q(publish_at__gt=post.publish_at) | Q(publish_at=post.publish_at, pk__gt=post.pk)
        adjacent = Post.objects.published().only("title", "slug", "language", "publish_at")
        return super().get_context_data(
            is_preview=not post.is_published(),
            post_translations=post.published_translations,  # one query, for both directions
            previous_post=adjacent.exclude(newer).exclude(pk=post.pk).first(),
            next_post=adjacent.filter(newer).order_by("publish_at", "pk").first(),
            **kwargs,
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            # A draft must never sit in a shared cache or a browser's history cache.
            add_never_cache_headers(response)
        return response


class SharedPostView(PostDetailView):
    """A post opened through a share link (``posts.ShareLink``), by anyone who has the link:
    the detail page exactly as it renders, always noindex and never cached. A tampered,
    expired or revoked token, or a deleted post, is a 404."""

    def get_object(self, queryset=None):
        self.share_link = ShareLink.objects.from_token(self.kwargs["token"])
        if self.share_link is None:
            raise Http404("No such share link.")
        return get_object_or_404(self.with_page_relations(Post.objects.all()),
                                 pk=self.share_link.post_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(is_preview=True, share_link=self.share_link)
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response
