"""Restoring posts from a JSON export: the round trip, re-import, bad input, the admin page."""

import hashlib
import io
import json
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from foundation.factories import (
    image_bytes,
    image_file,
    make_category,
    make_post,
    make_project,
)
from posts import exports
from posts.imports.restore import restore
from posts.models import Category, Image, Post

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "foundation/demo/jekyll/_posts/2023-06-11-carsmos-donation-signing-ceremony.md"
JEKYLL_DOCS = REPO / "tests/fixtures/jekyll-docs"

IMPORT = "admin:posts_post_import"
CHANGELIST = "admin:posts_post_changelist"


def sha256(name):
    return hashlib.sha256(default_storage.open(name).read()).hexdigest()


def body_image(name, seed=1):
    stored = default_storage.save(
        f"posts/body/{name}", image_file(name, size=(320, 200), seed=seed)
    )
    return default_storage.url(stored)


def make_corpus():
    """Posts with what real content has: Chinese, tables, raw HTML, images, extras…"""
    foundation = make_category("基金会", description="关于基金会。", position=1)
    releases = make_category("Releases")
    tongsuo = make_project("Tongsuo")
    carsmos = make_project("Carsmos")
    figure = body_image("figure.png")
    chart = body_image("图表.png", seed=2)
    make_post(
        "开放原子开源基金会与 CARSMOS 举行捐赠签约仪式",
        slug="carsmos-signing",
        language="zh-hans",
        hero=True,
        hero_image_caption="签约现场",
        categories=[foundation],
        projects=[carsmos],
        summary="签约仪式。",
        author_name="基金会",
        body=(
            "六月十一日……\n\n"
            f'<div align="center">\n  <img src="{figure}" alt="" style="width:90%;" />\n</div>\n'
            "<center>合影</center>\n\n"
            "| **项目** | **捐赠方** |\n| --- | --- |\n| Vearch | 京东 |\n\n"
            f"![图表]({chart})\n"
        ),
        extras={"layout": "post", "hero": "blog_details", "comments": True},
    )
    make_post(
        "Tongsuo 8.4 released",
        slug="tongsuo-8-4",
        categories=[releases, foundation],
        projects=[tongsuo, carsmos],
        body="Use `{{ server_ip }}` in the config.\n\n```\n<script>alert(1)</script>\n```",
        extras={"version": "8.4.0", "tags": ["crypto", "release"]},
    )
    original = Post.objects.get(slug="carsmos-signing")
    make_post(
        "Carsmos donation signed",
        slug="carsmos-signing-en",
        language="en",
        translation_of=original,
        publish_at=original.publish_at - timedelta(hours=1),  # restored before its original
        meta_title="Carsmos joins the foundation",
        meta_description="The signing ceremony, in English.",
        expire_at=timezone.now() + timedelta(days=30),
    )
    make_post("A draft", slug="a-draft", status=Post.Status.DRAFT, body="- not yet")
    make_post(
        "Scheduled",
        slug="scheduled",
        publish_at=timezone.now() + timedelta(days=2),
        hero=True,
    )


def state():
    """What a reader of the site (or an editor) would compare, post by post."""
    result = {}
    for post in Post.objects.prefetch_related("categories", "projects"):
        result[post.slug] = {
            "title": post.title,
            "status": post.status,
            "publish_at": post.publish_at,
            "language": post.language,
            "summary": post.summary,
            "author_name": post.author_name,
            "body": post.body,
            "body_html": post.body_html,
            "extras": post.extras,
            "categories": sorted(c.slug for c in post.categories.all()),
            "projects": sorted(p.slug for p in post.projects.all()),
            "hero": sha256(post.hero_image.name) if post.hero_image else None,
            "hero_size": (post.hero_image_width, post.hero_image_height),
            "hero_alt": post.hero_image_alt,
            "hero_caption": post.hero_image_caption,
            "media": sorted(sha256(name) for _url, name in exports.body_media(post.body)),
            "created_at": post.created_at,
            "translation_of": post.translation_of.slug if post.translation_of else None,
            **{field.name: getattr(post, field.name) for field in exports.plain_fields()},
        }
    return result


def wipe(settings, categories=True):
    Post.objects.all().delete()
    if categories:
        Category.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT)
    settings.MEDIA_ROOT.mkdir()


def export_to(path, fmt="json-zip"):
    with open(path, "wb") as target:
        exports.write(Post.objects.all(), fmt, target)
    return path


