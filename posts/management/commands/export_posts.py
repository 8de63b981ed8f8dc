"""``manage.py export_posts --format {csv,json,jekyll} [filters…] -o FILE``.

A thin wrapper around :mod:`posts.exports`: it chooses the posts, writes the chunks to the
file, draws a progress bar on a terminal (stderr, only when it is a TTY) and ends with a
one-line summary.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from posts import exports
from posts.models import Category, Language, Post


def when(value):
    try:
        return exports.parse_when(value)
    except ValueError:
        raise CommandError(
            f"{value!r} is not a date (2024-05-01) or a date and time (2024-05-01T09:30+08:00)."
        ) from None


class Progress:
    """``[#####-----] 512/10000`` on stderr, redrawn at most ten times a second."""

    def __init__(self, stream, total, width=30):
        self.stream = stream
        self.total = max(total, 1)
        self.width = width
        self.done = 0
        self.drawn_at = 0.0

    def __call__(self, _post):
        self.done += 1
        now = time.monotonic()
        if now - self.drawn_at >= 0.1 or self.done == self.total:
            self.drawn_at = now
            filled = int(self.width * min(self.done, self.total) / self.total)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def finish(self):
        self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Export posts as CSV, JSON (optionally with images, as a zip) or a Jekyll site (zip)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json", "jekyll"], required=True)
        parser.add_argument(
            "--with-media",
            action="store_true",
            help="JSON only: write a zip with posts.json and every image beside it, so that "
            "import_posts restores the image bytes. Implied when FILE ends in .zip.",
        )
        parser.add_argument("--status", choices=Post.Status.values)
        parser.add_argument("--category", metavar="SLUG")
        parser.add_argument("--since", type=when, metavar="DATE", help="Published on or after.")
        parser.add_argument("--until", type=when, metavar="DATE", help="Published on or before.")
        parser.add_argument("--language", choices=Language.values)
        parser.add_argument(
            "--public",
            action="store_true",
            help="Only what the public site shows (published, publish time reached). "
            "Without it drafts and scheduled posts are exported too.",
        )
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help="'-' for stdout.")

    def handle(self, *args, **options):
        fmt = options["format"]
        if fmt == "json" and (options["with_media"] or options["output"].endswith(".zip")):
            fmt = "json-zip"
        elif options["with_media"]:
            raise CommandError("--with-media goes with --format json.")
        if options["category"] and not Category.objects.filter(slug=options["category"]).exists():
            raise CommandError(f"No category with the slug {options['category']!r}.")
        queryset = exports.filter_posts(
            status=options["status"],
            category=options["category"],
            since=options["since"],
            until=options["until"],
            language=options["language"],
            public=options["public"],
        )
        total = queryset.count()
        progress = Progress(sys.stderr, total) if sys.stderr.isatty() and total else None
        counted = []
        on_post = (
            (lambda post: (counted.append(1), progress(post)))
            if progress
            else (lambda post: counted.append(1))
        )
        started = time.monotonic()
        output = options["output"]
        try:
            if output == "-":
                size = exports.write(queryset, fmt, sys.stdout.buffer, progress=on_post)
                sys.stdout.buffer.flush()
            else:
                with open(output, "wb") as target:
                    size = exports.write(queryset, fmt, target, progress=on_post)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror or error}") from None
        finally:
            if progress:
                progress.finish()
        elapsed = time.monotonic() - started
        where = "stdout" if output == "-" else output
        sys.stderr.write(
            f"Exported {len(counted)} posts as {exports.FORMATS[fmt].label} to {where} "
            f"({size / 1024 / 1024:.1f} MB in {elapsed:.1f} s).\n"
        )
