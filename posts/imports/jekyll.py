"""Import the posts of a Jekyll site: folders, single Markdown files or a zip.

``import_paths()`` (and ``import_zip()`` for an uploaded file) is the one entry point; the
``import_jekyll`` management command and the admin's Import page are thin wrappers around
it. Each file is imported in its own transaction and gets a ``FileResult``; the
``ImportReport`` sums them up.

What a file becomes:

- **slug** from the file name (``2023-06-11-carsmos-donation-signing-ceremony.md`` →
  ``carsmos-donation-signing-ceremony``; a Chinese name in pinyin, ``…-捐赠仪式.md`` →
  ``juan-zeng-yi-shi``); the slug is the post's identity on re-import.
- **date** from the front matter's ``date`` (a YAML date or datetime, or a string such as
  ``2022-8-13``, ``2020.03.27``, ``2016-01-28 15:00:00 -0800``), else from the file name.
  Dates without a zone are in the site's time zone.
- **title** from the front matter, else from the first ``# heading`` (which then leaves the
  body, because the page shows the title as its heading).
- **categories** from ``categories`` (a list or a space-separated string) and ``category``
  (one name); missing categories are created.
- **hero image** from the first of ``HERO_IMAGE_KEYS``; **body images** from ``![…](…)``,
  ``<img src=…>`` and reference definitions. Each is looked up (query string dropped) in the
  zip, the site root (``--site-root``, or the folder that holds ``_posts``) and next to the
  post, then verified with Pillow and copied into MEDIA under a name made from its content
  (so a re-import reuses the file instead of copying it again). A body link is rewritten to
  the media URL. A missing image is reported and the post imports without it. A file that
  is found but is not a readable image fails the post. SVG is never copied: it can carry
  scripts, and media is served from the site's own origin.
- **body**: Liquid URL tags (``{{ 'x' | relative_url }}``, ``{{ site.baseurl }}``) are
  resolved and ``{% raw %}`` is unwrapped. A raw block is kept only where its content is
  itself such a URL tag, which the renderer would otherwise resolve (Jekyll's own posts
  *show* ``{{ site.baseurl }}`` that way). Every other Liquid or template tag stays as
  visible text; nothing is ever executed. Unknown HTML is left to the renderer's allowlist.
- **extras**: every front-matter key the model has no field for (``layout``, ``hero``,
  ``comments``, ``version``, ``tags``, …), verbatim, plus under ``extras["_jekyll"]``
  what an export needs to give the original file back::

      {
        "filename": "2023-06-11-carsmos-donation-signing-ceremony.md",
        "keys": ["title", "image", "layout", ...],  # front-matter keys in their order
        "front_matter": {"image": "img/blog/d1.jpg", "categories": ["基金会"], ...},
        "images": {"/media/posts/body/imported/d1-…jpg": "{{'img/blog/d1.jpg'|relative_url}}"},
        "title_from_heading": true,                 # only when the title came from the body
      }

  ``front_matter`` holds the original value of each key that was mapped onto a model field
  (title, date — as written —, categories/category, the hero image key, author, summary,
  language, published). YAML dates in other keys are kept as ISO strings.

Re-import: without ``update`` a file whose slug already exists is *skipped* (an editor's
changes are never overwritten by accident); with ``update`` the post is *updated* from the
file: title, date, body, summary, byline, categories, extras and (when found) the hero image.
Its status, language (unless the file names one), related projects and an existing hero
image that the file no longer provides are left as the editors set them. Imported posts are
published (unless the front matter says ``published: false``) with no author account.
"""

import hashlib
import io
import math
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from urllib.parse import unquote

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from posts.markup import resolve_liquid
from posts.models import Category, Language, Post, Redirect, default_language
from posts.slugs import has_chinese, slugify_title

POST_SUFFIXES = (".md", ".markdown")
# The usual front-matter keys for a post's main image, in order of preference.
HERO_IMAGE_KEYS = (
    "image",
    "hero_image",
    "banner",
    "thumb",
    "poster",
    "cover",
    "thumbnail",
    "featured_image",
    "feature_image",
)
HERO_ALT_KEYS = ("image_alt", "alt")
HERO_CAPTION_KEYS = ("image_caption", "caption")
SUMMARY_KEYS = ("summary", "description", "excerpt")
LANGUAGE_KEYS = ("lang", "language")
JEKYLL_KEY = "_jekyll"
HERO_IMAGE_DIR = "posts/hero/imported"
BODY_IMAGE_DIR = "posts/body/imported"
MAX_POST_BYTES = 5 * 1024 * 1024
# Pillow format → file extension. Only what browsers show and the editor accepts.
ACCEPTED_IMAGE_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
EXTENSIONS_BY_FORMAT = {
    "JPEG": {".jpg", ".jpeg"},
    "PNG": {".png"},
    "GIF": {".gif"},
    "WEBP": {".webp"},
}

