"""The page cache for anonymous visitors, and exactly when it is thrown away.

Every public page is cached whole for visitors who are not logged in. Entries are keyed
by a *content version*: anything that changes what visitors see (a save, a publish, a
delete, an import, a registry change) calls :func:`content_changed`, which moves the
version on, so every cached page becomes unreachable at once, on every app server that
shares the cache.

Scheduled posts need no process: the version record also holds the instant of the next
scheduled change (a published post whose publish time or expiry time is still to come). No
cache entry lives past that instant, and the first request after it starts a new version.

Logged-in users (anyone with a session cookie) always get fresh pages.

Cached pages carry an ``ETag`` (a hash of the page) and, unless the view set its own (the
feeds and the sitemap do), a ``Last-Modified`` date: the time of the content version, when
that version started. ``django.middleware.http.ConditionalGetMiddleware`` answers 304 to
either validator. HTTP dates count whole seconds, so a version that started in the
current second gets no ``Last-Modified`` yet: a second change within that same second
would carry the same date, and a client revalidating with ``If-Modified-Since`` alone
would be told, wrongly, that nothing changed.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.cache import patch_response_headers, set_response_etag
from django.utils.http import http_date

logger = logging.getLogger(__name__)

VERSION_KEY = "pagecache:version"
# Paths that are never cached: they are per-user, or change on every request.
UNCACHED_PREFIXES = ("/admin/", "/markdownx/", "/healthz", "/readyz", "/media/", "/static/")


def _next_scheduled_change():
    """Unix time of the next instant a post goes live or expires (None when none is due)."""
    from posts.models import Post

    now = timezone.now()
    published = Post.objects.filter(status=Post.Status.PUBLISHED)
    instants = [
        published.filter(**{f"{field}__gt": now})
        .order_by(field)
        .values_list(field, flat=True)
        .first()
        for field in ("publish_at", "expire_at")
    ]
    upcoming = min((instant for instant in instants if instant), default=None)
    return upcoming.timestamp() if upcoming else None


def _new_record():
    return {"version": time.time_ns(), "next_change": _next_scheduled_change()}


def current_version():
    """The content version in force now, starting a new one when a scheduled change is due."""
    record = cache.get(VERSION_KEY)
    if record is None or (record["next_change"] and record["next_change"] <= time.time()):
        try:
            fresh = _new_record()
        except DatabaseError:
            if record is None:
                raise
            # The database is away: what is cached is still the best page there is
            # (foundation.middleware.DatabaseUnavailableMiddleware answers the rest).
            return record
        record = fresh
        cache.set(VERSION_KEY, record, timeout=None)
    return record


def content_changed():
    """Call after anything visitors see has changed: every cached page is dropped.

    Called inside a transaction (an admin save), the change is not yet visible to other
    requests: one of them could render the old page and cache it under the new version.
    So the version moves again when the transaction commits.
    """
    _start_new_version()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_start_new_version)


def _start_new_version():
    try:
        cache.set(VERSION_KEY, _new_record(), timeout=None)
    except Exception:  # the site must keep working when the cache is down
        logger.exception("could not invalidate the page cache")


def remember(name, compute):
    """``compute()``, kept in the cache until the content next changes.

    For small aggregates many pages show (the years that have news), which would
    otherwise read every published row on each uncached request. With the page cache
    off (``PAGE_CACHE_SECONDS = 0``) nothing is remembered.
    """
    if settings.PAGE_CACHE_SECONDS <= 0:
        return compute()
    try:
        key = f"memo:{current_version()['version']}:{name}"
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, timeout=settings.PAGE_CACHE_SECONDS)
        return value
    except DatabaseError:
        raise  # the database is away: foundation.middleware answers 503 (and logs it)
    except Exception:  # the cache is down: compute every time
        logger.exception("page cache unavailable; computing %s", name)
        return compute()


def _last_modified(record, read_at):
    """The start of the version ``record`` (read at ``read_at``) as an HTTP date; None while
    the second it started in lasts (a later version could still start within it)."""
    second = record["version"] // 1_000_000_000
    return http_date(second) if read_at >= second + 1 else None


def _cache_key(request, version):
    raw = f"{request.method}:{request.get_host()}:{request.get_full_path()}:{request.LANGUAGE_CODE}"
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return f"pagecache:{version}:{digest}"


def _is_cacheable_request(request):
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(UNCACHED_PREFIXES)
    )


class AnonymousPageCacheMiddleware:
    """Serve and store whole pages for anonymous visitors.

    Goes after LocaleMiddleware (the language is part of the key) and before anything
    that touches the session or the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_cacheable_request(request):
            return self.get_response(request)
        try:
            record = current_version()
            last_modified = _last_modified(record, time.time())
            key = _cache_key(request, record["version"])
            cached = cache.get(key)
        except DatabaseError:
            # No version cached and the database is away: nothing can be served from the
            # cache; foundation.middleware.DatabaseUnavailableMiddleware answers (and logs).
            return self.get_response(request)
        except Exception:
            logger.exception("page cache unavailable; serving uncached")
            return self.get_response(request)
        if cached is not None:
            cached["X-Cache"] = "hit"
            if last_modified and not cached.has_header("Last-Modified"):
                cached["Last-Modified"] = last_modified
            return cached

        response = self.get_response(request)
        if self._should_store(request, response):
            timeout = settings.PAGE_CACHE_SECONDS
            if record["next_change"]:
                timeout = min(timeout, max(1, int(record["next_change"] - time.time())))
            patch_response_headers(response, cache_timeout=0)
            response["Cache-Control"] = "public, max-age=0, must-revalidate"
            try:
                if hasattr(response, "render") and callable(response.render):
                    response.render()
                if not response.has_header("ETag"):
                    # Stored with its ETag, so that a hit does not hash the body again
                    # (ConditionalGetMiddleware only makes one when there is none).
                    set_response_etag(response)
                cache.set(key, response, timeout)
            except Exception:
                logger.exception("could not store a page in the cache")
            response["X-Cache"] = "miss"
            # After storing: a hit adds the date of the version in force when it is served.
            if last_modified and not response.has_header("Last-Modified"):
                response["Last-Modified"] = last_modified
        return response

    @staticmethod
    def _should_store(request, response):
        # Requests with a session cookie never get here, so a page that looked at the
        # (empty) session of an anonymous visitor is still the same for every visitor.
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in cache_control
            and "no-store" not in cache_control
        )
