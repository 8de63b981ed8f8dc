"""Image renditions: made once when an image is saved, served with srcset, removed with it.

Real files in the temporary MEDIA_ROOT, opened with Pillow; pages fetched with the test
client. Rendition files are deleted once the transaction commits, so tests that check a
deletion run the change inside ``django_capture_on_commit_callbacks(execute=True)``.
"""

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from foundation.factories import image_bytes, image_file, make_category, make_post
from posts import exports, images
from posts.imports.jekyll import import_paths
from posts.imports.restore import restore
from posts.models import Post
from tests.posts.test_admin import post_form_data

pytestmark = pytest.mark.django_db

RED, BLUE, WHITE = (220, 20, 20), (20, 20, 220), (255, 255, 255)
UPLOAD = "markdownx_upload"


def change_url(post):
    return reverse("admin:posts_post_change", args=[post.pk])


def open_rendition(item):
    with default_storage.open(item["name"], "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def rendition_files(media_root):
    folder = Path(media_root) / "renditions"
    return sorted(p.relative_to(media_root).as_posix() for p in folder.rglob("*") if p.is_file())


def png_with_subject(size=(1600, 600), subject=(60, 250, 240, 450), colour=RED, other=BLUE):
    """A white PNG with a coloured square (the subject) and a square of another colour at
    the mirrored place, so that a crop shows which side it kept."""
    image = Image.new("RGB", size, WHITE)
    image.paste(colour, subject)
    width = size[0]
    image.paste(other, (width - subject[2], subject[1], width - subject[0], subject[3]))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def edit_form(post, **overrides):
    """The admin change form as the editor's browser posts it back, with changes."""
    data = post_form_data(
        title=post.title,
        slug=post.slug,
        body=post.body,
        hero_image_alt=post.hero_image_alt,
        hero_focal_x=str(post.hero_focal_x),
        hero_focal_y=str(post.hero_focal_y),
    )
    data.update(overrides)
    return data


def count_queries(client, url):
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def picture_of(html, marker):
    """The <picture>…</picture> that follows ``marker`` in a page."""
    start = html.index("<picture>", html.index(marker))
    return html[start : html.index("</picture>", start) + len("</picture>")]


def with_image(image, **fields):
    """A post whose hero image is ``image`` (a file), saved as the factories save posts."""
    return make_post(hero_image=image, hero_image_alt="A picture", **fields)


def render_tag(source, post):
    return Template("{% load images %}" + source).render(Context({"post": post}))


def attributes(tag):
    return dict(re.findall(r'\s([\w-]+)="([^"]*)"', tag))


# --------------------------------------------------------------------------- making them


def test_saving_a_post_makes_renditions_in_each_width_as_webp_and_jpeg():
    post = make_post("Summit", hero=True)  # a 1600×900 JPEG

    made = {(item["width"], item["format"]) for item in post.hero_renditions}
    assert made == {(w, f) for w in (480, 800, 1200, 1600) for f in ("webp", "jpeg")}
    for item in post.hero_renditions:
        image = open_rendition(item)
        assert image.format == {"webp": "WEBP", "jpeg": "JPEG"}[item["format"]]
        assert image.size == (item["width"], item["width"] * 9 // 16)
        assert (item["width"], item["height"]) == image.size
        assert re.fullmatch(r"renditions/[0-9a-f]{24}/\d+\.(webp|jpg)", item["name"])
    # Stored on the post, so that pages do not ask the storage.
    assert Post.objects.get(pk=post.pk).hero_renditions == post.hero_renditions


def test_small_images_are_never_enlarged_and_png_stays_png():
    post = with_image(image_file("wide.png", size=(1000, 500)))

    # Cropped to 16:9 (889×500), then only the widths the crop can fill, and its own.
    widths = sorted({item["width"] for item in post.hero_renditions})
    assert widths == [480, 800, 889]
    for item in post.hero_renditions:
        image = open_rendition(item)
        assert image.format == {"webp": "WEBP", "png": "PNG"}[item["format"]]
        assert image.width <= 889 and image.size == (item["width"], item["height"])

    tiny = with_image(image_file("tiny.jpg", size=(320, 180)))
    assert {(i["width"], i["height"]) for i in tiny.hero_renditions} == {(320, 180)}


def test_a_webp_original_gets_webp_renditions_only():
    post = with_image(image_file("photo.webp", size=(1280, 720)))

    assert {item["format"] for item in post.hero_renditions} == {"webp"}
    html = render_tag('{% responsive_image post "hero" %}', post)
    assert "<source" not in html and ".webp 1280w" in html


def test_an_animated_gif_keeps_its_original():
    frames = [Image.new("RGB", (640, 360), colour) for colour in (RED, BLUE)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    post = with_image(ContentFile(buffer.getvalue(), name="anim.gif"))

    assert post.hero_renditions == []
    html = render_tag('{% responsive_image post "card" alt="" %}', post)
    assert f'src="{post.hero_image.url}"' in html and 'width="640" height="360"' in html


def is_red(pixel):
    return pixel[0] > 180 and pixel[1] < 80 and pixel[2] < 80


def is_blue(pixel):
    return pixel[2] > 180 and pixel[0] < 80 and pixel[1] < 80


def jpeg_bytes(image, exif=None):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("focal_x", "kept", "dropped"), [(0.1, is_red, is_blue), (0.9, is_blue, is_red)]
)
def test_a_camera_sized_jpeg_gets_the_same_crop_and_sizes(focal_x, kept, dropped):
    # 6000×2250 is more than twice the largest rendition: it is decoded at half size
    # first. The 16:9 crop (4000×2250) must still follow the focal point to the pixel.
    photo = Image.new("RGB", (6000, 2250), WHITE)
    photo.paste(RED, (300, 600, 1300, 1600))
    photo.paste(BLUE, (4700, 600, 5700, 1600))
    post = with_image(ContentFile(jpeg_bytes(photo), name="camera.jpg"), hero_focal_x=focal_x)

    made = {(item["width"], item["height"], item["format"]) for item in post.hero_renditions}
    assert made == {(w, w * 9 // 16, f) for w in (480, 800, 1200, 1600) for f in ("webp", "jpeg")}
    for item in post.hero_renditions:
        image = open_rendition(item).convert("RGB")
        assert image.size == (item["width"], item["height"])
        scale = item["width"] / 4000  # rendition pixels per pixel of the crop
        row = [image.getpixel((x, round(1100 * scale))) for x in range(image.width)]
        assert any(kept(pixel) for pixel in row) and not any(dropped(pixel) for pixel in row)
        # The subject sits where it sat in the crop (300–1300 px from its edge, or the
        # mirror of that), give or take the filter's blur at the edges.
        inside = round(800 * scale) if focal_x < 0.5 else image.width - round(800 * scale) - 1
        assert kept(image.getpixel((inside, round(1100 * scale))))


@pytest.mark.parametrize(
    ("aspect", "focal_y", "size", "top", "bottom"),
    [
        (None, 0.5, (1600, 2400), is_red, is_blue),  # a body image: the whole picture
        (images.HERO_ASPECT, 0.0, (1600, 900), is_red, is_blue),  # hero: the top 16:9
        (images.HERO_ASPECT, 1.0, (1600, 900), is_blue, is_blue),  # hero: the bottom
    ],
)
def test_a_photo_taken_sideways_is_resized_upright(media_root, aspect, focal_y, size, top, bottom):
    # Shown 3200×4800 (red top quarter, blue below), stored lying on its side with the
    # EXIF orientation that tells viewers to turn it (6: a quarter turn clockwise).
    shown = Image.new("RGB", (3200, 4800), BLUE)
    shown.paste(RED, (0, 0, 3200, 1200))
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = shown.transpose(Image.Transpose.ROTATE_90)
    assert stored.size == (4800, 3200)
    name = default_storage.save("posts/body/sideways.jpg", ContentFile(jpeg_bytes(stored, exif)))

    renditions = images.build_renditions(name, aspect=aspect, focal=(0.5, focal_y))

    assert [item["width"] for item in renditions] == [480, 480, 800, 800, 1200, 1200, 1600, 1600]
    largest = open_rendition(renditions[-1]).convert("RGB")
    assert largest.size == size == (renditions[-1]["width"], renditions[-1]["height"])
    assert top(largest.getpixel((800, 20))) and bottom(largest.getpixel((800, size[1] - 20)))
    for item in renditions:
        assert open_rendition(item).size == (item["width"], item["height"])


# --------------------------------------------------------------------------- the focal point


@pytest.mark.parametrize(
    ("focal_x", "kept", "dropped"), [(0.1, RED, BLUE), (0.9, BLUE, RED), (0.5, None, None)]
)
def test_the_focal_point_decides_what_the_crop_keeps(focal_x, kept, dropped):
    # 1600×600 is wider than 16:9: the crop is 1067×600 and slides along the width.
    post = with_image(
        ContentFile(png_with_subject(), name="wide.png"),
        hero_focal_x=focal_x,
    )
    item = next(i for i in post.hero_renditions if i["width"] == 480 and i["format"] == "png")
    image = open_rendition(item).convert("RGB")
    assert image.size == (480, 270)
    colours = {image.getpixel((x, 150)) for x in range(0, 480, 4)}

    if kept is None:  # centred: both squares lie outside the middle 1067 px
        assert colours == {WHITE}
    else:
        assert kept in colours and dropped not in colours


def test_changing_the_focal_point_in_the_admin_recrops_and_removes_the_old_files(
    client, editor, media_root, django_capture_on_commit_callbacks
):
    post = with_image(ContentFile(png_with_subject(), name="wide.png"))
    old = {item["name"] for item in post.hero_renditions}
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(post), edit_form(post, hero_focal_x="0.05"))

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hero_focal_x == 0.05
    new = {item["name"] for item in post.hero_renditions}
    assert new and not new & old
    assert rendition_files(media_root) == sorted(new)
    item = next(i for i in post.hero_renditions if i["width"] == 480 and i["format"] == "png")
    assert open_rendition(item).convert("RGB").getpixel((60, 150)) == RED


def test_a_focal_point_outside_the_image_is_refused(client, editor):
    post = make_post(hero=True)
    client.force_login(editor)

    response = client.post(change_url(post), edit_form(post, hero_focal_y="1.5"))

    assert response.status_code == 200
    assert "hero_focal_y" in response.context["adminform"].form.errors


# --------------------------------------------------------------------------- changing, deleting


def test_replacing_the_image_in_the_admin_rebuilds_and_removes_the_old_renditions(
    client, editor, media_root, django_capture_on_commit_callbacks
):
    post = make_post(hero=True)
    old = {item["name"] for item in post.hero_renditions}
    client.force_login(editor)
    new_image = SimpleUploadedFile(
        "new.jpg", image_bytes(size=(1200, 675), seed=3), content_type="image/jpeg"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(post), edit_form(post, hero_image=new_image))

    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hero_image.name.endswith("new.jpg")
    assert sorted({i["width"] for i in post.hero_renditions}) == [480, 800, 1200]
    assert rendition_files(media_root) == sorted(i["name"] for i in post.hero_renditions)
    assert not any(default_storage.exists(name) for name in old)


def test_clearing_the_image_removes_its_renditions(
    client, editor, media_root, django_capture_on_commit_callbacks
):
    post = make_post(hero=True)
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change_url(post), edit_form(post, hero_image_alt="", **{"hero_image-clear": "on"})
        )

    assert response.status_code == 302
    post.refresh_from_db()
    assert not post.hero_image and post.hero_renditions == []
    assert rendition_files(media_root) == []
    assert "<picture" not in client.get(post.get_absolute_url()).content.decode()


def test_deleting_a_post_in_the_admin_removes_its_renditions(
    client, editor, media_root, django_capture_on_commit_callbacks
):
    post = make_post(hero=True)
    keep = make_post("Another", hero=True)
    client.force_login(editor)
    assert len(rendition_files(media_root)) == 16

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:posts_post_delete", args=[post.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()
    assert rendition_files(media_root) == sorted(i["name"] for i in keep.hero_renditions)


def test_bulk_delete_in_the_admin_removes_the_renditions(
    client, editor, media_root, django_capture_on_commit_callbacks
):
    posts = [make_post(f"Post {n}", hero=True) for n in range(2)]
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:posts_post_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [p.pk for p in posts],
                "post": "yes",
            },
        )

    assert response.status_code == 302
    assert Post.objects.count() == 0
    assert rendition_files(media_root) == []


