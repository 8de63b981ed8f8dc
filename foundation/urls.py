from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path, register_converter
from django.urls.converters import get_converters
from django.views.generic import TemplateView

from foundation import health, views
from posts import feeds
from posts import sitemaps as post_sitemaps
from posts.converters import UnicodeSlugConverter
from projects import sitemaps as project_sitemaps

if "uslug" not in get_converters():  # this module is reloaded when a test swaps URLconfs
    register_converter(UnicodeSlugConverter, "uslug")

# RSS 2.0 and Atom for all news, a category, a language, a project and a donor's projects.
feed_patterns = [
    path("news/feed/rss/", feeds.LatestPostsFeed(), name="rss"),
    path("news/feed/atom/", feeds.LatestPostsAtomFeed(), name="atom"),
    path("news/feed/<str:language>/rss/", feeds.LanguageFeed(), name="language-rss"),
    path("news/feed/<str:language>/atom/", feeds.LanguageAtomFeed(), name="language-atom"),
    path("news/category/<uslug:slug>/feed/rss/", feeds.CategoryFeed(), name="category-rss"),
    path("news/category/<uslug:slug>/feed/atom/", feeds.CategoryAtomFeed(), name="category-atom"),
    path("projects/<slug:slug>/feed/rss/", feeds.ProjectFeed(), name="project-rss"),
    path("projects/<slug:slug>/feed/atom/", feeds.ProjectAtomFeed(), name="project-atom"),
    path("donors/<slug:slug>/feed/rss/", feeds.DonorFeed(), name="donor-rss"),
    path("donors/<slug:slug>/feed/atom/", feeds.DonorAtomFeed(), name="donor-atom"),
]

sitemaps = {
    "pages": post_sitemaps.StaticSitemap,
    "posts": post_sitemaps.PostSitemap,
    "categories": post_sitemaps.CategorySitemap,
    "projects": project_sitemaps.ProjectSitemap,
    "donors": project_sitemaps.DonorSitemap,
}

# Machine-read and staff addresses are the same in every language (no prefix); the public
# pages follow in ``i18n_patterns``.
urlpatterns = [
    path("", include((feed_patterns, "feeds"))),
    path("sitemap.xml", post_sitemaps.index, {"sitemaps": sitemaps}, name="sitemap"),
    path(
        "sitemap-<slug:section>.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap-section"
    ),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("markdownx/", include("posts.markdownx_urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# The public pages in each language: English (LANGUAGE_CODE) keeps the unprefixed addresses
# (/news/), Chinese gets a prefix (/zh-hans/news/). The prefix chooses the interface language.
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("news/", include("posts.urls")),
    path("", include("projects.urls")),
    prefix_default_language=False,
)

if settings.SERVE_MEDIA:
    # Uploaded files from local disk, for single-machine sites. Sites that keep media
    # on an S3-style store turn this off and serve media from there.
    from django.views.static import serve

    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    ]

if settings.BENCHMARK_VIEWS:
    from foundation import bench_views

    urlpatterns += [path("bench/bare/", bench_views.bare, name="bench-bare")]

handler404 = "foundation.views.page_not_found"
handler500 = "foundation.views.server_error"
