"""Image renditions: the hero image and body images, resized once when they are saved.

A *rendition* is a copy of an uploaded image at one width, in WebP or in the original
format (JPEG, or PNG for PNG and GIF originals; a WebP original has WebP renditions only).
Widths are ``RENDITION_WIDTHS`` that the source can fill, plus the source's own width when
it is narrower than the largest: an image is never enlarged. A hero image is first cropped
to the display aspect ratio (``HERO_ASPECT``, 16:9) around its focal point, so that the
detail page and the cards show the subject whatever the shape of the upload.

Files live in the default storage under ``renditions/<key>/<width>.<ext>``. The key is a
hash of the original's storage name, the crop (aspect ratio and focal point) and
``RENDITION_VERSION``: a new focal point or a new upload gets new file names, so browsers
and CDNs never show a stale crop, and two posts that share an image (the Jekyll importer
stores images by content) share its renditions. Files are only written when missing.

Making them is most of the time an import takes, so it is done frugally: the original is
decoded once (a JPEG at 1/2, 1/4 or 1/8 scale while that still covers the largest width),
cropped, then resized largest width first, each width from the one before, and each size
is encoded in both formats. Pixels differ from a direct resize of the full original by less
than the WebP encoding itself changes them.

What a post's renditions are is stored on the post (``Post.hero_renditions``: a list of
``{"width", "height", "format", "name"}``; ``Post.body_renditions``: the same lists keyed
by the body image's storage name), so pages never touch the storage: the template tag
``{% responsive_image %}`` (``posts/templatetags/images.py``) and the body filter
``responsive_body_images`` read those lists.

Nothing here runs by itself (conventions: no hidden I/O in ``save()`` or signals). Whoever
changes a post's images calls ``post.update_renditions()`` after saving it: the admin's
``save_model``, the Jekyll importer, the JSON restore, the factories and the demo content.
Deleting posts goes through ``delete_posts()`` (the admin's delete paths), which removes the
renditions no other post uses once the transaction commits. Anything else that deletes
posts in bulk (a shell, ``bench_data --rebuild``) leaves files behind that
``manage.py prune_renditions`` removes.
"""

import hashlib
import html
import io
import logging
import os
import posixpath
import re
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils.html import format_html, format_html_join
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

RENDITION_WIDTHS = (480, 800, 1200, 1600)
RENDITION_DIR = "renditions"
# Bump when the way renditions are made changes (quality, resampling): every image then
# gets new file names at its next save, and ``prune_renditions`` removes the old ones.
RENDITION_VERSION = 1
HERO_ASPECT = (16, 9)
DEFAULT_FOCAL_POINT = (0.5, 0.5)

# Pillow format of the original → format of its non-WebP renditions (None: WebP only).
FALLBACK_FORMATS = {"JPEG": "jpeg", "PNG": "png", "GIF": "png", "WEBP": None}
EXTENSIONS = {"webp": "webp", "jpeg": "jpg", "png": "png"}
MIME_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}
# Measured on 1600×900 to 4032×3024 photos: WebP method 2 encodes in half the time of
# method 4, for files 0–13 % larger and the same fidelity (within 0.2 dB PSNR); baseline JPEG
# with optimised Huffman tables takes half the time of progressive for files 3–6 % larger,
# and the JPEG is only the fallback for browsers without WebP.
SAVE_OPTIONS = {
    "webp": {"format": "WEBP", "quality": 80, "method": 2},
    "jpeg": {"format": "JPEG", "quality": 82, "optimize": True},
    "png": {"format": "PNG", "optimize": False, "compress_level": 7},
}
# Pillow's resize first shrinks by whole factors (a box filter) while the image is more than
# this many times the target, then finishes with Lanczos: quick, and indistinguishable.
REDUCING_GAP = 3.0
# The fallback <img src> is the rendition closest to this width: good on every screen
# that ignores srcset, light enough on phones.
FALLBACK_WIDTH = 800
ORIENTATION_TAG = 0x0112  # EXIF: how the camera was held
ROTATED_ORIENTATIONS = {5, 6, 7, 8}