CREATED, UPDATED, SKIPPED, FAILED = "created", "updated", "skipped", "failed"
# Image outcomes: copied into media, already there (same bytes), not found, found but refused.
COPIED, REUSED, MISSING, REFUSED = "copied", "reused", "missing", "refused"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:(?P<yaml>.*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FILE_NAME = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<slug>.+)$")
_DATE_TEXT = re.compile(
    r"^(?P<y>\d{4})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})"
    r"(?:[Tt ]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?)?"
    r"(?P<junk>(?:\s+\d+)*?)"  # Ruby's Time.parse skips e.g. a repeated year
    r"\s*(?P<tz>[Zz]|UTC|GMT|[+-]\d{2}:?\d{2})?$",
    re.I,
)
_RAW_BLOCK = re.compile(r"{%-?\s*raw\s*-?%}(.*?){%-?\s*endraw\s*-?%}", re.S)
_ATX_H1 = re.compile(r"^[ ]{0,3}#[ \t]+(?P<title>.+?)(?:[ \t]+#+)?[ \t]*$", re.M)
_SETEXT_H1 = re.compile(r"^(?P<title>[^\n]*\S[^\n]*)\n=+[ \t]*$", re.M)
_MD_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\(\s*(?P<url><[^>\n]*>|[^)\s]+)")
_MD_IMAGE_REF = re.compile(r"!\[(?P<alt>[^\]]*)\]\[(?P<id>[^\]]*)\]")
_MD_REF_DEF = re.compile(r"^[ ]{0,3}\[(?P<id>[^\]]+)\]:[ \t]*(?P<url><[^>\n]*>|\S+)", re.M)
_HTML_IMG_SRC = re.compile(
    r"(<img\b[^>]*?\bsrc\s*=\s*)(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))", re.I
)
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_SVG_START = re.compile(rb"\s*<(\?xml|svg\b|!DOCTYPE svg)", re.I)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class RejectedFile(Exception):
    """A file that cannot be imported; the message says why, for the report."""


# --------------------------------------------------------------------------- results


@dataclass
class ImageResult:
    reference: str  # as written in the post
    role: str  # "hero" or "body"
    status: str  # COPIED, REUSED, MISSING or REFUSED
    found_at: str = ""
    url: str = ""  # media URL it was (or, in a dry run, would be) copied to
    reason: str = ""


@dataclass
class FileResult:
    path: str
    status: str
    slug: str = ""
    title: str = ""
    reason: str = ""
    post_id: int | None = None
    images: list[ImageResult] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)
    drafted: bool = False  # would have been published, but the user may not publish

    def images_with(self, *statuses):
        return [image for image in self.images if image.status in statuses]


@dataclass
class ImportReport:
    dry_run: bool = False
    results: list[FileResult] = field(default_factory=list)

    def _count(self, status):
        return sum(1 for result in self.results if result.status == status)

    def _images(self, *statuses):
        return sum(len(result.images_with(*statuses)) for result in self.results)

    created = property(lambda self: self._count(CREATED))
    updated = property(lambda self: self._count(UPDATED))
    skipped = property(lambda self: self._count(SKIPPED))
    failed = property(lambda self: self._count(FAILED))
    images_copied = property(lambda self: self._images(COPIED, REUSED))
    images_reused = property(lambda self: self._images(REUSED))
    images_missing = property(lambda self: self._images(MISSING, REFUSED))

    @property
    def failures(self):
        return [result for result in self.results if result.status == FAILED]

    def summary(self):
        numbers = {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
            "copied": self.images_copied,
            "reused": self.images_reused,
            "missing": self.images_missing,
        }
        text = (
            _(
                "created %(created)d, updated %(updated)d, skipped %(skipped)d, "
                "failed %(failed)d; images copied %(copied)d (%(reused)d already in media), "
                "images missing %(missing)d."
            )
            % numbers
        )
        if self.dry_run:
            return _("Dry run, nothing was written: would have %(text)s") % {"text": text}
        return text[0].upper() + text[1:]


# --------------------------------------------------------------------------- file trees