def test_renditions_shared_by_two_posts_stay_until_the_last_one_goes(
    media_root, django_capture_on_commit_callbacks
):
    first = make_post("First", hero=True)
    second = make_post("Second")
    second.hero_image, second.hero_image_alt = first.hero_image.name, "Same picture"
    second.save()
    second.update_renditions()
    assert second.hero_renditions == first.hero_renditions  # the same files, made once

    with django_capture_on_commit_callbacks(execute=True):
        images.delete_posts(first)
    assert rendition_files(media_root) == sorted(i["name"] for i in second.hero_renditions)

    with django_capture_on_commit_callbacks(execute=True):
        images.delete_posts(Post.objects.filter(pk=second.pk))
    assert rendition_files(media_root) == []


def test_a_rolled_back_change_keeps_the_files(media_root, django_capture_on_commit_callbacks):
    post = make_post(hero=True)
    before = rendition_files(media_root)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        images.delete_posts(post)  # the callbacks are never run: as if rolled back

    assert len(callbacks) == 1
    assert rendition_files(media_root) == before


def test_prune_renditions_removes_what_no_post_uses(media_root):
    kept = make_post("Kept", hero=True)
    gone = make_post("Gone", hero=True)
    Post.objects.filter(pk=gone.pk).delete()  # a bulk delete that skips delete_posts()
    out = io.StringIO()

    call_command("prune_renditions", stdout=out)

    assert "Deleted 1 unused rendition folders." in out.getvalue()
    assert rendition_files(media_root) == sorted(i["name"] for i in kept.hero_renditions)


