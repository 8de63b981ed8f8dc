"""``manage.py import_registry FILE [--dry-run]``: load a registry CSV or JSON back."""

from django.core.management.base import BaseCommand, CommandError

from foundation.pagecache import content_changed
from projects.imports import RegistryImportError, import_registry


class Command(BaseCommand):
    help = (
        "Load projects, donors and donations from a CSV or JSON registry export. Rows are "
        "matched by slug: loading twice changes nothing; nothing is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["csv", "json"], help="Guessed when omitted.")
        parser.add_argument("--dry-run", action="store_true", help="Report, write nothing.")

    def handle(self, *args, **options):
        try:
            with open(options["file"], "rb") as source:
                report = import_registry(source, fmt=options["format"], dry_run=options["dry_run"])
        except OSError as error:
            raise CommandError(
                f"Cannot read {options['file']}: {error.strerror or error}"
            ) from None
        except (RegistryImportError, UnicodeDecodeError) as error:
            raise CommandError(f"{options['file']}: {error}") from None
        if not options["dry_run"]:
            content_changed()
        for number, message in report.errors:
            self.stderr.write(f"Row {number}: {message}")
        self.stdout.write(report.summary())
        if report.errors:
            raise CommandError(f"{len(report.errors)} rows could not be loaded (see above).")
