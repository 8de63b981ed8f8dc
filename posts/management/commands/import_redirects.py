"""``manage.py import_redirects FILE.csv``: a thin wrapper around
``posts.imports.redirects.import_redirects``. Prints each bad row with its line number and
exits with status 1 if there was one (after importing all the good rows)."""

from django.core.management.base import BaseCommand, CommandError

from posts.imports.redirects import import_redirects


class Command(BaseCommand):
    help = "Import redirects from a CSV file: old_path,target_path[,permanent][,note]."

    def add_arguments(self, parser):
        parser.add_argument("csv_file")

    def handle(self, *args, csv_file, **options):
        try:
            with open(csv_file, encoding="utf-8-sig", newline="") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {csv_file}: {exc}") from exc
        report = import_redirects(text)
        for line_number, message in report.errors:
            self.stderr.write(f"{csv_file}:{line_number}: {message}")
        self.stdout.write(
            f"{len(report.imported)} redirect(s) imported, {len(report.errors)} row(s) refused."
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} row(s) were not imported.", returncode=1)
