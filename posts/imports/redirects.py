"""Import redirects from a CSV file: ``old_path,target_path[,permanent][,note]`` per line.

A first line naming the columns (``old_path,target_path,…``) is skipped. ``permanent`` is
``yes``/``no`` (also ``true``/``false``, ``1``/``0``, ``301``/``302``; empty is yes). Each row
is saved on its own through ``Redirect.objects.record`` (chains collapse, loops are refused);
a bad row is reported with its line number and the others are imported.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from posts.models import Redirect

TRUE = {"", "yes", "y", "true", "1", "301", "permanent"}
FALSE = {"no", "n", "false", "0", "302", "temporary"}


@dataclass
class RedirectImportReport:
    imported: list = field(default_factory=list)  # Redirect objects
    errors: list = field(default_factory=list)  # (line number, message)


def _message(error):
    if hasattr(error, "message_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items())
    return " ".join(error.messages)


def import_redirects(text):
    """Import the redirects of a CSV given as text. Returns a ``RedirectImportReport``."""
    report = RedirectImportReport()
    for line_number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if line_number == 1 and cells[0].lower() in {"old_path", "old path", "from", "old"}:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            report.errors.append((line_number, "needs an old path and a target"))
            continue
        permanent = cells[2].lower() if len(cells) > 2 else ""
        if permanent not in TRUE | FALSE:
            report.errors.append((line_number, f"permanent must be yes or no, not {cells[2]!r}"))
            continue
        try:
            with transaction.atomic():
                redirect = Redirect.objects.record(
                    cells[0],
                    cells[1],
                    is_permanent=permanent in TRUE,
                    note=cells[3] if len(cells) > 3 else "",
                )
        except ValidationError as error:
            report.errors.append((line_number, _message(error)))
            continue
        report.imported.append(redirect)
    return report
