"""The Jekyll importer: the foundation's sample post, Jekyll's own 102 posts, messy real-site input.

Every test imports real files from disk (or a real zip) into the test database and MEDIA_ROOT.
"""

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from foundation.factories import image_bytes, make_post
from posts.imports import jekyll
from posts.imports.jekyll import import_paths, import_zip
from posts.models import Category, Post

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "foundation/demo/jekyll/_posts/2023-06-11-carsmos-donation-signing-ceremony.md"
JEKYLL_DOCS = REPO / "tests/fixtures/jekyll-docs"


def write(root, files):
    """Write ``{relative path: str or bytes}`` under ``root``; return ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def media_files(media_root):
    return sorted(
        p.relative_to(media_root).as_posix() for p in media_root.rglob("*") if p.is_file()
    )


def post_text(title="A post", extra="", body="Some text."):
    return f"---\ntitle: {title}\n{extra}---\n\n{body}\n"


# --------------------------------------------------------------------------- the sample post


def test_sample_post_imports_with_its_front_matter_and_table():
    report = import_paths([SAMPLE])

    assert (report.created, report.failed) == (1, 0)
    post = Post.objects.get(slug="carsmos-donation-signing-ceremony")
    assert post.title.startswith("The Open Atom Open Source Foundation and the CARSMOS")
    assert timezone.localdate(post.publish_at).isoformat() == "2023-06-11"  # from the file name
    assert post.is_published() and post.author is None
    assert [c.name for c in post.categories.all()] == ["基金会"]
    assert Category.objects.get(name="基金会").slug == "基金会"
    assert {k: post.extras[k] for k in ("layout", "hero", "comments")} == {
        "layout": "post",
        "hero": "blog_details",
        "comments": True,
    }
    # The original image value stays, so that an export can give it back.
    assert post.extras["_jekyll"]["front_matter"]["image"] == "img/blog/d1.jpg"
    # Its images were not preserved: reported, and the post imports without a hero image.
    hero = [i for i in report.results[0].images if i.role == "hero"]
    assert [(i.reference, i.status) for i in hero] == [("img/blog/d1.jpg", jekyll.MISSING)]
    assert report.images_missing == 3
    assert not post.hero_image
    # Liquid is resolved; the table of 20 projects is intact.
    assert "{{" not in post.body and "{{" not in post.body_html
    assert 'src="/img/blog/d1.jpg"' in post.body_html
    assert post.body_html.count("<tr>") == 21
    assert "<td><strong>CARSMOS</strong></td>" in post.body_html


def test_sample_post_detail_page_shows_the_imported_post(client):
    import_paths([SAMPLE])
    response = client.get(
        reverse("posts:detail", kwargs={"slug": "carsmos-donation-signing-ceremony"})
    )
    assert response.status_code == 200
    assert b"CARSMOS" in response.content and b"<table>" in response.content


# --------------------------------------------------------------------------- Jekyll's own posts


def test_all_jekyll_docs_posts_import_without_a_failure():
    report = import_paths([JEKYLL_DOCS])

    assert report.failed == 0, [(r.path, r.reason) for r in report.failures]
    assert report.created == 102 == Post.objects.published().count()

    # A date string with a zone.
    first = Post.objects.get(slug="jekyll-1-0-0-released")
    assert first.publish_at == datetime(2013, 5, 6, 0, 12, 52, tzinfo=UTC)
    # A messy real date ("2023-01-29 18:30:22 2023 -0800") reads the way Jekyll reads it.
    messy = Post.objects.get(slug="jekyll-3-9-3-released")
    assert messy.publish_at == datetime(2023, 1, 30, 2, 30, 22, tzinfo=UTC)
    assert messy.extras["_jekyll"]["front_matter"]["date"] == "2023-01-29 18:30:22 2023 -0800"
    # `category` as a string, `version` and `author` kept.
    assert [c.slug for c in first.categories.all()] == ["release"]
    assert first.extras["version"] == "1.0.0"
    assert first.author_name == "parkr"
    assert Category.objects.get(slug="release").posts.count() > 80
    # `categories` as a list with two names.
    frank = Post.objects.get(slug="goodbye-dear-frank")
    assert sorted(c.slug for c in frank.categories.all()) == ["community", "team"]
    # {% raw %} around plain text is unwrapped; {% link %} stays as visible text.
    unwrapped = Post.objects.get(slug="jekyll-3-7-2-released")
    assert "{% raw %}" not in unwrapped.body
    assert "<code>{% post_url %}</code>" in unwrapped.body_html
    linked = Post.objects.get(slug="jekyll-3-4-2-released")
    assert "{% link _posts/2017-03-02-jekyll-3-4-1-released.markdown %}" in linked.body_html
    # Liquid shown as an example in {% raw %} is shown as written, not resolved.
    example = Post.objects.get(slug="jekyll-3-3-is-here")
    assert '{{ "/docs/assets/" | relative_url }} =&gt; /myproject/docs/assets' in example.body_html
    # The sticker PNG is copied into media and its link rewritten; the SVG is refused.
    sticker = Post.objects.get(slug="jekyll-stickers-1-dollar-stickermule")
    assert "/media/posts/body/imported/jekyll-sticker-" in sticker.body_html
    assert report.images_copied == 1
    refused = [i for r in report.results for i in r.images if i.status == jekyll.REFUSED]
    assert [i.reference for i in refused] == ["/img/forestry-logo.svg"]


# --------------------------------------------------------------------------- messy input


def test_utf8_bom_before_the_front_matter(tmp_path):
    write(
        tmp_path, {"_posts/2020-01-02-bom.md": "\ufeff" + post_text("With a BOM", "layout: post\n")}
    )
    report = import_paths([tmp_path])
    post = Post.objects.get(slug="bom")
    assert report.created == 1
    assert post.title == "With a BOM" and post.extras["layout"] == "post"


def test_crlf_line_endings(tmp_path):
    text = "---\ntitle: Windows post\ncategories: [news]\n---\n\nLine one\n\nLine two\n"
    text = text.replace("\n", "\r\n")
    write(tmp_path, {"_posts/2020-01-02-crlf.md": text})
    import_paths([tmp_path])
    post = Post.objects.get(slug="crlf")
    assert post.title == "Windows post"
    assert [c.name for c in post.categories.all()] == ["news"]
    assert "\r" not in post.body and post.body_html.count("<p>") == 2


def test_no_front_matter_takes_the_title_from_the_first_heading(tmp_path):
    write(tmp_path, {"_posts/2021-07-01-plain.md": "# Plain Markdown\n\nJust text.\n"})
    report = import_paths([tmp_path])
    post = Post.objects.get(slug="plain")
    assert report.created == 1
    assert post.title == "Plain Markdown"
    assert "Plain Markdown" not in post.body_html  # the page shows it once, as its title
    assert timezone.localdate(post.publish_at).isoformat() == "2021-07-01"


def test_no_title_at_all_fails_with_a_reason(tmp_path):
    write(tmp_path, {"_posts/2021-07-01-untitled.md": "Text without any heading.\n"})
    report = import_paths([tmp_path])
    assert report.failed == 1
    assert "no title" in report.failures[0].reason


def test_broken_yaml_fails_that_file_and_the_others_are_imported(tmp_path, media_root):
    write(
        tmp_path,
        {
            "_posts/2020-01-01-good-one.md": post_text("Good one"),
            "_posts/2020-01-02-broken.md": (
                "---\ntitle: [unclosed\ncategories: broken-cat\n---\nBody\n"
            ),
            "_posts/2020-01-03-good-two.md": post_text("Good two"),
        },
    )
    report = import_paths([tmp_path])

    assert (report.created, report.failed) == (2, 1)
    failure = report.failures[0]
    assert failure.path.endswith("2020-01-02-broken.md")
    assert "broken YAML" in failure.reason
    assert set(Post.objects.values_list("slug", flat=True)) == {"good-one", "good-two"}
    assert not Category.objects.filter(slug="broken-cat").exists()


def test_unreadable_image_fails_the_post_and_leaves_nothing_behind(tmp_path, media_root):
    write(
        tmp_path,
        {
            "_posts/2020-01-02-bad-image.md": post_text(
                "Bad image",
                "categories: [only-here]\n",
                "![ok](/img/ok.png)\n\n![bad](/img/bad.jpg)",
            ),
            "img/ok.png": image_bytes((40, 30), fmt="PNG"),
            "img/bad.jpg": b"this is not a JPEG",
        },
    )
    report = import_paths([tmp_path])

    assert report.failed == 1
    assert "/img/bad.jpg" in report.failures[0].reason
    assert "not a readable image" in report.failures[0].reason
    assert not Post.objects.exists()
    assert not Category.objects.exists()
    assert media_files(media_root) == []


@pytest.mark.parametrize(
    ("file_name", "date_line", "expected"),
    [
        ("2022-8-13-short-date.md", "", "2022-08-13 00:00"),
        ("short-date.md", "date: 2022-8-13\n", "2022-08-13 00:00"),
        ("dotted.md", "date: 2020.03.27\n", "2020-03-27 00:00"),
        ("quoted.md", 'date: "2016-01-28 15:00:00 -0800"\n', "2016-01-29 07:00"),
        ("single-quoted.md", "date: '2019-05-01'\n", "2019-05-01 00:00"),
        ("yaml-date.md", "date: 2019-05-01 10:30:00\n", "2019-05-01 10:30"),
        ("iso.md", "date: 2019-05-01T10:30:00Z\n", "2019-05-01 18:30"),
    ],
)
def test_dates_in_the_forms_real_sites_use(tmp_path, file_name, date_line, expected):
    write(tmp_path, {f"_posts/{file_name}": post_text("Dated", date_line)})
    report = import_paths([tmp_path])
    assert report.failed == 0, report.failures
    post = Post.objects.get()
    # Shown in the site's time zone (Asia/Shanghai in the test settings).
    assert timezone.localtime(post.publish_at).strftime("%Y-%m-%d %H:%M") == expected


def test_a_date_that_is_not_a_date_fails(tmp_path):
    write(tmp_path, {"_posts/2020-01-01-x.md": post_text("X", "date: next tuesday\n")})
    report = import_paths([tmp_path])
    assert report.failed == 1 and "next tuesday" in report.failures[0].reason


@pytest.mark.parametrize("key", ["banner", "thumb", "poster", "hero_image", "image"])
def test_hero_image_under_the_usual_keys_is_copied_from_the_site_root(tmp_path, key):
    site = write(
        tmp_path / "site",
        {
            "_posts/2020-01-01-hero.md": post_text("Hero post", f"{key}: /assets/hero.jpg\n"),
            "assets/hero.jpg": image_bytes((320, 180)),
        },
    )
    report = import_paths([site / "_posts"], site_root=site)

    post = Post.objects.get(slug="hero")
    assert report.images_copied == 1
    assert post.hero_image.name.startswith("posts/hero/imported/hero-")
    assert (post.hero_image_width, post.hero_image_height) == (320, 180)
    assert post.hero_image_alt == "Hero post"
    assert post.hero_image.read() == (site / "assets/hero.jpg").read_bytes()
    assert post.extras["_jekyll"]["front_matter"][key] == "/assets/hero.jpg"


def test_image_paths_with_query_strings_and_relative_to_the_post(tmp_path, media_root):
    site = write(
        tmp_path / "site",
        {
            "_posts/2020-01-01-pictures.md": post_text(
                "Pictures",
                'image: "{{ site.baseurl }}/img/cover.png?v=2"\n',
                "![query](/img/photo.png?width=300#top)\n\n"
                "![next to the post](shots/next.png)\n\n"
                '<img src="../img/up.png" alt="up">\n\n'
                "![remote](https://example.org/x.png)",
            ),
            "img/cover.png": image_bytes((64, 36), fmt="PNG", seed=1),
            "img/photo.png": image_bytes((60, 40), fmt="PNG", seed=2),
            "_posts/shots/next.png": image_bytes((50, 40), fmt="PNG", seed=3),
            "img/up.png": image_bytes((30, 40), fmt="PNG", seed=4),
        },
    )
    report = import_paths([site])

    post = Post.objects.get(slug="pictures")
    assert report.images_copied == 4 and report.images_missing == 0
    assert post.hero_image.name.startswith("posts/hero/imported/cover-")
    for name in ("photo", "next", "up"):
        assert f"/media/posts/body/imported/{name}-" in post.body_html
    assert "https://example.org/x.png" in post.body_html  # remote images are left alone
    stored = [name for name in media_files(media_root) if not name.startswith("renditions/")]
    assert len(stored) == 4
    # The links as written are kept, so that an export can write them back.
    assert sorted(post.extras["_jekyll"]["images"].values()) == [
        "../img/up.png",
        "/img/photo.png?width=300#top",
        "shots/next.png",
    ]


def test_image_missing_from_the_site_root_is_reported_and_the_post_imports(tmp_path):
    site = write(
        tmp_path / "site",
        {
            "_posts/2020-01-01-gone.md": post_text(
                "Gone", "thumb: /img/gone.jpg\n", "![](/img/gone.jpg)"
            ),
        },
    )
    report = import_paths([site])
    post = Post.objects.get(slug="gone")
    assert not post.hero_image
    assert report.images_missing == 2
    assert all("not found" in image.reason for image in report.results[0].images)


def test_image_paths_cannot_climb_out_of_the_site(tmp_path):
    write(tmp_path, {"secret.png": image_bytes((10, 10), fmt="PNG")})
    site = write(
        tmp_path / "site",
        {
            "_posts/2020-01-01-escape.md": post_text("Escape", "", "![](../../secret.png)"),
        },
    )
    report = import_paths([site])
    assert report.images_copied == 0
    assert "/media/" not in Post.objects.get().body_html


def test_unknown_html_component_and_liquid_tags_are_kept_as_text_and_sanitised(tmp_path):
    body = (
        '<Callout type="warning">Read this first</Callout>\n\n'
        '{% include note.html content="hello" %}\n\n'
        "{{ site.repository }}\n\n"
        "<script>alert('x')</script>\n\n"
        '<img src="https://example.org/a.png" onerror="alert(1)">'
    )
    write(tmp_path, {"_posts/2020-01-01-tags.md": post_text("Tags", "", body)})
    import_paths([tmp_path])
    html = Post.objects.get().body_html
    assert "Read this first" in html and "<callout" not in html.lower()
    assert '{% include note.html content="hello" %}' in html.replace("&quot;", '"')
    assert "{{ site.repository }}" in html
    assert "<script" not in html and "onerror" not in html


def test_unknown_front_matter_keys_are_kept_and_language_is_read(tmp_path):
    write(
        tmp_path,
        {
            "_posts/2020-01-01-zh.md": post_text(
                "开放原子开源基金会新闻",
                "tags: [a, b]\npermalink: /old/zh/\nlast_modified_at: 2020-02-01\nauthor: Li Lei\n"
                "published: false\ncategory: 基金会 新闻\n",
            )
        },
    )
    import_paths([tmp_path])
    post = Post.objects.get()
    assert post.language == "zh-hans"
    assert post.status == Post.Status.DRAFT  # published: false
    assert post.author_name == "Li Lei" and post.author is None
    assert post.extras["tags"] == ["a", "b"]
    assert post.extras["permalink"] == "/old/zh/"
    assert post.extras["last_modified_at"] == "2020-02-01"
    assert [c.name for c in post.categories.all()] == ["基金会 新闻"]  # `category` is one name


def test_chinese_file_name_gets_a_stable_ascii_slug(tmp_path):
    write(tmp_path, {"_posts/2020-01-01-基金会新闻.md": post_text("基金会新闻")})
    import_paths([tmp_path])
    first = Post.objects.get().slug
    assert first == "ji-jin-hui-xin-wen"  # pinyin (posts/slugs.py)
    assert import_paths([tmp_path]).skipped == 1  # same slug again: recognised


def test_two_files_with_the_same_slug_in_one_import(tmp_path):
    write(
        tmp_path,
        {
            "a/_posts/2020-01-01-same.md": post_text("First"),
            "b/_posts/2021-01-01-same.md": post_text("Second"),
        },
    )
    report = import_paths([tmp_path])
    assert (report.created, report.failed) == (1, 1)
    assert "same slug" in report.failures[0].reason
    assert Post.objects.get().title == "First"


# --------------------------------------------------------------------------- dry run, re-import


def test_dry_run_writes_nothing_but_reports_what_would_happen(tmp_path, media_root):
    site = write(
        tmp_path,
        {
            "_posts/2020-01-01-one.md": post_text(
                "One", "image: /img/a.png\ncategories: [new-cat]\n"
            ),
            "_posts/2020-01-02-two.md": post_text("Two", "image: /img/missing.png\n"),
            "img/a.png": image_bytes((20, 20), fmt="PNG"),
        },
    )
    report = import_paths([site], dry_run=True)

    assert report.dry_run
    assert (report.created, report.images_copied, report.images_missing) == (2, 1, 1)
    assert report.results[0].categories_created == ["new-cat"]
    assert report.summary().startswith("Dry run, nothing was written")
    assert not Post.objects.exists()
    assert not Category.objects.exists()
    assert media_files(media_root) == []


def test_reimport_never_duplicates_and_update_overwrites(tmp_path, media_root):
    site = write(
        tmp_path,
        {
            "_posts/2020-01-01-again.md": post_text("Again", "image: /img/a.png\n", "Version one."),
            "img/a.png": image_bytes((20, 20), fmt="PNG"),
        },
    )
    assert import_paths([site]).created == 1
    files_after_first = media_files(media_root)

    second = import_paths([site])
    assert (second.created, second.skipped) == (0, 1)
    assert Post.objects.count() == 1

    write(
        site,
        {
            "_posts/2020-01-01-again.md": post_text(
                "Again, edited", "image: /img/a.png\n", "Version two."
            )
        },
    )
    third = import_paths([site], update=True)
    assert (third.created, third.updated) == (0, 1)
    post = Post.objects.get()
    assert post.title == "Again, edited" and "Version two." in post.body_html
    # The same image is not copied a second time.
    assert media_files(media_root) == files_after_first
    assert third.images_reused == 1


def test_update_keeps_what_editors_decided(tmp_path):
    site = write(tmp_path, {"_posts/2020-01-01-kept.md": post_text("Kept")})
    import_paths([site])
    Post.objects.filter(slug="kept").update(status=Post.Status.DRAFT)
    import_paths([site], update=True)
    assert Post.objects.get().status == Post.Status.DRAFT


# --------------------------------------------------------------------------- zip, single files


def make_zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def test_a_zip_of_a_site_imports_with_its_images(tmp_path, media_root):
    buffer = make_zip(
        {
            "mysite/_posts/2020-05-01-zipped.md": post_text(
                "Zipped", "banner: /img/z.png\n", "![inside]({{ '/img/body.png' | relative_url }})"
            ),
            "mysite/img/z.png": image_bytes((40, 20), fmt="PNG"),
            "mysite/img/body.png": image_bytes((20, 40), fmt="PNG", seed=2),
            "mysite/README.md": "not a post",
        }
    )
    path = tmp_path / "site.zip"
    path.write_bytes(buffer.getvalue())

    report = import_paths([path])

    assert (report.created, report.failed, report.images_copied) == (1, 0, 2)
    post = Post.objects.get(slug="zipped")
    assert post.hero_image and "/media/posts/body/imported/body-" in post.body_html
    assert report.results[0].path == f"{path}:mysite/_posts/2020-05-01-zipped.md"


def test_an_uploaded_zip_file_object_can_be_imported():
    buffer = make_zip({"_posts/2020-05-01-upload.md": post_text("Uploaded")})
    report = import_zip(buffer, name="upload.zip")
    assert report.created == 1 and Post.objects.get().title == "Uploaded"


def test_a_file_that_is_not_a_zip_or_a_post_is_reported(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    (tmp_path / "notes.txt").write_text("hello")
    report = import_paths([tmp_path / "bad.zip", tmp_path / "notes.txt", tmp_path / "nowhere"])
    assert report.failed == 3
    assert [r.reason for r in report.results][2] == "no such file or folder"


def test_a_single_file_can_be_imported(tmp_path):
    path = write(tmp_path, {"2020-02-02-single.markdown": post_text("Single")}) / (
        "2020-02-02-single.markdown"
    )
    assert import_paths([path]).created == 1


# --------------------------------------------------------------------------- the command


def test_command_prints_problems_and_the_summary(tmp_path):
    write(tmp_path, {"_posts/2020-01-01-cmd.md": post_text("Cmd", "image: /img/none.jpg\n")})
    out = io.StringIO()
    call_command("import_jekyll", str(tmp_path), "--dry-run", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "hero image missing: /img/none.jpg" in text
    assert "would have created 1" in text
    assert not Post.objects.exists()

    call_command("import_jekyll", str(tmp_path), stdout=out, stderr=io.StringIO())
    assert Post.objects.filter(slug="cmd").exists()


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs the command."""

    def isatty(self):
        return True


