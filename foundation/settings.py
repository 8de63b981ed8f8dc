"""
Settings for the foundation news site.

One file, driven by environment variables with safe development defaults. Nothing
exists only in a production file: every production switch is an environment variable.

    DJANGO_SECRET_KEY      required when DJANGO_DEBUG is off
    DJANGO_DEBUG           "1"/"true" for development (default on when no secret key is set)
    DJANGO_ALLOWED_HOSTS   comma-separated host names
    DATABASE_URL           e.g. postgres://postgres@127.0.0.1:5432/news (SQLite by default)
    DATABASE_POOL          "0" turns psycopg's connection pool off (PostgreSQL only)
    REDIS_URL              e.g. redis://127.0.0.1:6379/0: a cache shared by all app servers
    MEDIA_ROOT             where uploaded files live (./media by default)
    AWS_STORAGE_BUCKET_NAME  media on an S3-compatible store (with AWS_S3_ENDPOINT_URL, …)
    SITE_URL               absolute base URL used in feeds and exports

The README's "Configuration" table lists every variable.
"""

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEV_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", default=not SECRET_KEY)

if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too short or is the development key.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Open Atom Foundation News")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "django.contrib.humanize",  # intcomma: counts shown to visitors, grouped per language
    "axes",  # admin login throttling (foundation/auth.py)
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "markdownx",
    "reversion",
    "foundation",
    "posts",
    "projects",
]

MIDDLEWARE = [
    "foundation.middleware.RequestIdMiddleware",
    "foundation.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "foundation.middleware.ContentSecurityPolicyMiddleware",
    "foundation.middleware.DatabaseUnavailableMiddleware",  # database away: plain 503
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "foundation.middleware.LocaleMiddleware",
    "foundation.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "posts.middleware.RedirectFallbackMiddleware",  # old addresses: 301 instead of 404
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: the lockout page
]

ROOT_URLCONF = "foundation.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "foundation.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "foundation.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_POOL", True
):
    # psycopg 3's connection pool, one per worker process. The pool keeps connections open,
    # so Django must not (CONN_MAX_AGE 0). With CONN_HEALTH_CHECKS the pool tests a connection
    # before handing it out, so the site recovers by itself after the database restarts.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "1")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "4")),
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("DJANGO_LANGUAGE_CODE", "en")
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Public pages take their language from the address (/zh-hans/…); these staff pages follow
# the browser's language instead (foundation.middleware.LocaleMiddleware).
BROWSER_LANGUAGE_PATH_PREFIXES = ["/admin/", "/markdownx/"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# Counts shown to visitors go through |intcomma (10,000 results); USE_THOUSAND_SEPARATOR stays
# off so that years, ids, page numbers in URLs and image sizes in attributes are never grouped.
# foundation/formats/ corrects Django's Chinese number format (see zh_Hans/formats.py).
FORMAT_MODULE_PATH = ["foundation.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Media on an S3-compatible store (AWS S3, MinIO, Ceph, OSS, …) when a bucket is named, so that
# several app servers see the same files; local disk under MEDIA_ROOT otherwise. Credentials
# come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables, never from here.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", not AWS_STORAGE_BUCKET_NAME)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if AWS_STORAGE_BUCKET_NAME:
    try:
        import storages  # noqa: F401
    except ImportError as error:
        raise ImproperlyConfigured(
            "AWS_STORAGE_BUCKET_NAME is set but django-storages is not installed: "
            "pip install 'foundation-news[s3]'"
        ) from error
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "location": os.environ.get("AWS_LOCATION", "media"),
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "file_overwrite": False,
        },
    }

# Uploads: refuse oversized request bodies before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_IMAGE_UPLOAD_SIZE = 10 * 1024 * 1024
# More pixels than this is refused as a decompression bomb (posts.forms.UploadedImageField):
# a small file can decode to gigabytes. 40 MP is more than any camera photo needs for the web.
MAX_IMAGE_UPLOAD_PIXELS = 40_000_000
# Any request body above this is refused with 413 before it is read (foundation.middleware);
# above the image limit, so that a too-large image still gets the form's own error.
MAX_REQUEST_BODY_SIZE = int(os.environ.get("DJANGO_MAX_REQUEST_BODY_SIZE", 64 * 1024 * 1024))

# django-markdownx: the live preview uses the same renderer as the public site.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "posts.markup.render_markdown"
MARKDOWNX_MEDIA_PATH = "posts/body/"
MARKDOWNX_UPLOAD_MAX_SIZE = MAX_IMAGE_UPLOAD_SIZE
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (1600, 0), "quality": 85}
MARKDOWNX_SERVER_CALL_LATENCY = 300