class DirTree:
    """Files under a folder; nothing outside it can be reached."""

    def __init__(self, root):
        self.root = Path(root).resolve()

    def __str__(self):
        return str(self.root)

    def locate(self, relpath):
        path = (self.root / relpath).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def describe(self, relpath):
        return str(self.root / relpath)

    def read(self, relpath, limit):
        path = self.locate(relpath)
        if path is None:
            return None
        if path.stat().st_size > limit:
            raise RejectedFile(f"{path} is larger than {limit // (1024 * 1024)} MB")
        return path.read_bytes()


class ZipTree:
    """Members of a zip under a prefix (the folder that holds ``_posts``)."""

    def __init__(self, archive, prefix, label):
        self.archive, self.prefix, self.label = archive, prefix, label

    def __str__(self):
        return f"{self.label}:{self.prefix or '/'}"

    def describe(self, relpath):
        return f"{self.label}:{self.prefix}{relpath}"

    def read(self, relpath, limit):
        try:
            info = self.archive.getinfo(self.prefix + relpath)
        except KeyError:
            return None
        if info.file_size > limit:
            raise RejectedFile(
                f"{self.describe(relpath)} is larger than {limit // (1024 * 1024)} MB"
            )
        return self.archive.read(info)


@dataclass
class Source:
    """One post file to import, with the places its images may be found."""

    path: str  # shown in the report
    filename: str
    read: Callable[[], bytes]
    site_trees: list  # where absolute paths (``/img/x.jpg``) are looked up, in order
    post_tree: object  # where paths relative to the post are looked up
    post_dir: str = ""  # the post's folder inside post_tree


def normalise_path(relpath):
    """A path inside a tree, or None when it climbs out of it."""
    path = posixpath.normpath(relpath.lstrip("/"))
    if path in {".", ""} or path == ".." or path.startswith("../"):
        return None
    return path


# --------------------------------------------------------------------------- collecting


def _is_post_name(name):
    return name.lower().endswith(POST_SUFFIXES) and not name.startswith(".")


def _sources_from_directory(folder, site_root):
    folder = Path(folder)
    if folder.name == "_posts":
        posts = [p for p in folder.rglob("*") if p.is_file() and _is_post_name(p.name)]
    else:
        posts = [
            p
            for p in folder.rglob("*")
            if p.is_file()
            and _is_post_name(p.name)
            and "_posts" in p.relative_to(folder).parts[:-1]
        ]
    if not posts:
        raise RejectedFile("no _posts/*.md or *.markdown files in this folder")
    return [_source_from_file(path, site_root) for path in sorted(posts)]


def _site_root_of(path):
    """The folder that holds the ``_posts`` folder a post is in, if any."""
    for parent in path.parents:
        if parent.name == "_posts":
            return parent.parent
    return None


