"""Forms behind the editors' admin: the post form and the editor's image uploads.

Every uploaded image, whether a post's hero image or a picture dropped into the Markdown
editor, must be a real raster image that Pillow decodes, in one of the formats browsers
show everywhere (JPEG, PNG, WebP, GIF), and no bigger than ``MAX_IMAGE_UPLOAD_SIZE``.
What the browser claims (file name, content type) is not trusted: the format Pillow
finds decides the stored extension. SVG is refused, because an SVG is a document that
can carry scripts.
"""

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from markdownx.forms import ImageForm

from posts.models import Image, Post
from posts.slugs import has_chinese

# Pillow format name → (MIME type, file extension).
ALLOWED_IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}


def validate_uploaded_image(upload):
    """Check an upload that ``forms.ImageField`` has already decoded with Pillow.

    ``forms.ImageField`` refuses files Pillow cannot open (text, SVG, truncated files) and
    leaves the decoded image on ``upload.image``. Here the format and the size are checked,
    the content type is set from what Pillow found, and the file name gets the matching
    extension. Returns the upload.
    """
    image_format = getattr(getattr(upload, "image", None), "format", None)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            _("Upload a JPEG, PNG, WebP or GIF image (this file is %(format)s)."),
            code="invalid_image_format",
            params={"format": image_format or _("not an image")},
        )
    if upload.size > settings.MAX_IMAGE_UPLOAD_SIZE:
        raise ValidationError(
            _("The image is %(size)s; the largest allowed is %(max)s."),
            code="image_too_large",
            params={
                "size": filesizeformat(upload.size),
                "max": filesizeformat(settings.MAX_IMAGE_UPLOAD_SIZE),
            },
        )
    content_type, extension = ALLOWED_IMAGE_FORMATS[image_format]
    upload.content_type = content_type
    stem = PurePath(upload.name or "image").stem or "image"
    upload.name = f"{stem}.{extension}"
    return upload


class PostAdminForm(forms.ModelForm):
    """The post form: body, hero image and the rest; never the rendered HTML."""

    class Meta:
        model = Post
        # Never body_html or excerpt: both are derived from the body on save.
        fields = (
            "title",
            "slug",
            "status",
            "publish_at",
            "expire_at",
            "language",
            "translation_of",
            "author",
            "author_name",
            "summary",
            "body",
            "hero_image",
            "hero_image_alt",
            "hero_image_caption",
            "hero_focal_x",
            "hero_focal_y",
            "categories",
            "projects",
            "extras",
        )

    library_image = forms.ModelChoiceField(
        Image.objects.all(),
        required=False,
        label=_("or choose from the library"),
        help_text=_("Instead of uploading: a described image of the media library. Its alt text "
                    "and caption fill the empty fields below."),
    )

    def clean(self):
        cleaned_data = super().clean()
        chosen = cleaned_data.get("library_image")
        if chosen is None:
            return cleaned_data
        if isinstance(cleaned_data.get("hero_image"), UploadedFile):
            self.add_error("library_image",
                           _("Upload a hero image or choose one from the library, not both."))
            return cleaned_data
        cleaned_data["hero_image"] = chosen.file.name
        if not (cleaned_data.get("hero_image_alt") or "").strip():
            cleaned_data["hero_image_alt"] = chosen.alt_text
        if not (cleaned_data.get("hero_image_caption") or "").strip():
            cleaned_data["hero_image_caption"] = chosen.caption
        return cleaned_data

    def clean_slug(self):
        """An empty slug is made from the title when the post is saved (``Post.fill_slug``,
        pinyin for Chinese). So is the one the admin's script typed for a new post's Chinese
        title: it keeps only the Latin letters and digits ("开源 2023 峰会" → "2023")."""
        slug = self.cleaned_data.get("slug", "")
        title = self.data.get(self.add_prefix("title"), "")
        if self.instance.pk is None and has_chinese(title) and slug == slugify(title):
            return ""
        return slug

    def clean_hero_image(self):
        image = self.cleaned_data.get("hero_image")
        if isinstance(image, UploadedFile):  # a new upload; an unchanged image is a FieldFile
            validate_uploaded_image(image)
        return image

    def clean_hero_focal_x(self):
        # An empty focal point is the centre of the image.
        value = self.cleaned_data.get("hero_focal_x")
        return 0.5 if value is None else value

    def clean_hero_focal_y(self):
        value = self.cleaned_data.get("hero_focal_y")
        return 0.5 if value is None else value

    def clean_extras(self):
        # An emptied box means "no extras", not NULL.
        extras = self.cleaned_data.get("extras")
        return {} if extras in (None, "") else extras


class MarkdownImageForm(ImageForm):
    """markdownx's upload form, with the image decoded and checked before it is stored."""

    image = forms.ImageField(
        error_messages={
            "invalid_image": _(
                "This file is not an image that can be shown on the site. "
                "Upload a JPEG, PNG, WebP or GIF image."
            )
        }
    )

    def clean_image(self):
        return validate_uploaded_image(self.cleaned_data["image"])

    def clean(self):
        if "image" not in self.cleaned_data:
            return self.cleaned_data  # the field error says why
        return super().clean()
