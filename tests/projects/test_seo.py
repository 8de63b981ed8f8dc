"""What crawlers and feed readers read from the registry's pages: the project's
``SoftwareSourceCode`` JSON-LD with its public donors as sponsors, breadcrumbs, and the
``<link rel="alternate">`` to the project's and the donor's news feeds."""

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from foundation.factories import make_area, make_donor, make_post, make_project
from projects.models import Donor
from tests.posts.test_seo import PageMetadata, metadata

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    lead = make_donor("Ant Group", website="https://www.antgroup.com/")
    person = make_donor("Zhang San", kind=Donor.Kind.INDIVIDUAL)
    hidden = make_donor("Quiet Benefactor", is_public=False)
    return make_project(
        "Tongsuo",
        donors=[lead, person, hidden],
        summary="A modern cryptography library.",
        repository="https://github.com/Tongsuo-Project/Tongsuo",
        homepage="https://www.tongsuo.net/",
        license="Apache-2.0",
        area=make_area("Security"),
    )


def test_project_json_ld_is_software_source_code(client, settings, project):
    code = metadata(client, project.get_absolute_url()).of_type("SoftwareSourceCode")

    url = f"{settings.SITE_URL}{project.get_absolute_url()}"
    assert code["@context"] == "https://schema.org"
    assert code["name"] == "Tongsuo"
    assert code["description"] == "A modern cryptography library."
    assert code["codeRepository"] == "https://github.com/Tongsuo-Project/Tongsuo"
    assert code["license"] == "https://spdx.org/licenses/Apache-2.0.html"
    assert code["url"] == url
    assert code["sameAs"] == "https://www.tongsuo.net/"
    assert code["keywords"] == "Security"
    assert code["publisher"]["@type"] == "Organization"
    assert code["publisher"]["name"] == settings.SITE_NAME


def test_project_sponsors_are_its_public_donors_only(client, settings, project):
    code = metadata(client, project.get_absolute_url()).of_type("SoftwareSourceCode")

    assert code["sponsor"] == [
        {
            "@type": "Organization",
            "name": "Ant Group",
            "url": f"{settings.SITE_URL}{reverse('projects:donor-detail', args=['ant-group'])}",
            "sameAs": "https://www.antgroup.com/",
        },
        {
            "@type": "Person",
            "name": "Zhang San",
            "url": f"{settings.SITE_URL}{reverse('projects:donor-detail', args=['zhang-san'])}",
        },
    ]
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Quiet Benefactor" not in html
    assert "quiet-benefactor" not in html


def test_project_without_optional_facts_leaves_them_out(client):
    project = make_project("Bare", summary="", repository="", license="")

    code = metadata(client, project.get_absolute_url()).of_type("SoftwareSourceCode")

    assert code["name"] == "Bare"
    for key in ("description", "codeRepository", "license", "sponsor", "sameAs"):
        assert key not in code


def test_project_page_json_ld_costs_no_extra_queries_per_donor(client):
    few = make_project("Few", donors=[make_donor("One", website="https://one.example/")])
    many = make_project(
        "Many",
        donors=[make_donor(f"Donor {n}", website=f"https://{n}.example/") for n in range(12)],
    )

    counts = []
    for project in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(project.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    code = metadata(client, many.get_absolute_url()).of_type("SoftwareSourceCode")
    assert len(code["sponsor"]) == 12


def test_project_name_cannot_break_out_of_the_json_ld(client):
    project = make_project("X</script><script>alert(1)</script>", slug="x-script")

    page = PageMetadata(client.get(project.get_absolute_url()).content.decode())

    assert page.other_scripts == 0
    assert page.of_type("SoftwareSourceCode")["name"] == "X</script><script>alert(1)</script>"


def test_project_and_donor_pages_have_breadcrumbs(client, project):
    project_html = client.get(project.get_absolute_url()).content.decode()
    donor_html = client.get(reverse("projects:donor-detail", args=["ant-group"])).content.decode()

    assert '<nav class="breadcrumbs" aria-label="Breadcrumb">' in project_html
    assert f'<li><a href="{reverse("projects:list")}">Project registry</a></li>' in project_html
    assert '<li><span aria-current="page">Tongsuo</span></li>' in project_html
    assert f'<li><a href="{reverse("projects:donor-list")}">Donors</a></li>' in donor_html
    assert '<li><span aria-current="page">Ant Group</span></li>' in donor_html
    assert '"@type": "BreadcrumbList"' in project_html
    assert '"@type": "BreadcrumbList"' in donor_html


@pytest.mark.parametrize("kind", ["project", "donor"])
def test_project_and_donor_pages_advertise_their_news_feeds(client, settings, project, kind):
    make_post("Tongsuo 8.4 released", projects=[project])
    page_url = (
        project.get_absolute_url()
        if kind == "project"
        else reverse("projects:donor-detail", args=["ant-group"])
    )
    slug = "tongsuo" if kind == "project" else "ant-group"

    feeds = metadata(client, page_url).feeds()

    for fmt, mime in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
        href = f"{settings.SITE_URL}{reverse(f'feeds:{kind}-{fmt}', kwargs={'slug': slug})}"
        assert (mime, href) in feeds
        response = client.get(urlsplit(href).path)
        assert response.status_code == 200
        assert b"Tongsuo 8.4 released" in response.content
