"""Posts out of the CMS: CSV for spreadsheets, JSON for restoring, a zip for Jekyll.

The admin action, the changelist's "Export" button and ``manage.py export_posts`` are thin
wrappers around this module. Every format is a generator of ``bytes`` chunks over
``queryset.iterator(chunk_size=…)``, so an HTTP response streams it
(``StreamingHttpResponse``) and the command writes it to a file chunk by chunk: 10,000
posts with images never sit in memory at once.

Formats
-------
``csv``
    One row per post, UTF-8 with a BOM (Excel then shows Chinese correctly). Cells that a
    spreadsheet would run as a formula (starting with ``= + - @``, a tab or a CR) get a
    leading apostrophe; so do cells that already start with one, so that
    :func:`unneutralise` gives every value back exactly.
``json``
    The format :mod:`posts.imports.restore` reads. A header (format name, version, site URL,
    export time, count, the categories) then ``"posts": [...]``, one post per line. Images
    are described (storage path, URL, SHA-256, size), not embedded.
``json-zip``
    The same ``posts.json`` inside a zip, with every hero and body image beside it under
    ``media/<storage path>``: the self-contained backup. ``import_posts`` restores the
    image bytes from it identically (checked against the SHA-256).
``jekyll``
    A Jekyll site: ``_posts/YYYY-MM-DD-slug.md`` rendered from the
    ``posts/exports/jekyll_post.md`` template, images under ``img/posts/<slug>/``, body
    links rewritten to ``{{site.baseurl}}/img/…``, Liquid-looking text protected with
    ``{% raw %}``, and a minimal ``_config.yml`` and ``_layouts/`` so that ``jekyll build``
    shows each post's title, body and images.
"""

import csv
import gc
import hashlib
import json
import posixpath
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import unquote

import yaml
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from posts.imports import jekyll as jekyll_import
from posts.markup import resolve_liquid
from posts.models import Category, Post
from projects.models import Project

FORMAT_NAME = "foundation-news.posts"
FORMAT_VERSION = 1
CHUNK_SIZE = 200  # posts fetched per database round trip
FILE_CHUNK = 256 * 1024  # bytes copied at a time from storage into a zip

