"""Checks to run before a post goes live: what an editor may want to fix, never a refusal.

``prepublish_warnings(post)`` (also ``Post.prepublish_warnings()``) returns readable
sentences; the admin shows them on the post's change page (``posts.admin_review``).

- body images without alt text;
- a hero image narrower than the widest size the site shows it at (``HERO_DISPLAY_WIDTH``);
- an empty summary (lists, feeds and search engines then use the start of the body);
- links to pages of this site that do not exist: each internal ``href`` is resolved with
  ``django.urls.resolve`` in the language its prefix names, and the slugs of posts,
  categories, projects and donors it points at are looked up with one query per kind;
  links to uploaded files are checked in the storage;
- a title longer than feeds and search results show (``TITLE_MAX_LENGTH``).
"""

from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from posts import images

HERO_DISPLAY_WIDTH = 1200  # the page's hero: .container--wide at 2× density
TITLE_MAX_LENGTH = 70  # what search results and most feed readers show before cutting


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href.strip())


def internal_links(body_html):
    """The links of the body that point at this site, as paths (unquoted)."""
    parser = _Links()
    parser.feed(body_html or "")
    site = urlsplit(settings.SITE_URL)
    paths = []
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            if parts.scheme not in ("http", "https", "") or parts.netloc != site.netloc:
                continue
        elif not parts.path.startswith("/"):
            continue  # a fragment, mailto:, or a relative link
        paths.append(unquote(parts.path) or "/")
    return list(dict.fromkeys(paths))


def _resolve(path):
    """``resolve()`` in the language named by the path's prefix (/zh-hans/…), else the
    default one: localised patterns only match the active language's prefix."""
    language = next(
        (code for code, _name in settings.LANGUAGES if path.startswith(f"/{code}/")),
        settings.LANGUAGE_CODE,
    )
    with translation.override(language):
        return resolve(path)


def _slug_lookups():
    from posts.models import Category, Post  # noqa: PLC0415 - posts.models imports this module
    from projects.models import Donor, Project

    return {
        "posts:detail": Post.objects.all(),
        "posts:category": Category.objects.all(),
        "projects:detail": Project.objects.all(),
        "projects:donor-detail": Donor.objects.all(),
    }


def broken_internal_links(body_html):
    """(path, reason) for each internal link of the body that leads nowhere."""
    from posts.models import Redirect  # noqa: PLC0415

    broken, by_view = [], {}
    media_url = "/" + settings.MEDIA_URL.lstrip("/")
    lookups = _slug_lookups()
    for path in internal_links(body_html):
        if path.startswith(media_url):
            if not default_storage.exists(path[len(media_url) :]):
                broken.append((path, _("no such uploaded file")))
            continue
        if settings.STATIC_URL and path.startswith(settings.STATIC_URL):
            continue
        try:
            match = _resolve(path if path.endswith("/") else f"{path}/")
        except Resolver404:
            if Redirect.objects.for_path(path) is None:  # an old address that redirects is fine
                broken.append((path, _("no such page")))
            continue
        if match.view_name in lookups and "slug" in match.kwargs:
            by_view.setdefault(match.view_name, {})[match.kwargs["slug"]] = path
    for view_name, paths in by_view.items():
        queryset = lookups[view_name].filter(slug__in=paths)
        if view_name == "posts:detail":
            found = {
                post.slug: post
                for post in queryset.only("slug", "status", "publish_at", "expire_at")
            }
            for slug, path in paths.items():
                if slug not in found:
                    broken.append((path, _("no such post")))
                elif not found[slug].is_published():
                    broken.append((path, _("that post is not published")))
        else:
            found = set(queryset.values_list("slug", flat=True))
            broken += [
                (path, _("no such page")) for slug, path in paths.items() if slug not in found
            ]
    return broken


def prepublish_warnings(post):
    """What to look at before publishing ``post``: a list of sentences (empty: all good)."""
    warnings = []
    body_html = post.body_html or ""
    missing_alt = images.images_without_alt(body_html)
    if missing_alt:
        warnings.append(
            _("Images without alt text (screen readers skip them): %(images)s.")
            % {"images": ", ".join(missing_alt)}
        )
    if post.hero_image and (post.hero_image_width or 0) < HERO_DISPLAY_WIDTH:
        warnings.append(
            _(
                "The hero image is %(width)s px wide; the page shows it up to %(needed)s px "
                "wide, so it will look blurred. Use an image at least %(needed)s px wide."
            )
            % {"width": post.hero_image_width or "?", "needed": HERO_DISPLAY_WIDTH}
        )
    if not (post.summary or "").strip():
        warnings.append(
            _(
                "The summary is empty: lists, feeds and search engines will show the start of "
                "the body instead."
            )
        )
    for path, reason in broken_internal_links(body_html):
        warnings.append(_("Broken link %(path)s: %(reason)s.") % {"path": path, "reason": reason})
    if len(post.title) > TITLE_MAX_LENGTH:
        warnings.append(
            _(
                "The title has %(length)d characters; search results and feeds cut it after "
                "about %(max)d."
            )
            % {"length": len(post.title), "max": TITLE_MAX_LENGTH}
        )
    return warnings
