"""``manage.py soak`` (``make soak``): mixed load on loopback for a while, then a verdict.

Serves a dedicated PostgreSQL database (``SOAK_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/foundation_news_soak, made afresh with the demo content)
under gunicorn exactly as ``make serve`` does (DEBUG off, WhiteNoise, the page cache), and for
``--duration`` seconds (default 600) runs at once:

- visitor threads reading public pages: home, news list pages, posts, categories, projects,
  donors, search, feeds and the sitemap;
- editor threads, each an Editors-group user logged in through the admin's login form,
  adding posts and changing and publishing them through the admin's own forms. Every save
  carries a unique marker (appended to the body, and the title's last one) and is recorded;
  after each save of a published post, the editor and an anonymous visitor open the post
  and must see the marker (a cached copy that outlived the save is a stale read);
- an export: ``manage.py export_posts --format json`` in a loop, checked for success;
- a sampler of the resident memory (VmRSS) of every gunicorn worker every ``--sample-every``
  seconds.

Then it compares the database with the record of saves and prints: requests by kind with
p50/p99 latency, errors, lost or duplicated saves, and worker memory first vs last. It exits
non-zero on any 5xx or connection error, any unexpected status, any lost, duplicated or
unrecorded save, a stale read, a failed export, or worker memory growing by more than
``--max-growth`` percent (default 20) between the first sample after warm-up and the last.
"""

import html
import itertools
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from foundation.benchmark.serving import (
    Gunicorn,
    child_pids,
    drop_database,
    ensure_database,
    free_port,
)
from foundation.siteclient import SiteClient, form_errors

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/foundation_news_soak"
EDITOR_PASSWORD = "soak-editor-pass-42"
CHANGE_URL = re.compile(r"/admin/posts/post/(\d+)/change/")

PATHS_CODE = """
import json
from posts.models import Category, Post
from projects.models import Donor, Project
from django.conf import settings
pages = -(-Post.objects.published().count() // settings.POSTS_PER_PAGE)
print(json.dumps({
    "lists": ["/news/", "/zh-hans/news/"]
    + [f"/news/?page={n}" for n in range(2, min(pages, 4) + 1)],
    "posts": [p.get_absolute_url() for p in Post.objects.published()[:30]],
    "categories": [c.get_absolute_url() for c in Category.objects.all()[:10]],
    "projects": [p.get_absolute_url() for p in Project.objects.all()[:20]],
    "donors": [d.get_absolute_url() for d in Donor.objects.public()[:20]],
}))
"""

EDITORS_CODE = """
from django.contrib.auth.models import Group, User
group = Group.objects.get(name="Editors")
for n in range({count}):
    user, _ = User.objects.get_or_create(username=f"soak-editor-{{n}}",
                                         defaults={{"is_staff": True}})
    user.set_password({password!r})
    user.save()
    user.groups.add(group)
print("ok")
"""

SAVED_CODE = """
import json
from posts.models import Post
print(json.dumps([
    {{"id": p.pk, "title": p.title, "status": p.status, "body": p.body}}
    for p in Post.objects.filter(title__startswith={prefix!r})
]))
"""


