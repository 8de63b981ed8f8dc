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
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

from foundation.benchmark import report as bench_report
from foundation.benchmark.report import MODES, PAGES
from foundation.benchmark.serving import (
    Gunicorn,
    ServerNotReady,
    drop_database,
    ensure_database,
    free_port,
    parse_wrk,
    recreate_database,
    scratch_database_url,
    warm_up,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/foundation_news_bench"
WORK_DIR = Path(settings.BASE_DIR) / ".bench"
# (label, export_posts options, file name)
EXPORTS = [
    ("csv", ["--format", "csv"], "posts.csv"),
    ("json", ["--format", "json"], "posts.json"),
    ("json with images (zip)", ["--format", "json", "--with-media"], "posts-json.zip"),
    ("jekyll (zip)", ["--format", "jekyll"], "posts-jekyll.zip"),
]


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
        parser.add_argument(
            "--import-sample",
            type=int,
            default=200,
            help="Time imports on the newest N posts (0: all of them; about 1 s a post).",
        )
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

    def shell(self, code):
        """The last line ``manage.py shell -c code`` prints, run on the bench database."""
        result = self.manage("shell", "-c", code, capture_output=True, text=True, check=True)
        return result.stdout.strip().splitlines()[-1]

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
            try:
                server.wait_ready(self.port, paths["bare"])
            except ServerNotReady as error:
                raise CommandError(str(error)) from None
            rows = []
            for key, label, _ in pages:
                path = paths.get(key)
                if not path:
                    note = f"{label}: skipped, the site has no such page yet."
                    if note not in notes:
                        notes.append(note)
                    continue
                status, headers = warm_up(self.port, path, requests=2 * self.options["workers"] + 2)
                if status != 200:
                    note = f"{label} ({path}), {mode}: skipped, it answers HTTP {status}."
                    if note not in notes:
                        notes.append(note)
                    continue
                if mode == "warm" and key != "bare" and headers.get("X-Cache") != "hit":
                    notes.append(
                        f"{label} ({path}), warm: not served from the page cache after "
                        f"warming up (X-Cache: {headers.get('X-Cache', 'absent')})."
                    )
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
        count = int(self.shell("from posts.models import Post; print(Post.objects.count())"))

        rows = []
        for label, extra, filename in EXPORTS:
            target = export_dir / filename
            self.stderr.write(f"export: {label}")
            row = self.timed(
                time_bin,
                count,
                "export",
                label,
                self.env,
                "export_posts",
                *extra,
                "-o",
                str(target),
            )
            rows.append(row)
        registry = export_dir / "registry.json"
        self.manage(
            "export_registry",
            "--format",
            "json",
            "-o",
            str(registry),
            check=True,
            capture_output=True,
        )

        # Imports make every image's renditions (posts/images.py), about a quarter of a second
        # of CPU a post: by default they are timed on the newest posts only (--import-sample).
        sample = self.options["import_sample"]
        since = None
        if sample and sample < count:
            since = self.shell(
                "from posts.models import Post; print(Post.objects.order_by('-publish_at')"
                f".values_list('publish_at', flat=True)[{sample - 1}].isoformat())"
            )
            for fmt, filename in (("json", "sample.json"), ("jekyll", "sample-jekyll.zip")):
                exported = self.manage(
                    "export_posts",
                    "--format",
                    fmt,
                    "--since",
                    since,
                    "-o",
                    str(export_dir / filename),
                    check=True,
                    capture_output=True,
                    text=True,
                )
            sample = int(re.search(r"Exported (\d+) posts", exported.stderr).group(1))
            notes.append(
                f"Imports are timed on the newest {sample:,} posts (--import-sample; 0 for "
                f"all {count:,}): making renditions dominates them. Their peak memory is for "
                "that sample."
            )
            sources = (export_dir / "sample.json", export_dir / "sample-jekyll.zip")
        else:
            sample = count
            sources = (export_dir / "posts.json", export_dir / "posts-jekyll.zip")

        imports = [
            # A plain JSON export, its images looked up in the bench site's media folder.
            ("json", "import_posts", [str(sources[0]), "--media-dir", self.env["MEDIA_ROOT"]]),
            ("jekyll (zip)", "import_jekyll", [str(sources[1])]),
        ]
        # Both imports run side by side, each a single process in its own scratch database
        # and media folder (one core each on a 2-core machine), which halves the wall time of
        # an import of every post.
        runs = []
        for number, (label, command, args) in enumerate(imports):
            if command not in commands:
                notes.append(f"Import {label}: skipped, `manage.py {command}` does not exist.")
                continue
            if not Path(args[0]).exists():
                notes.append(f"Import {label}: skipped, the export did not produce {args[0]}.")
                continue
            scratch_url = scratch_database_url(
                self.options["database_url"], WORK_DIR, suffix=f"import{number}"
            )
            media = WORK_DIR / f"import-media-{number}"
            shutil.rmtree(media, ignore_errors=True)
            media.mkdir()
            env = self.child_environment(scratch_url, media)
            recreate_database(scratch_url)
            # Untimed: an empty database with the registry the posts refer to.
            self.manage("migrate", "--no-input", "-v", "0", env=env, check=True)
            self.manage("import_registry", str(registry), env=env, check=True, capture_output=True)
            runs.append((label, env, command, args, scratch_url, media))

        self.stderr.write(
            f"import: {', '.join(run[0] for run in runs)} of {sample:,} posts, side by side…"
        )
        with ThreadPoolExecutor(max_workers=len(runs) or 1) as pool:
            timings = [
                pool.submit(self.timed, time_bin, sample, "import", label, env, command, *args)
                for label, env, command, args, _url, _media in runs
            ]
        for run, timing in zip(runs, timings, strict=True):
            label, scratch_url, media = run[0], run[4], run[5]
            row = timing.result()
            rows.append(row)
            if row["ok"] and sample < count and row["rate"]:
                notes.append(
                    f"Import {label}: all {count:,} posts would take about "
                    f"{count / row['rate'] / 60:.0f} min at {row['rate']:.1f} posts/s."
                )
            shutil.rmtree(media, ignore_errors=True)
            drop_database(scratch_url)
        if len(runs) > 1:
            notes.append(
                "The imports ran side by side, each a single process with its own database."
            )
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
            row["error"] = failure_reason(result.stderr)
        return row

    # Report -----------------------------------------------------------------------------

    def report(self, started, results, memory, transfers, notes):
        return bench_report.render(
            started,
            self.options,
            dataset_sizes(self),
            server_version(self),
            results,
            memory,
            transfers,
            notes,
        )


def failure_reason(stderr):
    """The line of a failed command's stderr that says what went wrong."""
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and not line.startswith(("\t", "Command exited with"))
    ]
    reasons = [
        line
        for line in lines
        if re.match(r"^([\w.]+(Error|Exception)|CommandError|FAILED)\b", line)
    ]
    return ((reasons or lines or ["no message"])[-1])[:300].replace("|", "/")


def dataset_sizes(command):
    result = command.manage(
        "shell",
        "-c",
        "from foundation.benchmark.dataset import current_sizes, describe;"
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
