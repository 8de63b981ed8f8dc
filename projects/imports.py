"""The registry back into the CMS from the CSV or JSON that :mod:`projects.exports` writes.

Rows are matched by slug (areas, projects, donors) and by project + donor (donations):
loading the same file twice changes nothing, and an edited spreadsheet updates the rows it
names without duplicating anything. Nothing is deleted. A column that is missing from the
file leaves its field as it is; an empty cell empties it.

Each row is validated (``full_clean``) and saved in its own savepoint: a bad row is
reported with its number and the reason, and the others go on. ``dry_run`` rolls the whole
import back.
"""

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posts.exports import unneutralise
from projects.exports import DONATION_FIELDS, DONOR_FIELDS, FORMAT_NAME, PROJECT_FIELDS
from projects.models import Area, Donation, Donor, Project

DATE_FIELDS = {
    "donated_on",
    "accepted_on",
    "incubating_on",
    "graduated_on",
    "archived_on",
    "signed_on",
}
TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"0", "false", "no", "n", "off", ""}


class RegistryImportError(Exception):
    """The file as a whole cannot be read."""


@dataclass
class RegistryReport:
    dry_run: bool = False
    created: dict = field(default_factory=lambda: {"project": 0, "donor": 0, "donation": 0})
    updated: dict = field(default_factory=lambda: {"project": 0, "donor": 0, "donation": 0})
    unchanged_rows: int = 0
    errors: list = field(default_factory=list)  # (row number, message)

    def summary(self):
        text = _(
            "projects: %(pc)d created, %(pu)d updated; donors: %(dc)d created, %(du)d updated; "
            "donations: %(nc)d created, %(nu)d updated; %(same)d rows unchanged; "
            "%(errors)d rows with errors."
        ) % {
            "pc": self.created["project"],
            "pu": self.updated["project"],
            "dc": self.created["donor"],
            "du": self.updated["donor"],
            "nc": self.created["donation"],
            "nu": self.updated["donation"],
            "same": self.unchanged_rows,
            "errors": len(self.errors),
        }
        return _("Dry run, nothing written: %(text)s") % {"text": text} if self.dry_run else text


def read_rows(fileobj, fmt=None):
    """``(fmt, rows)`` from a CSV or JSON registry export; ``fmt`` is guessed when None."""
    raw = fileobj.read()
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    fmt = fmt or ("json" if text.lstrip().startswith(("{", "[")) else "csv")
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise RegistryImportError(
                _("The JSON is broken: %(error)s") % {"error": error}
            ) from None
        if isinstance(data, dict):
            if data.get("format", FORMAT_NAME) != FORMAT_NAME:
                raise RegistryImportError(_("Not a registry export."))
            data = data.get("rows")
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise RegistryImportError(_("Not a registry export: expected a list of rows."))
        return fmt, [
            {k: "" if v is None else v if isinstance(v, str) else str(v) for k, v in row.items()}
            for row in data
        ]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or not {"project_slug", "donor_slug"} & set(reader.fieldnames):
        raise RegistryImportError(_("Not a registry export: no project_slug or donor_slug column."))
    return fmt, [{k: unneutralise(v or "") for k, v in row.items() if k} for row in reader]


def _value(name, text):
    text = text.strip() if name != "description" and name != "notes" else text
    if name in DATE_FIELDS:
        return date.fromisoformat(text) if text else None
    if name == "is_public":
        if text.lower() not in TRUE | FALSE:
            raise ValidationError({name: _("Write true or false.")})
        return text.lower() in TRUE
    if name == "order":
        return int(text) if text else 0
    return text


def _apply(instance, row, prefix, names, original=None):
    """Set the row's values on ``instance``; True when something changed.

    ``original`` holds the values the row had in the database before this import: a cell
    that still says the same is not applied, so that one edited row among several rows of
    the same project wins over the unedited others.
    """
    changed = False
    for name in names:
        column = f"{prefix}{name}"
        if column not in row:
            continue
        try:
            value = _value(name, row[column])
        except ValueError:
            raise ValidationError(
                {column: _("“%(value)s” is not valid.") % {"value": row[column]}}
            ) from None
        if original is not None and original.get(name) == value:
            continue
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _upsert(model, slug, row, prefix, names, report, kind, originals, extra=None):
    instance = model.objects.filter(slug=slug).first()
    created = instance is None
    if not created and (kind, slug) not in originals:
        originals[(kind, slug)] = {n: getattr(instance, n) for n in [*names, *(extra or {})]}
    original = originals.get((kind, slug))
    instance = instance or model(slug=slug)
    changed = _apply(instance, row, prefix, names, original)
    for name, value in (extra or {}).items():
        if original is not None and original.get(name) == value:
            continue
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    if created or changed:
        instance.full_clean()
        instance.save()
        (report.created if created else report.updated)[kind] += 1
    return instance, created or changed


def _import_row(row, report, originals):
    touched = False
    project = donor = None
    project_slug = row.get("project_slug", "").strip()
    donor_slug = row.get("donor_slug", "").strip()
    if not project_slug and not donor_slug:
        raise ValidationError(_("The row has neither a project_slug nor a donor_slug."))
    if project_slug:
        extra = {}
        if "project_area" in row:
            area_slug = row["project_area"].strip()
            area = None
            if area_slug:
                area = Area.objects.filter(slug=area_slug).first()
                if area is None:
                    area = Area(slug=area_slug, name=row.get("project_area_name") or area_slug)
                    area.full_clean()
                    area.save()
            extra["area"] = area
        project, changed = _upsert(
            Project,
            project_slug,
            row,
            "project_",
            PROJECT_FIELDS,
            report,
            "project",
            originals,
            extra,
        )
        touched |= changed
    if donor_slug:
        donor, changed = _upsert(
            Donor, donor_slug, row, "donor_", DONOR_FIELDS, report, "donor", originals
        )
        touched |= changed
    if project and donor:
        donation = Donation.objects.filter(project=project, donor=donor).first()
        created = donation is None
        donation = donation or Donation(project=project, donor=donor)
        changed = _apply(donation, row, "", DONATION_FIELDS)
        if created or changed:
            donation.full_clean()
            donation.save()
            (report.created if created else report.updated)["donation"] += 1
            touched = True
    if not touched:
        report.unchanged_rows += 1


def import_registry(fileobj, *, fmt=None, dry_run=False):
    """Load a registry export; returns a :class:`RegistryReport`."""
    fmt, rows = read_rows(fileobj, fmt)
    report = RegistryReport(dry_run=dry_run)
    # Numbers as a spreadsheet shows them (the header is row 1), or positions in the JSON.
    first = 2 if fmt == "csv" else 1
    originals = {}  # (kind, slug) -> field values before this import
    with transaction.atomic():
        for number, row in enumerate(rows, start=first):
            try:
                with transaction.atomic():
                    _import_row(row, report, originals)
            except ValidationError as error:
                messages = (
                    [f"{k}: {'; '.join(v)}" for k, v in error.message_dict.items()]
                    if hasattr(error, "error_dict")
                    else error.messages
                )
                report.errors.append((number, " ".join(messages)))
        if dry_run:
            transaction.set_rollback(True)
    return report