def test_command_draws_a_progress_bar_on_a_terminal_then_the_summary(tmp_path):
    write(
        tmp_path,
        {"_posts/2020-01-01-one.md": post_text("One"), "_posts/2020-01-02-two.md": post_text()},
    )
    out, terminal = io.StringIO(), Terminal()

    call_command("import_jekyll", str(tmp_path), stdout=out, stderr=terminal)

    bar = terminal.getvalue()
    assert "\r[" + "#" * 15 + "." * 15 + "] 1/2 " in bar
    assert "\r[" + "#" * 30 + "] 2/2 " in bar and bar.endswith("\r\033[K")  # then cleared
    assert out.getvalue().splitlines()[-1] == (
        "Created 2, updated 0, skipped 0, failed 0; images copied 0 (0 already in media), "
        "images missing 0."
    )
    # Off a terminal nothing is drawn.
    quiet = io.StringIO()
    call_command("import_jekyll", str(tmp_path), stdout=io.StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""


def test_command_fails_with_status_when_a_file_failed(tmp_path):
    write(
        tmp_path,
        {
            "_posts/2020-01-01-ok.md": post_text("Ok"),
            "_posts/2020-01-02-bad.md": "---\ntitle: : :\n  - x\n---\n",
        },
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("import_jekyll", str(tmp_path), stdout=out, stderr=io.StringIO())
    assert "FAILED" in out.getvalue() and "2020-01-02-bad.md" in out.getvalue()
    assert Post.objects.filter(slug="ok").exists()


def test_a_remote_hero_image_is_reported_and_kept_for_export(tmp_path):
    write(
        tmp_path,
        {"_posts/2020-01-01-remote.md": post_text("Remote", "image: https://x.org/a.jpg\n")},
    )
    report = import_paths([tmp_path])
    post = Post.objects.get()
    assert not post.hero_image and report.images_missing == 1
    assert "remote images are not downloaded" in report.results[0].images[0].reason
    assert post.extras["_jekyll"]["front_matter"]["image"] == "https://x.org/a.jpg"


# --------------------------------------------------------------------------- publishing rights


@pytest.fixture
def site_zip():
    """An old site whose posts would all go live, one of them over a live post here."""
    make_post("Hello, as it is live here", slug="hello")
    return make_zip(
        {
            "_posts/2023-06-11-hello.md": post_text("Hello from the old site"),
            "_posts/2023-06-12-news.md": post_text("News"),
            "_posts/2023-06-13-hidden.md": post_text("Hidden", "published: false\n"),
        }
    ).getvalue()


def import_through_the_admin(client, user, data):
    client.force_login(user)
    page = client.post(
        reverse("admin:posts_post_import"),
        {"file": SimpleUploadedFile("site.zip", data), "update": "on"},
    )
    assert page.status_code == 200
    done = client.post(
        reverse("admin:posts_post_import"), {"token": page.context["token"]}, follow=True
    )
    return page.content.decode(), done.content.decode()


def test_importer_without_publish_rights_gets_drafts_and_cannot_overwrite_live_posts(
    client, site_zip
):
    importer = User.objects.create_user("importer", password="import-pass-123", is_staff=True)
    importer.groups.add(Group.objects.get(name="Staff importers"))
    assert not importer.has_perm("posts.publish_post")

    report, done = import_through_the_admin(client, importer, site_zip)

    for text in (report, done):
        assert "1 post imported as draft: you may not publish." in text
    assert "only a user who may publish can overwrite it" in report  # the dry run says so
    live = Post.objects.get(slug="hello")
    assert (live.title, live.status) == ("Hello, as it is live here", Post.Status.PUBLISHED)
    assert Post.objects.get(slug="news").status == Post.Status.DRAFT
    assert Post.objects.get(slug="hidden").status == Post.Status.DRAFT
    assert list(Post.objects.published().values_list("slug", flat=True)) == ["hello"]


def test_editor_with_import_rights_publishes_and_overwrites(client, site_zip, editor):
    editor.groups.add(Group.objects.get(name="Staff importers"))

    report, done = import_through_the_admin(client, User.objects.get(pk=editor.pk), site_zip)

    assert "you may not publish" not in report + done
    assert Post.objects.get(slug="hello").title == "Hello from the old site"
    assert sorted(Post.objects.published().values_list("slug", flat=True)) == ["hello", "news"]
    assert Post.objects.get(slug="hidden").status == Post.Status.DRAFT