# --------------------------------------------------------------------------- imports


def test_jekyll_import_makes_renditions_for_the_hero_and_body_images(tmp_path, client):
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "img").mkdir()
    (site / "img/cover.jpg").write_bytes(image_bytes((1600, 900), seed=1))
    (site / "img/figure.png").write_bytes(image_bytes((1000, 600), fmt="PNG", seed=2))
    (site / "_posts/2023-06-11-donation.md").write_text(
        "---\ntitle: Donation\nimage: /img/cover.jpg\n---\n\n"
        '<div align="center"><img src="/img/figure.png"></div>\n<center>The stage</center>\n',
        encoding="utf-8",
    )

    report = import_paths([site / "_posts"])

    assert report.created == 1
    post = Post.objects.get(slug="donation")
    assert len(post.hero_renditions) == 8
    [(name, body)] = post.body_renditions.items()
    assert name.startswith("posts/body/imported/figure-")
    assert {(i["width"], i["format"]) for i in body} == {
        (w, f) for w in (480, 800, 1000) for f in ("webp", "png")
    }
    assert open_rendition(max(body, key=lambda i: i["width"])).size == (1000, 600)

    html = client.get(post.get_absolute_url()).content.decode()
    figure = html[html.index('<figure class="align-center">') :]
    figure = figure[: figure.index("</figure>")]
    img = attributes(re.search(r"<img [^>]*>", figure).group(0))
    assert img["srcset"].count("w, ") == 2 and img["srcset"].endswith("1000w")
    assert img["sizes"] == images.BODY_SIZES
    assert (img["width"], img["height"], img["alt"], img["loading"]) == ("1000", "600", "", "lazy")
    assert '<source type="image/webp"' in figure
    assert "<figcaption>The stage</figcaption>" in figure