def _source_from_file(path, site_root):
    path = Path(path)
    root = Path(site_root) if site_root else _site_root_of(path.resolve())
    site_trees = [DirTree(root)] if root else []
    post_tree, post_dir = DirTree(path.parent), ""
    if root:
        resolved_root, resolved_dir = root.resolve(), path.parent.resolve()
        if resolved_dir.is_relative_to(resolved_root):
            post_tree = site_trees[0]
            post_dir = resolved_dir.relative_to(resolved_root).as_posix()

    def read():
        if path.stat().st_size > MAX_POST_BYTES:
            raise RejectedFile(f"larger than {MAX_POST_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()

    return Source(str(path), path.name, read, site_trees, post_tree, post_dir)


def _sources_from_zip(archive, label, site_root):
    names = [
        info.filename
        for info in archive.infolist()
        if not info.is_dir() and not info.filename.startswith("__MACOSX/")
    ]
    posts = [
        n for n in names if _is_post_name(posixpath.basename(n)) and "_posts" in n.split("/")[:-1]
    ]
    if not posts:
        raise RejectedFile("the zip holds no _posts/*.md or *.markdown files")
    sources = []
    for name in sorted(posts):
        parts = name.split("/")
        index = len(parts) - 1 - parts[::-1].index("_posts")
        prefix = "/".join(parts[:index]) + "/" if index else ""
        tree = ZipTree(archive, prefix, label)
        trees = [tree] + ([DirTree(site_root)] if site_root else [])
        post_dir = "/".join(parts[index:-1])
        info = archive.getinfo(name)

        def read(info=info):
            if info.file_size > MAX_POST_BYTES:
                raise RejectedFile(f"larger than {MAX_POST_BYTES // (1024 * 1024)} MB")
            return archive.read(info)

        sources.append(Source(f"{label}:{name}", parts[-1], read, trees, tree, post_dir))
    return sources


# --------------------------------------------------------------------------- parsing


def split_front_matter(text):
    """``(front_matter_dict, yaml_text, body)``; no front matter gives ``({}, None, text)``."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not re.match(r"---[ \t]*\n", text):
        return {}, None, text
    match = _FRONT_MATTER.match(text)
    if not match:
        raise RejectedFile("the front matter starts with --- but is never closed")
    source = match.group("yaml") or ""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RejectedFile(f"broken YAML front matter{where}: {problem}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RejectedFile("the front matter is not a set of key: value pairs")
    return {str(key): value for key, value in data.items()}, source, text[match.end() :]


def parse_date(value):
    """A timezone-aware datetime from a YAML date/datetime or a date string; else ValueError."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        match = _DATE_TEXT.match(str(value).strip().strip("'\""))
        if not match:
            raise ValueError(f"unrecognised date {value!r}")
        parts = {
            k: int(v) for k, v in match.groupdict().items() if v and k not in {"tz", "f", "junk"}
        }
        moment = datetime(
            parts["y"],
            parts["m"],
            parts["d"],
            parts.get("H", 0),
            parts.get("M", 0),
            parts.get("S", 0),
        )
        zone = (match.group("tz") or "").upper()
        if zone in {"Z", "UTC", "GMT"}:
            moment = moment.replace(tzinfo=UTC)
        elif zone:
            digits = zone.replace(":", "")
            offset = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
            moment = moment.replace(tzinfo=dt_timezone(-offset if digits[0] == "-" else offset))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _json_safe(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _raw_scalar(yaml_text, key):
    """The text of ``key: value`` as written (without quotes), for dates YAML converted."""
    match = re.search(rf"^{re.escape(key)}[ \t]*:[ \t]*(.*?)[ \t]*$", yaml_text or "", re.M)
    return match.group(1).strip("'\"") if match else None


def split_names(value):
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if item is not None and str(item).strip()]
    return str(value).split()


def _title_from_heading(body):
    """The first level-one heading and the body without it."""
    candidates = [m for m in (_ATX_H1.search(body), _SETEXT_H1.search(body)) if m]
    if not candidates:
        return "", body
    match = min(candidates, key=lambda m: m.start())
    title = match.group("title").strip()
    return title, (body[: match.start()] + body[match.end() :]).lstrip("\n")


def detect_language(front_matter, title):
    for key in LANGUAGE_KEYS:
        value = str(front_matter.get(key) or "").lower()
        if value.startswith(("zh", "cn")):
            return Language.SIMPLIFIED_CHINESE
        if value.startswith("en"):
            return Language.ENGLISH
    return Language.SIMPLIFIED_CHINESE if _CJK.search(title) else default_language()


def _first_key(front_matter, keys):
    for key in keys:
        if front_matter.get(key) not in (None, "", [], {}):
            return key
    return None


@dataclass
class ParsedPost:
    slug: str
    title: str
    publish_at: datetime
    body: str
    summary: str
    author_name: str
    language: str | None  # None: keep (on update) or guess (on create)
    guessed_language: str
    is_draft: bool
    category_names: list
    hero_reference: str
    hero_alt: str
    hero_caption: str
    extras: dict
    old_permalink: str = ""  # its address on the old site (settings.JEKYLL_PERMALINK)


_PERMALINK_PLACEHOLDER = re.compile(r":(categories|year|short_year|month|i_month|day|i_day|"
                                    r"hour|minute|second|title|slug|output_ext)")


def jekyll_permalink(pattern, *, categories, moment, title):
    """A post's address on the old Jekyll site, from its permalink pattern
    ("/:categories/:year/:month/:day/:title/", Jekyll's "date" style): categories lowercased
    and joined with "/" as Jekyll does, empty parts leaving no double slash."""
    values = {
        "categories": "/".join(dict.fromkeys(name.lower() for name in categories)),
        "year": f"{moment:%Y}", "short_year": f"{moment:%y}", "month": f"{moment:%m}",
        "i_month": str(moment.month), "day": f"{moment:%d}", "i_day": str(moment.day),
        "hour": f"{moment:%H}", "minute": f"{moment:%M}", "second": f"{moment:%S}",
        "title": title, "slug": title, "output_ext": "",
    }
    path = _PERMALINK_PLACEHOLDER.sub(lambda match: values[match.group(1)], str(pattern))
    return "/" + re.sub(r"/{2,}", "/", path).lstrip("/")


def parse_post(source_text, filename):
    """Everything a file says about its post, before any image or database work."""
    front_matter, yaml_text, body = split_front_matter(source_text)
    stem = filename.rsplit(".", 1)[0]
    name_match = _FILE_NAME.match(stem)
    file_slug = name_match.group("slug") if name_match else stem

    consumed = {}

    def consume(key):
        if key in front_matter:
            consumed[key] = _json_safe(front_matter[key])
        return front_matter.get(key)

    title_from_heading = False
    title = str(consume("title") or "").strip()
    if not title:
        title, body = _title_from_heading(body)
        title_from_heading = bool(title)
    if not title:
        raise RejectedFile("no title: no `title` in the front matter and no `# heading`")

    if "date" in front_matter and front_matter["date"] not in (None, ""):
        raw = front_matter["date"]
        consume("date")
        if isinstance(raw, date):  # keep the date as it was written, not YAML's reading
            consumed["date"] = _raw_scalar(yaml_text, "date") or _json_safe(raw)
        try:
            publish_at = parse_date(raw)
        except ValueError as exc:
            raise RejectedFile(f"the front matter's date is not a date: {raw!r}") from exc
    elif name_match:
        try:
            publish_at = parse_date(
                date(int(name_match["y"]), int(name_match["m"]), int(name_match["d"]))
            )
        except ValueError as exc:
            raise RejectedFile(f"the file name's date is not a date: {exc}") from exc
    else:
        raise RejectedFile("no date: no `date` in the front matter and no YYYY-MM-DD- file name")

    if has_chinese(file_slug):  # 2023-06-11-捐赠仪式.md → juan-zeng-yi-shi
        slug = slugify_title(file_slug)
    else:
        slug = slugify(file_slug.replace(".", "-"))[:200].strip("-")
    if not slug:  # nothing to spell in ASCII: keep the address ASCII and stable
        digest = hashlib.sha1(file_slug.encode()).hexdigest()[:8]
        slug = f"post-{publish_at:%Y%m%d}-{digest}"

    category_names = []
    for key in ("categories", "category"):
        value = consume(key)
        names = [str(value).strip()] if key == "category" and value else split_names(value)
        category_names += [n for n in names if n and n not in category_names]

    hero_key = _first_key(front_matter, HERO_IMAGE_KEYS)
    hero_value = consume(hero_key) if hero_key else None
    hero_alt = str(front_matter.get(_first_key(front_matter, HERO_ALT_KEYS) or "", "") or "")
    hero_caption = str(
        front_matter.get(_first_key(front_matter, HERO_CAPTION_KEYS) or "", "") or ""
    )
    if isinstance(hero_value, dict):  # image: {path: …, alt: …}
        hero_alt = hero_alt or str(hero_value.get("alt") or "")
        hero_caption = hero_caption or str(hero_value.get("caption") or "")
        hero_value = next(
            (
                hero_value[k]
                for k in ("path", "src", "url", "feature", "image")
                if hero_value.get(k)
            ),
            "",
        )
    for key in (*HERO_ALT_KEYS, *HERO_CAPTION_KEYS):
        if hero_key and key in front_matter:
            consume(key)

    author = consume("author")
    if isinstance(author, dict):
        author = author.get("name") or author.get("display_name") or ""
    elif isinstance(author, list):
        author = ", ".join(str(a) for a in author)
    summary_key = _first_key(front_matter, SUMMARY_KEYS)
    summary = str(consume(summary_key) or "").strip() if summary_key else ""
    language_key = _first_key(front_matter, LANGUAGE_KEYS)
    language = detect_language(front_matter, title) if language_key else None
    if language_key:
        consume(language_key)
    published = consume("published")
    is_draft = published is False or str(published).lower() == "false"

    extras = {key: _json_safe(value) for key, value in front_matter.items() if key not in consumed}
    extras[JEKYLL_KEY] = {
        "filename": filename,
        "keys": list(front_matter),
        "front_matter": consumed,
    }
    if title_from_heading:
        extras[JEKYLL_KEY]["title_from_heading"] = True

    return ParsedPost(
        slug=slug,
        title=title[:200],
        publish_at=publish_at,
        body=body,
        summary=summary,
        author_name=str(author or "").strip()[:200],
        language=language,
        guessed_language=detect_language({}, title),
        is_draft=is_draft,
        category_names=[name[:100] for name in category_names],
        hero_reference=str(hero_value or "").strip(),
        hero_alt=hero_alt.strip()[:300],
        hero_caption=hero_caption.strip()[:500],
        extras=extras,
        old_permalink=jekyll_permalink(
            front_matter.get("permalink") or settings.JEKYLL_PERMALINK,
            categories=category_names,
            moment=timezone.localtime(publish_at),
            title=str(front_matter.get("slug") or file_slug),
        ),
    )


# --------------------------------------------------------------------------- images


@dataclass
class FoundImage:
    data: bytes
    storage_name: str
    width: int
    height: int


def clean_reference(reference):
    """The file path an image reference points at, or None for what is not a local file."""
    reference = resolve_liquid(reference.strip().strip("<>"))
    if not reference or "{{" in reference or "{%" in reference:
        return None
    if reference.startswith(("//", "#")) or _URL_SCHEME.match(reference):
        return None
    return unquote(reference.split("#", 1)[0].split("?", 1)[0]) or None


def _candidates(source, path, role):
    post_relative = []
    if not path.startswith("/"):
        joined = normalise_path(posixpath.join(source.post_dir, path))
        if joined is not None:
            post_relative.append((source.post_tree, joined))
    site_relative = []
    relpath = normalise_path(path)
    if relpath is not None:
        site_relative = [(tree, relpath) for tree in source.site_trees]
    ordered = post_relative + site_relative if role == "body" else site_relative + post_relative
    unique = []
    for candidate in ordered:
        if (id(candidate[0]), candidate[1]) not in {(id(t), p) for t, p in unique}:
            unique.append(candidate)
    return unique


def _storage_name(directory, original, data, image_format):
    stem, ext = posixpath.splitext(posixpath.basename(original))
    ext = ext.lower()
    if ext not in EXTENSIONS_BY_FORMAT[image_format]:
        ext = ACCEPTED_IMAGE_FORMATS[image_format]
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{directory}/{slugify(stem)[:60] or 'image'}-{digest}{ext}"


def find_image(source, reference, role):
    """Look an image up and verify it: ``(ImageResult, FoundImage | None)``.

    Raises ``RejectedFile`` when a file is found but is not a readable image.
    """
    path = clean_reference(reference)
    if path is None:
        return None, None
    candidates = _candidates(source, path, role)
    if not candidates:
        reason = (
            "no site root to look in (use --site-root)"
            if path.startswith("/")
            else ("the path leaves the site's folder")
        )
        return ImageResult(reference, role, MISSING, reason=reason), None
    limit = getattr(settings, "MAX_IMAGE_UPLOAD_SIZE", 10 * 1024 * 1024)
    for tree, relpath in candidates:
        try:
            data = tree.read(relpath, limit)
        except RejectedFile as exc:
            return ImageResult(reference, role, REFUSED, reason=str(exc)), None
        if data is None:
            continue
        where = tree.describe(relpath)
        if relpath.lower().endswith(".svg") or _SVG_START.match(data[:512]):
            reason = "SVG is not imported: it can carry scripts"
            return ImageResult(reference, role, REFUSED, where, reason=reason), None
        try:
            with Image.open(io.BytesIO(data)) as image:
                image_format, size = image.format, image.size
                image.verify()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ) as exc:
            raise RejectedFile(f"{role} image {where} is not a readable image ({exc})") from exc
        if image_format not in ACCEPTED_IMAGE_FORMATS:
            reason = f"{image_format} images are not accepted (JPEG, PNG, GIF or WebP)"
            return ImageResult(reference, role, REFUSED, where, reason=reason), None
        directory = HERO_IMAGE_DIR if role == "hero" else BODY_IMAGE_DIR
        name = _storage_name(directory, relpath, data, image_format)
        status = REUSED if default_storage.exists(name) else COPIED
        found = FoundImage(data, name, *size)
        return ImageResult(reference, role, status, where, default_storage.url(name)), found
    looked = ", ".join(tree.describe(relpath) for tree, relpath in candidates)
    return ImageResult(reference, role, MISSING, reason=f"not found (looked for {looked})"), None


