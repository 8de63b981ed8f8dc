"""The body editor's image picker (posts/admin_picker.py): who may use it, search, pages, a
fixed number of queries, uploads validated like the library's, CSRF, the Markdown it
inserts, and images dropped on the editor being described afterwards."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.factories import image_bytes, image_file, make_post
from posts.admin_picker import PICKER_PAGE_SIZE, image_markdown
from posts.markup import render_markdown
from posts.models import Image
from tests.conftest import grant
from tests.posts.test_workflow import make_user

pytestmark = pytest.mark.django_db

LIST = "admin:posts_post_image_picker"
UPLOAD = "admin:posts_post_image_picker_upload"
DESCRIBE = "admin:posts_post_image_describe"


def make_image(title, alt_text="", caption="", credit="", age_minutes=0, uploaded_by=None):
    return Image.objects.create(
        file=image_file(f"{title.lower().replace(' ', '-')}.jpg", size=(320, 200)),
        title=title,
        alt_text=alt_text,
        caption=caption,
        credit=credit,
        uploaded_by=uploaded_by,
        uploaded_at=timezone.now() - timedelta(minutes=age_minutes),
    )


def upload_data(**overrides):
    data = {
        "file": SimpleUploadedFile(
            "stage.png", image_bytes(size=(640, 400), fmt="PNG"), content_type="image/png"
        ),
        "title": "Stage",
        "alt_text": "Two people sign an agreement on stage",
        "caption": "",
        "credit": "",
    }
    data.update(overrides)
    return data


def media_files(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()]


# --- on the post's page ---------------------------------------------------------------------


def test_post_page_offers_the_picker_to_editors(client, editor):
    post = make_post("Needs pictures")
    client.force_login(editor)
    page = client.get(reverse("admin:posts_post_change", args=[post.pk])).content.decode()
    assert "Insert image from the library" in page
    assert '<dialog id="image-picker"' in page
    assert reverse(LIST) in page and reverse(UPLOAD) in page
    assert "posts/admin/image-picker.js" in page  # a file: the CSP forbids inline script
    add_page = client.get(reverse("admin:posts_post_add")).content.decode()
    assert '<dialog id="image-picker"' in add_page


def test_post_page_has_no_picker_for_who_may_not_view_the_library(client, staff_without_permission):
    writer = grant(staff_without_permission, "posts.add_post", "posts.change_post")
    client.force_login(writer)
    page = client.get(reverse("admin:posts_post_add")).content.decode()
    assert "Insert image from the library" not in page
    assert '<dialog id="image-picker"' not in page


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("permissions", "status"),
    [
        ((), 403),
        (("posts.change_post",), 403),  # may write, but not see the library
        (("posts.view_image",), 403),  # may see the library, but not write posts
        (("posts.change_post", "posts.view_image"), 200),
        (("posts.add_post", "posts.view_image"), 200),
    ],
)
def test_listing_needs_post_and_library_permissions(
    client, staff_without_permission, permissions, status
):
    make_image("Stage", "A stage")
    user = grant(staff_without_permission, *permissions)
    client.force_login(user)
    assert client.get(reverse(LIST)).status_code == status


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    image = make_image("Stage")
    for response in (
        client.get(reverse(LIST)),
        client.post(reverse(UPLOAD), upload_data()),
        client.post(reverse(DESCRIBE, args=[image.pk]), {"alt_text": "x"}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert Image.objects.count() == 1
    image.refresh_from_db()
    assert image.alt_text == ""


def test_uploading_needs_add_image(client, staff_without_permission, media_root):
    viewer = grant(staff_without_permission, "posts.change_post", "posts.view_image")
    client.force_login(viewer)
    assert client.post(reverse(UPLOAD), upload_data()).status_code == 403
    assert not Image.objects.exists() and not media_files(media_root)
    page = client.get(reverse("admin:posts_post_add")).content.decode()
    assert "Upload a new image" not in page  # the dialog offers only what the user may do


def test_authors_pick_and_upload_but_describe_only_their_own_undescribed_images(client):
    author = make_user("writer", "Authors")
    someone = make_user("other-writer", "Authors")
    own = make_image("Own drop", uploaded_by=author)
    theirs = make_image("Their drop", uploaded_by=someone)
    client.force_login(author)
    assert client.get(reverse(LIST)).status_code == 200
    assert client.post(reverse(UPLOAD), upload_data()).status_code == 201
    refused = client.post(reverse(DESCRIBE, args=[theirs.pk]), {"alt_text": "Not mine"})
    assert refused.status_code == 403
    described = client.post(reverse(DESCRIBE, args=[own.pk]), {"alt_text": "A crowded hall"})
    assert described.status_code == 200
    # Once described, changing the description is the Editors' job (change_image).
    again = client.post(reverse(DESCRIBE, args=[own.pk]), {"alt_text": "Something else"})
    assert again.status_code == 403
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert (own.alt_text, theirs.alt_text) == ("A crowded hall", "")


def test_only_post_requests_change_anything(client, editor):
    image = make_image("Stage")
    client.force_login(editor)
    assert client.get(reverse(UPLOAD)).status_code == 405
    assert client.get(reverse(DESCRIBE, args=[image.pk]), {"alt_text": "x"}).status_code == 405
    assert client.post(reverse(LIST)).status_code == 405


# --- listing: search, order, pages, queries ---------------------------------------------------


def test_lists_thumbnail_title_alt_text_and_size_newest_first(client, editor):
    old = make_image("Old hall", "An empty hall", age_minutes=60)
    new = make_image("New stage", "People on a stage", caption="Opening", age_minutes=1)
    client.force_login(editor)
    page = client.get(reverse(LIST)).content.decode()
    assert page.index("New stage") < page.index("Old hall")
    for image in (old, new):
        assert image.file.url in page
        assert image.alt_text in page
    assert "320×200 px" in page
    assert "2 images in the library." in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("stage", {"Stage"}),  # title
        ("LANTERN", {"Lanterns"}),  # alt text, any case
        ("ribbon", {"Ceremony"}),  # caption
        ("press office", set()),  # the credit is not searched
        ("", {"Stage", "Lanterns", "Ceremony"}),
    ],
)
def test_search_by_title_alt_text_or_caption(client, editor, query, found):
    make_image("Stage", "Two people on a podium", credit="Press office")
    make_image("Lanterns", "Red lanterns over a street")
    make_image("Ceremony", "Hands shaking", caption="Cutting the ribbon")
    client.force_login(editor)
    response = client.get(reverse(LIST), {"q": query})
    shown = {
        title
        for title in ("Stage", "Lanterns", "Ceremony")
        if f'class="image-picker-title">{title}<' in response.content.decode()
    }
    assert shown == found
    if not found:
        assert "No image matches “press office”." in response.content.decode()


def test_pages_of_images(client, editor):
    for number in range(PICKER_PAGE_SIZE + 3):
        make_image(f"Photo {number:02d}", "A photo", age_minutes=number)
    client.force_login(editor)
    first = client.get(reverse(LIST)).content.decode()
    assert first.count("data-picker-insert") == PICKER_PAGE_SIZE
    assert "Photo 00" in first and f"Photo {PICKER_PAGE_SIZE:02d}" not in first
    assert "Page 1 of 2" in first and 'data-picker-page="2"' in first
    second = client.get(reverse(LIST), {"page": 2}).content.decode()
    assert second.count("data-picker-insert") == 3
    assert f"Photo {PICKER_PAGE_SIZE + 2:02d}" in second and "Photo 00" not in second
    assert 'data-picker-page="1"' in second
    beyond = client.get(reverse(LIST), {"page": 99}).content.decode()
    assert beyond == second  # past the end: the last page


def count_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    return len(queries)


def test_listing_runs_the_same_queries_for_10_or_50_images(client, editor):
    author = make_user("writer", "Authors")
    for number in range(10):
        make_image(f"Photo {number}", "" if number % 2 else "A photo", uploaded_by=author)
    client.force_login(editor)
    with_10 = count_queries(client), count_queries(client, q="photo", page="1")
    for number in range(10, 50):
        make_image(f"Photo {number}", "" if number % 2 else "A photo", uploaded_by=author)
    with_50 = count_queries(client), count_queries(client, q="photo", page="2")
    assert with_10 == with_50


# --- uploading --------------------------------------------------------------------------------


def test_upload_saves_to_the_library_and_answers_the_markdown(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse(UPLOAD), upload_data(caption="At the signing", credit="Press office")
    )
    assert response.status_code == 201
    image = Image.objects.get()
    assert image.uploaded_by == editor
    assert (image.width, image.height) == (640, 400)
    assert (image.alt_text, image.caption, image.credit) == (
        "Two people sign an agreement on stage",
        "At the signing",
        "Press office",
    )
    data = json.loads(response.content)["image"]
    assert data["markdown"] == image_markdown(image)
    html = render_markdown(data["markdown"])
    assert f'<img src="{image.file.url}" alt="Two people sign an agreement on stage"' in html
    assert "<figcaption>At the signing <small>Press office</small></figcaption>" in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"file": SimpleUploadedFile("notes.jpg", b"just some text", "image/jpeg")},
            "file",
            "Upload a valid image",
        ),
        (
            {
                "file": SimpleUploadedFile(
                    "logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"
                )
            },
            "file",
            "Upload a valid image",
        ),
        ({"alt_text": ""}, "alt_text", "This field is required."),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_uploads_say_why_and_save_nothing(client, editor, media_root, changes, field, message):
    client.force_login(editor)
    response = client.post(reverse(UPLOAD), upload_data(**changes))
    assert response.status_code == 400
    errors = json.loads(response.content)["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    assert not Image.objects.exists()
    assert not media_files(media_root)


def test_oversized_upload_is_refused(client, editor, settings, media_root):
    settings.MAX_IMAGE_UPLOAD_SIZE = 1000
    client.force_login(editor)
    response = client.post(reverse(UPLOAD), upload_data())
    assert response.status_code == 400
    assert "the largest allowed is" in response.content.decode()
    assert not Image.objects.exists() and not media_files(media_root)


def test_upload_and_describe_need_the_csrf_token(editor):
    image = make_image("Dropped", uploaded_by=editor)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert browser.post(reverse(UPLOAD), upload_data()).status_code == 403
    assert browser.post(reverse(DESCRIBE, args=[image.pk]), {"alt_text": "x"}).status_code == 403
    assert not Image.objects.exclude(pk=image.pk).exists()

    # The page's token, sent as the header the dialog's script sends, is accepted.
    browser.get(reverse("admin:posts_post_add"))
    token = browser.cookies["csrftoken"].value
    response = browser.post(reverse(UPLOAD), upload_data(), headers={"x-csrftoken": token})
    assert response.status_code == 201


# --- the Markdown ----------------------------------------------------------------------------


def test_markdown_of_an_image_without_caption_keeps_its_alt_text_exactly(db):
    image = make_image("Brackets", alt_text=r"A sign saying [open] \ closed")
    markdown = image_markdown(image)
    assert markdown.startswith("![") and "<" not in markdown
    html = render_markdown(f"Before.\n\n{markdown}\n\nAfter.")
    assert f'<img alt="A sign saying [open] \\ closed" src="{image.file.url}"' in html


def test_markdown_of_a_captioned_image_is_a_figure_with_escaped_text(db):
    image = make_image(
        "Quotes",
        alt_text='The "Carsmos" banner & a <b>stage</b>',
        caption="Caption with <script>alert(1)</script>",
    )
    html = render_markdown(f"Before.\n\n{image_markdown(image)}\n\nAfter.")
    assert '<figure class="align-center">' in html
    assert 'alt="The &quot;Carsmos&quot; banner &amp; a &lt;b&gt;stage&lt;/b&gt;"' in html
    assert "<figcaption>Caption with &lt;script&gt;alert(1)&lt;/script&gt;</figcaption>" in html
    assert "<script" not in html


# --- images dropped on the editor -------------------------------------------------------------


def drop(client, name="signing-day.jpg"):
    response = client.post(
        reverse("markdownx_upload"),
        {"image": SimpleUploadedFile(name, image_bytes(size=(900, 600)), "image/jpeg")},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    return json.loads(response.content)


def test_dropped_image_is_flagged_until_described_then_inserted_with_its_alt_text(client, editor):
    client.force_login(editor)
    answer = drop(client)
    image = Image.objects.get()
    # No file name passed off as a description: empty alt, which the checks name.
    assert answer["image_code"] == f"![]({image.file.url})"
    assert image.alt_text == ""
    post = make_post("With a dropped picture", body=f"Look:\n\n{answer['image_code']}\n")
    assert image.file.url in post.prepublish_warnings()[0]

    missing = reverse("admin:posts_image_changelist") + "?alt=missing"
    assert "signing-day" in client.get(missing).content.decode()
    assert client.get(reverse(LIST)).content.decode().count("Describe and insert") == 1

    assert answer["image"]["describe_url"] == reverse(DESCRIBE, args=[image.pk])
    response = client.post(
        answer["image"]["describe_url"],
        {"alt_text": "Two people sign the donation agreement", "caption": "", "credit": ""},
    )
    assert response.status_code == 200
    markdown = json.loads(response.content)["image"]["markdown"]
    assert markdown == f"![Two people sign the donation agreement]({image.file.url})"
    post.body = post.body.replace(answer["image_code"], markdown)
    post.save()
    assert not any(image.file.url in warning for warning in post.prepublish_warnings())
    assert "signing-day" not in client.get(missing).content.decode()
    written = reverse("admin:posts_image_changelist") + "?alt=written"
    assert "signing-day" in client.get(written).content.decode()


def test_describing_needs_alt_text(client, editor):
    image = make_image("Dropped", uploaded_by=editor)
    client.force_login(editor)
    response = client.post(reverse(DESCRIBE, args=[image.pk]), {"alt_text": "  ", "caption": "x"})
    assert response.status_code == 400
    assert json.loads(response.content)["errors"][0]["field"] == "alt_text"
    image.refresh_from_db()
    assert (image.alt_text, image.caption) == ("", "")
    assert client.post(reverse(DESCRIBE, args=[999999]), {"alt_text": "x"}).status_code == 404
