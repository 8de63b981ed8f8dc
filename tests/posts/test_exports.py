"""Exporting posts: CSV, JSON and Jekyll; the command, the admin entry points, permissions."""

import csv
import difflib
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from foundation.factories import image_file, make_category, make_post, make_project
from posts import exports
from posts.imports import jekyll
from posts.models import Category, Post
from tests.conftest import grant

pytestmark = pytest.mark.django_db

# The sample post of the old site, as copied into the repository (foundation/demo/README.md).
SAMPLE_SITE = Path(__file__).resolve().parents[2] / "foundation" / "demo" / "jekyll"
JEKYLL_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "jekyll-docs"
CHANGELIST = "admin:posts_post_changelist"
EXPORT = "admin:posts_post_export"


def body_image(name="diagram.png", seed=3):
    """A body image stored as the editor's upload would be; returns its media URL."""
    stored = default_storage.save(
        f"posts/body/{name}", image_file(name, size=(400, 300), seed=seed)
    )
    return default_storage.url(stored)


def exported(queryset, fmt):
    return b"".join(exports.export(queryset, fmt))


def zip_files(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return {name: archive.read(name) for name in archive.namelist()}


def front_matter(text):
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert match, text[:200]
    return yaml.safe_load(match.group(1)), text[match.end() :]


# CSV --------------------------------------------------------------------------------------


def test_csv_has_a_bom_the_columns_and_chinese_text():
    category = make_category("基金会")
    project = make_project("Carsmos")
    post = make_post(
        "开放原子开源基金会 news",
        categories=[category],
        projects=[project],
        hero=True,
        language="zh-hans",
        summary="一句话。",
        body="正文 | 表格\n--- | ---\n一 | 二",
    )
    data = exported(Post.objects.all(), "csv")

    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == exports.CSV_COLUMNS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["title"] == "开放原子开源基金会 news"
    assert row["categories"] == "基金会"
    assert row["projects"] == "Carsmos"
    assert row["summary"] == "一句话。"
    assert row["body"] == post.body
    assert row["language"] == "zh-hans"
    assert row["url"] == "http://127.0.0.1:8000" + post.get_absolute_url()
    assert post.slug in row["url"]
    assert row["hero_image_url"] == "http://127.0.0.1:8000" + post.hero_image.url
    assert row["hero_image_alt"] == post.hero_image_alt
    # ISO 8601 with the zone, in the site's time zone.
    assert row["publish_at"] == timezone.localtime(post.publish_at).isoformat()
    assert row["publish_at"].endswith("+08:00")


@pytest.mark.parametrize("dangerous", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "'quoted"])
def test_csv_neutralises_cells_a_spreadsheet_would_run(dangerous):
    make_post("Safe title", summary=dangerous, author_name=dangerous, body=dangerous + " body")
    make_post(dangerous + " in the title", slug="formula")
    rows = list(
        csv.DictReader(io.StringIO(exported(Post.objects.all(), "csv").decode("utf-8-sig")))
    )

    cells = [rows[0]["summary"], rows[0]["author"], rows[0]["body"], rows[1]["title"]]
    for cell in cells:
        assert cell.startswith("'"), cell
        assert not cell.startswith(("=", "+", "-", "@", "\t"))
    # The apostrophe is only a guard: reading the export back gives the value as written.
    assert exports.unneutralise(rows[0]["summary"]) == dangerous
    assert exports.unneutralise(rows[1]["title"]) == dangerous + " in the title"


def test_csv_leaves_ordinary_cells_alone():
    make_post("A plain title", summary="Plain summary with = inside")
    row = next(csv.DictReader(io.StringIO(exported(Post.objects.all(), "csv").decode("utf-8-sig"))))
    assert row["title"] == "A plain title"
    assert row["summary"] == "Plain summary with = inside"


# JSON -------------------------------------------------------------------------------------