CSV_COLUMNS = [
    "id",
    "title",
    "slug",
    "status",
    "publish_at",
    "author",
    "categories",
    "projects",
    "language",
    "summary",
    "url",
    "hero_image_url",
    "hero_image_alt",
    "body",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
JEKYLL_IMAGE_DIR = "img/posts"
# What Jekyll's Liquid tokenizer treats as a tag: {{ … }}, {% … %}, or a lone opener.
_LIQUID_TOKEN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{|\{%", re.S)
_RAW_BLOCK = re.compile(r"{%-?\s*raw\s*-?%}(.*?){%-?\s*endraw\s*-?%}", re.S)


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    extension: str
    content_type: str
    writer: str  # name of the generator function in this module


FORMATS = {
    "csv": ExportFormat(
        "csv", _("CSV (spreadsheet)"), "csv", "text/csv; charset=utf-8", "iter_csv"
    ),
    "json": ExportFormat("json", _("JSON"), "json", "application/json", "iter_json"),
    "json-zip": ExportFormat(
        "json-zip", _("JSON with images (zip)"), "zip", "application/zip", "iter_json_zip"
    ),
    "jekyll": ExportFormat(
        "jekyll", _("Jekyll site (zip)"), "zip", "application/zip", "iter_jekyll"
    ),
}


def export(queryset, fmt, progress=None):
    """The chunks of ``queryset`` exported in format ``fmt`` (a key of ``FORMATS``).

    ``progress`` is called with each post as it is written.
    """
    return globals()[FORMATS[fmt].writer](queryset, progress=progress)


def filename(fmt, now=None):
    stamp = (now or timezone.localtime()).strftime("%Y%m%d-%H%M%S")
    suffix = "-jekyll" if fmt == "jekyll" else ""
    return f"posts-{stamp}{suffix}.{FORMATS[fmt].extension}"


# Choosing posts ---------------------------------------------------------------------------


def _day_start(value):
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def filter_posts(
    queryset=None,
    *,
    status=None,
    category=None,
    since=None,
    until=None,
    language=None,
    public=False,
):
    """The posts an export covers; shared by the command and the admin.

    ``public=True`` starts from ``Post.objects.published()``, the only definition of public.
    ``since``/``until`` are dates (whole days, inclusive) or datetimes.
    """
    if queryset is None:
        queryset = Post.objects.published() if public else Post.objects.all()
    elif public:
        queryset = queryset.published()
    if status:
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(categories__slug=category)
    if language:
        queryset = queryset.filter(language=language)
    if since:
        queryset = queryset.filter(publish_at__gte=_day_start(since))
    if until:
        if isinstance(until, datetime):
            queryset = queryset.filter(publish_at__lte=_day_start(until))
        else:
            queryset = queryset.filter(publish_at__lt=_day_start(until + timedelta(days=1)))
    return queryset.distinct() if category else queryset


def parse_when(value):
    """A date (``2024-05-01``) or an ISO 8601 datetime, as given on the command line."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return datetime.fromisoformat(value)


def _ordered(queryset):
    """Oldest first, with authors, categories and projects fetched per chunk."""
    return (
        queryset.defer(None)  # the admin's changelist defers the bodies
        .select_related("author", "created_by", "updated_by", "translation_of")
        .prefetch_related(None)
        .prefetch_related(
            models.Prefetch("categories", queryset=Category.objects.order_by("position", "name")),
            models.Prefetch("projects", queryset=Project.objects.only("id", "slug", "name")),
        )
        .order_by("publish_at", "id")
    )


def _iterate(queryset, progress=None):
    for number, post in enumerate(_ordered(queryset).iterator(chunk_size=CHUNK_SIZE), 1):
        yield post
        if progress:
            progress(post)
        if number % CHUNK_SIZE == 0:
            # Prefetched relations tie each post in reference cycles that only the cyclic
            # collector frees; left to its own pace the garbage grows with the export
            # (measured: 4 MB peak for 1,500 or 6,000 posts with this, 21 MB at 6,000
            # without). One collection per chunk keeps memory flat.
            gc.collect()


# Files ------------------------------------------------------------------------------------


def absolute_url(path):
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def _media_url_pattern():
    media_url = settings.MEDIA_URL
    if not media_url.startswith("/"):
        media_url = "/" + media_url
    site = re.escape(settings.SITE_URL.rstrip("/"))
    return re.compile(rf"(?:{site})?{re.escape(media_url)}(?P<path>[^\s\"'()<>\[\]?#]+)")


def checksum(name):
    """SHA-256 and size of a stored file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with default_storage.open(name, "rb") as stored:
        for chunk in iter(lambda: stored.read(FILE_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def body_media(body):
    """The stored files a Markdown body links to, as ``(url as written, storage name)``.

    Only links into MEDIA_URL count, and only files that exist; each URL appears once.
    """
    found = {}
    for match in _media_url_pattern().finditer(body or ""):
        url = match.group(0)
        name = unquote(match.group("path"))
        if url in found or ".." in name.split("/"):
            continue
        if default_storage.exists(name):
            found[url] = name
    return list(found.items())


def replace_media_urls(body, replacement):
    """``body`` with each link to a stored file replaced by ``replacement(storage name)``."""

    def replace(match):
        name = unquote(match.group("path"))
        new = replacement(name) if ".." not in name.split("/") else None
        return new if new is not None else match.group(0)

    return _media_url_pattern().sub(replace, body)


def _file_record(name, url):
    sha256, size = checksum(name)
    return {"path": name, "url": absolute_url(url), "sha256": sha256, "size": size}


# CSV --------------------------------------------------------------------------------------


def neutralise(value):
    """A cell a spreadsheet will show as text, never run as a formula."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def unneutralise(value):
    """Undo :func:`neutralise` on a cell read back from a CSV export."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


class _Line:
    """A file-like object that hands back what the csv writer writes."""

    def write(self, value):
        return value


def _csv_row(post):
    hero_url = absolute_url(post.hero_image.url) if post.hero_image else ""
    return [
        post.pk,
        post.title,
        post.slug,
        post.status,
        timezone.localtime(post.publish_at).isoformat(),
        post.byline,
        "; ".join(category.name for category in post.categories.all()),
        "; ".join(project.name for project in post.projects.all()),
        post.language,
        post.summary,
        getattr(post, "canonical_url", "") or absolute_url(post.get_absolute_url()),
        hero_url,
        post.hero_image_alt if post.hero_image else "",
        post.body,
    ]


def iter_csv(queryset, progress=None):
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow(CSV_COLUMNS)).encode()
    for post in _iterate(queryset, progress):
        yield writer.writerow([neutralise(cell) for cell in _csv_row(post)]).encode()


# JSON -------------------------------------------------------------------------------------


def _stamp(value):
    return timezone.localtime(value).isoformat() if value else None


def _username(user):
    return user.get_username() if user else None


# Columns post_record writes itself; every other editable, non-relational column of a post
# (expiry, SEO fields, focal point…) is written as it is, under its own name.
_OWN_COLUMNS = {
    "id", "title", "slug", "status", "publish_at", "author_name", "summary", "body",
    "hero_image", "hero_image_alt", "hero_image_caption", "language", "extras",
}  # fmt: skip


def plain_fields():
    """The post's other editable columns, which export and restore carry as they are."""
    return [
        field
        for field in Post._meta.concrete_fields
        if field.editable and not field.is_relation and field.name not in _OWN_COLUMNS
    ]


def _plain(value):
    if isinstance(value, datetime):
        return _stamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def post_record(post):
    """Everything about one post, as the JSON export writes it."""
    hero = None
    if post.hero_image and default_storage.exists(post.hero_image.name):
        hero = _file_record(post.hero_image.name, post.hero_image.url) | {
            "width": post.hero_image_width,
            "height": post.hero_image_height,
            "alt": post.hero_image_alt,
            "caption": post.hero_image_caption,
        }
    return {
        "id": post.pk,
        "title": post.title,
        "slug": post.slug,
        "status": post.status,
        "publish_at": _stamp(post.publish_at),
        "language": post.language,
        "author": (
            {"username": post.author.get_username(), "name": post.author.get_full_name()}
            if post.author
            else None
        ),
        "author_name": post.author_name,
        "summary": post.summary,
        "body": post.body,
        "url": absolute_url(post.get_absolute_url()),
        "hero_image": hero,
        "media": [
            _file_record(name, url)
            for name, url in {n: u for u, n in body_media(post.body)}.items()
        ],
        "categories": [category.slug for category in post.categories.all()],
        "projects": [project.slug for project in post.projects.all()],
        "extras": post.extras,
        "translation_of": post.translation_of.slug if post.translation_of_id else None,
        **{field.name: _plain(getattr(post, field.name)) for field in plain_fields()},
        "created_at": _stamp(post.created_at),
        "updated_at": _stamp(post.updated_at),
        "created_by": _username(post.created_by),
        "updated_by": _username(post.updated_by),
    }


def _json_header(queryset):
    categories = [
        {"slug": c.slug, "name": c.name, "description": c.description, "position": c.position}
        for c in Category.objects.order_by("position", "name")
    ]
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "site_url": settings.SITE_URL,
        "exported_at": timezone.localtime().isoformat(),
        "count": queryset.count(),
        "categories": categories,
    }
    return json.dumps(header, ensure_ascii=False, indent=1)[:-2]  # keep the object open


def iter_json(queryset, progress=None):
    yield (_json_header(queryset) + ',\n "posts": [').encode()
    separator = "\n"
    for post in _iterate(queryset, progress):
        yield (separator + json.dumps(post_record(post), ensure_ascii=False)).encode()
        separator = ",\n"
    yield b"\n ]\n}\n"


# Zip --------------------------------------------------------------------------------------


class _Sink:
    """Where zipfile writes: collects bytes until the generator hands them on.

    It has no ``tell``/``seek``, so zipfile writes a streamable archive (sizes in data
    descriptors after each member).
    """

    def __init__(self):
        self._chunks = []

    def write(self, data):
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _zip_time(value):
    local = timezone.localtime(value) if value else timezone.localtime()
    return max(local.timetuple()[:6], (1980, 1, 1, 0, 0, 0))


class _ZipWriter:
    def __init__(self):
        self.sink = _Sink()
        self.archive = zipfile.ZipFile(self.sink, "w", compression=zipfile.ZIP_DEFLATED)
        self.names = set()

    def text(self, name, content, when=None):
        info = zipfile.ZipInfo(name, _zip_time(when))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.archive.writestr(info, content.encode() if isinstance(content, str) else content)
        self.names.add(name)
        return self.sink.take()

    def stored_file(self, name, storage_name, when=None):
        """Copy a file from storage into the archive; yields chunks as they fill."""
        info = zipfile.ZipInfo(name, _zip_time(when))
        info.compress_type = zipfile.ZIP_STORED  # images are compressed already
        info.external_attr = 0o644 << 16
        with (
            default_storage.open(storage_name, "rb") as source,
            self.archive.open(info, "w", force_zip64=True) as target,
        ):
            for chunk in iter(lambda: source.read(FILE_CHUNK), b""):
                target.write(chunk)
                yield self.sink.take()
        self.names.add(name)
        yield self.sink.take()

    def close(self):
        self.archive.close()
        return self.sink.take()


def iter_json_zip(queryset, progress=None):
    """``posts.json`` then every image it describes under ``media/<storage path>``."""
    writer = _ZipWriter()
    info = zipfile.ZipInfo("posts.json", _zip_time(None))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with writer.archive.open(info, "w", force_zip64=True) as target:
        for chunk in iter_json(queryset, progress):
            target.write(chunk)
            yield writer.sink.take()
    yield writer.sink.take()
    # Second pass: the image files. Only the columns that name them are loaded.
    for post in (
        queryset.defer(None)
        .select_related(None)
        .prefetch_related(None)
        .only("pk", "body", "hero_image")
        .order_by("publish_at", "id")
        .iterator(chunk_size=CHUNK_SIZE)
    ):
        names = [name for _url, name in body_media(post.body)]
        if post.hero_image and default_storage.exists(post.hero_image.name):
            names.insert(0, post.hero_image.name)
        for name in names:
            member = f"media/{name}"
            if member not in writer.names:
                yield from writer.stored_file(member, name)
    yield writer.close()


# Jekyll -----------------------------------------------------------------------------------
#
# A post imported from Jekyll keeps, in ``extras["_jekyll"]``, its front-matter keys in
# their order, the original value of each key that became a model field, and the image
# references as written (see posts.imports.jekyll). The export gives those back wherever
# the post still says the same thing, so that an imported site comes out as it went in and
# export → import → export gives identical files. What an editor changed is written from
# the model, under the original key.


def _protect_tokens(text):
    def wrap(match):
        token = match.group(0)
        if resolve_liquid(token) != token:
            return token  # a URL tag: Jekyll resolves it just as the site's renderer does
        if "endraw" in token:
            return "{% raw %}" + token[:2] + "{% endraw %}" + token[2:]
        return "{% raw %}" + token + "{% endraw %}"

    return _LIQUID_TOKEN.sub(wrap, text)


def protect_liquid(text):
    """Make Jekyll show the body as this site does.

    ``{% raw %}`` blocks and the URL tags (``{{ 'x' | relative_url }}``,
    ``{{ site.baseurl }}``) mean the same to both and stay; any other text Liquid would
    treat as a tag (``{{ server_ip }}``, ``{% foo %}``) is wrapped in ``{% raw %}``. A tag
    that is itself ``{% endraw %}`` cannot sit inside a raw block: its ``{%`` is protected
    alone, and the rest, no longer a tag, follows as plain text.
    """
    pieces = []
    last = 0
    for match in _RAW_BLOCK.finditer(text):
        pieces += [_protect_tokens(text[last : match.start()]), match.group(0)]
        last = match.end()
    pieces.append(_protect_tokens(text[last:]))
    return "".join(pieces)


def _generated_image_path(post, name, taken):
    stem, ext = posixpath.splitext(posixpath.basename(name))
    path = f"{JEKYLL_IMAGE_DIR}/{post.slug}/{stem}{ext}"
    counter = 2
    while path in taken and taken[path] != name:
        path = f"{JEKYLL_IMAGE_DIR}/{post.slug}/{stem}-{counter}{ext}"
        counter += 1
    return path


def _reference_path(reference, role):
    """Where in the site a reference as written points (as the importer looks it up)."""
    path = jekyll_import.clean_reference(reference)
    if path is None:
        return None
    site = jekyll_import.normalise_path(path)
    if site is not None and (path.startswith("/") or role == "hero" or not path.startswith(".")):
        return site
    return jekyll_import.normalise_path(posixpath.join("_posts", path))


def _is_imported_hero(post, reference):
    """Whether the hero image is still the file the importer made from ``reference``."""
    path = jekyll_import.clean_reference(str(reference))
    if not path or not post.hero_image:
        return False
    stem = slugify(posixpath.splitext(posixpath.basename(path))[0])[:60] or "image"
    prefix = f"{jekyll_import.HERO_IMAGE_DIR}/{stem}-"
    name = post.hero_image.name
    return name.startswith(prefix) and checksum(name)[0].startswith(name[len(prefix) :][:12])


def _author_of(value):
    if isinstance(value, dict):
        value = value.get("name") or value.get("display_name") or ""
    elif isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    return str(value or "").strip()


def _same_categories(names, categories):
    slugs = {category.slug for category in categories}
    lowered = {category.name.lower() for category in categories}
    matched = set()
    for name in names:
        slug = slugify(name, allow_unicode=True)[:100].strip("-")
        if slug not in slugs and name.lower() not in lowered:
            return False
        matched.add(slug if slug in slugs else name.lower())
    return len(matched) == len(categories)


def _same_moment(value, moment):
    try:
        return jekyll_import.parse_date(value) == moment
    except (ValueError, TypeError):
        return False


def jekyll_front_matter(post, hero_path):
    """The front matter for a post, as an ordered dict; ``hero_path`` is the hero's path in
    the site (None without a hero image)."""
    extras = dict(post.extras or {})
    meta = extras.pop(jekyll_import.JEKYLL_KEY, None) or {}
    original = meta.get("front_matter") or {}
    mapped = {}

    def keep(key, same, value):
        """The original value where it still holds, else the model's, under ``key``."""
        mapped[key] = original[key] if key in original and same(original[key]) else value

    if not meta.get("title_from_heading"):
        keep("title", lambda v: str(v).strip() == post.title, post.title)
    keep(
        "date",
        lambda v: _same_moment(v, post.publish_at),
        timezone.localtime(post.publish_at).strftime("%Y-%m-%d %H:%M:%S %z"),
    )
    categories = list(post.categories.all())
    old_names = []
    for key in ("categories", "category"):
        if key in original:
            value = original[key]
            old_names += (
                [str(value).strip()] if key == "category" else jekyll_import.split_names(value)
            )
    if old_names and _same_categories(old_names, categories):
        mapped |= {k: original[k] for k in ("categories", "category") if k in original}
    elif categories:
        mapped["categories"] = [category.name for category in categories]

    hero_key = next((k for k in jekyll_import.HERO_IMAGE_KEYS if k in original), "image")
    if hero_path:
        imported = hero_key in original and _is_imported_hero(post, original[hero_key])
        mapped[hero_key] = original[hero_key] if imported else hero_path
        alt_key = next((k for k in jekyll_import.HERO_ALT_KEYS if k in original), None)
        if alt_key or post.hero_image_alt != post.title:
            mapped[alt_key or "image_alt"] = post.hero_image_alt
        caption_key = next((k for k in jekyll_import.HERO_CAPTION_KEYS if k in original), None)
        if caption_key or post.hero_image_caption:
            mapped[caption_key or "image_caption"] = post.hero_image_caption
    elif hero_key in original:
        mapped[hero_key] = original[hero_key]  # not found at import: still not there

    byline = post.author_name or (post.author.get_username() if post.author else "")
    if "author" in original or byline:
        keep("author", lambda v: _author_of(v) == byline, byline)
    summary_key = next((k for k in jekyll_import.SUMMARY_KEYS if k in original), "summary")
    if summary_key in original or post.summary:
        keep(summary_key, lambda v: str(v or "").strip() == post.summary, post.summary)
    language_key = next((k for k in jekyll_import.LANGUAGE_KEYS if k in original), "lang")
    if language_key in original or post.language != jekyll_import.detect_language({}, post.title):
        keep(
            language_key,
            lambda v: jekyll_import.detect_language({"lang": v}, post.title) == post.language,
            post.language,
        )
    if post.status != Post.Status.PUBLISHED:
        mapped["published"] = False
    elif "published" in original and original["published"] not in (False, "false"):
        mapped["published"] = original["published"]

    extras = {k: v for k, v in extras.items() if k not in mapped}
    # A post written here gets the old theme's keys; an imported one keeps what its file
    # said (only a missing layout is filled in, as Jekyll needs one to show the post).
    defaults = JEKYLL_DEFAULTS if not meta else {"layout": JEKYLL_DEFAULTS["layout"]}
    extras = {key: value for key, value in defaults.items() if key not in mapped} | extras
    available = mapped | extras
    order = [k for k in meta.get("keys") or [] if k in available]
    order += [k for k in JEKYLL_KEY_ORDER if k in available and k not in order]
    order += [k for k in available if k not in order]
    return {key: available[key] for key in order}


# The front-matter keys the old site's theme reads, with the values its posts use
# (foundation/demo/jekyll/_posts/2023-06-11-carsmos-donation-signing-ceremony.md).
JEKYLL_DEFAULTS = {"layout": "post", "hero": "blog_details", "comments": True}

JEKYLL_KEY_ORDER = (
    "title",
    "date",
    "layout",
    "categories",
    "image",
    "image_alt",
    "image_caption",
    "hero",
    "comments",
    "author",
    "summary",
    "lang",
    "published",
)


def jekyll_post(post, taken=None):
    """One post as a Jekyll file: ``(path, text, {site path: storage name})``.

    ``taken`` maps the site paths already used in this export to their storage names, so
    that two different files never land on the same path.
    """
    taken = {} if taken is None else taken
    meta = (post.extras or {}).get(jekyll_import.JEKYLL_KEY) or {}
    images = {}

    def place(name, reference, role):
        path = _reference_path(reference, role) if reference else None
        if path is None or taken.get(path, name) != name or path.startswith("_posts/"):
            path, reference = _generated_image_path(post, name, taken), None
        taken[path] = images[path] = name
        return path, reference

    hero_path = None
    if post.hero_image and default_storage.exists(post.hero_image.name):
        hero_key = next(
            (k for k in jekyll_import.HERO_IMAGE_KEYS if k in (meta.get("front_matter") or {})),
            None,
        )
        reference = meta["front_matter"][hero_key] if hero_key else None
        if reference is not None and not _is_imported_hero(post, reference):
            reference = None
        hero_path, _reference = place(post.hero_image.name, reference and str(reference), "hero")
    front = jekyll_front_matter(post, hero_path)

    written = meta.get("images") or {}
    links = {}
    for url, name in body_media(post.body):
        path, reference = place(name, written.get(url), "body")
        links[name] = reference or "{{site.baseurl}}/" + path  # no spaces: one URL token
    body = replace_media_urls(protect_liquid(post.body), links.get)
    if meta.get("title_from_heading"):
        body = f"# {post.title}\n\n{body}"
    body = body if body.startswith("\n") else "\n" + body
    body = body if body.endswith("\n") else body + "\n"
    text = render_to_string(
        "posts/exports/jekyll_post.md",
        {
            "front_matter": yaml.safe_dump(
                front, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000
            ),
            "body": body,
        },
    )
    local = timezone.localtime(post.publish_at)
    return f"_posts/{local:%Y-%m-%d}-{post.slug}.md", text, images


JEKYLL_SITE_FILES = {
    "_config.yml": "posts/exports/jekyll/_config.yml",
    "_layouts/default.html": "posts/exports/jekyll/default.html",
    "_layouts/post.html": "posts/exports/jekyll/post.html",
    "index.html": "posts/exports/jekyll/index.html",
}


def iter_jekyll(queryset, progress=None):
    writer = _ZipWriter()
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
    for name, template in JEKYLL_SITE_FILES.items():
        yield writer.text(name, render_to_string(template, context))
    taken = {}
    for post in _iterate(queryset, progress):
        name, text, images = jekyll_post(post, taken)
        yield writer.text(name, text, post.updated_at)
        for path, storage_name in images.items():
            if path not in writer.names:
                yield from writer.stored_file(path, storage_name, post.updated_at)
    yield writer.close()


def write(queryset, fmt, target, progress=None):
    """Write an export to a binary file object; returns the number of bytes written."""
    size = 0
    for chunk in export(queryset, fmt, progress):
        if chunk:
            target.write(chunk)
            size += len(chunk)
    return size