# How wide images are shown (CSS in static/css/site.css), for the ``sizes`` attribute.
HERO_SIZES = "(max-width: 60rem) 100vw, 60rem"  # .container--wide
CARD_SIZES = "(max-width: 40rem) 100vw, 22rem"  # list column 14rem; home grid ≤ 22rem
BODY_SIZES = "(max-width: 44.5rem) 100vw, 42rem"  # .prose: --measure

_RENDITION_ERRORS = (
    OSError,
    UnidentifiedImageError,
    ValueError,
    SyntaxError,
    Image.DecompressionBombError,
    SuspiciousFileOperation,
)


# --------------------------------------------------------------------------- making them


def rendition_key(name, aspect=None, focal=DEFAULT_FOCAL_POINT):
    """The folder name of an image's renditions: what they are made from, hashed."""
    crop = f"{aspect[0]}:{aspect[1]}@{focal[0]:.4f},{focal[1]:.4f}" if aspect else "full"
    source = f"v{RENDITION_VERSION}|{name}|{crop}"
    return hashlib.sha256(source.encode()).hexdigest()[:24]


def rendition_folder(name, aspect=None, focal=DEFAULT_FOCAL_POINT):
    return f"{RENDITION_DIR}/{rendition_key(name, aspect, focal)}"


def crop_box(size, aspect, focal=DEFAULT_FOCAL_POINT):
    """The largest box of ratio ``aspect`` inside ``size``, centred on the focal point as far
    as the edges allow. ``focal`` is (x, y), each 0–1 from the left / top edge."""
    width, height = size
    ratio = aspect[0] / aspect[1]
    if width / height > ratio:
        crop_w, crop_h = max(1, round(height * ratio)), height
    else:
        crop_w, crop_h = width, max(1, round(width / ratio))
    fx, fy = (min(max(float(v), 0.0), 1.0) for v in focal)
    left = min(max(round(fx * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(fy * height - crop_h / 2), 0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


def target_widths(source_width, widths=RENDITION_WIDTHS):
    """The widths to make from a source this wide: never wider than the source."""
    largest = min(source_width, max(widths))
    return [width for width in sorted(widths) if width < largest] + [largest]


def _prepare(image, fallback):
    """The loaded original, turned as the camera was held, in a mode every output format
    accepts (RGBA when it has transparency and the fallback keeps it, else RGB)."""
    ImageOps.exif_transpose(image, in_place=True)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha and fallback != "jpeg" else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _decode_reduced(image, crop, largest, turned):
    """Let a JPEG decode at 1/2, 1/4 or 1/8 scale when even that keeps the crop at least as
    large as the largest rendition: libjpeg scales while decoding, far quicker (and
    lighter) than decoding every pixel of a camera-sized photo to throw most away."""
    if image.format != "JPEG":
        return
    width, height = image.size[::-1] if turned else image.size
    needed = (
        -(-width * largest[0] // crop[0]),
        -(-height * largest[1] // crop[1]),
    )
    image.draft(None, needed[::-1] if turned else needed)


def _write(image, planned, missing, storage, *, crop, aspect, focal, fallback, turned):
    """Save the ``missing`` files among ``planned``: the original decoded once and cropped,
    then resized (Lanczos) largest width first, each smaller width from the one before;
    small steps, so the result matches a resize of the full original."""
    _decode_reduced(image, crop, planned[-1][:2], turned)
    image.load()
    current = _prepare(image, fallback)
    box = crop_box(current.size, aspect, focal) if aspect else None
    if box and box != (0, 0, *current.size):
        current = current.crop(box)
    for width, height, outputs in reversed(planned):
        if current.size != (width, height):
            current = current.resize(
                (width, height), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP
            )
        for fmt, rendition_name in outputs:
            if rendition_name not in missing:
                continue
            picture = current.convert("RGB") if fmt == "jpeg" and current.mode != "RGB" else current
            buffer = io.BytesIO()
            picture.save(buffer, **SAVE_OPTIONS[fmt])
            saved = storage.save(rendition_name, ContentFile(buffer.getvalue()))
            if saved != rendition_name:  # pragma: no cover - a racing writer
                storage.delete(saved)


def build_renditions(name, *, aspect=None, focal=DEFAULT_FOCAL_POINT, storage=None):
    """Make (or find) the renditions of the image stored as ``name``.

    Returns ``[{"width", "height", "format", "name"}, …]``, narrowest first, WebP before the
    fallback format at each width; ``[]`` when the file is missing, is not a still raster
    image, or cannot be decoded (the page then shows the original). The original is only
    decoded when a file is missing.
    """
    storage = storage or default_storage
    folder = rendition_folder(name, aspect, focal)
    try:
        with storage.open(name, "rb") as handle, Image.open(handle) as image:
            fallback = FALLBACK_FORMATS.get(image.format, "missing")
            if fallback == "missing" or getattr(image, "is_animated", False):
                return []
            formats = ["webp"] + ([fallback] if fallback else [])
            size = image.size
            turned = image.getexif().get(ORIENTATION_TAG) in ROTATED_ORIENTATIONS
            if turned:
                size = size[::-1]  # shown turned by a quarter: see _prepare
            box = crop_box(size, aspect, focal) if aspect else None
            crop_w, crop_h = (box[2] - box[0], box[3] - box[1]) if box else size
            planned = []  # (width, height, [(format, file name), …]), narrowest first
            for width in target_widths(crop_w):
                height = max(1, round(width * crop_h / crop_w))
                outputs = [(fmt, f"{folder}/{width}.{EXTENSIONS[fmt]}") for fmt in formats]
                planned.append((width, height, outputs))
            missing = {
                rendition_name
                for _width, _height, outputs in planned
                for _fmt, rendition_name in outputs
                if not storage.exists(rendition_name)
            }
            if missing:
                _write(
                    image,
                    planned,
                    missing,
                    storage,
                    crop=(crop_w, crop_h),
                    aspect=aspect,
                    focal=focal,
                    fallback=fallback,
                    turned=turned,
                )
            return [
                {"width": width, "height": height, "format": fmt, "name": rendition_name}
                for width, height, outputs in planned
                for fmt, rendition_name in outputs
            ]
    except FileNotFoundError:
        logger.warning("No renditions for %s: the file is missing.", name)
        return []
    except _RENDITION_ERRORS as error:
        logger.warning("No renditions for %s: %s", name, error)
        return []


# --------------------------------------------------------------------------- removing them


def _folders(renditions):
    return {posixpath.dirname(item["name"]) for item in renditions if item.get("name")}


def rendition_names(posts):
    """Every rendition file name the given posts (instances or a queryset) refer to."""
    if isinstance(posts, models.QuerySet):
        rows = posts.values_list("hero_renditions", "body_renditions")
    else:
        rows = [(post.hero_renditions, post.body_renditions) for post in posts]
    names = set()
    for hero, body in rows:
        names.update(item["name"] for item in hero or [])
        for items in (body or {}).values():
            names.update(item["name"] for item in items)
    return names


def _is_referenced(folder):
    from posts.models import Post

    needle = f"{folder}/"
    return (
        Post.objects.annotate(
            hero_text=Cast("hero_renditions", models.TextField()),
            body_text=Cast("body_renditions", models.TextField()),
        )
        .filter(models.Q(hero_text__contains=needle) | models.Q(body_text__contains=needle))
        .exists()
    )


def delete_unused(names, storage=None):
    """Delete the rendition files among ``names`` that no post refers to any more.

    Runs once the current transaction commits (at once outside one), so that a rolled back
    change keeps its files. Returns nothing; the deletion is logged.
    """
    names = {name for name in names if name.startswith(f"{RENDITION_DIR}/")}
    if not names:
        return
    storage = storage or default_storage

    def delete():
        by_folder = {}
        for name in names:
            by_folder.setdefault(posixpath.dirname(name), []).append(name)
        for folder, files in by_folder.items():
            if _is_referenced(folder):
                continue
            for name in files:
                storage.delete(name)
            _remove_empty_folder(storage, folder)
            logger.info("Deleted %d renditions in %s.", len(files), folder)

    transaction.on_commit(delete)


def _remove_empty_folder(storage, folder):
    try:
        directories, files = storage.listdir(folder)
        if not directories and not files:
            os.rmdir(storage.path(folder))
    except (NotImplementedError, FileNotFoundError, OSError):
        pass  # object stores have no folders; a folder still in use stays


def delete_posts(posts):
    """Delete posts (an instance or a queryset) and, once committed, their renditions.

    Returns what ``delete()`` returns.
    """
    names = rendition_names([posts] if isinstance(posts, models.Model) else posts)
    result = posts.delete()
    delete_unused(names)
    return result


def prune(storage=None, dry_run=False):
    """Delete rendition folders that no post refers to; return their names."""
    storage = storage or default_storage
    try:
        folders, _files = storage.listdir(RENDITION_DIR)
    except (FileNotFoundError, NotImplementedError):
        return []
    from posts.models import Post

    used = set()
    for hero, body in Post.objects.values_list("hero_renditions", "body_renditions").iterator():
        used |= _folders(hero or [])
        for items in (body or {}).values():
            used |= _folders(items)
    removed = []
    for folder in sorted(folders):
        path = f"{RENDITION_DIR}/{folder}"
        if path in used:
            continue
        removed.append(path)
        if not dry_run:
            for name in storage.listdir(path)[1]:
                storage.delete(f"{path}/{name}")
            _remove_empty_folder(storage, path)
    return removed


# --------------------------------------------------------------------------- a post's images

# nh3 writes every attribute as name="value" with quotes escaped, so a sanitised <img> can be
# read reliably with regular expressions (as posts.markup does).
_IMG = re.compile(r'<img((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s([^\s=>]+)(?:="([^"]*)")?')


def _attributes(tag_attributes):
    return [(name.lower(), value) for name, value in _ATTRIBUTE.findall(tag_attributes)]


def media_name(src):
    """The storage name of a URL that points into our media (``/media/posts/body/x.jpg``),
    or None for any other URL and for anything that tries to leave the media folder."""
    media_url = settings.MEDIA_URL
    url = html.unescape(src or "")
    if "://" in media_url:
        if not url.startswith(media_url):
            return None
    else:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or parts.query:
            return None
        url = parts.path
        if not url.startswith(media_url):
            return None
    name = unquote(url[len(media_url) :])
    normal = posixpath.normpath(name) if name else ""
    if (
        not normal
        or normal != name
        or normal.startswith(("/", "../"))
        or normal.startswith(f"{RENDITION_DIR}/")
    ):
        return None
    return normal


def body_image_names(body_html):
    """Storage names of the images a rendered body shows from our media, in order."""
    names = []
    for match in _IMG.finditer(body_html or ""):
        src = dict(_attributes(match.group(1))).get("src")
        name = media_name(src)
        if name and name not in names:
            names.append(name)
    return names


def images_without_alt(body_html):
    """The ``src`` of every body image whose alt text is empty: editors get a warning."""
    missing = []
    for match in _IMG.finditer(body_html or ""):
        attributes = dict(_attributes(match.group(1)))
        if not (attributes.get("alt") or "").strip():
            missing.append(html.unescape(attributes.get("src") or ""))
    return missing


def update_hero_renditions(post, force=False):
    """Make the renditions of the post's hero image if it (or its focal point) changed.

    Stores the list on ``post.hero_renditions`` and in the database (this column only), and
    deletes the previous renditions no other post uses. Returns True when something changed.
    """
    old = list(post.hero_renditions or [])
    if post.hero_image:
        focal = (post.hero_focal_x, post.hero_focal_y)
        expected = rendition_folder(post.hero_image.name, HERO_ASPECT, focal)
        if old and _folders(old) == {expected} and not force:
            return False
        new = build_renditions(post.hero_image.name, aspect=HERO_ASPECT, focal=focal)
    else:
        new = []
    if new == old:
        return False
    post.hero_renditions = new
    type(post).objects.filter(pk=post.pk).update(hero_renditions=new)
    delete_unused({item["name"] for item in old} - {item["name"] for item in new})
    return True


def update_body_renditions(post, force=False):
    """Make renditions for the body's images from our media; forget those no longer shown.

    Images already on ``post.body_renditions`` are kept as they are: a stored image never
    changes under its name (uploads get fresh names). ``force`` looks at every image again
    and writes any rendition file that is missing. Returns True when something changed.
    """
    old = dict(post.body_renditions or {})
    new = {}
    for name in body_image_names(post.body_html):
        new[name] = (not force and old.get(name)) or build_renditions(name)
    new = {name: items for name, items in new.items() if items}
    if new == old:
        return False
    post.body_renditions = new
    type(post).objects.filter(pk=post.pk).update(body_renditions=new)
    kept = {item["name"] for items in new.values() for item in items}
    delete_unused({item["name"] for items in old.values() for item in items} - kept)
    return True


def update_renditions(post, force=False):
    """Both of the above: call after saving a post whose images may have changed."""
    hero = update_hero_renditions(post, force=force)
    body = update_body_renditions(post, force=force)
    return hero or body


# --------------------------------------------------------------------------- showing them


def _srcset(renditions, fmt):
    return ", ".join(
        f"{default_storage.url(item['name'])} {item['width']}w"
        for item in renditions
        if item["format"] == fmt
    )


def _fallback(renditions):
    """The format of the <img> and the rendition its ``src`` names."""
    formats = [item["format"] for item in renditions]
    fmt = next((f for f in formats if f != "webp"), "webp")
    candidates = [item for item in renditions if item["format"] == fmt]
    src = min(candidates, key=lambda item: (abs(item["width"] - FALLBACK_WIDTH), item["width"]))
    return fmt, src


def picture_parts(renditions):
    """What a <picture> needs: the WebP srcset (or ''), the <img> srcset, src and size.

    ``renditions`` must not be empty. Returns ``(webp_srcset, img_srcset, src, width,
    height)``; width and height are those of the largest rendition (the intrinsic size).
    """
    fmt, src = _fallback(renditions)
    largest = max(renditions, key=lambda item: item["width"])
    webp = _srcset(renditions, "webp") if fmt != "webp" else ""
    return (
        webp,
        _srcset(renditions, fmt),
        default_storage.url(src["name"]),
        largest["width"],
        largest["height"],
    )


def picture_html(renditions, *, alt, sizes, loading="lazy", fetchpriority=None):
    """``<picture>`` with a WebP ``<source>`` and an ``<img>`` with srcset, sizes, width,
    height, alt and loading. Everything is escaped here."""
    webp, img_srcset, src, width, height = picture_parts(renditions)
    extra = [("loading", loading)]
    if loading == "lazy":
        extra.append(("decoding", "async"))
    if fetchpriority:
        extra.append(("fetchpriority", fetchpriority))
    img = format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{}>',
        src,
        img_srcset,
        sizes,
        width,
        height,
        alt,
        format_html_join("", ' {}="{}"', extra),
    )
    if not webp:
        return format_html("<picture>{}</picture>", img)
    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">{}</picture>',
        webp,
        sizes,
        img,
    )


def responsive_body_html(body_html, body_renditions, sizes=BODY_SIZES):
    """Rewrite the sanitised body's images that have renditions as ``<picture>`` elements.

    Only the images listed in ``body_renditions`` change: ``src`` becomes a rendition, and
    ``srcset``, ``sizes`` and (unless the author gave a width) ``width``/``height`` are
    added; every other attribute the sanitiser kept stays as it was. The input must be
    sanitised HTML (``Post.body_html``); what is added is built from stored names and
    escaped.
    """
    if not body_renditions or not body_html:
        return body_html

    def rewrite(match):
        attributes = _attributes(match.group(1))
        values = dict(attributes)
        renditions = body_renditions.get(media_name(values.get("src")) or "")
        if not renditions:
            return match.group(0)
        webp, img_srcset, src, width, height = picture_parts(renditions)
        added = {"src": src, "srcset": img_srcset, "sizes": sizes}
        author_width = values.get("width")
        if not author_width and not values.get("height"):
            added |= {"width": str(width), "height": str(height)}
        elif author_width and author_width.isdigit() and not values.get("height"):
            added["height"] = str(max(1, round(int(author_width) * height / width)))
        kept = "".join(
            f' {name}="{value}"' if value is not None else f" {name}"
            for name, value in attributes
            if name not in added
        )
        new = "".join(f' {name}="{html.escape(value)}"' for name, value in added.items())
        img = f"<img{new}{kept}>"
        if not webp:
            return f"<picture>{img}</picture>"
        return (
            f'<picture><source type="image/webp" srcset="{html.escape(webp)}" '
            f'sizes="{html.escape(sizes)}">{img}</picture>'
        )

    return _IMG.sub(rewrite, str(body_html))
