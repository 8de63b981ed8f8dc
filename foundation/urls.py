from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from foundation import views

urlpatterns = [
    path("", views.home, name="home"),
    path("news/", include("posts.urls")),
    path("", include("projects.urls")),
    path("markdownx/", include("posts.markdownx_urls")),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # Uploaded files from local disk, for single-machine sites. Sites that keep media
    # on an S3-style store turn this off and serve media from there.
    from django.views.static import serve

    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    ]

handler404 = "foundation.views.page_not_found"
handler500 = "foundation.views.server_error"
