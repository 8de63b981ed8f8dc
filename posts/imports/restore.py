"""Restore posts from a JSON export made by :mod:`posts.exports`.

The source is either ``posts.json`` (images described by storage path and SHA-256) or the
``json-zip`` bundle (the same JSON with every image under ``media/<storage path>``).

- Posts are matched by slug: re-importing the same file updates, never duplicates, and a
  post whose stored values already equal the file's is counted as unchanged.
- Categories are matched by slug and created when missing (name, description and position
  from the export's header). Projects are matched by slug; a missing project is reported
  and left out, because the registry is restored by ``import_registry``.
- Images are restored byte for byte: the bytes come from the bundle, from ``media_dir``
  (a copy of the old MEDIA_ROOT) or, for a restore on the same site, from storage itself,
  and must match the SHA-256 written at export time. A file is written at its old storage
  path; if another file already occupies it, under a free name, with the body's links
  rewritten to match.
- Each post is restored in its own transaction: a bad record is reported with its slug and
  the reason, and the others go on. ``dry_run`` runs the very same code and rolls back, and
  writes no files.
- The JSON is read incrementally (one post at a time), so a 10,000-post file does not have
  to fit in memory.
"""

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.files.utils import validate_file_name
from django.db import transaction
from django.utils.translation import gettext as _

from posts.exports import FORMAT_NAME, FORMAT_VERSION, checksum, plain_fields, replace_media_urls
from posts.models import Category, Post
from projects.models import Project

READ_CHUNK = 64 * 1024
BUNDLE_JSON = "posts.json"


class RestoreError(Exception):
    """The file as a whole cannot be restored (not an export of ours, unreadable…)."""


class RecordError(Exception):
    """One post cannot be restored; the others go on."""


@dataclass
class RestoreReport:
    dry_run: bool = False
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (slug, reason)
    categories_created: list = field(default_factory=list)
    projects_missing: dict = field(default_factory=dict)  # project slug -> [post slugs]
    images_restored: int = 0
    images_present: int = 0
    images_missing: list = field(default_factory=list)  # (post slug, path, reason)
    drafted: list = field(default_factory=list)  # published in the file, restored as drafts

    @property
    def total(self):
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.failed)

    def summary(self):
        text = _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(failed)d failed; %(restored)d images restored, %(missing)d images missing."
        ) % {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
            "restored": self.images_restored,
            "missing": len(self.images_missing),
        }
        return _("Dry run, nothing written: %(text)s") % {"text": text} if self.dry_run else text