def test_an_image_imported_twice_shares_its_renditions_until_the_last_post_goes(
    tmp_path, client, media_root, django_capture_on_commit_callbacks
):
    site = tmp_path / "site"
    (site / "_posts").mkdir(parents=True)
    (site / "img").mkdir()
    (site / "img/cover.jpg").write_bytes(image_bytes((1600, 900), seed=3))
    for slug in ("first", "second"):
        (site / f"_posts/2024-01-02-{slug}.md").write_text(
            f"---\ntitle: {slug.title()}\nimage: /img/cover.jpg\n---\n\nText.\n",
            encoding="utf-8",
        )

    assert import_paths([site / "_posts"]).created == 2
    first, second = Post.objects.get(slug="first"), Post.objects.get(slug="second")
    assert first.hero_image.name == second.hero_image.name  # stored once, by content
    assert first.hero_renditions == second.hero_renditions
    files = rendition_files(media_root)
    assert len(files) == 8
    made = {
        item["name"]: default_storage.get_modified_time(item["name"]) for item in files_of(first)
    }

    # Imported again (an update): the same files, not made again.
    assert import_paths([site / "_posts"], update=True).updated == 2
    assert rendition_files(media_root) == files
    assert {n: default_storage.get_modified_time(n) for n in made} == made

    with django_capture_on_commit_callbacks(execute=True):
        images.delete_posts(first)
    assert rendition_files(media_root) == files
    html = client.get(second.get_absolute_url()).content.decode()
    assert default_storage.url(second.hero_renditions[-1]["name"]) in html

    with django_capture_on_commit_callbacks(execute=True):
        images.delete_posts(Post.objects.filter(pk=second.pk))
    assert rendition_files(media_root) == []


def files_of(post):
    return post.hero_renditions + sum(post.body_renditions.values(), [])


