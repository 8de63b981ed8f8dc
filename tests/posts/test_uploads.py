"""Hostile and broken uploads, through both doors an editor has: the post's hero image in the
admin, and the Markdown editor's upload endpoint (markdownx). Each is refused with an error
that says what is wrong, and nothing is half-saved: no post row changes, no file is left in
MEDIA_ROOT, no library entry appears."""

import json
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from foundation.factories import image_bytes, make_post
from posts.models import Image, Post
from tests.posts.test_admin import post_form_data

pytestmark = pytest.mark.django_db


def png_of_size(width, height):
    """A one-colour 1-bit PNG of any dimensions, built row by row: a few kilobytes on disk
    however many pixels it claims (a decompression bomb when they are many)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + a row of black pixels
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    idat = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def truncated(data):
    return data[: len(data) // 2]


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><rect width="10" height="10" onload="alert(1)"/>'
    b"</svg>"
)

# (id, file name, content type, bytes factory, the error the hero field shows, the error the
# editor's upload shows)
CASES = [
    (
        "text-named-jpg", "photo.jpg", "image/jpeg",
        lambda: b"Minutes of the board meeting, not a photo.\n" * 50,
        "Upload a valid image", "not an image that can be shown on the site",
    ),
    (
        "truncated-jpeg", "photo.jpg", "image/jpeg",
        lambda: truncated(image_bytes(size=(1200, 800), text="cut short")),
        "damaged or incomplete", "damaged or incomplete",
    ),
    (
        "truncated-png", "photo.png", "image/png",
        lambda: truncated(image_bytes(size=(600, 400), text="cut short", fmt="PNG")),
        "damaged or incomplete", "damaged or incomplete",
    ),
    (
        # 400 megapixels in a few kilobytes: Pillow refuses to open it at all.
        "bomb-20000x20000", "huge.png", "image/png",
        lambda: png_of_size(20000, 20000),
        "far too many pixels", "far too many pixels",
    ),
    (
        # 100 megapixels: Pillow only *warns* (DecompressionBombWarning); refused all the same.
        "bomb-10000x10000", "huge.png", "image/png",
        lambda: png_of_size(10000, 10000),
        "10000 × 10000 pixels", "10000 × 10000 pixels",
    ),
    (
        # Below Pillow's limit but above ours (40 megapixels).
        "too-many-pixels-9000x5000", "wide.png", "image/png",
        lambda: png_of_size(9000, 5000),
        "the most allowed is 40 megapixels", "the most allowed is 40 megapixels",
    ),
    (
        # 50 MB: refused by its size before anything decodes it (it is not even an image,
        # yet the error is about the size).
        "50-megabytes", "scan.jpg", "image/jpeg",
        lambda: b"\xff\xd8\xff\xe0" + b"\x00" * (50 * 1024 * 1024),
        "the largest allowed is 10.0\xa0MB", "the largest allowed is 10.0\xa0MB",
    ),
    (
        "svg-with-script", "logo.svg", "image/svg+xml",
        lambda: SVG_WITH_SCRIPT,
        "Upload a valid image", "not an image that can be shown on the site",
    ),
    (
        "svg-with-script-named-png", "logo.png", "image/png",
        lambda: SVG_WITH_SCRIPT,
        "Upload a valid image", "not an image that can be shown on the site",
    ),
]  # fmt: skip


def cases(column):
    return pytest.mark.parametrize(
        ("name", "content_type", "make", "message"),
        [pytest.param(c[1], c[2], c[3], c[column], id=c[0]) for c in CASES],
    )


def files_in(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()]


@cases(4)
def test_new_post_with_a_bad_hero_image_is_refused_and_nothing_saved(
    client, editor, media_root, name, content_type, make, message
):
    client.force_login(editor)
    upload = SimpleUploadedFile(name, make(), content_type=content_type)
    response = client.post(
        reverse("admin:posts_post_add"),
        post_form_data(hero_image=upload, hero_image_alt="What the picture shows"),
    )

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["hero_image"])
    assert message in errors
    assert message in response.content.decode()  # shown to the editor on the page
    assert not Post.objects.exists()
    assert files_in(media_root) == []


@cases(4)
def test_changing_a_post_to_a_bad_hero_image_changes_nothing(
    client, editor, media_root, name, content_type, make, message
):
    post = make_post("Keeps its picture", hero=True)
    before = Post.objects.values().get(pk=post.pk)
    stored = sorted(files_in(media_root))
    client.force_login(editor)
    data = post_form_data(
        title="A new title that must not be saved",
        slug=post.slug,
        hero_image=SimpleUploadedFile(name, make(), content_type=content_type),
        hero_image_alt="What the picture shows",
    )

    response = client.post(reverse("admin:posts_post_change", args=[post.pk]), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["hero_image"])
    assert Post.objects.values().get(pk=post.pk) == before
    assert sorted(files_in(media_root)) == stored


@cases(5)
def test_editor_upload_refuses_a_bad_image_with_a_clear_error(
    client, editor, media_root, name, content_type, make, message
):
    client.force_login(editor)
    response = client.post(
        reverse("markdownx_upload"),
        {"image": SimpleUploadedFile(name, make(), content_type=content_type)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )

    assert response.status_code == 400
    errors = json.loads(response.content)
    assert message in " ".join(errors["image"])
    assert files_in(media_root) == []
    assert not Image.objects.exists()


def test_a_sound_image_still_goes_through_both_doors(client, editor, media_root):
    """The checks above refuse the bad files, not good ones: a full-size photo passes."""
    client.force_login(editor)
    response = client.post(
        reverse("admin:posts_post_add"),
        post_form_data(
            hero_image=SimpleUploadedFile("photo.jpg", image_bytes(size=(2400, 1600))),
            hero_image_alt="The signing ceremony",
        ),
    )
    assert response.status_code == 302
    assert Post.objects.get().hero_image_width == 2400

    response = client.post(
        reverse("markdownx_upload"),
        {"image": SimpleUploadedFile("wide.png", png_of_size(6000, 4000), "image/png")},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert json.loads(response.content)["image_code"].startswith("![](/media/")
