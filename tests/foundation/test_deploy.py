"""Production serving: the security headers, the Content-Security-Policy, the request id,
and the site under gunicorn with the repository's config, as `make serve` runs it."""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from foundation.factories import make_post, make_project

BASE_DIR = Path(__file__).resolve().parents[2]


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event handlers, style."""

    def __init__(self):
        super().__init__()
        self.scripts, self.handlers, self.styles = [], [], []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        data_types = {"application/json", "application/ld+json"}
        if tag == "script" and "src" not in attrs and attrs.get("type") not in data_types:
            self._in_inline_script = True
            self.scripts.append(attrs)
        if tag == "style":
            self.styles.append("<style>")
        self.handlers += [f"{tag} {name}" for name in attrs if name.startswith("on")]
        if "style" in attrs:
            self.styles.append(f"{tag} style={attrs['style']!r}")

    def handle_endtag(self, tag):
        self._in_inline_script = False


def inline_code(response):
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser


def csp(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.django_db
def test_public_pages_send_a_strict_policy_and_carry_no_inline_code(client):
    project = make_project("OpenHarmony")
    post = make_post("Donation ceremony", hero=True, projects=[project])
    pages = [
        reverse("home"),
        reverse("posts:list"),
        post.get_absolute_url(),
        reverse("projects:list"),
        project.get_absolute_url(),
        reverse("search") + "?q=ceremony",
        "/no-such-page/",
    ]
    for url in pages:
        response = client.get(url)
        policy = csp(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        assert "data:" in policy["img-src"], url
        found = inline_code(response)
        assert found.scripts == [], f"{url}: inline <script> would be blocked"
        assert found.handlers == [], f"{url}: event handler attributes would be blocked"
        assert found.styles == [], f"{url}: inline style would be blocked"


@pytest.mark.django_db
def test_admin_keeps_scripts_to_self_and_allows_only_inline_style(client, superuser):
    client.force_login(superuser)
    for url in [reverse("admin:index"), reverse("admin:posts_post_add")]:
        response = client.get(url)

        assert response.status_code == 200
        policy = csp(response)
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
        found = inline_code(response)
        assert found.scripts == [], f"{url}: inline <script> would be blocked"
        assert found.handlers == [], f"{url}: event handler attributes would be blocked"


def test_security_headers_on_every_response(client):
    response = client.get(reverse("healthz"))

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_every_response_carries_a_request_id(client):
    first = client.get(reverse("healthz"))
    second = client.get(reverse("healthz"))

    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("lb-7f3a9c2e-0001", True),
        ("short", False),
        ("x" * 129, False),
        ("spaces are not allowed", False),
        ('"},{"injected": "json', False),
    ],
)
def test_a_plain_request_id_from_the_proxy_is_kept_anything_else_replaced(client, incoming, kept):
    response = client.get(reverse("healthz"), HTTP_X_REQUEST_ID=incoming)

    if kept:
        assert response["X-Request-ID"] == incoming
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_bodies_over_the_cap_are_refused_before_they_are_read(client, settings):
    settings.MAX_REQUEST_BODY_SIZE = 1000

    too_big = client.post(reverse("healthz"), data="x" * 1001, content_type="text/plain")
    within = client.post(reverse("healthz"), data="x" * 1000, content_type="text/plain")

    assert too_big.status_code == 413
    assert "The request is too large (at most 1000" in too_big.content.decode()
    assert within.status_code == 405  # reached the view, which answers GET and HEAD only


def test_the_body_cap_leaves_room_for_the_image_forms_own_error(settings):
    assert settings.MAX_REQUEST_BODY_SIZE > 50 * 1024 * 1024 > settings.MAX_IMAGE_UPLOAD_SIZE


# --- The site under gunicorn, as `make serve` runs it ------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port, path, headers=None, method="GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, headers={"Host": "localhost", **(headers or {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


HTTPS = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy in front would send


@pytest.fixture
def served(tmp_path):
    """gunicorn with foundation/gunicorn.conf.py, DEBUG off, a fresh SQLite database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    port = free_port()
    env.update(
        DJANGO_SETTINGS_MODULE="foundation.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="localhost",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        PORT=str(port),
        WEB_CONCURRENCY="2",
    )
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stderr
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout.open("w") as out, stderr.open("w") as err:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "foundation/gunicorn.conf.py",
             "foundation.wsgi"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=err,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(port, "/healthz")
                break
            except OSError:
                assert server.poll() is None, stderr.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)

        def migrate():
            result = subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
                cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr

        yield {"port": port, "stdout": stdout, "stderr": stderr, "migrate": migrate,
               "server": server}  # fmt: skip
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def test_gunicorn_serves_the_site_in_production_mode(served):
    port = served["port"]

    # Liveness answers over plain HTTP (exempt from the HTTPS redirect); everything else
    # is redirected to HTTPS.
    response, body = fetch(port, "/healthz")
    assert (response.status, body) == (200, b"ok")
    response, _ = fetch(port, "/news/")
    assert response.status == 301
    assert response.getheader("Location") == "https://localhost/news/"

    # Not ready before `migrate` has run, ready after: that is how a deploy is gated.
    response, body = fetch(port, "/readyz")
    assert response.status == 503
    assert json.loads(body)["failed"] == ["migrations"]
    served["migrate"]()
    response, body = fetch(port, "/readyz", HTTPS)
    assert response.status == 200
    assert json.loads(body)["status"] == "ok"

    # A page over HTTPS carries HSTS and the rest of the security headers.
    response, _ = fetch(port, "/admin/login/", HTTPS)
    assert response.status == 200
    assert "max-age=31536000" in response.getheader("Strict-Transport-Security")
    assert "includeSubDomains" in response.getheader("Strict-Transport-Security")
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Frame-Options") == "DENY"
    cookie = response.getheader("Set-Cookie")
    assert cookie.startswith("csrftoken=")
    assert "; Secure" in cookie