def test_json_restore_makes_renditions(tmp_path, settings):
    make_post("With a picture", slug="with-a-picture", hero=True)
    bundle = tmp_path / "backup.zip"
    with open(bundle, "wb") as target:
        exports.write(Post.objects.all(), "json-zip", target)
    Post.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT)
    settings.MEDIA_ROOT.mkdir()

    report = restore(bundle)

    assert report.created == ["with-a-picture"]
    post = Post.objects.get(slug="with-a-picture")
    assert len(post.hero_renditions) == 8
    assert all(default_storage.exists(item["name"]) for item in post.hero_renditions)


# --------------------------------------------------------------------------- pages


def test_detail_page_serves_the_hero_as_an_eager_responsive_picture(client):
    post = make_post("Summit", hero=True, hero_image_alt="Two people signing")

    html = client.get(post.get_absolute_url()).content.decode()

    picture = picture_of(html, 'class="article__hero')
    source = attributes(re.search(r"<source [^>]*>", picture).group(0))
    img = attributes(re.search(r"<img [^>]*>", picture).group(0))
    assert source["type"] == "image/webp"
    for width in (480, 800, 1200, 1600):
        assert re.search(rf"/media/renditions/\w+/{width}\.webp {width}w", source["srcset"])
        assert re.search(rf"/media/renditions/\w+/{width}\.jpg {width}w", img["srcset"])
    assert source["sizes"] == img["sizes"] == images.HERO_SIZES
    assert re.fullmatch(r"/media/renditions/\w+/800\.jpg", img["src"])
    assert (img["width"], img["height"]) == ("1600", "900")
    assert img["alt"] == "Two people signing"
    assert img["loading"] == "eager" and img["fetchpriority"] == "high"
    # Every URL in it is a file that exists.
    for url in re.findall(r"(/media/\S+) \d+w", source["srcset"] + img["srcset"]):
        assert default_storage.exists(url.removeprefix("/media/"))


@pytest.mark.parametrize("url_name", ["posts:list", "home"])
def test_list_cards_serve_lazy_responsive_thumbnails(client, url_name):
    post = make_post("Summit", hero=True, categories=[make_category("Events")])

    html = client.get(reverse(url_name)).content.decode()

    picture = picture_of(html, 'class="post-card__image"')
    img = attributes(re.search(r"<img [^>]*>", picture).group(0))
    assert '<source type="image/webp"' in picture
    assert img["sizes"] == images.CARD_SIZES
    assert img["loading"] == "lazy" and img["decoding"] == "async"
    assert "fetchpriority" not in img
    assert img["alt"] == ""  # the image link repeats the title link and is hidden from AT
    assert (img["width"], img["height"]) == ("1600", "900")
    jpeg = next(i for i in post.hero_renditions if (i["width"], i["format"]) == (480, "jpeg"))
    assert f"{default_storage.url(jpeg['name'])} 480w" in img["srcset"]


def test_a_post_saved_before_renditions_existed_shows_its_original(client):
    post = make_post("Old", hero=True)
    Post.objects.filter(pk=post.pk).update(hero_renditions=[])

    html = client.get(reverse("posts:list")).content.decode()

    assert f'<img src="{post.hero_image.url}" width="1600" height="900" alt=""' in html


def test_list_pages_query_the_same_for_2_and_30_cards_with_renditions(client, settings):
    settings.POSTS_PER_PAGE = 50
    template = make_post("Template", hero=True)
    urls = [reverse("posts:list"), reverse("home")]

    def add(count, start):
        Post.objects.bulk_create(
            Post(
                title=f"Story {n}",
                slug=f"story-{n}",
                status=Post.Status.PUBLISHED,
                publish_at=template.publish_at,
                body="Text.",
                body_html="<p>Text.</p>",
                hero_image=template.hero_image.name,
                hero_image_width=1600,
                hero_image_height=900,
                hero_image_alt="A picture",
                hero_renditions=template.hero_renditions,
            )
            for n in range(start, start + count)
        )

    add(1, 0)
    few = [count_queries(client, url) for url in urls]
    add(29, 1)
    many = [count_queries(client, url) for url in urls]

    assert few == many
    assert client.get(urls[0]).content.decode().count("<picture>") == 31


# --------------------------------------------------------------------------- body images


