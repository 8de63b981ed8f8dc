"""The registry in a spreadsheet and back: one donation per row, matched by slug."""

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from foundation.factories import make_area, make_donor, make_project
from projects import exports
from projects.imports import import_registry
from projects.models import Area, Donation, Donor, Project

pytestmark = pytest.mark.django_db


def make_registry():
    area = make_area("Security")
    ant = make_donor("蚂蚁科技集团股份有限公司", slug="ant", website="https://www.antgroup.com")
    acme = make_donor("=Acme Co", slug="acme", kind=Donor.Kind.ACADEMIC, is_public=False)
    make_donor("Lonely donor", slug="lonely")
    tongsuo = make_project(
        "Tongsuo",
        donors=[ant, acme],
        area=area,
        license="Apache-2.0",
        stage=Project.Stage.INCUBATING,
        incubating_on=date(2022, 9, 1),
        summary="-A cryptography library",
    )
    Donation.objects.filter(project=tongsuo, donor=ant).update(
        signed_on=date(2021, 6, 1), notes="签约"
    )
    make_project("Alone", summary="No donors yet.")


def snapshot():
    return {
        "projects": sorted(
            Project.objects.values_list(
                "slug", "name", "summary", "license", "stage", "incubating_on", "area__slug"
            )
        ),
        "donors": sorted(Donor.objects.values_list("slug", "name", "kind", "website", "is_public")),
        "donations": sorted(
            Donation.objects.values_list(
                "project__slug", "donor__slug", "role", "order", "signed_on", "notes"
            )
        ),
        "areas": sorted(Area.objects.values_list("slug", "name")),
    }


def wipe():
    Donation.objects.all().delete()
    Project.objects.all().delete()
    Donor.objects.all().delete()
    Area.objects.all().delete()


def csv_export():
    return b"".join(exports.iter_csv())


def test_csv_has_a_bom_one_row_per_donation_and_safe_cells():
    make_registry()
    data = csv_export()

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    pairs = [(row["project_slug"], row["donor_slug"]) for row in rows]
    assert pairs == [("tongsuo", "ant"), ("tongsuo", "acme"), ("alone", ""), ("", "lonely")]
    first = rows[0]
    assert first["donor_name"] == "蚂蚁科技集团股份有限公司"
    assert first["role"] == "lead" and first["signed_on"] == "2021-06-01"
    assert first["project_area"] == "security"
    assert first["project_summary"] == "'-A cryptography library"  # formula injection
    assert rows[1]["donor_name"] == "'=Acme Co"
    assert rows[1]["donor_is_public"] == "false"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_round_trip_restores_the_registry(fmt):
    make_registry()
    before = snapshot()
    data = b"".join(exports.FORMATS[fmt]())
    wipe()

    report = import_registry(io.BytesIO(data))

    assert report.errors == []
    assert report.created == {"project": 2, "donor": 3, "donation": 2}
    assert snapshot() == before


def test_loading_twice_changes_nothing_and_duplicates_nothing():
    make_registry()
    before = snapshot()
    data = csv_export()

    report = import_registry(io.BytesIO(data))

    assert report.created == report.updated == {"project": 0, "donor": 0, "donation": 0}
    assert report.unchanged_rows == 4
    assert snapshot() == before


def test_an_edited_spreadsheet_updates_by_slug():
    make_registry()
    rows = list(csv.DictReader(io.StringIO(csv_export().decode("utf-8-sig"))))
    rows[0]["project_summary"] = "Now graduated"
    rows[0]["project_stage"] = "graduated"
    rows[0]["project_graduated_on"] = "2024-01-02"
    rows[1]["order"] = "5"
    rows.append({**rows[2], "project_slug": "new-one", "project_name": "New one"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=exports.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)

    report = import_registry(io.BytesIO(out.getvalue().encode()))

    tongsuo = Project.objects.get(slug="tongsuo")
    assert (tongsuo.summary, tongsuo.stage, tongsuo.graduated_on) == (
        "Now graduated",
        "graduated",
        date(2024, 1, 2),
    )
    assert Donation.objects.get(project=tongsuo, donor__slug="acme").order == 5
    assert Project.objects.filter(slug="new-one").exists()
    assert report.created["project"] == 1
    assert Project.objects.count() == 3 and Donor.objects.count() == 3


def test_bad_rows_are_reported_with_their_number_and_the_rest_loads():
    make_registry()
    rows = list(csv.DictReader(io.StringIO(csv_export().decode("utf-8-sig"))))
    wipe()
    rows[0]["project_stage"] = "sold"
    rows[3]["donor_is_public"] = "maybe"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=exports.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)

    report = import_registry(io.BytesIO(out.getvalue().encode()))

    assert [number for number, _message in report.errors] == [2, 5]
    assert "sold" in report.errors[0][1]
    assert Project.objects.filter(slug="alone").exists()
    assert Donation.objects.filter(project__slug="tongsuo", donor__slug="acme").exists()


def test_dry_run_writes_nothing():
    make_registry()
    data = csv_export()
    wipe()
    report = import_registry(io.BytesIO(data), dry_run=True)
    assert report.created["project"] == 2
    assert Project.objects.count() == 0


def test_json_export_has_a_header():
    make_registry()
    document = json.loads(b"".join(exports.iter_json()))
    assert document["format"] == exports.FORMAT_NAME
    assert document["count"] == len(document["rows"]) == 4


def test_commands_export_and_import(tmp_path, capsys):
    make_registry()
    before = snapshot()
    target = tmp_path / "registry.json"
    call_command("export_registry", "--format", "json", "-o", str(target))
    assert "Exported 4 registry rows" in capsys.readouterr().err
    wipe()

    call_command("import_registry", str(target))

    assert "projects: 2 created" in capsys.readouterr().out
    assert snapshot() == before

    broken = tmp_path / "broken.csv"
    broken.write_text("name,other\nx,y\n")
    with pytest.raises(CommandError, match="no project_slug"):
        call_command("import_registry", str(broken))
