"""The public registry: projects (filterable by area, stage and donor) and donors.

A donor with ``is_public=False`` is never named or linked: its page is a 404, it is not in
the filters or the donor list, and a project page only says how many donors are unnamed.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from foundation.factories import make_area, make_donor, make_post, make_project
from posts.models import Post
from projects.models import Donation, Project

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def registry():
    """Three projects over two areas and three stages; one has a donor kept private."""
    security = make_area("Security", slug="security")
    storage = make_area("Storage", slug="storage")
    ant = make_donor("Ant Group", slug="ant-group")
    jd = make_donor("Jingdong", slug="jingdong")
    hidden = make_donor("Quiet Holdings", slug="quiet-holdings", is_public=False)
    tongsuo = make_project(
        "Tongsuo", area=security, stage=Project.Stage.INCUBATING, donors=[ant, hidden]
    )
    vearch = make_project("Vearch", area=storage, donors=[jd])
    kona = make_project("OpenKona", area=security, stage=Project.Stage.GRADUATED, donors=[jd])
    return {
        "areas": (security, storage),
        "donors": (ant, jd, hidden),
        "projects": (tongsuo, vearch, kona),
    }


def names_in(response):
    html = response.content.decode()
    return {name for name in ("Tongsuo", "Vearch", "OpenKona") if f">{name}</a></h2>" in html}


# The registry ---------------------------------------------------------------------------


def test_registry_lists_every_project_with_area_stage_and_public_donors(visitor, registry):
    response = visitor.get(reverse("projects:list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert names_in(response) == {"Tongsuo", "Vearch", "OpenKona"}
    tongsuo = html[html.index(">Tongsuo</a>") : html.index("</article>", html.index(">Tongsuo"))]
    assert "Incubating" in tongsuo
    assert ">Security</a>" in tongsuo
    assert '<a href="/donors/ant-group/">Ant Group</a>' in tongsuo
    assert "Quiet Holdings" not in html
    assert "quiet-holdings" not in html
    assert "3 projects" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"area": "security"}, {"Tongsuo", "OpenKona"}),
        ({"area": "storage"}, {"Vearch"}),
        ({"stage": "incubating"}, {"Tongsuo"}),
        ({"stage": "donated"}, {"Vearch"}),
        ({"stage": "archived"}, set()),
        ({"donor": "jingdong"}, {"Vearch", "OpenKona"}),
        ({"donor": "ant-group"}, {"Tongsuo"}),
        ({"area": "security", "donor": "jingdong"}, {"OpenKona"}),
        ({"area": "security", "stage": "graduated", "donor": "jingdong"}, {"OpenKona"}),
        ({"area": "", "stage": "", "donor": ""}, {"Tongsuo", "Vearch", "OpenKona"}),
    ],
)
def test_registry_filters(client, registry, params, expected):
    response = client.get(reverse("projects:list"), params)

    assert response.status_code == 200
    assert names_in(response) == expected
    if not expected:
        assert "No project matches these filters." in response.content.decode()


def test_chosen_filters_stay_selected_and_can_be_cleared(client, registry):
    html = client.get(reverse("projects:list"), {"area": "security", "stage": "graduated"})
    html = html.content.decode()
    assert '<option value="security" selected>Security</option>' in html
    assert '<option value="graduated" selected>Graduated</option>' in html
    assert '<label for="filter-donor">Donor</label>' in html
    assert "Clear filters" in html
    assert "1 project · Security · Graduated" in html


def test_private_donors_are_not_offered_as_a_filter(client, registry):
    html = client.get(reverse("projects:list")).content.decode()
    assert '<option value="jingdong">Jingdong</option>' in html
    assert "quiet-holdings" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"area": "no-such-area"},
        {"stage": "sleeping"},
        {"donor": "no-such-donor"},
        {"donor": "quiet-holdings"},  # exists, but not public
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "99999"},
        {"page": "1.5"},
    ],
)
def test_unknown_filter_values_and_bad_pages_are_404(client, registry, params):
    assert client.get(reverse("projects:list"), params).status_code == 404


def test_registry_is_paginated_and_keeps_filters_in_page_links(client, settings):
    settings.PROJECTS_PER_PAGE = 2
    area = make_area("Security", slug="security")
    for n in range(5):
        make_project(f"Project {n}", area=area)

    html = client.get(reverse("projects:list"), {"area": "security"}).content.decode()

    assert 'rel="next" href="?area=security&amp;page=2"' in html
    assert "5 projects" in html


def test_empty_registry_says_so(client):
    html = client.get(reverse("projects:list")).content.decode()
    assert "No projects in the registry yet." in html


# A project's page -----------------------------------------------------------------------


def test_project_page(visitor, registry):
    tongsuo = registry["projects"][0]
    Project.objects.filter(pk=tongsuo.pk).update(
        homepage="https://www.tongsuo.net/",
        repository="https://github.com/Tongsuo-Project/Tongsuo",
        license="Apache-2.0",
        donated_on=date(2022, 6, 1),
        accepted_on=date(2022, 9, 1),
        incubating_on=date(2023, 1, 10),
    )
    tongsuo.refresh_from_db()
    tongsuo.description = "A **cryptographic** library.\n\n<script>alert(1)</script>"
    tongsuo.save()
    make_post("Tongsuo 8.4 released", projects=[tongsuo])
    make_post("Draft about Tongsuo", projects=[tongsuo], status=Post.Status.DRAFT)
    make_post("Tongsuo next year", projects=[tongsuo], publish_at=timezone.now() + timedelta(1))
    make_post("About something else")

    response = visitor.get(tongsuo.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Tongsuo</h1>" in html
    assert "A <strong>cryptographic</strong> library." in html
    assert "<script>alert(1)" not in html
    assert 'href="https://www.tongsuo.net/"' in html
    assert 'href="https://github.com/Tongsuo-Project/Tongsuo"' in html
    assert "<code>Apache-2.0</code>" in html
    history = html[html.index("Stage history") :]
    assert history.index("Donated") < history.index("Accepted by the TOC")
    assert history.index("Accepted by the TOC") < history.index('datetime="2023-01-10"')
    assert '<time datetime="2022-09-01">' in history
    assert "Tongsuo 8.4 released" in html
    assert "Draft about Tongsuo" not in html
    assert "Tongsuo next year" not in html
    assert "About something else" not in html
    assert "<title>Tongsuo · " in html


def test_project_donors_lead_first_in_donation_order_private_ones_unnamed(client):
    first, second, third = (make_donor(name) for name in ("Zeta Corp", "Alpha Lab", "Mid Inc"))
    hidden = make_donor("Quiet Holdings", is_public=False)
    project = make_project("CARSMOS", donors=[first, hidden, second, third])
    Donation.objects.filter(donor=first).update(signed_on=date(2023, 6, 11))

    html = client.get(project.get_absolute_url()).content.decode()

    donors = html[html.index('class="donor-list"') :]
    assert donors.index("Zeta Corp") < donors.index("Alpha Lab") < donors.index("Mid Inc")
    assert "Lead donor, signed June 11, 2023" in donors
    assert donors.count("Co-donor") == 2
    assert "Quiet Holdings" not in html
    assert hidden.get_absolute_url() not in html
    assert "And one donor who is not named publicly." in html


def test_project_without_donors_news_or_history_says_so(client):
    project = make_project("Lonely", donated_on=None)
    html = client.get(project.get_absolute_url()).content.decode()
    assert "No donors recorded yet." in html
    assert "No stage dates recorded yet." in html
    assert "No news about this project yet." in html


def test_unknown_project_is_404(visitor):
    assert visitor.get(reverse("projects:detail", args=["nope"])).status_code == 404


# Donors ---------------------------------------------------------------------------------


def test_donor_list_shows_public_donors_with_project_counts(visitor, registry):
    response = visitor.get(reverse("projects:donor-list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(">Ant Group</a>") < html.index(">Jingdong</a>")
    jingdong = html[html.index(">Jingdong</a>") :]
    assert "2 projects" in jingdong[: jingdong.index("</li>")]
    assert "1 project" in html[html.index(">Ant Group</a>") :]
    assert "Quiet Holdings" not in html


def test_empty_donor_list_says_so(client):
    assert "No donors to show yet." in client.get(reverse("projects:donor-list")).content.decode()


def test_donor_page_lists_its_projects_and_their_news(visitor, registry):
    jd = registry["donors"][1]
    vearch = registry["projects"][1]
    make_post("Vearch 3.5 released", projects=[vearch])

    response = visitor.get(jd.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Jingdong</h1>" in html
    assert ">Vearch</a>" in html and ">OpenKona</a>" in html
    assert ">Tongsuo</a>" not in html
    assert "Vearch 3.5 released" in html


@pytest.mark.parametrize("slug", ["quiet-holdings", "no-such-donor"])
def test_private_and_unknown_donors_are_404(visitor, registry, slug):
    response = visitor.get(reverse("projects:donor-detail", args=[slug]))
    assert response.status_code == 404
    assert "Quiet Holdings" not in response.content.decode()


# A fixed number of queries, whatever the number of rows --------------------------------


def populate(projects, donors_each, posts_each, start=0):
    """``projects`` projects with ``donors_each`` public donors and one private one."""
    area = make_area(f"Area {start}", slug=f"area-{start}")
    hidden = make_donor(f"Hidden {start}", slug=f"hidden-{start}", is_public=False)
    shared = make_donor(f"Shared {start}", slug=f"shared-{start}")
    made = []
    for n in range(start, start + projects):
        donors = [shared] + [
            make_donor(f"Donor {n}-{d}", slug=f"donor-{n}-{d}") for d in range(donors_each - 1)
        ]
        project = make_project(f"Project {n}", slug=f"project-{n}", area=area, donors=donors)
        Donation.objects.create(project=project, donor=hidden, order=99)
        for p in range(posts_each):
            make_post(f"News {n}-{p}", slug=f"news-{n}-{p}", projects=[project])
        made.append(project)
    return made, shared


@pytest.mark.parametrize("kind", ["anonymous", "editor"])
def test_registry_pages_run_the_same_queries_for_few_and_many_rows(client, settings, kind, request):
    settings.PROJECTS_PER_PAGE = 100
    if kind == "editor":
        client.force_login(request.getfixturevalue("editor"))
    (small, *_), small_donor = populate(projects=2, donors_each=1, posts_each=1)
    small_urls = [
        reverse("projects:list"),
        reverse("projects:list") + f"?donor={small_donor.slug}&area=area-0",
        small.get_absolute_url(),
        reverse("projects:donor-list"),
        small_donor.get_absolute_url(),
        reverse("home"),
    ]
    few = [count_queries(client, url) for url in small_urls]

    (big, *_), big_donor = populate(projects=30, donors_each=4, posts_each=2, start=100)
    big_urls = [
        reverse("projects:list"),
        reverse("projects:list") + f"?donor={big_donor.slug}&area=area-100",
        big.get_absolute_url(),
        reverse("projects:donor-list"),
        big_donor.get_absolute_url(),
        reverse("home"),
    ]
    many = [count_queries(client, url) for url in big_urls]

    assert Project.objects.count() == 32
    assert few == many
