"""Settings come from the environment: each test starts a fresh `manage.py` with its own
environment, as a server would, and looks at what Django made of it."""

import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    "DJANGO_ALLOWED_HOSTS": "news.example.org",
}
# Variables the settings read; the tests' own environment must not leak into the children.
SETTINGS_PREFIXES = ("DJANGO_", "DATABASE_", "REDIS_", "AWS_", "CACHE_")


def manage(*args, env=None, timeout=60):
    """Run manage.py in a fresh process with exactly ``env`` on top of a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    base["DJANGO_SETTINGS_MODULE"] = "foundation.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def shell(code, env=None):
    """Run Python ``code`` in a fresh, configured Django process."""
    return manage("shell", "--no-imports", "-c", code, env=env)


def django_settings(*names, env=None):
    """The named settings as a child process configured by ``env`` sees them."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, "
        "default=str))"
    )
    result = shell(code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def service_available(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def require_service(name, port):
    """CI starts PostgreSQL and Redis (.ci/run); elsewhere a missing one skips the test."""
    if not service_available("127.0.0.1", port):
        message = f"{name} is not running on 127.0.0.1:{port}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_check_deploy_reports_nothing_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_also_clean_with_postgres_redis_and_s3_media():
    env = {
        **PRODUCTION,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/foundation_news",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "AWS_STORAGE_BUCKET_NAME": "news-media",
        "AWS_S3_ENDPOINT_URL": "https://objects.example.org",
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("secret_key", "message"),
    [
        (None, "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off"),
        ("", "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off"),
        ("short-key", "DJANGO_SECRET_KEY is too short or is the development key"),
        (
            "django-insecure-development-only-key-do-not-use-in-production",
            "DJANGO_SECRET_KEY is too short or is the development key",
        ),
    ],
)
def test_debug_off_refuses_to_start_without_a_real_secret_key(secret_key, message):
    env = {"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "news.example.org"}
    if secret_key is not None:
        env["DJANGO_SECRET_KEY"] = secret_key

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_development_defaults_without_any_environment():
    values = django_settings(
        "DEBUG", "ALLOWED_HOSTS", "CACHES", "STORAGES", "SERVE_MEDIA", "SECURE_SSL_REDIRECT"
    )

    assert values["DEBUG"] is True
    assert "127.0.0.1" in values["ALLOWED_HOSTS"]
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert values["SERVE_MEDIA"] is True
    assert values["SECURE_SSL_REDIRECT"] is False


def test_production_switches_on_https_hsts_and_secure_cookies():
    values = django_settings(
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "STORAGES",
        env=PRODUCTION,
    )

    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_postgres_gets_psycopg_pool_and_no_persistent_django_connections():
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/foundation_news"}
    with_pool = django_settings("DATABASES", env={**env, "DATABASE_CONN_MAX_AGE": "600"})
    without_pool = django_settings("DATABASES", env={**env, "DATABASE_POOL": "0"})
    sqlite = django_settings("DATABASES")

    pool = with_pool["DATABASES"]["default"]["OPTIONS"]["pool"]
    assert pool["max_size"] >= pool["min_size"] >= 1
    assert with_pool["DATABASES"]["default"]["CONN_MAX_AGE"] == 0  # required with a pool
    assert "pool" not in without_pool["DATABASES"]["default"].get("OPTIONS", {})
    assert "pool" not in sqlite["DATABASES"]["default"].get("OPTIONS", {})


def test_pooled_postgres_connection_answers_queries():
    require_service("PostgreSQL", 5432)
    code = (
        "from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('SELECT 41 + 1'); "
        "print(connection.pool is not None, cursor.fetchone()[0])"
    )
    result = shell(code, env={"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "42"]


def test_redis_url_gives_one_cache_shared_between_processes():
    require_service("Redis", 6379)
    env = {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": f"test-settings-{secrets.token_hex(4)}",
    }
    value = secrets.token_hex(8)

    written = shell(
        f"from django.core.cache import cache; cache.set('probe', '{value}', 30)",
        env=env,
    )
    read = shell("from django.core.cache import cache; print(cache.get('probe'))", env=env)

    assert written.returncode == 0, written.stderr
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == value
    assert django_settings("CACHES", env=env)["CACHES"]["default"]["BACKEND"] == (
        "django.core.cache.backends.redis.RedisCache"
    )


def test_without_redis_the_workers_of_one_machine_share_one_cache(tmp_path):
    """Every gunicorn worker must see the same page cache, or a save handled by one worker
    would leave the others serving the stale page (found by `make soak`)."""
    env = {**PRODUCTION, "DJANGO_CACHE_DIR": str(tmp_path / "cache")}
    value = secrets.token_hex(8)

    written = shell(
        f"from django.core.cache import cache; cache.set('probe', '{value}', 30)", env=env
    )
    read = shell("from django.core.cache import cache; print(cache.get('probe'))", env=env)

    assert written.returncode == 0, written.stderr
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip() == value


def test_s3_bucket_moves_media_to_the_object_store():
    env = {
        **PRODUCTION,
        "AWS_STORAGE_BUCKET_NAME": "news-media",
        "AWS_S3_ENDPOINT_URL": "https://objects.example.org",
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    }
    code = (
        "from django.core.files.storage import storages; from django.conf import settings; "
        "s = storages['default']; print(type(s).__name__, s.bucket_name, s.url('posts/a.jpg'), "
        "settings.SERVE_MEDIA, settings.CSP_DIRECTIVES['img-src'][-1])"
    )
    result = shell(code, env=env)

    assert result.returncode == 0, result.stderr
    backend, bucket, url, serve_media, img_origin = result.stdout.split()
    assert (backend, bucket) == ("S3Storage", "news-media")
    assert url == "https://objects.example.org/news-media/media/posts/a.jpg"
    assert serve_media == "False"  # the app servers no longer serve /media/
    assert img_origin == "https://objects.example.org"  # pictures allowed by the CSP
