"""The editors' admin for posts, and the markdownx preview and upload endpoints."""

import json
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from foundation.factories import image_bytes, make_category, make_post, make_project
from posts.models import Post
from tests.conftest import grant

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:posts_post_changelist"
ADD = "admin:posts_post_add"


def change_url(post):
    return reverse("admin:posts_post_change", args=[post.pk])


def post_form_data(**overrides):
    """What the admin's add form posts when an editor fills it in."""
    publish_at = timezone.localtime(timezone.now() - timedelta(hours=1))
    data = {
        "title": "Carsmos joins the foundation",
        "slug": "carsmos-joins-the-foundation",
        "status": Post.Status.PUBLISHED,
        "publish_at_0": publish_at.strftime("%Y-%m-%d"),
        "publish_at_1": publish_at.strftime("%H:%M:%S"),
        "language": "en",
        "author": "",
        "author_name": "",
        "summary": "",
        "body": "Signed **today**.\n\n| Project | Donor |\n|---|---|\n| Carsmos | Acme |",
        "hero_image_alt": "",
        "hero_image_caption": "",
        "extras": "{}",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def upload(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def count_queries(client, url):
    """Queries one GET runs, counted from a cold content-type cache (which is per process)."""
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- who may use it --------------------------------------------------------------------


@pytest.mark.parametrize("url_name", [CHANGELIST, ADD])
def test_editor_opens_post_pages(client, editor, url_name):
    make_post(hero=True)
    client.force_login(editor)
    response = client.get(reverse(url_name))
    assert response.status_code == 200


def test_editor_cannot_open_user_or_group_admin(client, editor):
    client.force_login(editor)
    for url_name in ("admin:auth_user_changelist", "admin:auth_group_changelist"):
        assert client.get(reverse(url_name)).status_code == 403, url_name
    # and the admin index offers no link to them
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:auth_user_changelist") not in index
    assert reverse("admin:posts_post_changelist") in index


def test_staff_without_permission_gets_403(client, staff_without_permission):
    make_post()
    client.force_login(staff_without_permission)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse(ADD)).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- the form ---------------------------------------------------------------------------


def test_add_form_has_live_preview_editor_and_never_the_rendered_body(client, editor):
    client.force_login(editor)
    response = client.get(reverse(ADD))
    html = response.content.decode()
    form = response.context["adminform"].form
    assert "body_html" not in form.fields
    assert "excerpt" not in form.fields
    assert 'class="markdownx"' in html
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in html
    assert 'data-markdownx-upload-urls-path="/markdownx/upload/"' in html
    assert "markdownx/js/markdownx" in html
    # author defaults to whoever is writing; slug follows the title
    assert form.initial["author"] == editor.pk
    assert "data-prepopulated-fields" in html
    assert "/news/&lt;slug&gt;/" in html  # help texts are text: "<slug>" must not vanish
    assert "&quot;dependency_ids&quot;: [&quot;#id_title&quot;]" in html


def test_editor_saves_a_post_through_the_admin(client, editor):
    category = make_category("Announcements")
    project = make_project("Carsmos")
    client.force_login(editor)
    data = post_form_data(
        author=str(editor.pk),
        categories=[str(category.pk)],
        projects=[str(project.pk)],
        hero_image=upload("hero.jpg", image_bytes(size=(800, 450))),
        hero_image_alt="Signing ceremony on stage",
    )
    response = client.post(reverse(ADD), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    post = Post.objects.get(slug="carsmos-joins-the-foundation")
    assert post.author == editor
    assert post.created_by == editor and post.updated_by == editor
    assert "<strong>today</strong>" in post.body_html and "<table>" in post.body_html
    assert list(post.categories.all()) == [category]
    assert list(post.projects.all()) == [project]
    assert (post.hero_image_width, post.hero_image_height) == (800, 450)
    assert post.extras == {}
    assert Post.objects.published().filter(pk=post.pk).exists()


def test_emptied_extras_box_means_no_extras(client, editor):
    client.force_login(editor)
    response = client.post(reverse(ADD), post_form_data(extras=""))
    assert response.status_code == 302
    assert Post.objects.get().extras == {}


def test_change_page_shows_hero_thumbnail(client, editor):
    post = make_post(hero=True)
    client.force_login(editor)
    html = client.get(change_url(post)).content.decode()
    assert f'<img src="{post.hero_image.url}" alt="{post.hero_image_alt}" width="320"' in html


@pytest.mark.parametrize(
    ("file", "field", "message"),
    [
        (
            upload("hero.jpg", b"this is not an image at all" * 20),
            "hero_image",
            "Upload a valid image",
        ),
        (
            upload(
                "hero.svg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "image/svg+xml",
            ),
            "hero_image",
            "Upload a valid image",
        ),
        (
            upload("hero.bmp", image_bytes(size=(40, 30), fmt="BMP"), "image/bmp"),
            "hero_image",
            "Upload a JPEG, PNG, WebP or GIF image",
        ),
        (upload("hero.jpg", image_bytes(size=(400, 225))), "hero_image_alt", "alt text"),
    ],
    ids=["text-named-jpg", "svg", "bmp", "missing-alt"],
)
def test_bad_hero_image_shows_error_on_the_field_and_saves_nothing(
    client, editor, media_root, file, field, message
):
    client.force_login(editor)
    response = client.post(reverse(ADD), post_form_data(hero_image=file))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()  # shown to the editor, next to the field
    assert not Post.objects.exists()
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_oversized_hero_image_is_refused(client, editor, settings):
    settings.MAX_IMAGE_UPLOAD_SIZE = 1024
    client.force_login(editor)
    big = upload("hero.png", image_bytes(size=(400, 300), fmt="PNG"), "image/png")
    response = client.post(
        reverse(ADD), post_form_data(hero_image=big, hero_image_alt="A gradient")
    )
    assert response.status_code == 200
    assert "the largest allowed is 1.0\xa0KB" in " ".join(
        response.context["adminform"].form.errors["hero_image"]
    )
    assert not Post.objects.exists()


def test_image_format_comes_from_the_file_not_its_name(client, editor):
    client.force_login(editor)
    png_named_jpg = upload("hero.jpg", image_bytes(size=(300, 200), fmt="PNG"), "image/jpeg")
    response = client.post(
        reverse(ADD), post_form_data(hero_image=png_named_jpg, hero_image_alt="A gradient")
    )
    assert response.status_code == 302
    assert Post.objects.get().hero_image.name.endswith(".png")


# --- the list -----------------------------------------------------------------------------


def test_changelist_columns_thumbnail_and_view_on_site(client, editor):
    category = make_category("Events")
    live = make_post("Live post", hero=True, categories=[category])
    draft = make_post("Draft post", status=Post.Status.DRAFT)
    client.force_login(editor)
    response = client.get(reverse(CHANGELIST))
    html = response.content.decode()
    assert f'<img src="{live.hero_image.url}"' in html
    assert f'href="{live.get_absolute_url()}"' in html
    assert f'href="{draft.get_absolute_url()}"' in html  # drafts: preview for editors
    assert "Events" in html
    assert 'alt="True"' in html and 'alt="False"' in html  # the is-published booleans


def test_changelist_filters_and_search(client, editor):
    news = make_category("News")
    make_post("About storage", body="OpenHarmony storage engine", categories=[news])
    make_post("About kernels", body="A kernel story", status=Post.Status.DRAFT)
    client.force_login(editor)
    url = reverse(CHANGELIST)

    def titles(**params):
        response = client.get(url, params)
        return sorted(post.title for post in response.context["cl"].result_list)

    assert titles(q="storage engine") == ["About storage"]  # body is searched
    assert titles(status__exact="draft") == ["About kernels"]
    assert titles(categories__id__exact=news.pk) == ["About storage"]
    assert titles(language__exact="en") == ["About kernels", "About storage"]


def test_bulk_publish_and_unpublish(client, editor):
    drafts = [make_post(status=Post.Status.DRAFT) for _ in range(3)]
    client.force_login(editor)
    ids = [str(post.pk) for post in drafts]

    response = client.post(
        reverse(CHANGELIST), {"action": "publish", "_selected_action": ids}, follow=True
    )
    assert "3 posts were published." in response.content.decode()
    assert set(Post.objects.published()) == set(drafts)
    assert all(post.updated_by == editor for post in Post.objects.all())

    response = client.post(
        reverse(CHANGELIST), {"action": "unpublish", "_selected_action": ids[:2]}, follow=True
    )
    assert "2 posts were unpublished." in response.content.decode()
    assert list(Post.objects.published()) == [drafts[2]]


def test_bulk_publish_of_future_post_says_it_is_scheduled(client, editor):
    post = make_post(status=Post.Status.DRAFT, publish_at=timezone.now() + timedelta(days=2))
    client.force_login(editor)
    response = client.post(
        reverse(CHANGELIST), {"action": "publish", "_selected_action": [post.pk]}, follow=True
    )
    assert "1 post was published. 1 of them has a future publish date" in (
        response.content.decode()
    )
    assert not Post.objects.published().exists()
    assert Post.objects.get().is_scheduled


def test_bulk_actions_need_change_permission(client, staff_without_permission):
    post = make_post(status=Post.Status.DRAFT)
    viewer = grant(staff_without_permission, "posts.view_post")
    client.force_login(viewer)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert 'value="publish"' not in response.content.decode()
    client.post(reverse(CHANGELIST), {"action": "publish", "_selected_action": [post.pk]})
    assert not Post.objects.published().exists()


# --- fixed number of queries --------------------------------------------------------------


def make_rows(count):
    categories = [make_category() for _ in range(3)]
    projects = [make_project() for _ in range(2)]
    for number in range(count):
        make_post(
            hero=number % 2 == 0,
            categories=categories[: 1 + number % 3],
            projects=projects,
            publish_at=timezone.now() - timedelta(days=40 * number),
        )


def test_changelist_query_count_does_not_grow_with_rows(client, editor):
    client.force_login(editor)
    make_rows(5)
    few = count_queries(client, reverse(CHANGELIST))
    make_rows(55)
    many = count_queries(client, reverse(CHANGELIST))
    assert few == many
    assert count_queries(client, reverse(CHANGELIST) + "?q=Body") == count_queries(
        client, reverse(CHANGELIST) + "?q=Body&p=2"
    )


def test_change_page_query_count_does_not_grow_with_categories_and_projects(client, editor):
    client.force_login(editor)

    def post_with(count):
        categories = [make_category() for _ in range(count)]
        projects = [make_project() for _ in range(count)]
        return make_post(hero=True, categories=categories, projects=projects, author=editor)

    few = count_queries(client, change_url(post_with(5)))
    many = count_queries(client, change_url(post_with(50)))
    assert few == many


# --- markdownx endpoints ------------------------------------------------------------------

MARKDOWNIFY = "markdownx_markdownify"
UPLOAD = "markdownx_upload"


def test_anonymous_and_staff_without_permission_cannot_use_markdownx(
    client, staff_without_permission, media_root
):
    """Anonymous visitors are sent to the login page; signed-in staff who may not edit
    posts or projects are refused outright."""
    png = image_bytes(size=(200, 100), fmt="PNG")
    for user, status in ((None, 302), (staff_without_permission, 403)):
        if user:
            client.force_login(user)
        response = client.post(reverse(MARKDOWNIFY), {"content": "**hi**"})
        assert response.status_code == status
        if status == 302:
            assert response["Location"].startswith(reverse("admin:login"))
        response = client.post(
            reverse(UPLOAD),
            {"image": upload("a.png", png, "image/png")},
            headers={"x-requested-with": "XMLHttpRequest"},
        )
        assert response.status_code == status
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_preview_renders_like_the_site_and_is_sanitised(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse(MARKDOWNIFY),
        {
            "content": "**bold** <script>alert(1)</script> "
            '<a href="javascript:alert(2)" onclick="x()">link</a>\n\n'
            "| a | b |\n|---|---|\n| 1 | 2 |"
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<table>" in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html


@pytest.mark.parametrize(
    ("name", "fmt", "content_type", "stored_size"),
    [
        ("diagram.png", "PNG", "image/png", (1600, 800)),  # resized to the site's width
        ("photo.jpg", "JPEG", "image/jpeg", (1600, 800)),
        ("photo.webp", "WEBP", "image/webp", (1600, 800)),
        ("anim.gif", "GIF", "image/gif", (2400, 1200)),  # GIFs are stored as they are
        ("misnamed.jpg", "PNG", "image/jpeg", (1600, 800)),  # stored as what it really is
    ],
)
def test_editor_uploads_an_image_into_the_body(
    client, editor, media_root, name, fmt, content_type, stored_size
):
    client.force_login(editor)
    response = client.post(
        reverse(UPLOAD),
        {"image": upload(name, image_bytes(size=(2400, 1200), fmt=fmt), content_type)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    image_code = json.loads(response.content)["image_code"]
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}[fmt]
    assert image_code.startswith("![](/media/posts/body/")
    assert image_code.endswith(f".{extension})")
    stored = list((media_root / "posts" / "body").iterdir())
    assert len(stored) == 1
    with Image.open(stored[0]) as image:
        assert image.format == fmt
        assert image.size == stored_size


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.jpg", b"plain text, not a picture" * 10, "image/jpeg"),
        ("page.gif", b"GIF89a<html><script>alert(1)</script></html>", "image/gif"),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>',
            "image/svg+xml",
        ),
        ("photo.bmp", image_bytes(size=(20, 20), fmt="BMP"), "image/bmp"),
    ],
    ids=["text", "html-as-gif", "svg", "bmp"],
)
def test_upload_refuses_anything_but_a_real_web_image(
    client, editor, media_root, name, content, content_type
):
    client.force_login(editor)
    response = client.post(
        reverse(UPLOAD),
        {"image": upload(name, content, content_type)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 400
    assert "image" in json.loads(response.content)
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_preview_without_content_is_a_bad_request(client, editor):
    client.force_login(editor)
    assert client.post(reverse(MARKDOWNIFY), {}).status_code == 400
