"""django-markdownx's preview and upload endpoints, for editors only.

markdownx's own URLconf lets anyone render Markdown and upload images. Here both need a
logged-in staff user who may add or change posts (or projects, whose descriptions use the
same editor). Uploads must be real JPEG, PNG, WebP or GIF images
(``posts.forms.MarkdownImageForm``): markdownx alone trusts the browser's content type.
"""

from django.contrib.auth.decorators import user_passes_test
from django.http import HttpResponseBadRequest
from django.urls import path
from markdownx.views import ImageUploadView, MarkdownifyView

from posts.forms import MarkdownImageForm


def may_edit_markdown(user):
    return user.is_active and user.is_staff and (
        user.has_perm("posts.change_post")
        or user.has_perm("posts.add_post")
        or user.has_perm("projects.change_project")
    )


editor_required = user_passes_test(may_edit_markdown)


class PreviewView(MarkdownifyView):
    """markdownx's preview, answering 400 rather than 500 when there is no content."""

    def post(self, request, *args, **kwargs):
        if "content" not in request.POST:
            return HttpResponseBadRequest("Send the Markdown as the 'content' field.")
        return super().post(request, *args, **kwargs)


urlpatterns = [
    path(
        "upload/",
        editor_required(ImageUploadView.as_view(form_class=MarkdownImageForm)),
        name="markdownx_upload",
    ),
    path(
        "markdownify/", editor_required(PreviewView.as_view()), name="markdownx_markdownify"
    ),
]
