"""The body editor's image picker: put a library image into a post's body, or upload one.

On a post's add and change pages, "Insert image from the library" beside the Markdown
editor opens a dialog (drawn by ``templates/admin/posts/post/image_picker.html``, driven by
``static/posts/admin/image-picker.js``: no inline script, the site's CSP forbids it).

- ``image-picker/`` lists the library, newest first, searched by title, alt text and
  caption, a page at a time: an HTML fragment, from two queries (count and page) whatever
  the page size.
- ``image-picker/upload/`` adds an image to the library, validated exactly like the
  library's own uploads (``posts.admin_media.ImageAdminForm``), and answers its Markdown.
- ``image-picker/<id>/describe/`` gives an image its alt text, caption and credit, then
  answers its Markdown. Images dropped on the editor arrive without alt text
  (``posts.markdownx_urls``); the dialog asks for it right after the drop.

The Markdown (``image_markdown``) is ``![alt](url)`` for an image without caption or credit,
and otherwise the old site's centred image with a ``<center>`` caption, which
``posts.markup`` renders as ``<figure>``/``<figcaption>``.

Who may use it: staff who may add or change posts and view the library; uploading also
needs ``add_image``; describing needs ``change_image``, except for an image one uploaded
oneself that has no alt text yet (an author describing the picture they just dropped).
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

from posts.admin_media import ImageAdminForm
from posts.models import Image

PICKER_PAGE_SIZE = 12


def _one_line(text):
    return " ".join((text or "").split())


def _markdown_url(url):
    # Storage names have no spaces or parentheses, but a URL must never end the link early.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def image_markdown(image):
    """The Markdown that shows ``image`` in a post's body, with its alt text, caption and
    credit (the last two in a ``<figure>``, as ``posts.markup`` renders the old site's
    centred image followed by a ``<center>`` caption)."""
    url = _markdown_url(image.file.url)
    alt = _one_line(image.alt_text)
    caption, credit = _one_line(image.caption), _one_line(image.credit)
    if not (caption or credit):
        escaped = alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        return f"![{escaped}]({url})"
    figcaption = " ".join(
        part
        for part in (escape(caption), f"<small>{escape(credit)}</small>" if credit else "")
        if part
    )
    return (
        f'<div align="center"><img src="{escape(url)}" alt="{escape(alt)}"></div>\n'
        f"<center>{figcaption}</center>"
    )


def search_images(query):
    """Library images whose title, alt text or caption contain ``query``, newest first."""
    images = Image.objects.only(
        "file", "title", "alt_text", "caption", "credit", "width", "height", "uploaded_by"
    )
    query = query.strip()
    if query:
        images = images.filter(
            Q(title__icontains=query) | Q(alt_text__icontains=query) | Q(caption__icontains=query)
        )
    return images.order_by("-uploaded_at", "-id")


class ImageDescriptionForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = ("alt_text", "caption", "credit")


class PostImagePickerAdminMixin:
    """The picker's URLs and views, for the post admin."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "image-picker/",
                view(require_GET(self.image_picker_view)),
                name=f"{prefix}_image_picker",
            ),
            path(
                "image-picker/upload/",
                view(require_POST(self.image_picker_upload_view)),
                name=f"{prefix}_image_picker_upload",
            ),
            path(
                "image-picker/<int:image_id>/describe/",
                view(require_POST(self.image_picker_describe_view)),
                name=f"{prefix}_image_describe",
            ),
            *super().get_urls(),
        ]

    # --- who may -----------------------------------------------------------------------

    def _image_admin(self):
        return self.admin_site.get_model_admin(Image)

    def may_pick_images(self, request):
        return (
            self.has_add_permission(request) or self.has_change_permission(request)
        ) and self._image_admin().has_view_permission(request)

    def may_upload_images(self, request):
        return self.may_pick_images(request) and self._image_admin().has_add_permission(request)

    def may_describe_image(self, request, image):
        if not self.may_pick_images(request):
            return False
        if self._image_admin().has_change_permission(request, image):
            return True
        return image.uploaded_by_id == request.user.pk and not image.alt_text

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if self.may_pick_images(request):
            context["image_picker"] = {
                "list_url": self._picker_url("image_picker"),
                "upload_url": (
                    self._picker_url("image_picker_upload")
                    if self.may_upload_images(request)
                    else ""
                ),
                "upload_form": ImageAdminForm(auto_id="image-upload-%s"),
                "describe_form": ImageDescriptionForm(auto_id="image-describe-%s"),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _picker_url(self, name, *args):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def picker_image_data(self, image):
        return {
            "id": image.pk,
            "title": image.title,
            "alt_text": image.alt_text,
            "url": image.file.url,
            "width": image.width,
            "height": image.height,
            "markdown": image_markdown(image),
        }

    # --- views -------------------------------------------------------------------------

    def image_picker_view(self, request):
        """A page of library images, as the HTML fragment the dialog shows."""
        if not self.may_pick_images(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()
        page = Paginator(search_images(query), PICKER_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [
            {
                "image": image,
                "markdown": image_markdown(image),
                "describe_url": (
                    self._picker_url("image_describe", image.pk)
                    if not image.alt_text and self.may_describe_image(request, image)
                    else ""
                ),
            }
            for image in page
        ]
        return TemplateResponse(
            request,
            "admin/posts/post/image_picker_results.html",
            {"page": page, "rows": rows, "query": query},
        )

    def image_picker_upload_view(self, request):
        """Add an upload to the library; answer its Markdown, or the form's errors (400)."""
        if not self.may_upload_images(request):
            raise PermissionDenied
        form = ImageAdminForm(request.POST, request.FILES)
        if not form.is_valid():
            return _errors_response(form)
        image = form.save(commit=False)
        image.uploaded_by = request.user
        image.save()
        return JsonResponse({"image": self.picker_image_data(image)}, status=201)

    def image_picker_describe_view(self, request, image_id):
        """Give a library image its alt text, caption and credit; answer its Markdown."""
        image = get_object_or_404(Image, pk=image_id)
        if not self.may_describe_image(request, image):
            raise PermissionDenied
        form = ImageDescriptionForm(request.POST, instance=image)
        if not form.is_valid():
            return _errors_response(form)
        image = form.save()
        return JsonResponse({"image": self.picker_image_data(image)})


def _errors_response(form):
    """The form's errors as ``{"errors": [{"field", "label", "message"}]}``, status 400."""
    errors = []
    for name, messages in form.errors.items():
        label = str(form.fields[name].label) if name in form.fields else ""
        errors += [{"field": name, "label": label, "message": str(m)} for m in messages]
    return JsonResponse({"errors": errors}, status=400)