def test_json_has_a_header_and_every_field_with_checksums():
    category = make_category("Releases", description="Versions.", position=3)
    project = make_project("Tongsuo")
    url = body_image()
    post = make_post(
        "Tongsuo 8.4",
        categories=[category],
        projects=[project],
        hero=True,
        body=f"See ![diagram]({url}).",
        extras={"layout": "post", "hero": "blog_details", "comments": True},
    )
    document = json.loads(exported(Post.objects.all(), "json"))

    assert document["format"] == exports.FORMAT_NAME
    assert document["version"] == exports.FORMAT_VERSION
    assert document["site_url"] == "http://127.0.0.1:8000"
    assert document["count"] == 1
    assert {"slug": "releases", "name": "Releases", "description": "Versions.", "position": 3} in (
        document["categories"]
    )
    record = document["posts"][0]
    assert record["slug"] == post.slug
    assert record["categories"] == ["releases"]
    assert record["projects"] == ["tongsuo"]
    assert record["extras"] == {"layout": "post", "hero": "blog_details", "comments": True}
    hero_bytes = default_storage.open(post.hero_image.name).read()
    assert record["hero_image"]["sha256"] == hashlib.sha256(hero_bytes).hexdigest()
    assert record["hero_image"]["alt"] == post.hero_image_alt
    assert record["hero_image"]["url"] == "http://127.0.0.1:8000" + post.hero_image.url
    [media] = record["media"]
    assert media["path"] == url.removeprefix("/media/")
    assert media["sha256"] == hashlib.sha256(default_storage.open(media["path"]).read()).hexdigest()
    assert record["created_at"] and record["updated_at"]


def test_json_streams_one_chunk_per_post():
    for number in range(5):
        make_post(f"Post {number}")
    chunks = list(exports.export(Post.objects.all(), "json"))
    assert len(chunks) == 5 + 2  # header, one per post, closing bracket
    assert json.loads(b"".join(chunks))["count"] == 5


# Jekyll -----------------------------------------------------------------------------------


def test_liquid_lookalikes_are_protected_and_url_tags_kept():
    text = "IP {{ server_ip }} and {% foo %} and {% raw %}{{ x }}{% endraw %} {% endraw %}"
    protected = exports.protect_liquid(text)
    assert "{% raw %}{{ server_ip }}{% endraw %}" in protected
    assert "{% raw %}{% foo %}{% endraw %}" in protected
    assert "{% raw %}{{ x }}{% endraw %}" in protected  # already raw: left as it is
    assert protected.endswith("{% raw %}{%{% endraw %} endraw %}")
    assert exports.protect_liquid("{{ site.baseurl }}/x") == "{{ site.baseurl }}/x"


def test_jekyll_zip_has_posts_images_and_a_site():
    category = make_category("基金会")
    url = body_image("chart.png")
    post = make_post(
        "CARSMOS donation",
        slug="carsmos-donation",
        categories=[category],
        hero=True,
        publish_at=timezone.make_aware(timezone.datetime(2023, 6, 11, 10, 30)),
        body=f"Server at {{{{ server_ip }}}}.\n\n![chart]({url})\n\n"
        f'<div align="center"><img src="{url}" alt=""></div>',
        extras={"layout": "post", "hero": "blog_details", "comments": True, "tags": ["a"]},
    )
    draft = make_post("Not yet", status=Post.Status.DRAFT)
    files = zip_files(exported(Post.objects.all(), "jekyll"))

    assert {"_config.yml", "_layouts/default.html", "_layouts/post.html"} <= set(files)
    name = "_posts/2023-06-11-carsmos-donation.md"
    meta, body = front_matter(files[name].decode())
    assert meta["title"] == "CARSMOS donation"
    assert meta["layout"] == "post"
    assert meta["categories"] == ["基金会"]
    assert meta["hero"] == "blog_details"
    assert meta["comments"] is True
    assert meta["tags"] == ["a"]
    assert str(meta["date"]).startswith("2023-06-11 10:30:00")
    # The hero and the body image are in the zip, byte for byte, where the post points.
    assert files[meta["image"]] == default_storage.open(post.hero_image.name).read()
    image_path = "img/posts/carsmos-donation/chart.png"
    assert files[image_path] == default_storage.open(url.removeprefix("/media/")).read()
    assert f"![chart]({{{{site.baseurl}}}}/{image_path})" in body
    assert f'<img src="{{{{site.baseurl}}}}/{image_path}"' in body
    assert "/media/" not in body
    assert "{% raw %}{{ server_ip }}{% endraw %}" in body
    # A draft stays a draft: Jekyll does not publish it.
    draft_meta, _ = front_matter(
        files[f"_posts/{timezone.localtime(draft.publish_at):%Y-%m-%d}-{draft.slug}.md"].decode()
    )
    assert draft_meta["published"] is False