def _convert_body(source, body, result, found_images):
    """Rewrite local image links, resolve the Liquid URL tags and unwrap ``{% raw %}``.

    Returns the new body and ``{media URL: reference as written}`` for the rewritten links.
    """
    links = {}
    cache = {}

    def rewrite(reference):
        path = clean_reference(reference)
        if path is None or reference in links:  # not a local file, or already rewritten
            return None
        if path not in cache:
            image, found = find_image(source, reference, "body")
            cache[path] = image
            if found is not None:
                found_images.append(found)
                links[image.url] = reference
            if image is not None:
                result.images.append(image)
        image = cache[path]
        return image.url if image is not None and image.url else None

    def replace_url(match, group="url"):
        new = rewrite(match.group(group))
        if new is None:
            return match.group(0)
        start, end = (position - match.start() for position in match.span(group))
        whole = match.group(0)
        return whole[:start] + new + whole[end:]

    def html_image(match):
        group = next(g for g in ("dq", "sq", "bare") if match.group(g) is not None)
        return replace_url(match, group)

    def images(text):
        return _HTML_IMG_SRC.sub(html_image, _MD_IMAGE.sub(replace_url, text))

    def convert_text(text):
        # Before resolving Liquid, so that the report and the extras keep the reference as
        # written; again after, for the links only a resolved tag makes readable.
        return images(resolve_liquid(images(text)))

    pieces = _RAW_BLOCK.split(body)
    output = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            output.append(convert_text(piece))
        elif resolve_liquid(piece) == piece:
            output.append(piece)  # nothing the renderer would touch: unwrap
        else:
            output.append("{% raw %}" + piece + "{% endraw %}")
    body = "".join(output)

    # Reference-style images: ![alt][id] … [id]: path
    image_ids = {(m.group("id") or m.group("alt")).lower() for m in _MD_IMAGE_REF.finditer(body)}

    def definition(match):
        if match.group("id").lower() not in image_ids:
            return match.group(0)
        return replace_url(match)

    if image_ids:
        body = _MD_REF_DEF.sub(definition, body)
    return body, links


