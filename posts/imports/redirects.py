"""Import redirects from a CSV file: ``old_path,target_path[,permanent][,note]`` per line.

The same function serves ``manage.py import_redirects`` and the admin's "Import CSV" page
on the redirects list (``posts.admin_redirects``).

- A first line naming the columns is read as a header and the columns are taken by name, so
  that a CSV exported by WordPress's Redirection plugin (``source,target,regex,code,type,
  hits,title,status``) imports as it is. Without a header the columns are, in order, the old
  path, the target, ``permanent`` and a note.
- ``permanent`` is ``yes``/``no`` (also ``true``/``false``, ``1``/``0``); a ``code`` column
  takes HTTP codes: 301 and 308 are permanent, 302, 303 and 307 temporary. Rows the site
  cannot serve (regular expressions, other codes, disabled rows) are refused, not guessed.
- Each row is saved on its own through ``Redirect.objects.record`` (chains collapse, loops
  are refused), in its own transaction: a bad row saves nothing and is reported with its
  line number and reason, and the good rows are imported. That is what the Redirection
  plugin does, and re-importing a corrected file is safe: a row for an old path that
  already redirects updates that redirect instead of adding a second one.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posts.models import Redirect, normalise_path, normalise_target

TRUE = {"", "yes", "y", "true", "1", "301", "308", "permanent"}
FALSE = {"no", "n", "false", "0", "302", "303", "307", "temporary"}

# Header names, lower-cased, for each column we read.
COLUMNS = {
    "old_path": {"old_path", "old path", "old", "from", "source", "source url", "url"},
    "target_path": {"target_path", "target path", "target", "to", "new", "target url"},
    "permanent": {"permanent", "is_permanent", "code", "http code", "status code"},
    "note": {"note", "title", "comment"},
    "regex": {"regex"},
    "enabled": {"status", "enabled"},
}
POSITIONAL = ("old_path", "target_path", "permanent", "note")
DISABLED = {"disabled", "no", "false", "0"}


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    REFUSED = "refused"


@dataclass
class RedirectRow:
    """One row of the file and what became of it."""

    line: int
    old_path: str
    target_path: str  # as written in the file
    outcome: str
    reason: str = ""
    redirect: Redirect | None = None

    @property
    def is_collapsed(self):
        """The saved target is not the one written: it already redirected onward."""
        return self.redirect is not None and self.redirect.target_path != normalise_target(
            self.target_path
        )


@dataclass
class RedirectImportReport:
    rows: list = field(default_factory=list)  # RedirectRow, in file order

    def _with(self, outcome):
        return [row for row in self.rows if row.outcome == outcome]

    @property
    def created(self):
        return self._with(Outcome.CREATED)

    @property
    def updated(self):
        return self._with(Outcome.UPDATED)

    @property
    def refused(self):
        return self._with(Outcome.REFUSED)

    @property
    def imported(self):
        """The saved redirects (created or updated)."""
        return [row.redirect for row in self.rows if row.redirect is not None]

    @property
    def errors(self):
        """``(line number, reason)`` of each refused row."""
        return [(row.line, row.reason) for row in self.refused]


def _message(error):
    if hasattr(error, "message_dict"):
        return " ".join(" ".join(msgs) for msgs in error.message_dict.values())
    return " ".join(error.messages)


def _header(cells):
    """The column of each name if ``cells`` is a header row, else ``None``."""
    names = [cell.lower() for cell in cells]
    if names[0] not in COLUMNS["old_path"]:
        return None
    columns = {}
    for index, name in enumerate(names):
        for key, aliases in COLUMNS.items():
            if name in aliases:
                columns.setdefault(key, index)
    return columns


def _refusal(values):
    """Why a row cannot be imported (before touching the database), or ``""``."""
    if not values["old_path"] or not values["target_path"]:
        return _("It needs an old path and a target.")
    if values["regex"].lower() not in ("", "0", "false", "no"):
        return _("Regular expressions are not supported: give each old address its own row.")
    if values["enabled"].lower() in DISABLED:
        return _("The row is marked disabled.")
    if values["permanent"].lower() not in TRUE | FALSE:
        return _("“%(value)s” is not a redirect type: write yes or no, or 301 or 302.") % {
            "value": values["permanent"]
        }
    return ""


def import_redirects(text):
    """Import the redirects of a CSV given as text. Returns a ``RedirectImportReport``."""
    report = RedirectImportReport()
    columns = None
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line_number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if columns is None:
            columns = _header(cells)
            if columns is not None:
                continue
            columns = {name: index for index, name in enumerate(POSITIONAL)}
        values = {
            key: (cells[columns[key]] if columns.get(key) is not None
                  and columns[key] < len(cells) else "")
            for key in COLUMNS
        }
        report.rows.append(_import_row(line_number, values))
    return report


def _import_row(line_number, values):
    result = RedirectRow(line_number, values["old_path"], values["target_path"], Outcome.REFUSED)
    result.reason = _refusal(values)
    if result.reason:
        return result
    exists = Redirect.objects.filter(old_path=normalise_path(values["old_path"])).exists()
    try:
        with transaction.atomic():
            result.redirect = Redirect.objects.record(
                values["old_path"],
                values["target_path"],
                is_permanent=values["permanent"].lower() in TRUE,
                note=values["note"][:300],
            )
    except ValidationError as error:
        result.reason = _message(error)
        return result
    result.outcome = Outcome.UPDATED if exists else Outcome.CREATED
    return result