def test_jekyll_front_matter_gives_posts_written_here_the_old_themes_keys():
    written_here = make_post("Written in the CMS", slug="written-here")
    own_choice = make_post("Comments off", slug="comments-off", extras={"comments": False})
    first_release = JEKYLL_DOCS / "_posts/2013-05-06-jekyll-1-0-0-released.markdown"
    jekyll.import_paths([SAMPLE_SITE, first_release])
    files = zip_files(exported(Post.objects.all(), "jekyll"))

    def meta_of(slug):
        name = next(n for n in files if n.startswith("_posts/") and n.endswith(f"-{slug}.md"))
        return front_matter(files[name].decode())[0]

    # As the old site's own posts have them (its sample post: layout, hero, comments).
    sample = meta_of("carsmos-donation-signing-ceremony")
    expected = {key: sample[key] for key in ("layout", "hero", "comments")}
    assert expected == {"layout": "post", "hero": "blog_details", "comments": True}
    assert {key: meta_of(written_here.slug)[key] for key in expected} == expected
    assert meta_of(own_choice.slug)["comments"] is False  # an editor's value wins
    # A post imported from a site that had no such keys comes back without them.
    imported = meta_of("jekyll-1-0-0-released")
    assert imported["layout"] == "post"  # Jekyll needs a layout to show it
    assert "hero" not in imported and "comments" not in imported


