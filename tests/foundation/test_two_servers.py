"""Two app servers on different ports, sharing one PostgreSQL database and one Redis, behave
as one site: what an editor does through server A is what visitors of server B see at once,
even on pages B had cached, and a session made on A is valid on B.

Both servers are real gunicorn processes started as `make serve` starts them (DEBUG off,
WhiteNoise, the page cache on for 300 s), on a database made for this test and dropped after.
Skipped, saying why, when PostgreSQL or Redis does not answer on 127.0.0.1.
"""

import os
import re
import secrets
import socket
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from foundation.benchmark.serving import Gunicorn, drop_database, ensure_database, free_port
from foundation.siteclient import SiteClient, form_errors

PG_URL = os.environ.get("TWO_SERVERS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_DB = 7
USERNAME, PASSWORD = "chief-editor", "two-servers-pass-9"


def reachable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def postgres_answers():
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), connect_timeout=2):
            return True
    except Exception:
        return False


def redis_answers():
    if not reachable(6379):
        return False
    with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(16).startswith(b"+PONG")


pytestmark = [
    pytest.mark.skipif(not postgres_answers(), reason="PostgreSQL does not answer on 127.0.0.1"),
    pytest.mark.skipif(not redis_answers(), reason="Redis does not answer on 127.0.0.1:6379"),
]


@pytest.fixture
def site(tmp_path):
    """Two gunicorn servers (A, B) on one fresh database and one Redis database."""
    database_url = PG_URL.rsplit("/", 1)[0] + f"/two_servers_{uuid.uuid4().hex[:10]}"
    port_a, port_b = free_port(), free_port()
    cache_prefix = f"two-servers-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "CACHE_KEY_PREFIX": cache_prefix,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_PAGE_CACHE_SECONDS": "300",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "WEB_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "GUNICORN_BIND", "PORT", "HOST"):
        env.pop(name, None)

    def manage(*args):
        subprocess.run(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
            env=env, cwd=settings.BASE_DIR, check=True, capture_output=True,
        )

    ensure_database(database_url)
    try:
        manage("migrate", "--no-input", "-v", "0")
        manage("collectstatic", "--no-input", "-v", "0")
        manage("shell", "-c", "from django.contrib.auth.models import User; "
               f"User.objects.create_superuser({USERNAME!r}, 'chief@example.org', {PASSWORD!r})")
        with (
            Gunicorn({**env, "PORT": str(port_a)}, tmp_path / "a.log") as server_a,
            Gunicorn({**env, "PORT": str(port_b)}, tmp_path / "b.log") as server_b,
        ):
            server_a.wait_ready(port_a, "/healthz")
            server_b.wait_ready(port_b, "/healthz")
            yield f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    finally:
        drop_database(database_url)
        forget_cache(cache_prefix)


def forget_cache(prefix):
    """Delete this run's keys (and only them) from the Redis database."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def login_failure(client):
    response = client.last_response
    return f"{response.status}: {form_errors(response.text) or response.text[:2000]}"


def add_post(editor, title, slug):
    now = datetime.now(ZoneInfo(settings.TIME_ZONE)) - timedelta(minutes=1)
    response = editor.submit_admin_form(
        "/admin/posts/post/add/",
        {"title": title, "slug": slug, "status": "published", "language": "en",
         "publish_at_0": now.strftime("%Y-%m-%d"), "publish_at_1": now.strftime("%H:%M:%S"),
         "body": f"The body of **{title}**.", "summary": "Seen from both servers."},
    )
    assert response.status == 302, form_errors(response.text) or response.status
    return response


def test_a_change_through_one_server_is_seen_at_once_through_the_other(site):
    url_a, url_b = site
    visitor_b = SiteClient(url_b)
    editor_a = SiteClient(url_a)

    # B caches the news list for anonymous visitors (a second request is served from Redis).
    first = visitor_b.get("/news/")
    assert first.status == 200 and "Shared across servers" not in first.text
    assert visitor_b.get("/news/").headers.get("x-cache") == "hit"

    assert editor_a.login(USERNAME, PASSWORD), login_failure(editor_a)
    add_post(editor_a, "Shared across servers", "shared-across-servers")

    listing = visitor_b.get("/news/")
    assert listing.status == 200 and listing.headers.get("x-cache") == "miss"
    assert "Shared across servers" in listing.text
    page = visitor_b.get("/news/shared-across-servers/")
    assert page.status == 200 and "The body of <strong>Shared across servers</strong>" in page.text

    # An edit of the title on A: B shows the new title on the (cached) list and the post.
    changelist = editor_a.get("/admin/posts/post/?q=shared").text
    links = set(re.findall(r'href="/admin/posts/post/(\d+)/change/', changelist))
    assert len(links) == 1, "the changelist links to the one post"
    post_id = links.pop()
    edited = editor_a.submit_admin_form(
        f"/admin/posts/post/{post_id}/change/", {"title": "Renamed on server A"}
    )
    assert edited.status == 302, form_errors(edited.text) or edited.status
    assert "Renamed on server A" in visitor_b.get("/news/").text
    assert "Renamed on server A" in visitor_b.get("/news/shared-across-servers/").text

    # Unpublished on A: gone from B at once.
    unpublished = editor_a.submit_admin_form(
        f"/admin/posts/post/{post_id}/change/", {"status": "unpublished"}
    )
    assert unpublished.status == 302, form_errors(unpublished.text) or unpublished.status
    assert visitor_b.get("/news/shared-across-servers/").status == 404
    assert "Renamed on server A" not in visitor_b.get("/news/").text


def test_a_session_made_on_one_server_is_valid_on_the_other(site):
    url_a, url_b = site
    editor = SiteClient(url_a)
    assert editor.login(USERNAME, PASSWORD), login_failure(editor)
    session = editor.cookie(settings.SESSION_COOKIE_NAME)
    assert session

    on_b = SiteClient(url_b)
    assert on_b.get("/admin/").status == 302  # a stranger is sent to the login page
    cookie = next(c for c in editor.cookies if c.name == settings.SESSION_COOKIE_NAME)
    on_b.cookies.set_cookie(cookie)
    # The cookie is for 127.0.0.1 (any port): B recognises the editor A logged in.
    page = on_b.get("/admin/")
    assert page.status == 200
    assert USERNAME in page.text
