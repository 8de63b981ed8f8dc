"""Serving and measuring for ``manage.py bench``: gunicorn, wrk, and scratch databases."""

import re
import signal
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.conf import settings


class ServerNotReady(Exception):
    pass


class Gunicorn:
    """gunicorn started exactly as `make serve` starts it, stopped by its own pid."""

    def __init__(self, env, log_path):
        self.env, self.log_path = env, log_path
        self.process = None

    def __enter__(self):
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                "foundation/gunicorn.conf.py",
                "foundation.wsgi",
            ],
            env=self.env,
            cwd=settings.BASE_DIR,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def wait_ready(self, port, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if get_status(port, path) == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        tail = "".join(self.log_path.read_text().splitlines(keepends=True)[-20:])
        raise ServerNotReady(f"gunicorn did not answer {path} with 200. Its log ends:\n{tail}")

    def worker_peak_memory(self):
        """Peak resident memory (VmHWM, MB) of each worker: the master's child processes."""
        peaks = []
        for pid in child_pids(self.process.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return sorted(peaks, reverse=True)


def child_pids(parent):
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) is in parentheses and may contain spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return children


def get(port, path):
    """(status, headers) of one anonymous GET."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


def get_status(port, path):
    return get(port, path)[0]


def warm_up(port, path, requests):
    """A few requests so that every worker has loaded the page (and cached it, when the
    page cache is on); the last response's status and headers."""
    status, headers = None, {}
    for _ in range(requests):
        status, headers = get(port, path)
        if status != 200:
            break
    return status, headers


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_duration_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output):
    """req/s, p50 and p99 in ms, and errors (non-2xx/3xx responses + socket errors)."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if not rps:
        raise ValueError(f"no Requests/sec in wrk output:\n{output}")
    percentiles = {
        int(share): parse_duration_ms(value)
        for share, value in re.findall(r"^\s+(\d+)%\s+(\S+)", output, re.M)
    }
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(value) for value in socket_errors.groups())
    requests = re.search(r"^\s+(\d+) requests in", output, re.M)
    return {
        "rps": float(rps.group(1)),
        "p50": percentiles.get(50),
        "p99": percentiles.get(99),
        "errors": errors,
        "requests": int(requests.group(1)) if requests else None,
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# PostgreSQL databases ---------------------------------------------------------


def _admin_connection(url):
    """A psycopg connection to the server's maintenance database, in autocommit."""
    import psycopg

    config = dj_database_url.parse(url)
    return psycopg.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        autocommit=True,
    ), config["NAME"]


def _is_postgres(url):
    return dj_database_url.parse(url)["ENGINE"] == "django.db.backends.postgresql"


def ensure_database(url):
    if not _is_postgres(url):
        return
    from psycopg import sql

    connection, name = _admin_connection(url)
    with connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url):
    if not _is_postgres(url):
        Path(dj_database_url.parse(url)["NAME"]).unlink(missing_ok=True)
        return
    from psycopg import sql

    connection, name = _admin_connection(url)
    with connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def recreate_database(url):
    drop_database(url)
    ensure_database(url)


def scratch_database_url(url, sqlite_dir, suffix="import"):
    """The benchmark database's URL with ``_<suffix>`` added to the database name."""
    if _is_postgres(url):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{suffix}"))
    return f"sqlite:///{Path(sqlite_dir) / f'{suffix}.sqlite3'}"