def test_images_uploaded_into_the_body_get_renditions_when_the_post_is_saved(
    client, editor, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    uploaded = client.post(
        reverse(UPLOAD),
        {
            "image": SimpleUploadedFile(
                "chart.jpg", image_bytes(size=(1400, 700), seed=4), content_type="image/jpeg"
            )
        },
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    image_code = json.loads(uploaded.content)["image_code"]  # ![](/media/posts/body/….jpg)
    body = image_code.replace("![]", "![Sales by year]") + "\n\nAnd a remote one: "
    body += "![x](https://example.org/x.jpg)"

    response = client.post(reverse("admin:posts_post_add"), post_form_data(body=body))

    assert response.status_code == 302
    post = Post.objects.get(slug="carsmos-joins-the-foundation")
    [(name, items)] = post.body_renditions.items()
    assert image_code == f"![](/media/{name})"
    assert sorted({i["width"] for i in items}) == [480, 800, 1200, 1400]

    html = client.get(post.get_absolute_url()).content.decode()
    picture = picture_of(html, 'class="prose')
    img = attributes(re.search(r"<img [^>]*>", picture).group(0))
    assert img["alt"] == "Sales by year"
    assert (img["width"], img["height"]) == ("1400", "700")
    assert img["sizes"] == images.BODY_SIZES and "1400w" in img["srcset"]
    assert img["loading"] == "lazy"
    assert '<img alt="x" src="https://example.org/x.jpg" loading="lazy"' in html  # not ours

    # Taking the image out of the body removes its renditions.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(change_url(post), edit_form(post, body="No pictures any more."))
    post.refresh_from_db()
    assert post.body_renditions == {}
    assert not any(default_storage.exists(i["name"]) for i in items)


def test_body_images_without_alt_are_flagged_to_editors(client, editor):
    figure = default_storage.save("posts/body/figure.png", image_file("f.png", size=(600, 400)))
    client.force_login(editor)

    response = client.post(
        reverse("admin:posts_post_add"),
        post_form_data(body=f"![](/media/{figure})\n\n![A described one](/media/{figure})"),
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    assert "1 image in the body has no alt text" in " ".join(messages)
    post = Post.objects.get()
    page = client.get(change_url(post)).content.decode()
    assert "Images without alt text" in page
    assert f"<li>/media/{figure}</li>" in page
    # The site still gives it an empty alt, so screen readers skip it rather than read a URL.
    html = client.get(post.get_absolute_url()).content.decode()
    prose = html[html.index('class="prose') :]
    alts = [attributes(tag).get("alt") for tag in re.findall(r"<img [^>]*>", prose)]
    assert alts[:2] == ["", "A described one"]


def test_only_our_media_urls_are_rewritten():
    assert images.media_name("/media/posts/body/a.jpg") == "posts/body/a.jpg"
    assert images.media_name("/media/posts/body/%E5%9B%BE.png") == "posts/body/图.png"
    for url in (
        "https://example.org/media/posts/body/a.jpg",
        "//evil.example/media/a.jpg",
        "/media/../settings.py",
        "/media/posts/../../etc/passwd",
        "/media/renditions/abc/480.jpg",
        "/static/img/logo.svg",
        "/media/a.jpg?x=1",
        "",
    ):
        assert images.media_name(url) is None, url


def test_crop_box_keeps_the_focal_point_inside_the_edges():
    assert images.crop_box((1600, 900), (16, 9)) == (0, 0, 1600, 900)
    assert images.crop_box((1600, 600), (16, 9), (0.0, 0.5)) == (0, 0, 1067, 600)
    assert images.crop_box((1600, 600), (16, 9), (1.0, 0.5)) == (533, 0, 1600, 600)
    assert images.crop_box((900, 1600), (16, 9), (0.5, 0.1)) == (0, 0, 900, 506)
    assert images.crop_box((900, 1600), (16, 9), (0.5, 0.2)) == (0, 67, 900, 573)
    assert images.crop_box((900, 1600), (16, 9), (0.5, 0.5)) == (0, 547, 900, 1053)
    assert images.target_widths(2400) == [480, 800, 1200, 1600]
    assert images.target_widths(480) == [480]
    assert images.target_widths(300) == [300]


def test_prune_renditions_rebuild_writes_missing_files_again(media_root):
    post = make_post("Restored media", hero=True)
    lost = post.hero_renditions[3]["name"]
    default_storage.delete(lost)

    call_command("prune_renditions", "--rebuild", stdout=io.StringIO())

    assert default_storage.exists(lost)
    assert open_rendition(post.hero_renditions[3]).size == (800, 450)