def test_round_trip_into_an_emptied_site_gives_everything_back(tmp_path, settings):
    make_corpus()
    before = state()
    bundle = export_to(tmp_path / "backup.zip")
    wipe(settings)

    report = restore(bundle)

    assert sorted(report.created) == sorted(before)
    assert report.failed == [] and report.images_missing == []
    assert report.images_restored == 4  # two heroes, two body images
    assert set(report.categories_created) == {"基金会", "releases"}
    assert state() == before
    restored = Category.objects.get(slug="基金会")
    assert (restored.name, restored.description, restored.position) == ("基金会", "关于基金会。", 1)


def image_bytes_by_post():
    """Each post's hero and body image files, as bytes, in the order the post names them."""
    result = {}
    for post in Post.objects.all():
        names = [post.hero_image.name] if post.hero_image else []
        names += [name for _url, name in exports.body_media(post.body)]
        result[post.slug] = [default_storage.open(name).read() for name in names]
    return result


def test_round_trip_of_the_sample_post_and_jekyll_docs_through_the_commands(tmp_path, settings):
    """Issue 3's first "done when": the old site's posts, imported with their images,
    come back from a JSON export into an emptied site as they were."""
    # The sample post with its images (not kept in the repository: generated here, in
    # the places its front matter and body name).
    sample_site = tmp_path / "sample-site"
    (sample_site / "_posts").mkdir(parents=True)
    shutil.copy(SAMPLE, sample_site / "_posts" / SAMPLE.name)
    originals = {
        "img/blog/d1.jpg": image_bytes(size=(800, 450), text="d1", seed=1),
        "img/blog/d2.png": image_bytes(size=(640, 360), text="d2", fmt="PNG", seed=2),
    }
    for name, data in originals.items():
        (sample_site / name).parent.mkdir(parents=True, exist_ok=True)
        (sample_site / name).write_bytes(data)
    originals["img/jekyll-sticker.png"] = (JEKYLL_DOCS / "img/jekyll-sticker.png").read_bytes()
    out = io.StringIO()
    call_command("import_jekyll", str(sample_site), stdout=out, stderr=io.StringIO())
    call_command("import_jekyll", str(JEKYLL_DOCS), stdout=out, stderr=io.StringIO())
    assert Post.objects.count() == 103
    sample = Post.objects.get(slug="carsmos-donation-signing-ceremony")
    assert sample.hero_image and len(exports.body_media(sample.body)) == 2
    # What editors do afterwards: related projects, and every status.
    carsmos, jekyll_project = make_project("Carsmos"), make_project("Jekyll")
    sample.projects.set([carsmos])
    Post.objects.get(slug="jekyll-4-0-0-released").projects.set([jekyll_project, carsmos])
    for slug, status in [
        ("jekyll-1-0-0-released", Post.Status.DRAFT),
        ("jekyll-1-0-1-released", Post.Status.IN_REVIEW),
        ("jekyll-1-0-2-released", Post.Status.UNPUBLISHED),
        ("jekyll-1-0-3-released", Post.Status.ARCHIVED),
    ]:
        Post.objects.filter(slug=slug).update(status=status)
    before = state()
    image_bytes_before = image_bytes_by_post()
    assert set(originals.values()) <= {b for files in image_bytes_before.values() for b in files}
    bundle = tmp_path / "backup.zip"
    call_command("export_posts", "--format", "json", "-o", str(bundle), stderr=io.StringIO())

    wipe(settings)
    Image.objects.all().delete()
    assert not Post.objects.exists() and not any(settings.MEDIA_ROOT.iterdir())
    call_command("import_posts", str(bundle), stdout=out, stderr=io.StringIO())

    after = state()
    assert sorted(after) == sorted(before)
    for slug, fields in before.items():
        for name in ("title", "status", "publish_at", "categories", "projects", "language",
                     "body", "extras", "hero", "media"):  # fmt: skip
            assert after[slug][name] == fields[name], (slug, name)
    assert after == before  # and everything else the state shows
    # The image files, byte for byte, are the old site's own.
    restored = Post.objects.get(slug="carsmos-donation-signing-ceremony")
    assert default_storage.open(restored.hero_image.name).read() == originals["img/blog/d1.jpg"]
    assert image_bytes_by_post() == image_bytes_before


def test_restoring_again_changes_nothing(tmp_path):
    make_corpus()
    bundle = export_to(tmp_path / "backup.zip")
    before = state()

    report = restore(bundle)

    assert sorted(report.unchanged) == sorted(before)
    assert report.created == report.updated == []
    assert Post.objects.count() == 5
    assert state() == before


