"""django-markdownx's preview and upload endpoints, for editors only.

markdownx's own URLconf lets anyone render Markdown and upload images. Here both need a
logged-in staff user who may add or change posts (or projects, whose descriptions use the
same editor). Uploads must be real JPEG, PNG, WebP or GIF images
(``posts.forms.MarkdownImageForm``): markdownx alone trusts the browser's content type.
Each uploaded image is recorded in the media library (``posts.Image``) without alt text,
and the editor gets ``![](url)``: an empty alt, which the pre-publish check and the save's
warning name (never a file name passed off as a description). The answer also carries the
image's ``describe_url`` (``posts.admin_picker``): on a post's page the editor's script then
shows a note above the editor offering to describe it, and replaces the Markdown with the
described image once the editor has. Images
still without alt text are listed by the library's "alt text: missing" filter.
"""

from functools import wraps
from pathlib import PurePath

from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import NoReverseMatch, path, reverse
from markdownx.views import ImageUploadView, MarkdownifyView

from posts.forms import MarkdownImageForm
from posts.models import Image


def may_edit_markdown(user):
    return user.is_active and user.is_staff and (
        user.has_perm("posts.change_post")
        or user.has_perm("posts.add_post")
        or user.has_perm("projects.change_project")
    )


def editor_required(view):
    """Anonymous visitors go to the login page; a signed-in user who may not edit gets 403."""
    login_required = user_passes_test(lambda user: user.is_authenticated)

    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.user.is_authenticated and not may_edit_markdown(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(checked)


class PreviewView(MarkdownifyView):
    """markdownx's preview, answering 400 rather than 500 when there is no content."""

    def post(self, request, *args, **kwargs):
        if "content" not in request.POST:
            return HttpResponseBadRequest("Send the Markdown as the 'content' field.")
        return super().post(request, *args, **kwargs)


class UploadView(ImageUploadView):
    """markdownx's upload, storing under the name the storage actually gave the file (markdownx
    ignores a rename) and recording the image in the library."""

    form_class = MarkdownImageForm

    def form_valid(self, form):
        if self.request.headers.get("x-requested-with") != "XMLHttpRequest":
            return super().form_valid(form)
        upload = form.save(commit=False)
        name = default_storage.save(upload.path, upload.image)
        image = Image.objects.create(
            file=name,
            title=PurePath(form.files["image"].name).stem[:200] or name,
            uploaded_by=self.request.user,
        )
        return JsonResponse(
            {
                "image_code": f"![]({image.file.url})",
                "image": {
                    "id": image.pk,
                    "title": image.title,
                    "url": image.file.url,
                    "describe_url": describe_url(image),
                },
            }
        )


def describe_url(image):
    """Where the post editor's picker sends the alt text of ``image`` (posts.admin_picker)."""
    try:
        return reverse("admin:posts_post_image_describe", args=[image.pk])
    except NoReverseMatch:  # the admin is not installed under that name
        return ""


urlpatterns = [
    path(
        "upload/",
        editor_required(UploadView.as_view()),
        name="markdownx_upload",
    ),
    path(
        "markdownify/", editor_required(PreviewView.as_view()), name="markdownx_markdownify"
    ),
]
