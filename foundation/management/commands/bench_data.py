"""``manage.py bench_data``: build, once, the dataset that ``make bench`` serves.

By default 10,000 posts with hero images, 200 projects, 300 donors (1–3 donations per
project) and 20 categories, written into whatever database ``DATABASE_URL`` names and
whatever ``MEDIA_ROOT`` says. ``manage.py bench`` points both at a dedicated PostgreSQL
database and media folder before it runs this command; the test suite runs it with tiny
sizes against the test database. How it is built: :mod:`foundation.benchmark.dataset`.

Running it again reuses the dataset when the row counts match the sizes asked for (and
puts back any hero image file that went missing). A database that holds other content
is refused unless ``--rebuild`` is given, which deletes every post, category, project,
donor and area first: point it only at a database made for benchmarks.
"""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from foundation.benchmark.dataset import Builder, benchmark_paths, current_sizes, describe
from posts.models import Post


class Command(BaseCommand):
    help = (
        "Build (once, then reuse) the benchmark dataset in the database DATABASE_URL names: "
        "posts with hero images, categories, projects, donors and donations."
    )

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=10_000)
        parser.add_argument("--projects", type=int, default=200)
        parser.add_argument("--donors", type=int, default=300)
        parser.add_argument("--categories", type=int, default=20)
        parser.add_argument(
            "--images", type=int, default=50, help="How many distinct hero images to generate."
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Delete every post, category, project, donor and area first.",
        )
        parser.add_argument(
            "--paths-json",
            metavar="FILE",
            help="Write the URL paths that `manage.py bench` drives to FILE as JSON.",
        )

    def handle(self, *args, **options):
        sizes = {key: options[key] for key in ("posts", "projects", "donors", "categories")}
        if min(sizes.values()) < 1 or options["images"] < 1:
            raise CommandError("Every size must be at least 1.")
        builder = Builder(
            images=min(options["images"], sizes["posts"]),
            progress=lambda label, total: Progress(self.stderr, label, total),
        )
        started = time.monotonic()

        existing = current_sizes()
        if existing == sizes and not options["rebuild"]:
            restored = builder.write_media(
                Post.objects.exclude(hero_image="").values_list("hero_image", flat=True),
                only_missing=True,
            )
            relinked = builder.link_renditions(only_missing=True)
            note = f", {restored} missing image files restored" if restored else ""
            note += f", renditions made for {relinked} posts" if relinked else ""
            self.stdout.write(f"Reusing the benchmark dataset ({describe(sizes)}){note}.")
        else:
            if any(existing.values()) and not options["rebuild"]:
                raise CommandError(
                    f"The database already holds {describe(existing)}, not the "
                    f"{describe(sizes)} asked for. Run with --rebuild to delete them and "
                    "build again (only on a database made for benchmarks)."
                )
            builder.build(sizes)
            self.stdout.write(
                f"Built the benchmark dataset ({describe(sizes)}) in "
                f"{time.monotonic() - started:.0f} s."
            )

        if options["paths_json"]:
            Path(options["paths_json"]).write_text(json.dumps(benchmark_paths(), indent=2))


class Progress:
    """A progress line on stderr, only when stderr is a terminal."""

    def __init__(self, stream, label, total):
        self.stream, self.label, self.total = stream, label, total
        out = getattr(stream, "_out", stream)
        self.enabled = total > 0 and hasattr(out, "isatty") and out.isatty()
        self.started = time.monotonic()

    def update(self, done):
        if self.enabled:
            elapsed = time.monotonic() - self.started
            self.stream.write(
                f"\r  {self.label}: {done:,}/{self.total:,} ({elapsed:.0f} s)", ending=""
            )
            self.stream.flush()

    def done(self):
        if self.enabled:
            self.update(self.total)
            self.stream.write("")
