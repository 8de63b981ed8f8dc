"""``make bench``: serve the benchmark dataset as ``make serve`` does and measure it with wrk.

1. Creates the benchmark database if it is missing (PostgreSQL), migrates it, collects
   static files and builds the dataset once (``manage.py bench_data``; later runs reuse it).
2. For each mode, cold (page cache off, ``DJANGO_PAGE_CACHE_SECONDS=0``) then warm (on),
   starts gunicorn with the repository's config file (2 workers, DEBUG off, a generated
   secret key, plain HTTP on loopback), waits until it answers, and runs
   ``wrk -t2 -c16 -d10s --latency`` against every page and against a bare "ok" view served
   by the same server and middleware. gunicorn restarts between modes.
3. Reads each worker's peak memory (VmHWM) at the end of each mode.
4. When ``manage.py export_posts`` exists, times exporting every post in each format and
   importing the results back into a scratch database, with each run's peak memory.
5. Prints a Markdown report and writes it to ``bench-results.md``.

Everything runs in child processes with their own environment, so this command's own
settings (DEBUG, the database) do not matter.
"""

import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import django
from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/foundation_news_bench"
WORK_DIR = Path(settings.BASE_DIR) / ".bench"
MODES = {"cold": "0", "warm": "300"}

# (key in bench_data's paths, label in the report, the cold target as a ratio to bare)
PAGES = [
    ("bare", "bare view", None),
    ("home", "home", 0.25),
    ("news", "news page 1", 0.25),
    ("news-400", "news page 400", 0.25),
    ("category", "category", 0.25),
    ("post", "post", 0.35),
    ("project", "project", 0.25),
    ("donor", "donor", 0.25),
    ("search", "search", 0.15),
    ("feed", "feed", 0.25),
    ("sitemap", "sitemap", 0.25),
]
WARM_TARGET = 0.8
P99_OVER_P50_TARGET = 5
WORKER_MEMORY_TARGET_MB = 150
# An idiomatic Wagtail news site on 2,000 posts, uncached (issue 6): req/s, and our multiple.
WAGTAIL = {
    "news": (85, 5, "first list page"),
    "news-400": (58, 5, "page 50"),
    "post": (295, 3, "a post"),
}
EXPORT_FORMATS = {"csv": "csv", "json": "json", "jekyll": "zip"}


