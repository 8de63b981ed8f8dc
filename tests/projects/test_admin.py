"""The editors' admin for the registry: projects with their donations, donors, areas."""

import json

import pytest
from django import forms as django_forms
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from foundation.factories import (
    image_bytes,
    make_area,
    make_category,
    make_donor,
    make_project,
)
from projects.models import Area, Donation, Donor, Project
from tests.posts.test_uploads import CASES

# Every hostile or broken file the post uploads are tested with (tests/posts/test_uploads.py),
# with the message the form shows for each.
bad_uploads = pytest.mark.parametrize(
    ("name", "content_type", "make", "message"),
    [pytest.param(case[1], case[2], case[3], case[4], id=case[0]) for case in CASES],
)

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


# --- logos are uploads like any other ------------------------------------------------------


def admin_form_data(client, url, **overrides):
    """What the admin's change (or add) form at ``url`` posts when an editor saves it as it is."""
    response = client.get(url)
    assert response.status_code == 200
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(field, django_forms.FileField) or value is None or value is False:
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = "on" if value is True else str(value)
    data["_save"] = "Save"
    data.update(overrides)
    return data


def files_in(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("make_subject", "url_name"),
    [
        (lambda: make_project("OpenHarmony", donors=[make_donor()]), "projects_project"),
        (lambda: make_donor("Acme"), "projects_donor"),
    ],
    ids=["project", "donor"],
)
@bad_uploads
def test_a_bad_logo_is_refused_and_nothing_changes(
    client, editor, media_root, make_subject, url_name, name, content_type, make, message
):
    subject = make_subject()
    model = type(subject)
    before = model.objects.values().get(pk=subject.pk)
    client.force_login(editor)
    url = reverse(f"admin:{url_name}_change", args=[subject.pk])
    data = admin_form_data(
        client,
        url,
        name="A new name that must not be saved",
        logo=SimpleUploadedFile(name, make(), content_type=content_type),
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["logo"])
    assert message in response.content.decode()  # shown to the editor on the page
    assert model.objects.values().get(pk=subject.pk) == before
    assert files_in(media_root) == []


@bad_uploads
def test_a_new_donor_with_a_bad_logo_is_not_created(
    client, editor, media_root, name, content_type, make, message
):
    client.force_login(editor)
    url = reverse("admin:projects_donor_add")
    data = admin_form_data(
        client,
        url,
        name="Acme",
        slug="acme",
        logo=SimpleUploadedFile(name, make(), content_type=content_type),
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["logo"])
    assert not Donor.objects.exists()
    assert files_in(media_root) == []


@pytest.mark.parametrize("url_name", ["projects_project", "projects_donor"])
def test_a_sound_logo_is_stored_under_the_format_pillow_found(
    client, editor, media_root, url_name
):
    """The checks refuse bad files, not good ones; a PNG named .jpg is stored as .png."""
    subject = make_project("OpenHarmony") if url_name == "projects_project" else make_donor()
    client.force_login(editor)
    url = reverse(f"admin:{url_name}_change", args=[subject.pk])
    logo = SimpleUploadedFile("logo.jpg", image_bytes(size=(400, 400), fmt="PNG"), "image/jpeg")

    response = client.post(url, admin_form_data(client, url, logo=logo))

    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.logo.name.endswith(".png")
    assert [path.name for path in files_in(media_root)] == [subject.logo.name.rsplit("/")[-1]]
