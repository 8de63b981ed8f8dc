"""The registry out of the CMS, as CSV or JSON: one donation per row.

Each row carries the project's fields, the donor's fields and the donation's own (role,
order, signing date, notes), so that staff can keep the registry in a spreadsheet and load
it back with :mod:`projects.imports`. A project without donors is one row with the donor
columns empty; a donor without projects is one row with the project columns empty. Logos
are files and stay out of the spreadsheet (an import leaves them as they are).

The CSV is UTF-8 with a BOM and its cells are neutralised against formula injection, as in
the posts' export; :func:`posts.exports.unneutralise` reads them back exactly.
"""

import csv
import json

from django.conf import settings
from django.utils import timezone

from posts.exports import neutralise
from projects.models import Donation, Donor, Project

FORMAT_NAME = "foundation-news.registry"
FORMAT_VERSION = 1

PROJECT_FIELDS = [
    "name",
    "summary",
    "description",
    "homepage",
    "repository",
    "license",
    "stage",
    "donated_on",
    "accepted_on",
    "incubating_on",
    "graduated_on",
    "archived_on",
]
DONOR_FIELDS = ["name", "kind", "website", "description", "is_public"]
DONATION_FIELDS = ["role", "order", "signed_on", "notes"]

COLUMNS = (
    ["project_slug"]
    + [f"project_{name}" for name in PROJECT_FIELDS]
    + ["project_area", "project_area_name"]
    + ["donor_slug"]
    + [f"donor_{name}" for name in DONOR_FIELDS]
    + DONATION_FIELDS
)


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _project_part(project):
    if project is None:
        return {column: "" for column in COLUMNS if column.startswith("project_")}
    part = {"project_slug": project.slug}
    part |= {f"project_{name}": _text(getattr(project, name)) for name in PROJECT_FIELDS}
    part["project_area"] = project.area.slug if project.area else ""
    part["project_area_name"] = project.area.name if project.area else ""
    return part


def _donor_part(donor):
    if donor is None:
        return {column: "" for column in COLUMNS if column.startswith("donor_")}
    part = {"donor_slug": donor.slug}
    part |= {f"donor_{name}": _text(getattr(donor, name)) for name in DONOR_FIELDS}
    return part


def _donation_part(donation):
    if donation is None:
        return dict.fromkeys(DONATION_FIELDS, "")
    return {name: _text(getattr(donation, name)) for name in DONATION_FIELDS}


def registry_rows():
    """Every donation as a flat dict (keys: ``COLUMNS``), then projects and donors alone."""
    donations = Donation.objects.select_related("project__area", "donor").order_by(
        "project__name", "order", "id"
    )
    for donation in donations.iterator(chunk_size=500):
        yield (
            _project_part(donation.project) | _donor_part(donation.donor) | _donation_part(donation)
        )
    alone = Project.objects.filter(donations__isnull=True).select_related("area")
    for project in alone.order_by("name").iterator(chunk_size=500):
        yield _project_part(project) | _donor_part(None) | _donation_part(None)
    for donor in (
        Donor.objects.filter(donations__isnull=True).order_by("name").iterator(chunk_size=500)
    ):
        yield _project_part(None) | _donor_part(donor) | _donation_part(None)


class _Line:
    def write(self, value):
        return value


def _counted(progress):
    for row in registry_rows():
        yield row
        if progress:
            progress(row)


def iter_csv(progress=None):
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow(COLUMNS)).encode()
    for row in _counted(progress):
        yield writer.writerow([neutralise(row[column]) for column in COLUMNS]).encode()


def iter_json(progress=None):
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "site_url": settings.SITE_URL,
        "exported_at": timezone.localtime().isoformat(),
        "count": Donation.objects.count()
        + Project.objects.filter(donations__isnull=True).count()
        + Donor.objects.filter(donations__isnull=True).count(),
        "columns": COLUMNS,
    }
    yield (json.dumps(header, ensure_ascii=False, indent=1)[:-2] + ',\n "rows": [').encode()
    separator = "\n"
    for row in _counted(progress):
        yield (separator + json.dumps(row, ensure_ascii=False)).encode()
        separator = ",\n"
    yield b"\n ]\n}\n"


FORMATS = {"csv": iter_csv, "json": iter_json}
