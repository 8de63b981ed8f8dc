"""``manage.py export_registry --format {csv,json} -o FILE``: one donation per row."""

import sys

from django.core.management.base import BaseCommand, CommandError

from projects import exports


class Command(BaseCommand):
    help = "Export projects, donors and donations (one donation per row) as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(exports.FORMATS), default="csv")
        parser.add_argument("-o", "--output", required=True, metavar="FILE", help="'-' for stdout.")

    def handle(self, *args, **options):
        rows = []
        output = options["output"]
        try:
            target = sys.stdout.buffer if output == "-" else open(output, "wb")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror or error}") from None
        try:
            for chunk in exports.FORMATS[options["format"]](progress=rows.append):
                target.write(chunk)
        finally:
            if output != "-":
                target.close()
        where = "stdout" if output == "-" else output
        sys.stderr.write(
            f"Exported {len(rows)} registry rows as {options['format'].upper()} to {where}.\n"
        )