# --------------------------------------------------------------------------- importing


def _match_author(name):
    if not name:
        return None
    return get_user_model().objects.filter(username=name).first()


def _categories(names, dry_run, result, planned):
    """The categories of a post, created when missing (only reported in a dry run)."""
    categories = []
    for name in names:
        slug = slugify(name, allow_unicode=True)[:100].strip("-")
        if not slug:
            continue
        category = (
            Category.objects.filter(slug=slug).first()
            or Category.objects.filter(name__iexact=name).first()
        )
        if category is None:
            if slug not in planned:
                result.categories_created.append(name)
                planned.add(slug)
            if not dry_run:
                category = Category.objects.create(name=name, slug=slug)
        if category is not None:
            categories.append(category)
    return categories


def _import_source(
    source, *, dry_run, update, user, seen_slugs, planned_categories, allow_publish=True
):
    result = FileResult(source.path, FAILED)
    try:
        data = source.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RejectedFile(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        parsed = parse_post(text, source.filename)
    except (RejectedFile, OSError, zipfile.BadZipFile) as exc:
        result.reason = str(exc)
        return result
    result.slug, result.title = parsed.slug, parsed.title

    if parsed.slug in seen_slugs:
        result.reason = f"the same slug ({parsed.slug}) as {seen_slugs[parsed.slug]}"
        return result
    seen_slugs[parsed.slug] = source.path

    existing = Post.objects.filter(slug=parsed.slug).first()
    if existing and not update:
        result.status, result.post_id = SKIPPED, existing.pk
        result.reason = "a post with this slug exists (import with --update to overwrite it)"
        return result
    if existing and not allow_publish and existing.status == Post.Status.PUBLISHED:
        result.reason = _(
            "a published post has this slug: only a user who may publish can overwrite it"
        )
        return result
    if not existing and not allow_publish and not parsed.is_draft:
        result.drafted = True
        result.reason = _("imported as draft: you may not publish")

    found_images = []
    saved = []
    try:
        hero = None
        if parsed.hero_reference:
            image, hero = find_image(source, parsed.hero_reference, "hero")
            if image is None:  # a remote URL or an unresolvable Liquid expression
                reason = "not a file of the site (remote images are not downloaded)"
                image = ImageResult(parsed.hero_reference, "hero", REFUSED, reason=reason)
            result.images.append(image)
            if hero is not None:
                found_images.append(hero)
        body, links = _convert_body(source, parsed.body, result, found_images)
        if links:
            parsed.extras[JEKYLL_KEY]["images"] = links

        if dry_run:
            _categories(parsed.category_names, True, result, planned_categories)
            result.status = UPDATED if existing else CREATED
            result.post_id = existing.pk if existing else None
            return result

        with transaction.atomic():
            for image in found_images:
                if not default_storage.exists(image.storage_name):
                    name = default_storage.save(image.storage_name, ContentFile(image.data))
                    saved.append(name)
                    if name != image.storage_name:  # storage renamed it: keep links right
                        raise RejectedFile(f"could not store {image.storage_name}")
            post = existing or Post(
                slug=parsed.slug,
                status=(
                    Post.Status.DRAFT
                    if parsed.is_draft or result.drafted
                    else Post.Status.PUBLISHED
                ),
                language=parsed.language or parsed.guessed_language,
                created_by=user,
            )
            if existing:
                if parsed.is_draft:
                    post.status = Post.Status.DRAFT
                if parsed.language:
                    post.language = parsed.language
            post.title = parsed.title
            post.publish_at = parsed.publish_at
            post.body = body
            post.summary = parsed.summary
            post.author = _match_author(parsed.author_name)
            post.author_name = "" if post.author else parsed.author_name
            post.extras = parsed.extras
            post.updated_by = user
            if hero is not None:
                post.hero_image = hero.storage_name
                post.hero_image_width, post.hero_image_height = hero.width, hero.height
                post.hero_image_alt = parsed.hero_alt or post.hero_image_alt or parsed.title[:300]
                post.hero_image_caption = parsed.hero_caption or post.hero_image_caption
            post.save()
            post.update_renditions()  # hero and body images, resized once (posts/images.py)
            post.categories.set(
                _categories(parsed.category_names, False, result, planned_categories)
            )
            if parsed.old_permalink:  # the old site's address keeps working (a 301)
                Redirect.objects.record_move(
                    parsed.old_permalink,
                    post.get_absolute_url(),
                    note=f"Jekyll: {source.filename}"[:300],
                )
        result.status = UPDATED if existing else CREATED
        result.post_id = post.pk
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
        for name in saved:
            default_storage.delete(name)
        result.status, result.drafted = FAILED, False
        for name in result.categories_created:  # rolled back: the next file creates it
            planned_categories.discard(slugify(name, allow_unicode=True)[:100].strip("-"))
        result.categories_created = []
        result.reason = (
            str(exc) if isinstance(exc, RejectedFile) else (f"{type(exc).__name__}: {exc}")
        )
    return result


def _run(groups, *, dry_run, update, progress, user, allow_publish=True):
    """``groups``: (label, callable returning sources) pairs; a failing group is one failure."""
    report = ImportReport(dry_run=dry_run)
    sources = []
    for label, collect in groups:
        try:
            sources += collect()
        except (RejectedFile, OSError, zipfile.BadZipFile) as exc:
            report.results.append(FileResult(label, FAILED, reason=str(exc)))
    seen_slugs, planned_categories = {}, set()
    total = len(sources)
    for index, source in enumerate(sources, start=1):
        result = _import_source(
            source,
            dry_run=dry_run,
            update=update,
            user=user,
            seen_slugs=seen_slugs,
            planned_categories=planned_categories,
            allow_publish=allow_publish,
        )
        report.results.append(result)
        if progress:
            progress(index, total, result)
    return report


def import_paths(
    paths,
    site_root=None,
    dry_run=False,
    update=False,
    progress=None,
    user=None,
    allow_publish=True,
):
    """Import Jekyll posts from folders, single ``.md``/``.markdown`` files and ``.zip`` files.

    ``site_root``: where absolute image paths (``/img/x.jpg``) are looked up; by default the
    folder that holds ``_posts`` (or, for a zip, the zip itself, then ``site_root``).
    ``progress(done, total, file_result)`` is called after each file. ``user`` is recorded
    as the posts' creator / last editor. Without ``allow_publish`` (a user without
    ``posts.publish_post``) new posts are imported as drafts and a published post is never
    overwritten. Returns an ``ImportReport``.
    """
    groups = []
    opened = []

    def group_for(path):
        path = Path(path)
        if not path.exists():
            raise RejectedFile("no such file or folder")
        if path.is_dir():
            return _sources_from_directory(path, site_root)
        if path.suffix.lower() == ".zip":
            archive = zipfile.ZipFile(path)
            opened.append(archive)
            return _sources_from_zip(archive, str(path), site_root)
        if not _is_post_name(path.name):
            raise RejectedFile("not a .md, .markdown or .zip file")
        return [_source_from_file(path, site_root)]

    for path in paths:
        groups.append((str(path), lambda path=path: group_for(path)))
    try:
        return _run(
            groups,
            dry_run=dry_run,
            update=update,
            progress=progress,
            user=user,
            allow_publish=allow_publish,
        )
    finally:
        for archive in opened:
            archive.close()


def import_zip(
    file,
    name="upload.zip",
    site_root=None,
    dry_run=False,
    update=False,
    progress=None,
    user=None,
    allow_publish=True,
):
    """Import the posts of a zip given as an open binary file (e.g. an upload)."""

    archives = []

    def collect():
        archives.append(zipfile.ZipFile(file))
        return _sources_from_zip(archives[0], name, site_root)

    try:
        return _run(
            [(name, collect)],
            dry_run=dry_run,
            update=update,
            progress=progress,
            user=user,
            allow_publish=allow_publish,
        )
    finally:
        for archive in archives:
            archive.close()