def test_restoring_puts_back_what_an_editor_changed(tmp_path):
    make_corpus()
    bundle = export_to(tmp_path / "backup.zip")
    before = state()
    post = Post.objects.get(slug="tongsuo-8-4")
    post.title = "Changed"
    post.save()
    post.categories.clear()

    report = restore(bundle)

    assert report.updated == ["tongsuo-8-4"]
    assert state() == before


def test_plain_json_takes_images_from_a_media_folder(tmp_path, settings):
    make_corpus()
    before = state()
    export_to(tmp_path / "posts.json", "json")
    shutil.copytree(settings.MEDIA_ROOT, tmp_path / "old-media")
    wipe(settings)

    call_command(
        "import_posts", str(tmp_path / "posts.json"), "--media-dir", str(tmp_path / "old-media")
    )

    assert state() == before


def test_plain_json_without_the_files_reports_them_missing(tmp_path, settings):
    make_corpus()
    export_to(tmp_path / "posts.json", "json")
    wipe(settings)

    report = restore(tmp_path / "posts.json")

    assert len(report.created) == 5
    assert {path for _slug, path, _reason in report.images_missing} >= {"posts/body/figure.png"}
    assert not Post.objects.get(slug="scheduled").hero_image


def test_missing_projects_are_reported_and_left_out(tmp_path, settings):
    make_corpus()
    export_to(tmp_path / "backup.zip")
    wipe(settings)
    from projects.models import Project

    Project.objects.filter(slug="carsmos").delete()

    report = restore(tmp_path / "backup.zip")

    assert report.projects_missing == {"carsmos": ["carsmos-signing", "tongsuo-8-4"]}
    assert list(Post.objects.get(slug="tongsuo-8-4").projects.values_list("slug", flat=True)) == [
        "tongsuo"
    ]


