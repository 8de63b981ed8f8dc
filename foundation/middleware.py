"""Site-wide middleware: a request id on every request and log line, a cap on request
bodies, the Content-Security-Policy header, the interface language, and a plain 503 while
the database is away."""

import contextvars
import logging
import re
import threading
import time
import uuid

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

# The id of the request being handled in this thread or task, for log records (see
# foundation.jsonlog.RequestIdFilter). "-" outside a request (management commands, start-up).
request_id_var = contextvars.ContextVar("request_id", default="-")

# An id from a proxy or load balancer is kept only when it is short and plain, so that a
# visitor cannot write arbitrary text into the logs or the response headers.
INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class RequestIdMiddleware:
    """Give each request an id, log it with every line, and return it as ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response.headers["X-Request-ID"] = request.id
        return response


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body is larger than ``MAX_REQUEST_BODY_SIZE`` with 413
    before anything reads it.

    Django caps form fields (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but streams uploaded files to
    disk whatever their size; this is the outer bound. It sits well above the image limit
    (``MAX_IMAGE_UPLOAD_SIZE``) so that an image that is merely too big reaches the form and
    gets a clear error there.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.MAX_REQUEST_BODY_SIZE

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if self.limit and length > self.limit:
            return HttpResponse(
                _("The request is too large (at most %(size)s).")
                % {"size": filesizeformat(self.limit)},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def build_policy(directives):
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Send ``Content-Security-Policy`` (Django 5.2 has none built in).

    The public site runs no inline script and no inline style. The admin gets the same
    policy except that inline ``style`` attributes are allowed there (``CSP_ADMIN_STYLE_SRC``):
    Django's admin and the markdownx widget set a few. Scripts stay ``'self'`` everywhere,
    the admin included.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = build_policy(settings.CSP_DIRECTIVES)
        self.admin_policy = build_policy(
            {**settings.CSP_DIRECTIVES, "style-src": settings.CSP_ADMIN_STYLE_SRC}
        )
        self.admin_prefixes = tuple(settings.CSP_ADMIN_PATH_PREFIXES)

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            is_admin = request.path_info.startswith(self.admin_prefixes)
            response.headers["Content-Security-Policy"] = (
                self.admin_policy if is_admin else self.policy
            )
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's ``LocaleMiddleware`` with two differences.

    - Public pages take their language from the address alone (``/news/`` English,
      ``/zh-hans/news/`` Chinese), as Django does. Staff pages outside the prefixed patterns
      (``BROWSER_LANGUAGE_PATH_PREFIXES``: the admin, the editor's preview) follow the
      browser's ``Accept-Language`` (or the language cookie) instead of always being in
      ``LANGUAGE_CODE``, so an editor whose browser asks for Chinese gets the Chinese admin.
    - The language active before the request is active again after it: a request never
      changes the language (and so the URLs ``reverse()`` builds) of whatever runs next in
      the same thread.
    """

    def process_request(self, request):
        request._language_before = translation.get_language()
        super().process_request(request)
        if request.path_info.startswith(tuple(settings.BROWSER_LANGUAGE_PATH_PREFIXES)):
            translation.activate(translation.get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if hasattr(request, "_language_before"):
            translation.activate(request._language_before)
        return response


# --- The database is away ------------------------------------------------------------------

logger = logging.getLogger(__name__)

DATABASE_DOWN_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
# One log line per outage (per worker), not one per request: while the database is away
# every uncached page fails the same way, and a line per request would bury everything else.
DATABASE_DOWN_LOG_INTERVAL = 60
_last_logged = {"at": None}
_log_lock = threading.Lock()


def database_unavailable(request, exception):
    """503 with ``Retry-After`` and a self-contained page (``templates/503.html``).

    The page is rendered without a request, context processors or the database, like the
    500 page, so that it cannot fail again. Django's own "Service Unavailable" log line (with
    its traceback) is replaced by a single line per outage.
    """
    now = time.monotonic()
    with _log_lock:
        last = _last_logged["at"]
        first_in_outage = last is None or now - last >= DATABASE_DOWN_LOG_INTERVAL
        if first_in_outage:
            _last_logged["at"] = now
    if first_in_outage:
        logger.error(
            "database unavailable, answering 503 until it is back: %s: %s",
            type(exception).__name__,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
        )
    response = HttpResponse(
        loader.get_template("503.html").render(),
        status=503,
        content_type="text/html; charset=utf-8",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    response._has_been_logged = True  # django.utils.log.log_response: logged above
    return response


class DatabaseUnavailableMiddleware:
    """Turn a lost database (``OperationalError``, ``InterfaceError``) into a plain 503.

    Cached pages never get here: the page cache answers before any database access. The
    site needs no restart when the database returns: each request asks for a connection
    again (psycopg's pool checks a connection before handing it out, and a connection that
    failed is discarded at the end of the request). Errors raised outside a view (in another
    middleware) reach ``handler500``, which hands them to :func:`database_unavailable` too
    (foundation.views.server_error).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # With DEBUG on, the developer gets Django's page with the traceback instead (on
        # SQLite "no such table", a missing migration, is an OperationalError too).
        if isinstance(exception, DATABASE_DOWN_ERRORS) and not settings.DEBUG:
            return database_unavailable(request, exception)
        return None
