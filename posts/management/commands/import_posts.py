"""``manage.py import_posts FILE [--dry-run] [--media-dir DIR]``: restore a JSON export.

FILE is ``posts.json`` from ``export_posts --format json`` or the zip from ``--with-media``.
A thin wrapper around :mod:`posts.imports.restore`; the summary is its last line.
"""

from django.core.management.base import BaseCommand, CommandError

from foundation.pagecache import content_changed
from posts.imports.restore import RestoreError, restore
from posts.management.commands.import_jekyll import Progress as FileProgress


class Progress(FileProgress):
    """import_jekyll's progress bar, counting the export's posts (its header says how many)."""

    def __call__(self, done, total, record):
        slug = str(record.get("slug", "")) if isinstance(record, dict) else ""
        super().__call__(done, total or done, _Named(slug))


class _Named:
    def __init__(self, path):
        self.path = path


class Command(BaseCommand):
    help = "Restore posts from a JSON export (by slug: re-running updates, never duplicates)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="posts.json, or the zip written with --with-media")
        parser.add_argument(
            "--media-dir",
            help="A copy of the exporting site's MEDIA_ROOT, where a plain JSON export's "
            "images are looked for (checked against their SHA-256).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing.")

    def handle(self, *args, **options):
        progress = Progress(self.stderr)
        try:
            report = restore(
                options["file"],
                dry_run=options["dry_run"],
                media_dir=options["media_dir"],
                progress=progress,
            )
        except FileNotFoundError:
            raise CommandError(f"No such file: {options['file']}") from None
        except RestoreError as error:
            raise CommandError(f"{options['file']}: {error}") from None
        finally:
            progress.clear()
        if not options["dry_run"]:
            content_changed()
        for slug, reason in report.failed:
            self.stderr.write(f"FAILED {slug}: {reason}")
        for slug, path, reason in report.images_missing:
            self.stderr.write(f"IMAGE MISSING {slug}: {path} ({reason})")
        for project, slugs in sorted(report.projects_missing.items()):
            self.stderr.write(
                f"PROJECT MISSING {project} (named by {', '.join(slugs)}): "
                "restore the registry with import_registry, then import again."
            )
        if report.categories_created:
            self.stdout.write("Categories created: " + ", ".join(report.categories_created))
        self.stdout.write(report.summary())