class Command(BaseCommand):
    help = "Benchmark the public pages under gunicorn with wrk; write bench-results.md."

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk run.")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--threads", type=int, default=2)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
        parser.add_argument("--port", type=int, default=0, help="Default: a free port.")
        parser.add_argument(
            "--database-url",
            default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
            help="The benchmark database (created if missing). Never point it at real data.",
        )
        parser.add_argument("--media-root", default=str(WORK_DIR / "media"))
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "bench-results.md"))
        parser.add_argument(
            "--pages",
            help="Comma-separated subset of: " + ", ".join(key for key, _, _ in PAGES[1:]),
        )
        parser.add_argument("--modes", default="cold,warm", help="cold, warm or both.")
        parser.add_argument("--skip-export", action="store_true", help="No export/import runs.")
        for size in ("posts", "projects", "donors", "categories"):
            parser.add_argument(f"--{size}", type=int, help=f"Dataset size (bench_data --{size}).")
        parser.add_argument("--rebuild", action="store_true", help="Rebuild the dataset.")

    def handle(self, *args, **options):
        self.options = options
        if not shutil.which("wrk"):
            raise CommandError("wrk is not installed (Debian: apt-get install wrk).")
        modes = [mode.strip() for mode in options["modes"].split(",") if mode.strip()]
        if not modes or set(modes) - set(MODES):
            raise CommandError("--modes takes cold, warm or cold,warm.")
        pages = PAGES
        if options["pages"]:
            wanted = {key.strip() for key in options["pages"].split(",")}
            unknown = wanted - {key for key, _, _ in PAGES}
            if unknown:
                raise CommandError(f"Unknown page(s): {', '.join(sorted(unknown))}.")
            pages = [page for page in PAGES if page[0] in wanted or page[0] == "bare"]

        WORK_DIR.mkdir(exist_ok=True)
        self.port = options["port"] or free_port()
        self.env = self.child_environment(options["database_url"], options["media_root"])
        ensure_database(options["database_url"])
        self.prepare_dataset()
        paths = json.loads((WORK_DIR / "paths.json").read_text())

        started = datetime.now(UTC)
        results, memory, notes = [], {}, []
        for mode in modes:
            rows, memory[mode] = self.run_mode(mode, pages, paths, notes)
            results.extend(rows)

        transfers = []
        if not options["skip_export"]:
            transfers = self.run_transfers(notes)

        report = self.report(started, results, memory, transfers, notes)
        self.stdout.write(report)
        Path(options["output"]).write_text(report)
        self.stderr.write(f"Written to {options['output']}.")

    # Setup ------------------------------------------------------------------------------

    def child_environment(self, database_url, media_root, **extra):
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(Path(media_root).resolve()),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_BENCHMARK_VIEWS": "1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.options["workers"]),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py and wsgi.py set the real one
        env.update(extra)
        return env

    def manage(self, *args, env=None, **kwargs):
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]
        return subprocess.run(command, env=env or self.env, cwd=settings.BASE_DIR, **kwargs)

    def prepare_dataset(self):
        self.stderr.write("Preparing the benchmark database…")
        for command in ("migrate", "collectstatic"):  # as `make serve` does
            self.manage(command, "--no-input", "-v", "0", check=True)
        sizes = [
            arg
            for size in ("posts", "projects", "donors", "categories")
            if self.options[size] is not None
            for arg in (f"--{size}", str(self.options[size]))
        ]
        if self.options["rebuild"]:
            sizes.append("--rebuild")
        result = self.manage("bench_data", "--paths-json", str(WORK_DIR / "paths.json"), *sizes)
        if result.returncode:
            raise CommandError("bench_data failed (see above).")

    # Serving and measuring --------------------------------------------------------------

    def run_mode(self, mode, pages, paths, notes):
        self.stderr.write(f"{mode}: starting gunicorn on 127.0.0.1:{self.port}…")
        env = {**self.env, "DJANGO_PAGE_CACHE_SECONDS": MODES[mode]}
        with Gunicorn(env, WORK_DIR / f"gunicorn-{mode}.log") as server:
            server.wait_ready(self.port, paths["bare"])
            rows = []
            for key, label, _ in pages:
                path = paths.get(key)
                if not path:
                    note = f"{label}: skipped, the site has no such page yet."
                    if note not in notes:
                        notes.append(note)
                    continue
                status = warm_up(self.port, path, requests=2 * self.options["workers"] + 2)
                if status != 200:
                    note = f"{label} ({path}): skipped, it answers HTTP {status}."
                    if note not in notes:
                        notes.append(note)
                    continue
                self.stderr.write(f"{mode}: {label} {path}")
                run = self.wrk(path)
                rows.append({"key": key, "page": label, "mode": mode, "path": path, **run})
            memory = server.worker_peak_memory()
        bare = next((row for row in rows if row["key"] == "bare"), None)
        for row in rows:
            row["ratio"] = row["rps"] / bare["rps"] if bare and bare["rps"] else None
        return rows, memory

    def wrk(self, path):
        command = [
            "wrk",
            f"-t{self.options['threads']}",
            f"-c{self.options['connections']}",
            f"-d{self.options['duration']}s",
            "--timeout",
            "10s",
            "--latency",
            f"http://127.0.0.1:{self.port}{path}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            raise CommandError(f"wrk failed: {result.stderr or result.stdout}")
        return parse_wrk(result.stdout)

    # Export and import ------------------------------------------------------------------

    def run_transfers(self, notes):
        commands = get_commands()
        if "export_posts" not in commands:
            notes.append("Export/import: skipped, `manage.py export_posts` does not exist yet.")
            return []
        time_bin = shutil.which("time")  # Debian's `time` package: /usr/bin/time -v
        if not time_bin:
            notes.append(
                "Peak memory of export/import from getrusage (install Debian's `time` "
                "for per-run figures)."
            )
        export_dir = WORK_DIR / "export"
        shutil.rmtree(export_dir, ignore_errors=True)
        export_dir.mkdir()
        count = int(
            self.manage(
                "shell",
                "-c",
                "from posts.models import Post; print(Post.objects.count())",
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )

        rows = []
        for fmt, extension in EXPORT_FORMATS.items():
            target = export_dir / f"posts.{extension}"
            self.stderr.write(f"export: {fmt}")
            row = self.timed(
                time_bin,
                count,
                "export",
                fmt,
                self.env,
                "export_posts",
                "--format",
                fmt,
                "-o",
                str(target),
            )
            if target.exists():
                row["size"] = target.stat().st_size
            rows.append(row)

        scratch_url = scratch_database_url(self.options["database_url"])
        imports = [
            ("json", "import_posts", export_dir / "posts.json"),
            ("jekyll", "import_jekyll", export_dir / "posts.zip"),
        ]
        for fmt, command, source in imports:
            if command not in commands:
                notes.append(f"Import {fmt}: skipped, `manage.py {command}` does not exist yet.")
                continue
            if not source.exists():
                notes.append(f"Import {fmt}: skipped, the export did not produce {source.name}.")
                continue
            media = WORK_DIR / "import-media"
            shutil.rmtree(media, ignore_errors=True)
            media.mkdir()
            env = self.child_environment(scratch_url, media)
            recreate_database(scratch_url)
            self.manage("migrate", "--no-input", "-v", "0", env=env, check=True)
            self.stderr.write(f"import: {fmt} into a scratch database")
            rows.append(self.timed(time_bin, count, "import", fmt, env, command, str(source)))
        drop_database(scratch_url)
        return rows

    def timed(self, time_bin, count, direction, fmt, env, *args):
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]
        if time_bin:
            command = [time_bin, "-v", *command]
        started = time.monotonic()
        result = subprocess.run(
            command, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=False
        )
        elapsed = time.monotonic() - started
        row = {
            "direction": direction,
            "format": fmt,
            "posts": count,
            "seconds": elapsed,
            "rate": count / elapsed if elapsed else None,
            "ok": result.returncode == 0,
        }
        if time_bin:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
            row["peak_mb"] = int(match.group(1)) / 1024 if match else None
        else:
            import resource

            row["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if not row["ok"]:
            tail = [
                line
                for line in result.stderr.splitlines()
                if line.strip() and not line.startswith("\t")
            ][-3:]
            row["error"] = " / ".join(tail)[:300]
        return row

    # Report -----------------------------------------------------------------------------

    def report(self, started, results, memory, transfers, notes):
        options = self.options
        sizes = dataset_sizes(self)
        lines = [
            "# Benchmark results",
            "",
            f"Run {started:%Y-%m-%d %H:%M} UTC by `make bench` on {machine()}.",
            f"Dataset: {sizes}. PostgreSQL {server_version(self)}, Python "
            f"{platform.python_version()}, Django {django.get_version()}.",
            f"Server: gunicorn with `foundation/gunicorn.conf.py`, {options['workers']} sync "
            f"workers, DEBUG off. Load: `wrk -t{options['threads']} -c{options['connections']} "
            f"-d{options['duration']}s --latency` on loopback, on the same machine. Cold = page "
            "cache off (`DJANGO_PAGE_CACHE_SECONDS=0`), warm = on (300 s); gunicorn restarts "
            "between modes. Ratio = the page's req/s ÷ the bare `ok` view's req/s in the same "
            "mode and run.",
            "",
            "| page | mode | req/s | p50 ms | p99 ms | ratio to bare view | p99/p50 | errors |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in results:
            lines.append(
                f"| {row['page']} | {row['mode']} | {row['rps']:.0f} | {row['p50']:.1f} "
                f"| {row['p99']:.1f} | {fmt_ratio(row['ratio'])} "
                f"| {row['p99'] / row['p50']:.1f} | {row['errors']} |"
                if row["p50"]
                else f"| {row['page']} | {row['mode']} | {row['rps']:.0f} | – | – "
                f"| {fmt_ratio(row['ratio'])} | – | {row['errors']} |"
            )

        lines += ["", "Peak memory per gunicorn worker (VmHWM at the end of each mode):", ""]
        for mode, workers in memory.items():
            figures = ", ".join(f"{mb:.0f} MB" for mb in workers) or "no worker found"
            lines.append(f"- {mode}: {figures}")

        lines += ["", "## Targets (issue 6)", ""]
        lines += [f"- {line}" for line in check_targets(results, memory)]

        cold = {row["key"]: row for row in results if row["mode"] == "cold"}
        if cold:
            lines += [
                "",
                "## Beside the Wagtail anchor (uncached)",
                "",
                "An idiomatic Wagtail news site on 2,000 posts (SQLite, 2 sync workers, wrk -c16 "
                "on the same 2 cores) served 85 req/s for its first list page, 58 for page 50 "
                "and 295 for a post. We aim at five times that for lists and three times for "
                "posts, on 10,000 posts and a deeper page (400).",
                "",
                "| page | ours, cold req/s | Wagtail req/s | target | met |",
                "| --- | ---: | ---: | ---: | --- |",
            ]
            for key, (theirs, multiple, what) in WAGTAIL.items():
                if key in cold:
                    ours = cold[key]["rps"]
                    target = theirs * multiple
                    lines.append(
                        f"| {cold[key]['page']} (theirs: {what}) | {ours:.0f} | {theirs} "
                        f"| {target} ({multiple}×) | {'yes' if ours >= target else 'no'} |"
                    )

        if transfers:
            lines += [
                "",
                "## Export and import",
                "",
                "| direction | format | posts | seconds | posts/s | peak memory MB | result |",
                "| --- | --- | ---: | ---: | ---: | ---: | --- |",
            ]
            for row in transfers:
                result = "ok" if row["ok"] else f"failed: {row.get('error', '')}"
                peak = f"{row['peak_mb']:.0f}" if row.get("peak_mb") else "–"
                lines.append(
                    f"| {row['direction']} | {row['format']} | {row['posts']:,} "
                    f"| {row['seconds']:.1f} | {row['rate']:.0f} | {peak} | {result} |"
                )
        if notes:
            lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
        return "\n".join(lines) + "\n"


# Helpers --------------------------------------------------------------------------------


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
        raise CommandError(f"gunicorn did not answer {path} with 200. Its log ends:\n{tail}")

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


def get_status(port, path):
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def warm_up(port, path, requests):
    """A few requests so that every worker has loaded the page's code; the last status."""
    status = None
    for _ in range(requests):
        status = get_status(port, path)
        if status != 200:
            break
    return status


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


def check_targets(results, memory):
    """One line per target of issue 6: met or not, by how much."""
    lines = []
    for row in results:
        if row["key"] == "bare" or row["ratio"] is None:
            continue
        if row["mode"] == "warm":
            target = WARM_TARGET
        else:
            target = next(cold for key, _, cold in PAGES if key == row["key"])
        met = row["ratio"] >= target
        lines.append(
            f"{row['page']}, {row['mode']}: ratio {row['ratio']:.2f} (target ≥ {target}) — "
            + ("met" if met else f"NOT met, {row['ratio'] / target:.0%} of the target")
        )
    spread = [row for row in results if row["p50"] and row["p99"] / row["p50"] > 5]
    if spread:
        lines += [
            f"{row['page']}, {row['mode']}: p99/p50 {row['p99'] / row['p50']:.1f} "
            f"(target ≤ {P99_OVER_P50_TARGET}) — NOT met"
            for row in spread
        ]
    elif results:
        lines.append(f"p99 ≤ {P99_OVER_P50_TARGET} × p50: met on every page and mode")
    peak = max((mb for workers in memory.values() for mb in workers), default=None)
    if peak is not None:
        verdict = "met" if peak <= WORKER_MEMORY_TARGET_MB else "NOT met"
        lines.append(
            f"peak memory per worker {peak:.0f} MB (target ≤ {WORKER_MEMORY_TARGET_MB} MB) — "
            f"{verdict}"
        )
    errors = sum(row["errors"] for row in results)
    lines.append(f"errors: {errors}" + (" — every response was 2xx/3xx" if not errors else ""))
    return lines


def fmt_ratio(ratio):
    return "–" if ratio is None else f"{ratio:.2f}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{math.ceil(kb / 1024 / 1024)} GB RAM"
    except (OSError, AttributeError):
        memory = "unknown RAM"
    return f"{cpu}, {os.cpu_count()} cores, {memory}, {platform.system()} {platform.release()}"


def dataset_sizes(command):
    result = command.manage(
        "shell",
        "-c",
        "from foundation.management.commands.bench_data import current_sizes, describe;"
        "print(describe(current_sizes()))",
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip().splitlines()[-1] if result.returncode == 0 else "unknown"


def server_version(command):
    result = command.manage(
        "shell",
        "-c",
        "from django.db import connection; connection.ensure_connection();"
        "print(connection.cursor().connection.info.server_version)",
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        number = int(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return "(version unknown)"
    return f"{number // 10000}.{number % 10000}"


# PostgreSQL databases -------------------------------------------------------------------


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


def scratch_database_url(url):
    """The benchmark database's URL with ``_import`` added to the database name."""
    if _is_postgres(url):
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_import"))
    return f"sqlite:///{WORK_DIR / 'import.sqlite3'}"
