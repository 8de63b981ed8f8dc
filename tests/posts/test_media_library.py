"""The media library: described images, "used in", uploads from the body editor recorded,
and deleting an image that posts show needs a confirmation that names them."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from foundation.factories import image_bytes, image_file, make_post
from posts.models import Image
from tests.conftest import grant
from tests.posts.test_workflow import submit_change_form

pytestmark = pytest.mark.django_db

ADD = "admin:posts_image_add"
CHANGELIST = "admin:posts_image_changelist"


def make_image(title="Signing ceremony", name="ceremony.jpg", size=(1600, 900)):
    return Image.objects.create(
        file=image_file(name, size=size), title=title, alt_text=f"Photo: {title}"
    )


def test_editor_uploads_an_image_with_its_description(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse(ADD),
        {
            "file": SimpleUploadedFile(
                "stage.png", image_bytes(size=(1200, 800), fmt="PNG"), content_type="image/jpeg"
            ),
            "title": "Stage",
            "alt_text": "Two people sign an agreement on stage",
            "caption": "The signing",
            "credit": "Foundation press office",
        },
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height) == (1200, 800)
    assert image.uploaded_by == editor
    assert image.file.name.endswith(".png")  # from the file's content, not the browser
    page = client.get(reverse(CHANGELIST), {"q": "agreement"}).content.decode()
    assert image.file.url in page and "Stage" in page  # thumbnail and title
    assert "1200×800 px" in page


def test_alt_text_is_required(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse(ADD),
        {
            "file": SimpleUploadedFile("a.jpg", image_bytes(size=(100, 100))),
            "title": "A",
            "alt_text": "",
        },
    )
    assert response.status_code == 200
    assert "alt_text" in response.context["adminform"].form.errors
    assert not Image.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.jpg", b"plain text, not a picture" * 10),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'),
        ("photo.bmp", image_bytes(size=(20, 20), fmt="BMP")),
    ],
)
def test_only_real_web_images_are_accepted(client, editor, name, content):
    client.force_login(editor)
    response = client.post(
        reverse(ADD),
        {"file": SimpleUploadedFile(name, content), "title": "X", "alt_text": "X"},
    )
    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not Image.objects.exists()


def test_change_page_lists_the_posts_that_show_the_image(client, editor):
    image = make_image()
    hero_post = make_post("Hero user", hero_image=image.file.name, hero_image_alt="x")
    body_post = make_post("Body user", body=f"Look: ![The ceremony]({image.file.url})")
    make_post("Unrelated")
    assert set(image.posts_using()) == {hero_post, body_post}
    client.force_login(editor)
    page = client.get(reverse("admin:posts_image_change", args=[image.pk])).content.decode()
    assert "Hero user" in page and "Body user" in page and "Unrelated" not in page


def test_unused_image_says_so(client, editor):
    image = make_image()
    client.force_login(editor)
    page = client.get(reverse("admin:posts_image_change", args=[image.pk])).content.decode()
    assert "No post shows this image." in page


def test_deleting_an_image_in_use_names_the_posts_it_would_break(
    client, editor, django_capture_on_commit_callbacks
):
    image = make_image()
    make_post("Carsmos signs", body=f"![The ceremony]({image.file.url})")
    client.force_login(editor)
    url = reverse("admin:posts_image_delete", args=[image.pk])
    page = client.get(url).content.decode()
    assert "would show a broken image" in page and "Carsmos signs" in page
    assert Image.objects.exists()  # nothing happens before the confirmation
    path = Path(image.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"post": "yes"})
    assert not Image.objects.exists()
    assert not path.exists()  # the file is gone: the post's image is now broken


def test_deleting_an_unused_image_has_no_warning(client, editor):
    image = make_image()
    client.force_login(editor)
    page = client.get(reverse("admin:posts_image_delete", args=[image.pk])).content.decode()
    assert "broken image" not in page


def test_bulk_delete_names_the_posts_each_image_would_break(client, editor):
    used = make_image("Used one", "used.jpg")
    unused = make_image("Unused one", "unused.jpg")
    make_post("Hero user", hero_image=used.file.name, hero_image_alt="x")
    client.force_login(editor)
    data = {"action": "delete_selected", "_selected_action": [used.pk, unused.pk]}
    response = client.post(reverse(CHANGELIST), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "would show a broken image" in page and "Hero user" in page
    assert Image.objects.count() == 2
    client.post(reverse(CHANGELIST), {**data, "post": "yes"})
    assert not Image.objects.exists()


def test_body_editor_uploads_are_recorded_in_the_library(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("markdownx_upload"),
        {
            "image": SimpleUploadedFile(
                "signing-day.jpg", image_bytes(size=(900, 600)), content_type="image/jpeg"
            )
        },
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    image = Image.objects.get()
    assert json.loads(response.content)["image_code"] == f"![]({image.file.url})"
    assert image.title == "signing-day" and image.uploaded_by == editor
    assert (image.width, image.height) == (900, 600)


def test_staff_without_permission_cannot_use_the_library(client, staff_without_permission):
    make_image()
    client.force_login(staff_without_permission)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    viewer = grant(staff_without_permission, "posts.view_image")
    client.force_login(viewer)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse(ADD)).status_code == 403


def test_hero_image_chosen_from_the_library(client, editor):
    image = make_image("Wide stage", "wide-stage.jpg", size=(1600, 900))
    post = make_post("Needs a hero")
    client.force_login(editor)
    response = submit_change_form(client, post, library_image=str(image.pk))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hero_image.name == image.file.name
    assert post.hero_image_alt == "Photo: Wide stage"
    assert (post.hero_image_width, post.hero_image_height) == (1600, 900)
    assert list(image.posts_using()) == [post]
    assert Image.objects.count() == 1  # not recorded twice
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Photo: Wide stage" in page


def test_hero_image_uploaded_on_the_post_form_joins_the_library(client, editor):
    post = make_post("Gets a hero")
    client.force_login(editor)
    response = submit_change_form(
        client,
        post,
        hero_image=SimpleUploadedFile("hero.jpg", image_bytes(size=(1600, 900))),
        hero_image_alt="The new hero",
    )
    assert response.status_code == 302
    post.refresh_from_db()
    image = Image.objects.get()
    assert image.file.name == post.hero_image.name
    assert image.alt_text == "The new hero" and image.uploaded_by == editor


def test_oversized_upload_is_refused(client, editor, settings):
    settings.MAX_IMAGE_UPLOAD_SIZE = 1000
    client.force_login(editor)
    response = client.post(
        reverse(ADD),
        {
            "file": SimpleUploadedFile("big.jpg", image_bytes(size=(800, 600))),
            "title": "Big",
            "alt_text": "Big",
        },
    )
    assert response.status_code == 200
    assert "largest allowed" in str(response.context["adminform"].form.errors["file"])
    assert not Image.objects.exists()