@pytest.mark.skipif(
    not shutil.which("jekyll"), reason="jekyll is not installed (apt install jekyll)"
)
def test_exported_zip_builds_with_jekyll(tmp_path):
    url = body_image("chart.png")
    posts = [
        make_post(
            "Donation signing ceremony",
            slug="signing",
            hero=True,
            body=f"The **ceremony** used {{{{ server_ip }}}}.\n\n![chart]({url})",
        ),
        make_post(
            "开源峰会",
            slug="summit",
            language="zh-hans",
            body="| 项目 | 捐赠方 |\n|---|---|\n| Vearch | 京东 |\n\n<center>合影</center>",
        ),
    ]
    site = tmp_path / "site"
    zipfile.ZipFile(io.BytesIO(exported(Post.objects.all(), "jekyll"))).extractall(site)
    result = subprocess.run(
        ["jekyll", "build", "--quiet", "--safe"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    pages = {
        page: page.read_text(encoding="utf-8")
        for page in (site / "_site").rglob("index.html")
        if "news" in page.parts
    }
    assert len(pages) == 2
    html = "\n".join(pages.values())
    for post in posts:
        assert post.title in html
    assert "<strong>ceremony</strong>" in html
    assert "{{ server_ip }}" in html  # shown as written, not swallowed by Liquid
    assert "京东" in html and "<table" in html
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == 2  # the hero and the body image
    for source in sources:
        assert (site / "_site" / source.lstrip("/")).is_file(), source


def _jekyll_round_trip(settings):
    first = zip_files(exported(Post.objects.all(), "jekyll"))
    Post.objects.all().delete()
    Category.objects.all().delete()
    shutil.rmtree(settings.MEDIA_ROOT)
    settings.MEDIA_ROOT.mkdir()
    report = jekyll.import_zip(io.BytesIO(_zip(first)), name="first.zip")
    assert report.failed == 0, [r.reason for r in report.failures]
    second = zip_files(exported(Post.objects.all(), "jekyll"))
    return first, second


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_jekyll_export_import_export_gives_identical_files(settings):
    make_post(
        "Generated with images",
        slug="generated",
        hero=True,
        hero_image_caption="The signing table",
        categories=[make_category("基金会"), make_category("Releases")],
        body=(
            f"Text {{{{ server_ip }}}} {{% foo %}}\n\n![x]({body_image('x.png')})\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |"
        ),
        extras={"layout": "post", "hero": "blog_details", "comments": True},
        summary="A summary.",
        author_name="Foundation staff",
    )
    make_post("草稿", slug="draft", status=Post.Status.DRAFT, language="zh-hans")
    make_post("English title in Chinese", slug="zh", language="zh-hans")
    make_post(
        "Scheduled", slug="later", publish_at=timezone.now() + timedelta(days=3), body="- item"
    )
    jekyll.import_paths([SAMPLE_SITE, JEKYLL_DOCS])
    assert Post.objects.count() == 4 + 1 + 102

    first, second = _jekyll_round_trip(settings)

    assert sorted(first) == sorted(second)
    different = {
        name: "".join(
            difflib.unified_diff(
                first[name].decode(errors="replace").splitlines(True),
                second[name].decode(errors="replace").splitlines(True),
            )
        )
        for name in first
        if first[name] != second[name]
    }
    assert different == {}
    # The sample post comes out with its own front matter, as the old site wrote it.
    meta, body = front_matter(
        first["_posts/2023-06-11-carsmos-donation-signing-ceremony.md"].decode()
    )
    assert list(meta)[:6] == ["title", "image", "layout", "categories", "hero", "comments"]
    assert meta["image"] == "img/blog/d1.jpg"
    assert meta["categories"] == ["基金会"]


# The command ------------------------------------------------------------------------------


def test_export_posts_command_filters_and_summarises(tmp_path, capsys):
    news = make_category("News")
    make_post("In news", categories=[news], language="en")
    make_post("Chinese", language="zh-hans", categories=[news])
    make_post("A draft", status=Post.Status.DRAFT, categories=[news])
    make_post("Old", publish_at=timezone.now() - timedelta(days=400))
    target = tmp_path / "posts.csv"

    call_command(
        "export_posts",
        "--format",
        "csv",
        "--category",
        "news",
        "--language",
        "en",
        "--status",
        "published",
        "-o",
        str(target),
    )

    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [row["title"] for row in rows] == ["In news"]
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("Exported 1 posts as CSV")
    assert "[#" not in err  # no progress bar when stderr is not a terminal

    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    call_command("export_posts", "--format", "json", "--since", since, "-o", str(target))
    titles = {p["title"] for p in json.loads(target.read_text())["posts"]}
    assert titles == {"In news", "Chinese", "A draft"}
    until = (timezone.localdate() - timedelta(days=10)).isoformat()
    call_command("export_posts", "--format", "json", "--until", until, "-o", str(target))
    assert [p["title"] for p in json.loads(target.read_text())["posts"]] == ["Old"]
    call_command("export_posts", "--format", "json", "--public", "-o", str(target))
    assert "A draft" not in {p["title"] for p in json.loads(target.read_text())["posts"]}


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs the command."""

    def isatty(self):
        return True


def test_export_posts_command_draws_a_progress_bar_on_a_terminal(tmp_path, monkeypatch):
    for number in range(3):
        make_post(f"Post {number}")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    call_command("export_posts", "--format", "json", "-o", str(tmp_path / "posts.json"))

    text = terminal.getvalue()
    assert "\r[" + "#" * 30 + "] 3/3\n" in text  # full, then the line is closed
    lines = text.splitlines()
    assert lines[-1].startswith("Exported 3 posts as JSON to ")
    assert text.index("3/3") < text.index("Exported")


def test_export_posts_command_writes_zips(tmp_path):
    make_post("With a picture", hero=True)
    call_command("export_posts", "--format", "json", "-o", str(tmp_path / "backup.zip"))
    files = zip_files((tmp_path / "backup.zip").read_bytes())
    assert "posts.json" in files
    assert any(name.startswith("media/posts/hero/") for name in files)
    call_command("export_posts", "--format", "jekyll", "-o", str(tmp_path / "site.zip"))
    assert any(n.startswith("_posts/") for n in zip_files((tmp_path / "site.zip").read_bytes()))


def test_export_posts_command_rejects_bad_input(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("export_posts", "--format", "csv", "--since", "yesterday", "-o", "x.csv")
    with pytest.raises(CommandError, match="No category"):
        call_command("export_posts", "--format", "csv", "--category", "nope", "-o", "x.csv")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_posts", "--format", "csv", "-o", str(tmp_path / "no" / "x.csv"))


# The admin --------------------------------------------------------------------------------


@pytest.fixture
def exporter(db):
    from django.contrib.auth.models import User

    user = User.objects.create_user("exporter", password="export-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Staff exporters"))
    return user


def test_groups_hold_the_permissions_editors_do_not(editor, exporter):
    assert not editor.has_perm("posts.export_post")
    assert not editor.has_perm("posts.import_post")
    assert exporter.has_perm("posts.export_post")
    assert exporter.has_perm("posts.view_post")
    importers = Group.objects.get(name="Staff importers")
    assert importers.permissions.filter(codename="import_post").exists()
    assert not importers.permissions.filter(codename="export_post").exists()


def test_changelist_shows_export_and_import_only_with_permission(client, editor, exporter):
    make_post("Anything")
    client.force_login(editor)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert reverse(EXPORT) not in page
    assert "export_selected" not in page
    client.force_login(exporter)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert reverse(EXPORT) in page
    assert 'value="export_selected"' in page
    assert reverse("admin:posts_post_import") not in page


def test_changelist_export_is_forbidden_without_permission(client, editor):
    client.force_login(editor)
    assert client.get(reverse(EXPORT), {"export_format": "csv"}).status_code == 403


def test_changelist_export_honours_filters_and_search_and_streams(client, exporter):
    make_post("Apache draft", status=Post.Status.DRAFT)
    make_post("Apache published")
    make_post("Other draft", status=Post.Status.DRAFT)
    client.force_login(exporter)

    page = client.get(reverse(EXPORT), {"status__exact": "draft", "q": "Apache"})
    assert page.status_code == 200
    assert page.context["count"] == 1
    assert 'name="status__exact" value="draft"' in page.content.decode()

    response = client.get(
        reverse(EXPORT), {"status__exact": "draft", "q": "Apache", "export_format": "csv"}
    )
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith('attachment; filename="posts-')
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert [row["title"] for row in rows] == ["Apache draft"]


def test_changelist_export_rejects_unknown_filters(client, exporter):
    client.force_login(exporter)
    assert client.get(reverse(EXPORT), {"nonsense__exact": "1"}).status_code == 400


@pytest.mark.parametrize("fmt", list(exports.FORMATS))
def test_admin_action_exports_the_selected_posts(client, exporter, fmt):
    chosen = make_post("Chosen one", slug="chosen", hero=True)
    make_post("Left out", slug="left-out")
    client.force_login(exporter)
    data = {"action": "export_selected", "_selected_action": [chosen.pk], "index": 0}

    page = client.post(reverse(CHANGELIST), data)
    assert page.status_code == 200
    assert page.context["count"] == 1  # the format page, then the download

    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "export_selected",
            "_selected_action": [chosen.pk],
            "select_across": "0",
            "export_confirmed": "1",
            "export_format": fmt,
        },
    )
    assert isinstance(response, StreamingHttpResponse)
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        assert b"chosen" in content and b"left-out" not in content
    elif fmt == "json":
        assert [p["slug"] for p in json.loads(content)["posts"]] == ["chosen"]
    else:
        names = zip_files(content)
        assert not any("left-out" in name for name in names)


def test_admin_action_select_across_exports_every_filtered_post(client, exporter):
    first = make_post("Draft one", status=Post.Status.DRAFT)
    make_post("Draft two", status=Post.Status.DRAFT)
    make_post("Published")
    client.force_login(exporter)
    response = client.post(
        reverse(CHANGELIST) + "?status__exact=draft",
        {
            "action": "export_selected",
            "_selected_action": [first.pk],
            "select_across": "1",
            "export_confirmed": "1",
            "export_format": "json",
        },
    )
    slugs = {p["slug"] for p in json.loads(b"".join(response.streaming_content))["posts"]}
    assert slugs == {"draft-one", "draft-two"}


def test_admin_action_is_refused_without_permission(client, editor):
    post = make_post("Secret draft", status=Post.Status.DRAFT)
    client.force_login(grant(editor, "posts.view_post"))
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "export_selected",
            "_selected_action": [post.pk],
            "select_across": "0",
            "export_confirmed": "1",
            "export_format": "csv",
        },
    )
    assert not isinstance(response, StreamingHttpResponse)
    assert response.status_code == 302  # back to the list: "No action selected."