def _rewrite_bundle(source, target, change):
    """Copy a bundle, passing its posts.json through ``change(document)``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "posts.json":
                document = json.loads(data)
                change(document)
                data = json.dumps(document).encode()
            new.writestr(item.filename, data)
    return target


def test_one_bad_post_among_good_ones_is_reported(tmp_path, settings):
    make_corpus()
    export_to(tmp_path / "backup.zip")
    wipe(settings)

    def break_one(document):
        records = {record["slug"]: record for record in document["posts"]}
        records["tongsuo-8-4"]["status"] = "sold"
        records["scheduled"]["hero_image"] = None
        records["scheduled"]["title"] = ""

    report = restore(_rewrite_bundle(tmp_path / "backup.zip", tmp_path / "bad.zip", break_one))

    failed = dict(report.failed)
    assert len(failed) == 2
    assert set(failed) == {"tongsuo-8-4", "scheduled"}
    assert "sold" in failed["tongsuo-8-4"]
    assert Post.objects.count() == 3


def test_a_file_whose_bytes_do_not_match_its_checksum_is_not_restored(tmp_path, settings):
    make_corpus()
    export_to(tmp_path / "backup.zip")
    wipe(settings)

    def tamper(document):
        for record in document["posts"]:
            if record["hero_image"]:
                record["hero_image"]["sha256"] = "0" * 64

    report = restore(_rewrite_bundle(tmp_path / "backup.zip", tmp_path / "t.zip", tamper))

    assert {reason for _s, _p, reason in report.images_missing} == {"checksum does not match"}
    assert not any(post.hero_image for post in Post.objects.all())


def test_unsafe_paths_are_refused(tmp_path, settings):
    make_corpus()
    export_to(tmp_path / "backup.zip")
    wipe(settings)

    def escape(document):
        document["posts"][0]["media"] = [
            {"path": "../../outside.png", "url": "/x", "sha256": "0" * 64, "size": 1}
        ]

    report = restore(_rewrite_bundle(tmp_path / "backup.zip", tmp_path / "e.zip", escape))

    assert ("../../outside.png", "unsafe file name") in [
        (p, r) for _s, p, r in report.images_missing
    ]
    assert not (settings.MEDIA_ROOT.parent / "outside.png").exists()


def test_dry_run_writes_nothing(tmp_path, settings):
    make_corpus()
    export_to(tmp_path / "backup.zip")
    wipe(settings)

    report = restore(tmp_path / "backup.zip", dry_run=True)

    assert len(report.created) == 5
    assert report.failed == []
    assert report.categories_created == ["基金会", "releases"]
    assert report.summary().startswith("Dry run")
    assert Post.objects.count() == 0 and Category.objects.count() == 0
    assert not any(settings.MEDIA_ROOT.iterdir())


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not json at all", "Not a JSON export"),
        (b'{"format": "foundation-news.posts", "posts": [{"slug": ', "broken"),
        (b'{"format": "something-else", "posts": []}', "format"),
        (b'{"format": "foundation-news.posts", "version": 99, "posts": []}', "version"),
        (b'{"rows": []}', "no \u201cposts\u201d"),
    ],
)
def test_files_that_are_not_exports_are_refused_clearly(tmp_path, content, message):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_posts", str(path))


def test_import_posts_command_reports_and_summarises(tmp_path, settings, capsys):
    make_corpus()
    export_to(tmp_path / "backup.zip")
    wipe(settings)
    from projects.models import Project

    Project.objects.filter(slug="tongsuo").delete()

    call_command("import_posts", str(tmp_path / "backup.zip"))

    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1].startswith("5 created, 0 updated, 0 unchanged, 0 failed")
    assert "PROJECT MISSING tongsuo" in err
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_posts", str(tmp_path / "missing.json"))


def test_the_reader_streams_posts_one_at_a_time():
    from posts.imports.restore import read_export

    posts = [{"slug": f"p{n}", "body": "x" * 70_000} for n in range(3)]
    text = json.dumps({"format": exports.FORMAT_NAME, "count": 3, "posts": posts, "tail": 1})
    header, records = read_export(io.StringIO(text))
    assert header["count"] == 3
    assert next(records)["slug"] == "p0"
    assert [r["slug"] for r in records] == ["p1", "p2"]
    assert header["tail"] == 1


# The admin's Import page ------------------------------------------------------------------


@pytest.fixture
def importer(db):
    user = User.objects.create_user("importer", password="import-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Staff importers"))
    return user


def test_import_page_is_forbidden_without_permission(client, editor):
    client.force_login(editor)
    assert client.get(reverse(IMPORT)).status_code == 403
    assert client.post(reverse(IMPORT), {"token": "x"}).status_code == 403


def test_import_page_shows_a_dry_run_then_imports_on_confirmation(
    client, importer, tmp_path, settings
):
    make_corpus()
    data = export_to(tmp_path / "backup.zip").read_bytes()
    wipe(settings)
    client.force_login(importer)
    assert client.get(reverse(CHANGELIST)).status_code == 200

    page = client.post(
        reverse(IMPORT), {"file": SimpleUploadedFile("backup.zip", data, "application/zip")}
    )

    assert page.status_code == 200
    assert "5 created" in page.content.decode()
    assert Post.objects.count() == 0  # nothing written yet
    token = page.context["token"]

    response = client.post(reverse(IMPORT), {"token": token})
    assert response.status_code == 302
    assert Post.objects.count() == 5
    assert sha256(Post.objects.get(slug="scheduled").hero_image.name)
    # The token is used up with its file.
    again = client.post(reverse(IMPORT), {"token": token}, follow=True)
    assert "already run or expired" in again.content.decode()


def test_import_page_takes_a_jekyll_zip(client, importer):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_posts/2023-06-11-hello.md", "---\ntitle: Hello\n---\n\nBody.\n")
        archive.writestr("_posts/2023-06-12-broken.md", "---\ntitle: [unclosed\n---\nBody\n")
    client.force_login(importer)

    page = client.post(reverse(IMPORT), {"file": SimpleUploadedFile("site.zip", buffer.getvalue())})
    content = page.content.decode()
    assert "broken" in content and "YAML" in content
    client.post(reverse(IMPORT), {"token": page.context["token"]})
    assert list(Post.objects.values_list("slug", flat=True)) == ["hello"]


def test_import_token_is_bound_to_its_user(client, importer, tmp_path):
    make_post("One")
    data = export_to(tmp_path / "posts.json", "json").read_bytes()
    client.force_login(importer)
    token = client.post(reverse(IMPORT), {"file": SimpleUploadedFile("p.json", data)}).context[
        "token"
    ]
    other = User.objects.create_user("other", password="other-pass-123", is_staff=True)
    other.groups.add(Group.objects.get(name="Staff importers"))
    client.force_login(other)
    assert client.post(reverse(IMPORT), {"token": token}).status_code == 403


def test_import_page_refuses_other_files(client, importer):
    client.force_login(importer)
    page = client.post(reverse(IMPORT), {"file": SimpleUploadedFile("notes.txt", b"hello")})
    assert page.status_code == 200
    assert "Upload a zip of a Jekyll site or a JSON export" in page.content.decode()


# Importing does not grant publishing ------------------------------------------------------


@pytest.fixture
def editor_importer(editor):
    """An editor (who may publish) who is also in the Staff importers group."""
    editor.groups.add(Group.objects.get(name="Staff importers"))
    return User.objects.get(pk=editor.pk)


def upload(client, data, name="backup.zip"):
    return client.post(reverse(IMPORT), {"file": SimpleUploadedFile(name, data)})


def test_importer_without_publish_rights_restores_published_posts_as_drafts(
    client, importer, tmp_path, settings
):
    assert not importer.has_perm("posts.publish_post")
    make_corpus()
    statuses = dict(Post.objects.values_list("slug", "status"))
    data = export_to(tmp_path / "backup.zip").read_bytes()
    wipe(settings)
    client.force_login(importer)

    page = upload(client, data)
    content = page.content.decode()
    assert "4 posts imported as drafts: you may not publish." in content
    assert "imported as draft: you may not publish" in content
    assert sorted(page.context["drafted"]) == sorted(
        slug for slug, status in statuses.items() if status == Post.Status.PUBLISHED
    )
    response = client.post(reverse(IMPORT), {"token": page.context["token"]}, follow=True)

    assert "4 posts imported as drafts: you may not publish." in response.content.decode()
    assert set(Post.objects.values_list("status", flat=True)) == {Post.Status.DRAFT}
    assert not Post.objects.published().exists()
    # Everything else came back: only the status differs.
    assert Post.objects.count() == 5 and sha256(Post.objects.get(slug="scheduled").hero_image.name)


def test_importer_without_publish_rights_cannot_overwrite_a_live_post(client, importer, tmp_path):
    make_corpus()
    statuses = dict(Post.objects.values_list("slug", "status"))
    data = export_to(tmp_path / "backup.zip").read_bytes()
    Post.objects.filter(slug="tongsuo-8-4").update(title="Tongsuo 8.4 is out")  # live
    Post.objects.filter(slug="a-draft").update(title="A draft, rewritten")
    client.force_login(importer)

    page = upload(client, data)
    assert "only a user who may publish can overwrite it" in page.content.decode()
    client.post(reverse(IMPORT), {"token": page.context["token"]})

    live = Post.objects.get(slug="tongsuo-8-4")
    assert (live.title, live.status) == ("Tongsuo 8.4 is out", Post.Status.PUBLISHED)
    assert Post.objects.get(slug="a-draft").title == "A draft"  # the others went on
    assert dict(Post.objects.values_list("slug", "status")) == statuses  # none went off


def test_editor_with_import_rights_restores_and_overwrites_published_posts(
    client, editor_importer, tmp_path, settings
):
    make_corpus()
    before = state()
    data = export_to(tmp_path / "backup.zip").read_bytes()
    Post.objects.filter(slug="tongsuo-8-4").update(title="Tongsuo 8.4 is out")
    client.force_login(editor_importer)

    page = upload(client, data)
    assert "you may not publish" not in page.content.decode()
    client.post(reverse(IMPORT), {"token": page.context["token"]})

    assert Post.objects.get(slug="tongsuo-8-4").title == "Tongsuo 8.4 released"
    assert {slug: post["status"] for slug, post in state().items()} == {
        slug: post["status"] for slug, post in before.items()
    }


def test_import_posts_command_keeps_full_rights(tmp_path, settings):
    make_corpus()
    published = set(
        Post.objects.filter(status=Post.Status.PUBLISHED).values_list("slug", flat=True)
    )
    bundle = export_to(tmp_path / "backup.zip")
    wipe(settings)
    call_command("import_posts", str(bundle), stdout=io.StringIO(), stderr=io.StringIO())
    assert (
        set(Post.objects.filter(status=Post.Status.PUBLISHED).values_list("slug", flat=True))
        == published
    )


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs the command."""

    def isatty(self):
        return True


def test_import_posts_draws_a_progress_bar_on_a_terminal_then_the_summary(tmp_path, settings):
    make_corpus()
    export_to(tmp_path / "backup.zip")
    wipe(settings)
    out, terminal = io.StringIO(), Terminal()

    call_command("import_posts", str(tmp_path / "backup.zip"), stdout=out, stderr=terminal)

    bar = terminal.getvalue()
    assert "] 1/5 " in bar and "\r[" + "#" * 30 + "] 5/5 " in bar
    assert bar.endswith("\r\033[K")  # cleared before the summary
    assert out.getvalue().splitlines()[-1].startswith("5 created, 0 updated")
    # Off a terminal nothing is drawn.
    quiet = io.StringIO()
    call_command("import_posts", str(tmp_path / "backup.zip"), stdout=io.StringIO(), stderr=quiet)
    assert "\r[" not in quiet.getvalue()
