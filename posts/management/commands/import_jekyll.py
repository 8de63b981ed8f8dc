"""``manage.py import_jekyll PATH… [--site-root DIR] [--dry-run] [--update]``.

A thin wrapper around ``posts.imports.jekyll.import_paths``: prints a progress line on a
terminal, one line per file worth knowing about, and the summary. Exits with status 1 when a
file failed (after importing all the others).
"""

from django.core.management.base import BaseCommand, CommandError

from foundation.pagecache import content_changed
from posts.imports import jekyll


def _plain(text):
    return text


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal.

    Small enough not to need a dependency (tqdm); it never writes to a pipe or a log file.
    """

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.enabled = stream.isatty()

    def __call__(self, done, total, result):
        if not self.enabled:
            return
        filled = self.WIDTH * done // max(total, 1)
        name = result.path[-40:]
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} {name}\033[K",
            ending="",
            style_func=_plain,  # not the red that stderr's messages get
        )
        self.stream.flush()

    def clear(self):
        if self.enabled:
            self.stream.write("\r\033[K", ending="", style_func=_plain)
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import Jekyll posts from folders (their _posts/), single .md/.markdown files or a .zip. "
        "An existing slug is skipped unless --update is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--site-root",
            metavar="DIR",
            help="The Jekyll site's folder, where image paths such as /img/x.jpg are looked up "
            "(default: the folder that holds _posts).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; write nothing."
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite posts whose slug already exists (default: skip them).",
        )

    def handle(self, *args, paths, site_root, dry_run, update, verbosity, **options):
        progress = Progress(self.stderr)
        report = jekyll.import_paths(
            paths, site_root=site_root, dry_run=dry_run, update=update, progress=progress
        )
        progress.clear()
        if not dry_run:
            content_changed()
        for result in report.results:
            self.write_result(result, verbosity)
        summary = report.summary()
        if report.failed:
            self.stdout.write(self.style.WARNING(summary))
            raise CommandError(f"{report.failed} file(s) could not be imported (listed above).")
        self.stdout.write(self.style.SUCCESS(summary))

    def write_result(self, result, verbosity):
        if result.status == jekyll.FAILED:
            self.stdout.write(self.style.ERROR(f"FAILED   {result.path}: {result.reason}"))
            return
        problems = result.images_with(jekyll.MISSING, jekyll.REFUSED)
        if verbosity >= 2 or problems or result.categories_created and verbosity >= 1:
            target = f" -> /news/{result.slug}/" if result.slug else ""
            self.stdout.write(f"{result.status:<8} {result.path}{target}")
            if verbosity >= 2 and result.status == jekyll.SKIPPED:
                self.stdout.write(f"         {result.reason}")
            for name in result.categories_created:
                self.stdout.write(f"         new category: {name}")
            for image in result.images:
                if image.status in (jekyll.MISSING, jekyll.REFUSED):
                    self.stdout.write(
                        self.style.WARNING(
                            f"         {image.role} image {image.status}: {image.reference} "
                            f"({image.reason})"
                        )
                    )
                elif verbosity >= 2:
                    self.stdout.write(f"         {image.role} image {image.status}: {image.url}")
