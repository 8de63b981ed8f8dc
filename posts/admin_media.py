"""The media library's admin (``posts.Image``).

- The list shows thumbnails and finds images by title, alt text, caption, credit and file.
  Its "alt text: missing" filter finds the images still to describe (those dropped on the
  body editor arrive without alt text, ``posts.markdownx_urls``).
- Uploads go through ``posts.forms.UploadedImageField`` and ``validate_uploaded_image`` (a
  real, complete JPEG, PNG, WebP or GIF, not too big), as every other upload of the site does.
- The change page lists the posts that show the image ("used in").
- Deleting an image that posts show, one or several at once, first lists those posts on the
  confirmation page: their pages would show a broken image, because deleting an image
  also removes its file (once the deletion is committed).
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from foundation.admin import PublicContentAdmin
from posts.forms import UploadedImageField, validate_uploaded_image
from posts.models import Image


class ImageAdminForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = ("file", "title", "alt_text", "caption", "credit")
        field_classes = {"file": UploadedImageField}  # size, pixels and truncation checks

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):  # a new upload; an unchanged file is a FieldFile
            validate_uploaded_image(upload)
        return upload


class AltTextFilter(admin.SimpleListFilter):
    title = _("alt text")
    parameter_name = "alt"

    def lookups(self, request, model_admin):
        return (("missing", _("missing")), ("written", _("written")))

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(alt_text="")
        if self.value() == "written":
            return queryset.exclude(alt_text="")
        return queryset


def thumbnail_html(image, width):
    if not image.file:
        return ""
    return format_html(
        '<img src="{}" alt="{}" width="{}" loading="lazy" '
        'style="height:auto;max-width:100%;border-radius:4px">',
        image.file.url,
        image.alt_text,
        width,
    )


@admin.register(Image)
class ImageAdmin(PublicContentAdmin):
    form = ImageAdminForm
    list_display = (
        "thumbnail",
        "title",
        "alt_text_or_missing",
        "size",
        "credit",
        "uploaded_by",
        "uploaded_at",
    )
    list_display_links = ("thumbnail", "title")
    search_fields = ("title", "alt_text", "caption", "credit", "file")
    list_filter = (AltTextFilter,)
    date_hierarchy = "uploaded_at"
    readonly_fields = ("preview", "size", "file_url", "used_in", "uploaded_by", "uploaded_at")
    list_per_page = 60
    actions = ("delete_selected",)

    def get_fieldsets(self, request, obj=None):
        fields = ["file", "title", "alt_text", "caption", "credit"]
        if obj is None:
            return ((None, {"fields": fields}),)
        return (
            (None, {"fields": ["preview", "size", "file_url", *fields]}),
            (_("Used in"), {"fields": ("used_in",)}),
            (_("Uploaded"), {"fields": ("uploaded_by", "uploaded_at")}),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("image"))
    def thumbnail(self, image):
        return thumbnail_html(image, 80)

    @admin.display(description=_("alt text"), ordering="alt_text")
    def alt_text_or_missing(self, image):
        if image.alt_text:
            return image.alt_text
        return format_html("<strong>{}</strong>", _("No alt text yet."))

    @admin.display(description=_("preview"))
    def preview(self, image):
        return thumbnail_html(image, 320)

    @admin.display(description=_("size"))
    def size(self, image):
        return f"{image.width}×{image.height} px" if image.width else "—"

    @admin.display(description=_("address"))
    def file_url(self, image):
        return format_html(
            "<code>{}</code><br>{} <code>![{}]({})</code>",
            image.file.url,
            _("In a post's body:"),
            image.alt_text,
            image.file.url,
        )

    @admin.display(description=_("posts showing it"))
    def used_in(self, image):
        posts = image.posts_using().only("title", "slug", "language")
        if not posts:
            return _("No post shows this image.")
        return format_html("<ul>{}</ul>", _post_links(posts))

    # --- deleting: say which posts would break, then remove the files ----------------------

    def delete_model(self, request, obj):
        names = [obj.file.name]
        super().delete_model(request, obj)
        _delete_files_on_commit(names)

    def delete_queryset(self, request, queryset):
        names = [name for name in queryset.values_list("file", flat=True) if name]
        super().delete_queryset(request, queryset)
        _delete_files_on_commit(names)

    def render_delete_form(self, request, context):
        obj = context.get("object")
        context["images_in_use"] = Image.posts_using_any([obj]) if obj is not None else {}
        return super().render_delete_form(request, context)

    @admin.action(permissions=["delete"], description=_("Delete selected images"))
    def delete_selected(self, request, queryset):
        response = django_delete_selected(self, request, queryset)
        if isinstance(response, TemplateResponse):  # the confirmation page, not yet rendered
            response.context_data["images_in_use"] = Image.posts_using_any(queryset)
        return response


def _delete_files_on_commit(names):
    """Remove the deleted images' files once the deletion is committed (explicit I/O)."""

    def delete():
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


def _post_links(posts):
    return format_html_join(
        "",
        '<li><a href="{}">{}</a> (<a href="{}">{}</a>)</li>',
        (
            (
                reverse("admin:posts_post_change", args=[post.pk]),
                post.title,
                post.get_absolute_url(),
                _("on the site"),
            )
            for post in posts
        ),
    )
