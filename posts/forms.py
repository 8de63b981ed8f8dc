"""Forms behind the editors' admin: the post form and the editor's image uploads.

Every uploaded image, whether a post's hero image or a picture dropped into the Markdown
editor, must be a real raster image that Pillow decodes, in one of the formats browsers
show everywhere (JPEG, PNG, WebP, GIF), and no bigger than ``MAX_IMAGE_UPLOAD_SIZE``.
What the browser claims (file name, content type) is not trusted: the format Pillow
finds decides the stored extension. SVG is refused, because an SVG is a document that
can carry scripts.

``UploadedImageField`` refuses, each with its own message: a file over the size limit
(before anything decodes it), a file that is not an image (text named ``.jpg``, SVG), a
truncated image (it is decoded in full), and a decompression bomb (more pixels than
``MAX_IMAGE_UPLOAD_PIXELS``, whatever its size on disk). Pillow's
``DecompressionBombWarning`` is an error here, not a warning.
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
from PIL import Image as PILImage

from posts.models import Image, Post
from posts.slugs import has_chinese

# Pillow format name → (MIME type, file extension).
ALLOWED_IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}


def check_upload_size(upload):
    if upload.size > settings.MAX_IMAGE_UPLOAD_SIZE:
        raise ValidationError(
            _("The image is %(size)s; the largest allowed is %(max)s."),
            code="image_too_large",
            params={
                "size": filesizeformat(upload.size),
                "max": filesizeformat(settings.MAX_IMAGE_UPLOAD_SIZE),
            },
        )


def too_many_pixels(width, height):
    return ValidationError(
        _(
            "The image is %(width)s × %(height)s pixels; the most allowed is %(max)s "
            "megapixels. Scale it down before uploading."
        ),
        code="image_too_many_pixels",
        params={
            "width": width,
            "height": height,
            "max": settings.MAX_IMAGE_UPLOAD_PIXELS // 1_000_000,
        },
    )


class UploadedImageField(forms.ImageField):
    """``forms.ImageField`` that checks the size first, refuses decompression bombs and
    truncated files, and says which of these is wrong."""

    default_error_messages = {
        "truncated_image": _(
            "This image is damaged or incomplete (it could not be read to the end). "
            "Export it again and upload the new file."
        ),
    }

    def to_python(self, data):
        if data in self.empty_values:
            return None
        if hasattr(data, "size"):
            check_upload_size(data)  # before any decoding
        try:
            upload = super().to_python(data)
        except ValidationError as error:
            # Django's ImageField turns any Pillow failure into "invalid image"; a bomb
            # (more than twice Pillow's limit) deserves its own message.
            cause = error.__cause__
            if isinstance(cause, PILImage.DecompressionBombError):
                raise ValidationError(
                    _(
                        "The image has far too many pixels to be processed (at most "
                        "%(max)s megapixels). Scale it down before uploading."
                    ),
                    code="image_too_many_pixels",
                    params={"max": settings.MAX_IMAGE_UPLOAD_PIXELS // 1_000_000},
                ) from cause
            if cause is not None and not isinstance(cause, PILImage.UnidentifiedImageError):
                # Pillow knew the format but the data did not check out (a PNG cut short).
                raise ValidationError(
                    self.error_messages["truncated_image"], code="truncated_image"
                ) from cause
            raise
        if upload is None:
            return upload
        width, height = upload.image.size
        # Pillow only warns (DecompressionBombWarning) below twice its limit: an error here.
        if width * height > settings.MAX_IMAGE_UPLOAD_PIXELS:
            raise too_many_pixels(width, height)
        self._decode_fully(upload)
        return upload

    def _decode_fully(self, upload):
        """``Image.verify()`` does not read JPEG data: decode the whole image, so that a
        truncated file is refused now rather than failing when its renditions are made."""
        file = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload
        if hasattr(file, "seek"):
            file.seek(0)
        try:
            with PILImage.open(file) as image:
                image.load()
        except (OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as error:
            raise ValidationError(
                self.error_messages["truncated_image"], code="truncated_image"
            ) from error
        finally:
            if hasattr(upload, "seek"):
                upload.seek(0)


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
    check_upload_size(upload)
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
        field_classes = {"hero_image": UploadedImageField}

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

    image = UploadedImageField(
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
