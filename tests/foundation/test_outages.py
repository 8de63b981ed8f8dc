"""The site when what it depends on goes away.

- The database: pages in the page cache keep being served, every other page answers a plain
  503 with ``Retry-After`` (never a traceback), one log line says so, and the site is whole
  again by itself once the database is back — no restart.
- The cache (Redis): pages are served uncached and the failure is logged.

The database outage is real: gunicorn in a subprocess, DEBUG off, against a database of its
own that the test cuts off (``ALTER DATABASE … ALLOW_CONNECTIONS false`` and
``pg_terminate_backend``) and lets back in. The PostgreSQL server itself keeps running.
"""

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from foundation.factories import make_post

BASE_DIR = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "localhost"})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response, body


def redis_reachable():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """Collected once for the module: DEBUG off needs WhiteNoise's manifest."""
    root = tmp_path_factory.mktemp("static")
    env = server_env(root, root, f"sqlite:///{root / 'unused.sqlite3'}")
    manage(env, "collectstatic", "--no-input", "-v0")
    return root


def server_env(tmp_path, static_root, database_url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="foundation.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_LOG_FORMAT="json",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(tmp_path / "media"),
        WEB_CONCURRENCY="1",  # one worker: a local-memory cache is then shared too
        **extra,
    )
    return env


@contextlib.contextmanager
def gunicorn(tmp_path, env):
    port = free_port()
    stderr = tmp_path / "stderr.log"
    with (tmp_path / "stdout.log").open("w") as out, stderr.open("w") as err:
        server = subprocess.Popen(
            [GUNICORN, "-c", "foundation/gunicorn.conf.py", "foundation.wsgi"],
            cwd=BASE_DIR, env={**env, "PORT": str(port)}, stdout=out, stderr=err,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(port, "/healthz")
                break
            except OSError:
                assert server.poll() is None, stderr.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield port, stderr
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def app_log(stderr):
    return [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]


def assert_plain_503(response, body):
    assert response.status == 503
    assert response.getheader("Retry-After") == "30"
    assert "no-store" in response.getheader("Cache-Control")
    assert '<p class="error-page__code">503</p>' in body
    assert "Traceback" not in body
    assert "OperationalError" not in body


def test_without_a_database_pages_answer_503_with_retry_after_never_a_traceback(
    tmp_path, static_root
):
    # An SQLite file in a folder that does not exist: every connection attempt fails.
    missing = tmp_path / "no-such-folder" / "site.sqlite3"
    env = server_env(tmp_path, static_root, f"sqlite:///{missing}")
    with gunicorn(tmp_path, env) as (port, stderr):
        for path in ("/", "/news/", "/search/?q=open", "/zh-hans/news/"):
            assert_plain_503(*fetch(port, path))
        response, body = fetch(port, "/healthz")  # liveness does not need the database
        assert response.status == 200

    log = app_log(stderr)
    down = [entry for entry in log if "database unavailable" in entry["message"]]
    assert len(down) == 1, "one line for the outage, not one per request"
    assert down[0]["level"] == "ERROR"
    assert not any("Traceback" in entry.get("message", "") for entry in log)
    text = stderr.read_text()
    assert "Traceback" not in text, text[text.index("Traceback") - 300 :][:3000]


# --- A real outage of PostgreSQL ---------------------------------------------------------


@pytest.fixture
def outage_database():
    """A PostgreSQL database of its own, and a way to cut it off and let it back in."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: the outage is made by refusing connections to one database "
            "(run with DATABASE_URL=postgres://…)"
        )
    import psycopg

    params = connection.settings_dict
    name = f"news_outage_{uuid.uuid4().hex[:12]}"
    admin_kwargs = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    userinfo = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    url = f"postgres://{userinfo}@{admin_kwargs['host']}:{admin_kwargs['port']}/{name}"

    with psycopg.connect(**admin_kwargs) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

        def allow(allowed):
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    [name],
                )

        try:
            yield url, allow
        finally:
            allow(False)
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.parametrize("shared_cache", ["redis", "local memory"])
def test_database_outage_cached_pages_served_others_503_and_recovery_without_restart(
    tmp_path, static_root, outage_database, shared_cache
):
    url, allow = outage_database
    extra = {"DATABASE_POOL_TIMEOUT": "3", "DJANGO_PAGE_CACHE_SECONDS": "300"}
    if shared_cache == "redis":
        if not redis_reachable():
            pytest.skip("needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
        extra.update(
            REDIS_URL="redis://127.0.0.1:6379/0", CACHE_KEY_PREFIX=f"outage-{uuid.uuid4().hex}"
        )
    env = server_env(tmp_path, static_root, url, **extra)
    manage(env, "migrate", "--no-input", "-v0")
    manage(
        env, "shell", "-c",
        "from foundation.factories import make_post; "
        "make_post('Warm story'); make_post('Cold story')",
    )  # fmt: skip

    with gunicorn(tmp_path, env) as (port, stderr):
        # Warm the home page (which lists both stories) into the page cache.
        response, home = fetch(port, "/")
        assert response.status == 200 and "Warm story" in home
        response, _ = fetch(port, "/")
        assert response.getheader("X-Cache") == "hit"

        allow(False)  # the database goes away; the server keeps running

        response, body = fetch(port, "/")
        assert response.status == 200, body
        assert "Warm story" in body and "Cold story" in body
        response, body = fetch(port, "/news/")  # never visited, so not cached
        assert_plain_503(response, body)
        assert_plain_503(*fetch(port, "/news/"))

        allow(True)  # the database is back: no restart, the next requests just work

        deadline = time.monotonic() + 60
        while True:
            response, body = fetch(port, "/news/")
            if response.status == 200:
                break
            assert response.status == 503, body
            assert time.monotonic() < deadline, "the site did not recover by itself"
            time.sleep(1)
        assert "Cold story" in body

    log = app_log(stderr)
    assert len([e for e in log if "database unavailable" in e["message"]]) == 1
    assert "Traceback" not in stderr.read_text()


# --- Redis goes away -----------------------------------------------------------------------


@pytest.fixture
def redis_away(settings):
    """The cache is a Redis server that is not there (a closed port)."""
    settings.PAGE_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
def test_with_redis_away_pages_are_served_uncached_and_the_failure_logged(
    client, redis_away, caplog
):
    post = make_post("Still readable")

    for path in (reverse("home"), reverse("posts:list"), post.get_absolute_url()):
        response = client.get(path)
        assert response.status_code == 200
        assert "Still readable" in response.content.decode()
        assert "X-Cache" not in response  # neither served from nor stored in the cache

    messages = [r.getMessage() for r in caplog.records if r.name == "foundation.pagecache"]
    assert any("page cache unavailable" in message for message in messages)


@pytest.mark.django_db
def test_with_redis_away_an_editor_still_saves_and_visitors_see_it(
    client, redis_away, editor, caplog
):
    from tests.posts.test_admin import post_form_data

    client.force_login(editor)
    response = client.post(reverse("admin:posts_post_add"), post_form_data(title="Saved anyway"))
    assert response.status_code == 302
    messages = [r.getMessage() for r in caplog.records if r.name == "foundation.pagecache"]
    assert any("could not invalidate the page cache" in message for message in messages)

    client.logout()
    response = client.get(reverse("posts:list"))
    assert response.status_code == 200
    assert "Saved anyway" in response.content.decode()
