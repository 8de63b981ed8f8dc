"""/healthz says the process answers; /readyz says the database, the cache and the migrations
are in order, and names what is not."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parents[2]
CLOSED_PORT_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    # No `db` fixture: pytest-django would fail this test on any database access.
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_head_and_refuses_post(client):
    assert client.head(reverse("healthz")).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.django_db
def test_readyz_is_ok_when_database_cache_and_migrations_are(client):
    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failed": [],
        "checks": {"database": "ok", "cache": "ok", "migrations": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_it_is_unreachable(client, settings):
    settings.CACHES = CLOSED_PORT_REDIS

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"] == "failed: ConnectionError"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_naming_an_unapplied_migration(client):
    # The database's own record says the newest posts migration has not been applied, as after
    # a deploy whose `migrate` has not run yet. The test transaction undoes it.
    recorder = MigrationRecorder(connection)
    newest = recorder.migration_qs.filter(app="posts").order_by("-id").first()
    recorder.record_unapplied("posts", newest.name)

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert f"posts.{newest.name}" in body["checks"]["migrations"]


def test_readyz_is_503_naming_the_database_when_it_is_unreachable():
    # A separate process whose DATABASE_URL points at a port where nothing listens.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="foundation.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/foundation_news",
        DATABASE_POOL="0",
    )
    code = (
        "from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/readyz'); "
        "print(r.status_code, r.json()['failed'], r.json()['checks']['migrations'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "503 ['database'] skipped: database unavailable"
    )
