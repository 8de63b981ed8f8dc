"""django-markdownx's preview and upload endpoints, for editors only.

markdownx's own URLconf lets anyone render Markdown and upload images. Here both need a
logged-in staff user who may add or change posts (or projects, whose descriptions use the
same editor).
"""

from django.contrib.auth.decorators import user_passes_test
from django.urls import path
from markdownx.views import ImageUploadView, MarkdownifyView


def may_edit_markdown(user):
    return user.is_active and user.is_staff and (
        user.has_perm("posts.change_post")
        or user.has_perm("posts.add_post")
        or user.has_perm("projects.change_project")
    )


editor_required = user_passes_test(may_edit_markdown)

urlpatterns = [
    path("upload/", editor_required(ImageUploadView.as_view()), name="markdownx_upload"),
    path(
        "markdownify/", editor_required(MarkdownifyView.as_view()), name="markdownx_markdownify"
    ),
]
