"""The editors' admin for the registry: projects with their donations, donors, areas."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from foundation.factories import make_area, make_category, make_donor, make_project
from projects.models import Area, Donation, Project

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    """Queries one GET runs, counted from a cold content-type cache (which is per process)."""
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:projects_project_changelist",
        "admin:projects_project_add",
        "admin:projects_donor_changelist",
        "admin:projects_donor_add",
        "admin:projects_area_changelist",
        "admin:posts_category_changelist",
    ],
)
def test_editor_opens_registry_pages(client, editor, url_name):
    make_project(area=make_area(), donors=[make_donor()])
    client.force_login(editor)
    assert client.get(reverse(url_name)).status_code == 200


def test_staff_without_permission_gets_403(client, staff_without_permission):
    client.force_login(staff_without_permission)
    assert client.get(reverse("admin:projects_project_changelist")).status_code == 403


def test_editor_adds_a_project_with_its_donations(client, editor):
    area = make_area("Operating systems")
    lead, co = make_donor("Huawei"), make_donor("Kylinsoft")
    client.force_login(editor)
    data = {
        "name": "OpenHarmony",
        "slug": "openharmony",
        "summary": "An operating system for all devices.",
        "area": str(area.pk),
        "license": "Apache-2.0",
        "homepage": "",
        "repository": "",
        "description": "A **distributed** OS.",
        "stage": Project.Stage.INCUBATING,
        "donated_on": "2020-09-10",
        "accepted_on": "",
        "incubating_on": "2020-09-10",
        "graduated_on": "",
        "archived_on": "",
        "donations-TOTAL_FORMS": "2",
        "donations-INITIAL_FORMS": "0",
        "donations-MIN_NUM_FORMS": "0",
        "donations-MAX_NUM_FORMS": "1000",
        "donations-0-donor": str(co.pk),
        "donations-0-role": Donation.Role.CO_DONOR,
        "donations-0-order": "1",
        "donations-0-signed_on": "",
        "donations-0-notes": "",
        "donations-1-donor": str(lead.pk),
        "donations-1-role": Donation.Role.LEAD,
        "donations-1-order": "0",
        "donations-1-signed_on": "2020-09-10",
        "donations-1-notes": "Signed at the ceremony.",
        "_save": "Save",
    }
    response = client.post(reverse("admin:projects_project_add"), data)
    assert response.status_code == 302, response.context["errors"]
    project = Project.objects.get(slug="openharmony")
    assert project.created_by == editor
    assert "<strong>distributed</strong>" in project.description_html
    assert [(d.donor.name, d.role) for d in project.donations.order_by("order")] == [
        ("Huawei", Donation.Role.LEAD),
        ("Kylinsoft", Donation.Role.CO_DONOR),
    ]


def test_project_change_page_lists_donations_in_order(client, editor):
    donors = [make_donor(f"Donor {letter}") for letter in "CAB"]
    project = make_project(donors=donors)
    client.force_login(editor)
    response = client.get(reverse("admin:projects_project_change", args=[project.pk]))
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.donor.name for form in formset.forms] == [
        "Donor C",
        "Donor A",
        "Donor B",
    ]
    html = response.content.decode()
    # the selected donor of each row is rendered with its name, ready for autocomplete
    for donor in donors:
        assert f'<option value="{donor.pk}" selected>{donor.name}</option>' in html
    assert "admin-autocomplete" in html


def test_project_changelist_shows_donor_counts_and_filters(client, editor):
    storage, security = make_area("Storage"), make_area("Security")
    make_project("Alpha", area=storage, donors=[make_donor(), make_donor()])
    make_project("Beta", area=security, stage=Project.Stage.GRADUATED)
    client.force_login(editor)
    url = reverse("admin:projects_project_changelist")
    response = client.get(url)
    counts = {project.name: project.donor_count for project in response.context["cl"].result_list}
    assert counts == {"Alpha": 2, "Beta": 0}

    def names(**params):
        return sorted(p.name for p in client.get(url, params).context["cl"].result_list)

    assert names(area__id__exact=storage.pk) == ["Alpha"]
    assert names(stage__exact="graduated") == ["Beta"]
    assert names(q="donated to the foundation") == ["Alpha", "Beta"]  # summary is searched


def test_donor_page_lists_its_projects_with_admin_links(client, editor):
    donor = make_donor("Acme")
    first, second = make_project("Zeta", donors=[donor]), make_project("Eta", donors=[donor])
    make_project("Unrelated")
    client.force_login(editor)
    response = client.get(reverse("admin:projects_donor_change", args=[donor.pk]))
    html = response.content.decode()
    for project in (first, second):
        link = reverse("admin:projects_project_change", args=[project.pk])
        assert f'<a href="{link}">{project.name}</a>' in html
    assert "Unrelated" not in html
    # read-only here: the donations are edited on the project page
    assert 'name="donations-0-project"' not in html

    response = client.get(reverse("admin:projects_donor_changelist"))
    assert {d.name: d.project_count for d in response.context["cl"].result_list} == {"Acme": 2}


def test_donor_changelist_filters(client, editor):
    make_donor("Hidden university", kind="academic", is_public=False)
    make_donor("Open company")
    client.force_login(editor)
    url = reverse("admin:projects_donor_changelist")
    response = client.get(url, {"is_public__exact": "0"})
    assert [d.name for d in response.context["cl"].result_list] == ["Hidden university"]
    response = client.get(url, {"kind__exact": "company"})
    assert [d.name for d in response.context["cl"].result_list] == ["Open company"]


def test_autocomplete_for_donors_and_projects_works_for_editors(client, editor):
    make_donor("Huawei")
    make_project("OpenHarmony")
    client.force_login(editor)
    url = reverse("admin:autocomplete")
    response = client.get(
        url,
        {"term": "hua", "app_label": "projects", "model_name": "donation", "field_name": "donor"},
    )
    assert [r["text"] for r in json.loads(response.content)["results"]] == ["Huawei"]
    response = client.get(
        url, {"term": "harm", "app_label": "posts", "model_name": "post", "field_name": "projects"}
    )
    assert [r["text"] for r in json.loads(response.content)["results"]] == ["OpenHarmony"]


def test_area_positions_are_edited_in_the_list(client, editor):
    first, second = make_area("First", position=1), make_area("Second", position=2)
    client.force_login(editor)
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": str(first.pk),
        "form-0-position": "5",
        "form-1-id": str(second.pk),
        "form-1-position": "0",
        "_save": "Save",
    }
    response = client.post(reverse("admin:projects_area_changelist"), data)
    assert response.status_code == 302
    assert list(Area.objects.values_list("name", flat=True)) == ["Second", "First"]


def test_category_add_page_prepopulates_slug(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:posts_category_add")).content.decode()
    assert "&quot;dependency_ids&quot;: [&quot;#id_name&quot;]" in html


# --- fixed number of queries --------------------------------------------------------------


def test_project_changelist_query_count_does_not_grow_with_rows(client, editor):
    client.force_login(editor)
    url = reverse("admin:projects_project_changelist")

    def rows(count):
        for _ in range(count):
            make_project(area=make_area(), donors=[make_donor(), make_donor()])

    rows(5)
    few = count_queries(client, url)
    rows(50)
    assert count_queries(client, url) == few


def test_project_change_page_query_count_does_not_grow_with_donations(client, editor):
    client.force_login(editor)

    def project_with(count):
        return make_project(area=make_area(), donors=[make_donor() for _ in range(count)])

    few = count_queries(client, reverse("admin:projects_project_change", args=[project_with(5).pk]))
    many = count_queries(
        client, reverse("admin:projects_project_change", args=[project_with(50).pk])
    )
    assert few == many


def test_donor_pages_query_count_does_not_grow(client, editor):
    client.force_login(editor)

    def donor_with(count):
        donor = make_donor()
        for _ in range(count):
            make_project(donors=[donor, make_donor()])
        return donor

    few = count_queries(client, reverse("admin:projects_donor_change", args=[donor_with(5).pk]))
    many = count_queries(client, reverse("admin:projects_donor_change", args=[donor_with(50).pk]))
    assert few == many
    # the changelist now has 5+5 and 50+50 donors more than before; count it both ways
    changelist = reverse("admin:projects_donor_changelist")
    assert count_queries(client, changelist) == count_queries(client, changelist + "?p=2")


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("admin:projects_area_changelist", lambda: make_area()),
        ("admin:posts_category_changelist", lambda: make_category()),
    ],
)
def test_area_and_category_changelists_query_count(client, editor, url_name, make):
    client.force_login(editor)
    for _ in range(5):
        make()
    few = count_queries(client, reverse(url_name))
    for _ in range(50):
        make()
    assert count_queries(client, reverse(url_name)) == few