# Reading the JSON one post at a time ------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _JsonStream:
    """Just enough of an incremental JSON reader for ``{"header"…, "posts": [{…}, …]}``."""

    def __init__(self, text):
        self.text = text
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self):
        if self.eof:
            return False
        data = self.text.read(READ_CHUNK)
        if not data:
            self.eof = True
            return False
        self.buffer = self.buffer[self.pos :] + data
        self.pos = 0
        return True

    def peek(self):
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def expect(self, char):
        if self.peek() != char:
            raise RestoreError(_("Not a JSON export: expected “%(char)s”.") % {"char": char})
        self.pos += 1

    def value(self):
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self._fill():
                    continue
                raise RestoreError(_("The JSON is broken: %(error)s") % {"error": error}) from None
            if end == len(self.buffer) and self._fill():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def items(self):
        """The values of the array whose ``[`` comes next, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            char = self.peek()
            self.pos += 1
            if char == "]":
                return
            if char != ",":
                raise RestoreError(_("The JSON is broken: expected “,” or “]” in the posts."))


def read_export(text):
    """``(header, posts)`` from a text stream: header keys before ``posts``, then lazily the
    posts; keys that come after ``posts`` are added to the header once it is consumed."""
    stream = _JsonStream(text)
    stream.expect("{")
    header = {}
    while True:
        char = stream.peek()
        if char == "}":
            raise RestoreError(_("Not a JSON export of posts: it has no “posts”."))
        if char == ",":
            stream.pos += 1
            continue
        key = stream.value()
        stream.expect(":")
        if key == "posts":
            break
        header[key] = stream.value()
    _check_header(header)

    def posts():
        yield from stream.items()
        while stream.peek() == ",":
            stream.pos += 1
            key = stream.value()
            stream.expect(":")
            header[key] = stream.value()

    return header, posts()


def _check_header(header):
    if "format" in header and header["format"] != FORMAT_NAME:
        raise RestoreError(
            _("Not a JSON export of posts: its format is “%(format)s”.")
            % {"format": header["format"]}
        )
    if int(header.get("version", FORMAT_VERSION)) > FORMAT_VERSION:
        raise RestoreError(
            _("This export is format version %(version)s; this site reads up to %(max)s.")
            % {"version": header["version"], "max": FORMAT_VERSION}
        )


# Sources of image bytes -------------------------------------------------------------------


class _Images:
    """Finds the bytes of an exported file: in the bundle, a media folder, or storage."""

    def __init__(self, archive=None, media_dir=None):
        self.archive = archive
        self.members = set(archive.namelist()) if archive else set()
        self.media_dir = Path(media_dir) if media_dir else None

    def open(self, path):
        if f"media/{path}" in self.members:
            return self.archive.open(f"media/{path}")
        if self.media_dir and (self.media_dir / path).is_file():
            return open(self.media_dir / path, "rb")  # noqa: SIM115 - closed by the caller
        if default_storage.exists(path):
            return default_storage.open(path, "rb")
        return None


def _sha256(fileobj):
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(READ_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


class _Restorer:
    def __init__(self, header, images, report, user=None, allow_publish=True):
        self.images = images
        self.report = report
        self.user = user
        self.allow_publish = allow_publish
        self.categories = {c["slug"]: c for c in header.get("categories") or []}
        self.users = {}
        self.pending_translations = []  # (slug, original's slug) restored before its original

    # Files

    def restore_file(self, entry, slug):
        """The storage name under which ``entry``'s bytes now are (or would be); None if
        the bytes cannot be found or do not match their checksum."""
        path = entry.get("path") or ""
        try:
            validate_file_name(path, allow_relative_path=True)
        except (SuspiciousFileOperation, ValueError):
            self.report.images_missing.append((slug, path, _("unsafe file name")))
            return None
        expected = entry.get("sha256")
        if default_storage.exists(path) and checksum(path)[0] == expected:
            self.report.images_present += 1
            return path
        source = self.images.open(path)
        if source is None:
            self.report.images_missing.append((slug, path, _("file not found")))
            return None
        with source:
            if _sha256(source) != expected:
                self.report.images_missing.append((slug, path, _("checksum does not match")))
                return None
            self.report.images_restored += 1
            if self.report.dry_run:
                return path
            source.seek(0)
            # Same path when free; a free name beside it when another file is in the way.
            return default_storage.save(path, File(source, name=path))

    # Related rows

    def category(self, slug):
        found = Category.objects.filter(slug=slug).first()
        if found:
            return found
        data = self.categories.get(slug) or {"name": slug}
        category = Category(
            slug=slug,
            name=data.get("name") or slug,
            description=data.get("description") or "",
            position=data.get("position") or 0,
        )
        category.full_clean()
        category.save()
        if slug not in self.report.categories_created:  # a dry run creates it per post
            self.report.categories_created.append(slug)
        return category

    def user_named(self, username):
        if not username:
            return None
        if username not in self.users:
            self.users[username] = (
                get_user_model()
                .objects.filter(**{get_user_model().USERNAME_FIELD: username})
                .first()
            )
        return self.users[username]

    # One post

    def restore(self, record):
        slug = record.get("slug") if isinstance(record, dict) else None
        if not slug:
            self.report.failed.append(("?", _("a post without a slug")))
            return
        try:
            with transaction.atomic():
                outcome = self._restore(record, slug)
                if self.report.dry_run:
                    transaction.set_rollback(True)
        except (RecordError, ValidationError, KeyError, TypeError, ValueError) as error:
            reason = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.report.failed.append((slug, reason or error.__class__.__name__))
            return
        getattr(self.report, outcome).append(slug)

    def link_translations(self):
        """Translations restored before their original: linked once everything is in."""
        for slug, target in self.pending_translations:
            restored = {*self.report.created, *self.report.updated, *self.report.unchanged}
            if self.report.dry_run:  # nothing was saved: the export must hold both
                if target not in restored and not Post.objects.filter(slug=target).exists():
                    self.report.failed.append(
                        (
                            slug,
                            _("its original post “%(slug)s” is not in the export")
                            % {"slug": target},
                        )
                    )
                continue
            post = Post.objects.filter(slug=slug).first()
            original = Post.objects.filter(slug=target).first()
            if post is None or original is None:
                self.report.failed.append(
                    (
                        slug,
                        _("its original post “%(slug)s” is not in the export") % {"slug": target},
                    )
                )
                continue
            post.translation_of = original
            try:
                with transaction.atomic():
                    post.clean_translation_of()
                    post.save(update_fields=["translation_of"])
                    if self.report.dry_run:
                        transaction.set_rollback(True)
            except ValidationError as error:
                self.report.failed.append((slug, "; ".join(error.messages)))

    def _restore(self, record, slug):
        post = Post.objects.filter(slug=slug).first()
        if not self.allow_publish and post is not None and post.status == Post.Status.PUBLISHED:
            raise RecordError(
                _("a published post has this slug: only a user who may publish can overwrite it")
            )
        created = post is None
        post = post or Post(slug=slug)
        before = None if created else _snapshot(post)

        body = record.get("body") or ""
        renamed = {}
        for entry in record.get("media") or []:
            name = self.restore_file(entry, slug)
            if name and name != entry["path"]:
                renamed[entry["path"]] = default_storage.url(name)
        if renamed:
            body = replace_media_urls(body, renamed.get)

        hero = record.get("hero_image")
        hero_name = self.restore_file(hero, slug) if hero else None

        post.title = record["title"]
        post.status = record["status"]
        drafted = not self.allow_publish and post.status == Post.Status.PUBLISHED
        if drafted:
            post.status = Post.Status.DRAFT
        post.publish_at = datetime.fromisoformat(record["publish_at"])
        post.language = record.get("language") or post.language
        post.author = self.user_named((record.get("author") or {}).get("username"))
        post.author_name = record.get("author_name") or ""
        post.summary = record.get("summary") or ""
        post.body = body
        post.extras = record.get("extras") or {}
        for column in plain_fields():
            if column.name in record:
                setattr(post, column.name, column.to_python(record[column.name]))
        if "translation_of" in record:
            target = record["translation_of"]
            post.translation_of = Post.objects.filter(slug=target).first() if target else None
            if target and post.translation_of is None:
                self.pending_translations.append((slug, target))
        post.hero_image_alt = (hero or {}).get("alt") or ""
        post.hero_image_caption = (hero or {}).get("caption") or ""
        if self.report.dry_run:
            pass  # the file is not written: the post keeps its image while nothing is saved
        elif hero_name:
            post.hero_image = hero_name
            Post._meta.get_field("hero_image").update_dimension_fields(post, force=True)
        else:
            post.hero_image = ""
            post.hero_image_width = post.hero_image_height = None
        if created:
            post.created_by = self.user_named(record.get("created_by")) or self.user
        post.updated_by = self.user_named(record.get("updated_by")) or self.user
        post.full_clean(validate_unique=False)
        if self.report.dry_run and hero_name and not post.hero_image_alt.strip():
            raise RecordError(_("the hero image has no alt text"))

        categories = [self.category(s) for s in record.get("categories") or []]
        project_slugs = record.get("projects") or []
        projects = list(Project.objects.filter(slug__in=project_slugs))
        for missing in sorted(set(project_slugs) - {p.slug for p in projects}):
            self.report.projects_missing.setdefault(missing, []).append(slug)

        after = _snapshot(post, categories, projects) | {"hero_image": hero_name or ""}
        if before == after:
            return "unchanged"
        post.save()
        if not self.report.dry_run:  # a dry run is rolled back: write no files for it
            post.update_renditions()
        post.categories.set(categories)
        post.projects.set(projects)
        stamps = {
            key: datetime.fromisoformat(record[key])
            for key in ("created_at", "updated_at")
            if record.get(key)
        }
        if stamps:
            Post.objects.filter(pk=post.pk).update(**stamps)
        if drafted:
            self.report.drafted.append(slug)
        return "created" if created else "updated"


SNAPSHOT_FIELDS = (
    "title",
    "status",
    "publish_at",
    "language",
    "author_id",
    "author_name",
    "summary",
    "body",
    "extras",
    "hero_image_alt",
    "hero_image_caption",
)


def _snapshot(post, categories=None, projects=None):
    values = {name: getattr(post, name) for name in SNAPSHOT_FIELDS}
    values |= {field.name: getattr(post, field.name) for field in plain_fields()}
    values["translation_of"] = post.translation_of_id
    values["hero_image"] = post.hero_image.name or ""
    if categories is None:
        values["categories"] = sorted(post.categories.values_list("slug", flat=True))
        values["projects"] = sorted(post.projects.values_list("slug", flat=True))
    else:
        values["categories"] = sorted(c.slug for c in categories)
        values["projects"] = sorted(p.slug for p in projects)
    return values


def restore(source, *, dry_run=False, media_dir=None, user=None, progress=None, allow_publish=True):
    """Restore posts from a JSON export (``.json``) or a JSON bundle (``.zip``).

    ``source`` is a path or a binary file object. Without ``allow_publish`` (a user without
    ``posts.publish_post``) published and scheduled posts are restored as drafts and a
    published post is never overwritten. Returns a :class:`RestoreReport`.
    """
    report = RestoreReport(dry_run=dry_run)
    fileobj = open(source, "rb") if isinstance(source, (str, Path)) else source  # noqa: SIM115
    try:
        archive = None
        if zipfile.is_zipfile(fileobj):
            fileobj.seek(0)
            archive = zipfile.ZipFile(fileobj)
            if BUNDLE_JSON not in archive.namelist():
                raise RestoreError(_("The zip has no posts.json: it is not a JSON export."))
            raw = archive.open(BUNDLE_JSON)
        else:
            fileobj.seek(0)
            raw = fileobj
        text = io.TextIOWrapper(raw, encoding="utf-8-sig")
        try:
            header, posts = read_export(text)
            restorer = _Restorer(
                header, _Images(archive, media_dir), report, user=user, allow_publish=allow_publish
            )
            total = header.get("count") if isinstance(header.get("count"), int) else None
            for done, record in enumerate(posts, start=1):
                restorer.restore(record)
                if progress:
                    progress(done, total, record)
            restorer.link_translations()
        except UnicodeDecodeError as error:
            raise RestoreError(
                _("The file is not UTF-8 text: %(error)s") % {"error": error}
            ) from None
        finally:
            text.detach()
    except zipfile.BadZipFile as error:
        raise RestoreError(_("The zip is damaged: %(error)s") % {"error": error}) from None
    finally:
        if isinstance(source, (str, Path)):
            fileobj.close()
    return report


def is_json_export(fileobj):
    """Whether a file (plain or zipped) looks like an export this module restores."""
    position = fileobj.tell()
    try:
        if zipfile.is_zipfile(fileobj):
            fileobj.seek(0)
            return BUNDLE_JSON in zipfile.ZipFile(fileobj).namelist()
        fileobj.seek(0)
        start = fileobj.read(4096).decode("utf-8-sig", errors="replace").lstrip()
        return start.startswith("{") and FORMAT_NAME in start
    finally:
        fileobj.seek(position)