LOGIN_URL = "admin:login"

# Logins throttled against brute force (django-axes, foundation/auth.py): 5 wrong passwords
# for one user name from one address lock that pair out for 15 minutes, with a clear page
# (foundation.auth.locked_out, HTTP 429). A good password resets the count.
AUTHENTICATION_BACKENDS = [
    "foundation.auth.ThrottledLoginBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The wait the lockout page announces holds: attempts during it do not prolong it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "foundation.auth.locked_out"
# The address is REMOTE_ADDR (a visitor cannot forge it); behind a proxy that is the proxy's,
# and the lock falls on the user name alone.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Security headers that are right in every environment.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

if not DEBUG:
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto. `make serve` on loopback
    # turns the redirect and secure cookies off (plain HTTP), see the Makefile.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes on the private network
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE


def media_origins():
    """Where uploaded images come from when they are not on this host (S3-style stores)."""
    origins = env_list("DJANGO_CSP_MEDIA_ORIGINS")
    if AWS_STORAGE_BUCKET_NAME:
        domain = os.environ.get("AWS_S3_CUSTOM_DOMAIN")
        endpoint = os.environ.get("AWS_S3_ENDPOINT_URL")
        if domain:
            origins.append(f"https://{domain}")
        elif endpoint:
            origins.append(endpoint.rstrip("/"))
        else:
            origins.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
    return origins


# Content-Security-Policy, sent by foundation.middleware.ContentSecurityPolicyMiddleware:
# no inline script anywhere, no inline style on the public site. The admin (and the
# markdownx preview it calls) also allows inline style attributes, which Django's admin
# templates and the markdownx widget use; its scripts are held to 'self' like the site's.
CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", *media_origins()],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CSP_ADMIN_STYLE_SRC = ["'self'", "'unsafe-inline'"]
CSP_ADMIN_PATH_PREFIXES = ["/admin/", "/markdownx/"]

# One cache shared by every app server through Redis when REDIS_URL is set (Django's own
# backend); otherwise files on this machine, shared by its workers (local memory under
# runserver).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "foundation-news"),
            "OPTIONS": {
                # Fail fast when Redis is away rather than hold a worker.
                "socket_connect_timeout": float(os.environ.get("REDIS_CONNECT_TIMEOUT", "1")),
                "socket_timeout": float(os.environ.get("REDIS_TIMEOUT", "1")),
            },
        }
    }
elif DEBUG:
    # runserver is one process: its threads share local memory.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "foundation-news",
        }
    }
else:
    # Several gunicorn workers on one machine must see one page cache, or a worker would
    # go on serving a page another worker's save made stale: files, shared by all of them.
    # Keys are prefixed by the database, so two sites (or test runs) never mix.
    _database = DATABASES["default"]
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("DJANGO_CACHE_DIR", str(BASE_DIR / ".cache" / "django")),
            "KEY_PREFIX": hashlib.sha256(
                f"{_database.get('HOST')}:{_database.get('PORT')}:{_database['NAME']}".encode()
            ).hexdigest()[:12],
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

# One line per record, JSON by default when DEBUG is off, each with the request id
# (foundation.middleware.RequestIdMiddleware). DJANGO_LOG_FORMAT=text|json overrides.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "foundation.jsonlog.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "foundation.jsonlog.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Django's own loggers through the same handler once (its default adds a second one).
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
            "propagate": False,
        }
    },
}

POSTS_PER_PAGE = 10
# The old Jekyll site's permalink pattern: imported posts redirect from these addresses.
JEKYLL_PERMALINK = os.environ.get("JEKYLL_PERMALINK", "/:categories/:year/:month/:day/:title/")
# How long a draft's share link works (days), unless revoked first.
SHARE_LINK_DAYS = int(os.environ.get("SHARE_LINK_DAYS", "7"))

# Whole-page cache for anonymous visitors (foundation/pagecache.py); 0 turns it off.
PAGE_CACHE_SECONDS = int(os.environ.get("DJANGO_PAGE_CACHE_SECONDS", "300"))
PROJECTS_PER_PAGE = 24

# `manage.py bench` serves a bare "ok" view (foundation/bench_views.py) through the same
# middleware, as the yardstick for every page. Off unless DJANGO_BENCHMARK_VIEWS=1.
BENCHMARK_VIEWS = env_bool("DJANGO_BENCHMARK_VIEWS", False)