def test_whitenoise_serves_fingerprinted_compressed_static_files_for_a_year(served):
    port = served["port"]
    served["migrate"]()
    _, page = fetch(port, "/admin/login/", HTTPS)
    stylesheet = re.search(rb'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page links the fingerprinted stylesheet"

    response, body = fetch(port, stylesheet.group(1).decode(), {**HTTPS, "Accept-Encoding": "gzip"})

    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "max-age=315360000" in response.getheader("Cache-Control")
    assert "immutable" in response.getheader("Cache-Control")
    assert len(body) > 0


def test_access_and_application_logs_are_json_with_the_request_id(served):
    port = served["port"]
    served["migrate"]()
    response, _ = fetch(port, "/news/no-such-post/", HTTPS)
    assert response.status == 404
    request_id = response.getheader("X-Request-ID")

    # Stopping gunicorn flushes its logs.
    server = served["server"]
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0  # graceful shutdown

    access = [json.loads(line) for line in served["stdout"].read_text().splitlines()]
    entry = next(e for e in access if e["path"] == "/news/no-such-post/")
    assert entry["status"] == 404
    assert entry["request_id"] == request_id
    assert entry["method"] == "GET"

    app_lines = [
        json.loads(line)
        for line in served["stderr"].read_text().splitlines()
        if line.startswith("{")
    ]
    not_found = [e for e in app_lines if e["request_id"] == request_id]
    assert not_found, "Django's 'Not Found' warning is logged with the request id"
    assert not_found[0]["level"] == "WARNING"
    assert "/news/no-such-post/" in not_found[0]["message"]


@pytest.mark.parametrize(
    ("env", "workers", "bind"),
    [
        ({}, min(2 * os.cpu_count() + 1, 12), "127.0.0.1:8000"),
        ({"WEB_CONCURRENCY": "3", "PORT": "9123"}, 3, "127.0.0.1:9123"),
        ({"GUNICORN_BIND": "unix:/run/news.sock"}, None, "unix:/run/news.sock"),
    ],
)
def test_gunicorn_config_takes_workers_and_address_from_the_environment(env, workers, bind):
    names = ("WEB_CONCURRENCY", "PORT", "HOST", "GUNICORN_BIND")
    clean = {k: v for k, v in os.environ.items() if k not in names}
    code = (
        "import runpy; c = runpy.run_path('foundation/gunicorn.conf.py'); "
        "print(c['workers'], c['bind'], c['timeout'], c['graceful_timeout'], c['accesslog'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env={**clean, **env},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    got_workers, got_bind, timeout, graceful, accesslog = result.stdout.split()
    if workers is not None:
        assert int(got_workers) == workers
    assert got_bind == bind
    assert int(timeout) > 0 and int(graceful) > 0
    assert accesslog == "-"  # access log on stdout