class Stats:
    """What every thread did, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)  # kind -> [seconds]
        self.statuses = defaultdict(Counter)  # kind -> Counter(status)
        self.errors = []  # (kind, path, what)

    def record(self, kind, seconds, status):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1

    def error(self, kind, path, what):
        with self.lock:
            self.errors.append((kind, path, what))


class Command(BaseCommand):
    help = (
        "Mixed load (visitors, editors saving through the admin, an export) against gunicorn "
        "on a dedicated PostgreSQL database; fails on errors, lost saves or memory growth."
    )

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=float, default=600, help="Seconds (600).")
        parser.add_argument(
            "--database-url",
            default=os.environ.get("SOAK_DATABASE_URL", DEFAULT_DATABASE_URL),
            help="A PostgreSQL database made for the soak: it is dropped and made afresh.",
        )
        parser.add_argument("--visitors", type=int, default=4, help="Visitor threads (4).")
        parser.add_argument("--editors", type=int, default=2, help="Editor threads (2).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2).")
        parser.add_argument(
            "--think", type=float, default=0.02, help="Seconds between a thread's requests."
        )
        parser.add_argument("--sample-every", type=float, default=10, help="Memory samples (s).")
        parser.add_argument(
            "--max-growth", type=float, default=20, help="Allowed worker memory growth (%%)."
        )
        parser.add_argument("--keep", action="store_true", help="Keep the database and files.")

    def handle(self, *args, **options):
        self.options = options
        if options["duration"] <= 0 or options["visitors"] < 1 or options["editors"] < 1:
            raise CommandError("--duration, --visitors and --editors must be positive.")
        if not options["database_url"].startswith(("postgres://", "postgresql://")):
            raise CommandError("The soak runs on PostgreSQL: give a postgres:// URL.")
        self.run_id = secrets.token_hex(3)
        self.work = Path(tempfile.mkdtemp(prefix="soak-"))
        self.port = free_port()
        self.env = self.child_environment()
        self.stats = Stats()
        self.saves = []  # (editor, marker, post_id) of every save the server accepted
        self.post_state = {}  # post_id -> {"title", "status"} as last saved
        self.memory = []  # (elapsed seconds, {pid: MB})
        self.exports = Counter()
        failed = True
        try:
            self.prepare()
            with Gunicorn(self.env, self.work / "gunicorn.log") as server:
                server.wait_ready(self.port, "/healthz", timeout=120)
                self.server = server
                self.run_load()
            failed = self.report()
        finally:
            if not options["keep"]:
                drop_database(options["database_url"])
                if not failed:
                    shutil.rmtree(self.work, ignore_errors=True)
        if failed:
            raise CommandError(f"The soak failed (server log and files: {self.work}).")

    # Setup ------------------------------------------------------------------------------

    def child_environment(self):
        env = {
            **os.environ,
            "DATABASE_URL": self.options["database_url"],
            "MEDIA_ROOT": str(self.work / "media"),
            "DJANGO_STATIC_ROOT": str(self.work / "static"),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(self.options["workers"]),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("DJANGO_SETTINGS_MODULE", "GUNICORN_BIND"):
            env.pop(name, None)
        return env

    def manage(self, *args, **kwargs):
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]
        return subprocess.run(command, env=self.env, cwd=settings.BASE_DIR, **kwargs)

    def shell(self, code):
        result = self.manage("shell", "-c", code, capture_output=True, text=True)
        if result.returncode:
            raise CommandError(f"manage.py shell failed:\n{result.stderr[-2000:]}")
        return result.stdout.strip().splitlines()[-1]

    def prepare(self):
        self.stderr.write(f"Preparing a fresh soak database and files in {self.work}…")
        drop_database(self.options["database_url"])
        ensure_database(self.options["database_url"])
        for args in (
            ("migrate", "--no-input", "-v", "0"),
            ("collectstatic", "--no-input", "-v", "0"),
            ("load_demo_content",),
        ):
            result = self.manage(*args, capture_output=True, text=True)
            if result.returncode:
                raise CommandError(f"manage.py {args[0]} failed:\n{result.stderr[-2000:]}")
        self.shell(EDITORS_CODE.format(count=self.options["editors"], password=EDITOR_PASSWORD))
        self.paths = json.loads(self.shell(PATHS_CODE))
        if not self.paths["posts"]:
            raise CommandError("The demo content has no published post to read.")

    # Load -------------------------------------------------------------------------------

    def timed(self, client, kind, method, path, **kwargs):
        started = time.monotonic()
        try:
            response = client.request(method, path, **kwargs)
        except Exception as error:  # refused, reset, timed out, a broken response
            self.stats.record(kind, time.monotonic() - started, "conn-error")
            self.stats.error(kind, path, f"connection error: {error}")
            return None
        self.stats.record(kind, time.monotonic() - started, response.status)
        if response.status >= 500:
            self.stats.error(kind, path, f"HTTP {response.status}")
        return response

    def visitor_targets(self):
        paths = self.paths
        return [
            ("home", lambda: "/"),
            ("list", lambda: random.choice(paths["lists"])),
            ("detail", lambda: random.choice(paths["posts"])),
            ("category", lambda: random.choice(paths["categories"] or ["/news/"])),
            ("project", lambda: random.choice(paths["projects"] + ["/projects/"])),
            ("donor", lambda: random.choice(paths["donors"] + ["/donors/"])),
            ("search", lambda: random.choice([
                "/search/?q=open+source",
                "/search/?q=%E6%8D%90%E8%B5%A0",  # 捐赠
                "/search/?q=project&type=projects",
            ])),
            ("feed", lambda: random.choice(["/news/feed/rss/", "/news/feed/atom/"])),
            ("sitemap", lambda: random.choice(["/sitemap.xml", "/sitemap-posts.xml"])),
        ]

    def visitor(self, deadline):
        client = SiteClient(f"http://127.0.0.1:{self.port}")
        # Every kind of page in turn, home first, in a new random order each round after the
        # first: even a short run reads every kind, and a long one mixes them.
        targets = self.visitor_targets()
        shuffled = (random.sample(targets, len(targets)) for _ in itertools.count())
        rounds = itertools.chain([targets], shuffled)
        visits = itertools.chain.from_iterable(rounds)
        first = True
        while first or time.monotonic() < deadline:
            first = False
            kind, pick = next(visits)
            path = pick()
            response = self.timed(client, kind, "GET", path)
            if response is not None and response.status not in (200, 304):
                self.stats.error(kind, path, f"unexpected HTTP {response.status}")
            time.sleep(self.options["think"])

    def editor(self, number, deadline):
        client = SiteClient(f"http://127.0.0.1:{self.port}")
        started = time.monotonic()
        if not client.login(f"soak-editor-{number}", EDITOR_PASSWORD):
            self.stats.record("login", time.monotonic() - started, "refused")
            self.stats.error("login", "/admin/login/", "the editor could not log in")
            return
        self.stats.record("login", time.monotonic() - started, 302)
        own = []  # post ids this editor made
        count = 0
        while count == 0 or time.monotonic() < deadline:  # at least one save each
            count += 1
            marker = f"soak-{self.run_id}-e{number}-{count:05d}"
            try:
                if not own or random.random() < 0.35:
                    self.add_post(client, number, marker, own)
                else:
                    self.change_post(client, number, marker, random.choice(own))
            except Exception as error:  # a bug of the soak's own: report it, carry on
                self.stats.error("editor", marker, f"{type(error).__name__}: {error}")
            time.sleep(self.options["think"])

    def save(self, client, kind, path, changes, button):
        started = time.monotonic()
        try:
            response = client.submit_admin_form(path, changes, button=button)
        except Exception as error:
            self.stats.record(kind, time.monotonic() - started, "conn-error")
            self.stats.error(kind, path, f"connection error: {error}")
            return None
        self.stats.record(kind, time.monotonic() - started, response.status)
        if response.status >= 500:
            self.stats.error(kind, path, f"HTTP {response.status}")
            return None
        if response.status != 302:
            errors = form_errors(response.text) or f"HTTP {response.status}"
            self.stats.error(kind, path, f"not saved: {errors[:300]}")
            return None
        return response

    def add_post(self, client, number, marker, own):
        now = datetime.now(ZoneInfo(settings.TIME_ZONE)) - timedelta(minutes=1)
        status = random.choice(["draft", "published"])
        response = self.save(
            client,
            "admin-add",
            "/admin/posts/post/add/",
            {
                "title": f"Soak {marker}",
                "slug": marker,
                "status": status,
                "language": "en",
                "publish_at_0": now.strftime("%Y-%m-%d"),
                "publish_at_1": now.strftime("%H:%M:%S"),
                "summary": "Written during a soak run.",
                "body": f"Soak body.\n\n{marker}",
            },
            "_continue",
        )
        if response is None:
            return
        match = CHANGE_URL.search(response.location)
        if not match:
            self.stats.error("admin-add", "/admin/posts/post/add/",
                             f"saved, but sent to {response.location!r}")
            return
        post_id = int(match.group(1))
        own.append(post_id)
        self.record_save(number, marker, post_id, status)
        if status == "published":
            self.check_fresh(SiteClient(client.base_url), "visitor-fresh", marker, marker)

    def change_post(self, client, number, marker, post_id):
        path = f"/admin/posts/post/{post_id}/change/"
        state = self.post_state[post_id]
        page = self.timed(client, "admin-open", "GET", path)
        if page is None or page.status != 200:
            if page is not None and page.status < 500:
                self.stats.error("admin-open", path, f"unexpected HTTP {page.status}")
            return
        body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page.text, re.S)
        if not body:
            self.stats.error("admin-open", path, "no body field on the change form")
            return
        current = html.unescape(body.group(1)).lstrip("\n")
        publish = state["status"] == "draft" and random.random() < 0.5
        status = "published" if publish else state["status"]
        kind = "admin-publish" if publish else "admin-edit"
        changes = {"title": f"Soak {marker}", "body": f"{current}\n\n{marker}", "status": status}
        if self.save(client, kind, path, changes, "_continue") is None:
            return
        self.record_save(number, marker, post_id, status)
        if status == "published":
            self.check_fresh(client, "editor-view", state["slug"], marker)
            self.check_fresh(SiteClient(client.base_url), "visitor-fresh", state["slug"], marker)

    def check_fresh(self, client, kind, slug, marker):
        """The post's page shows what was just saved: to its editor (logged in, never served
        from the cache) and to an anonymous visitor (whose cached copy must have been
        dropped by the save, whichever worker served it)."""
        path = f"/news/{slug}/"
        seen = self.timed(client, kind, "GET", path)
        if seen is not None and (seen.status != 200 or marker not in seen.text):
            self.stats.error(kind, path, f"stale page (HTTP {seen.status}): {marker} not shown")

    def record_save(self, number, marker, post_id, status):
        with self.stats.lock:
            slug = self.post_state.get(post_id, {}).get("slug", marker)
            self.saves.append((number, marker, post_id))
            self.post_state[post_id] = {"title": f"Soak {marker}", "status": status, "slug": slug}

    def exporter(self, deadline):
        output = self.work / "export.json"
        while not self.exports or time.monotonic() < deadline:  # at least one export
            started = time.monotonic()
            result = self.manage(
                "export_posts", "--format", "json", "-o", str(output),
                capture_output=True, text=True,
            )
            self.stats.record("export", time.monotonic() - started, result.returncode)
            if result.returncode:
                self.stats.error("export", "export_posts", result.stderr.strip()[-300:])
                self.exports["failed"] += 1
            else:
                try:
                    count = len(json.loads(output.read_text())["posts"])
                except (ValueError, KeyError, TypeError):
                    count = None
                self.exports["runs"] += 1
                if count is not None:
                    self.exports["last posts"] = count

    def sampler(self, started, deadline):
        while True:
            self.memory.append((time.monotonic() - started, self.worker_rss()))
            if time.monotonic() >= deadline:
                return
            time.sleep(min(self.options["sample_every"], max(0.1, deadline - time.monotonic())))

    def worker_rss(self):
        sizes = {}
        for pid in child_pids(self.server.process.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            if match := re.search(r"^VmRSS:\s+(\d+) kB", status, re.M):
                sizes[pid] = int(match.group(1)) / 1024
        return sizes

    def warm_up(self):
        """Every page kind a few times per worker, so that the first memory sample is taken
        once the workers have loaded what they need."""
        client = SiteClient(f"http://127.0.0.1:{self.port}")
        for _ in range(self.options["workers"] * 3):
            for _kind, pick in self.visitor_targets():
                client.get(pick())
        editor = SiteClient(f"http://127.0.0.1:{self.port}")
        if editor.login("soak-editor-0", EDITOR_PASSWORD):
            for _ in range(self.options["workers"] * 2):
                editor.get("/admin/posts/post/add/")
                editor.get("/admin/posts/post/")

    def run_load(self):
        duration = self.options["duration"]
        self.stderr.write("Warming up…")
        self.warm_up()
        self.stderr.write(
            f"Soaking for {duration:.0f} s: {self.options['visitors']} visitors, "
            f"{self.options['editors']} editors, an export loop, {self.options['workers']} "
            f"gunicorn workers on port {self.port}…"
        )
        started = time.monotonic()
        deadline = started + duration
        threads = [
            threading.Thread(target=self.visitor, args=(deadline,), daemon=True)
            for _ in range(self.options["visitors"])
        ]
        threads += [
            threading.Thread(target=self.editor, args=(n, deadline), daemon=True)
            for n in range(self.options["editors"])
        ]
        threads.append(threading.Thread(target=self.exporter, args=(deadline,), daemon=True))
        threads.append(
            threading.Thread(target=self.sampler, args=(started, deadline), daemon=True)
        )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1, deadline - time.monotonic()) + 120)
        if any(thread.is_alive() for thread in threads):
            self.stats.error("soak", "-", "a load thread did not finish within 2 minutes")
        self.elapsed = time.monotonic() - started

    # Verdict ----------------------------------------------------------------------------

    def check_saves(self):
        """Lost, duplicated and unrecorded markers; posts whose title or status is not the
        last one saved."""
        rows = json.loads(self.shell(SAVED_CODE.format(prefix=f"Soak soak-{self.run_id}-")))
        found = Counter(re.findall(rf"soak-{self.run_id}-e\d+-\d+", "\n".join(
            row["body"] for row in rows
        )))
        recorded = Counter(marker for _n, marker, _id in self.saves)
        lost = sorted(marker for marker in recorded if found[marker] == 0)
        duplicated = sorted(marker for marker, n in found.items() if n > 1)
        duplicated += sorted(marker for marker, n in recorded.items() if n > 1)
        unrecorded = sorted(marker for marker in found if marker not in recorded)
        wrong = [
            f"post {row['id']}: {row['title']!r}/{row['status']} != "
            f"{self.post_state[row['id']]['title']!r}/{self.post_state[row['id']]['status']}"
            for row in rows
            if row["id"] in self.post_state
            and (row["title"], row["status"]) != (
                self.post_state[row["id"]]["title"], self.post_state[row["id"]]["status"]
            )
        ]
        missing_posts = sorted(set(self.post_state) - {row["id"] for row in rows})
        extra_posts = sorted({row["id"] for row in rows} - set(self.post_state))
        return {
            "posts": len(rows),
            "lost": lost,
            "duplicated": duplicated,
            "unrecorded": unrecorded,
            "wrong state": wrong,
            "missing posts": missing_posts,
            "unrecorded posts": extra_posts,
        }

    def report(self):
        """Print the verdict; True when the soak failed."""
        out = self.stdout.write
        stats = self.stats
        total = sum(len(v) for v in stats.latencies.values())
        out(f"\nSoak {self.run_id}: {self.elapsed:.0f} s, {total} requests and runs "
            f"({total / max(self.elapsed, 1):.1f}/s), {self.options['workers']} workers.\n")
        out(f"{'kind':<14}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}  statuses")
        for kind in sorted(stats.latencies):
            times = sorted(stats.latencies[kind])
            p50 = statistics.median(times) * 1000
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
            codes = ", ".join(f"{code}×{n}" for code, n in sorted(
                stats.statuses[kind].items(), key=lambda item: str(item[0])))
            out(f"{kind:<14}{len(times):>8}{p50:>9.0f}{p99:>9.0f}  {codes}")

        out(f"\nExports: {self.exports['runs']} succeeded, {self.exports['failed']} failed"
            f" (last one held {self.exports.get('last posts', '?')} posts).")

        saves = self.check_saves()
        out(f"\nSaves: {len(self.saves)} accepted by the admin, on {len(self.post_state)} "
            f"posts; {saves['posts']} soak posts in the database.")
        save_problems = 0
        for label in ("lost", "duplicated", "unrecorded", "wrong state", "missing posts",
                      "unrecorded posts"):
            items = saves[label]
            save_problems += len(items)
            out(f"  {label}: {len(items)}" + (f" ({', '.join(map(str, items[:10]))})"
                                               if items else ""))

        growth = None
        samples = [(t, sizes) for t, sizes in self.memory if sizes]
        if samples:
            first_t, first = samples[0]
            last_t, last = samples[-1]
            first_total, last_total = sum(first.values()), sum(last.values())
            growth = (last_total - first_total) / first_total * 100 if first_total else 0
            out(f"\nWorker memory (VmRSS), {len(samples)} samples every "
                f"{self.options['sample_every']:.0f} s:")
            for t, sizes in samples:
                out(f"  {t:6.0f} s  " + "  ".join(f"{mb:6.1f} MB" for mb in sizes.values())
                    + f"  (total {sum(sizes.values()):.1f} MB)")
            out(f"  first {first_total:.1f} MB at {first_t:.0f} s → last {last_total:.1f} MB "
                f"at {last_t:.0f} s: {growth:+.1f} %"
                + ("" if set(first) == set(last) else " (workers were replaced)"))

        if stats.errors:
            out(f"\nErrors: {len(stats.errors)}")
            for kind, path, what in stats.errors[:20]:
                out(f"  {kind} {path}: {what}")
        else:
            out("\nErrors: 0")

        problems = []
        if stats.errors:
            problems.append(f"{len(stats.errors)} errors")
        if save_problems:
            problems.append(f"{save_problems} lost, duplicated or wrong saves")
        if growth is None:
            problems.append("no memory samples")
        elif growth > self.options["max_growth"]:
            limit = self.options["max_growth"]
            problems.append(f"worker memory grew {growth:.0f} % (more than {limit:.0f} %)")
        if not self.saves:
            problems.append("no save was made")
        if problems:
            out("\nFAILED: " + "; ".join(problems) + ".")
            return True
        out("\nPASSED: no errors, every save exactly once, worker memory steady.")
        return False
