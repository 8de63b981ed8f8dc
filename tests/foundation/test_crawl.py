"""Visitors (and bots) can type anything: no public URL answers 500.

Two complementary checks:

- a crawl of a small but complete site from ``/``, following every internal link, that
  then requests each page found again with malformed parameters;
- property tests (hypothesis) that throw arbitrary text at every slug in a path and at
  every query parameter the public pages read.

The Django test client re-raises any exception a view lets escape, so a bug that would be a
500 for a visitor fails these tests with its traceback.
"""

import os
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foundation.factories import (
    make_area,
    make_category,
    make_donor,
    make_post,
    make_project,
)
from posts.models import Post

NOT_CRAWLED = ("/admin/", "/media/", "/markdownx/", "/static/")
PAGES_LIMIT = 400

MALFORMED_QUERIES = [
    "page=abc",
    "page=-1",
    "page=0",
    "page=99999999999999999999",
    "page=1.5",
    "page=",
    "page=last",
    "page=%00",
    "page=1&page=2&page=abc",
    "q=%00",
    "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "q=" + "a" * 5000,
    "q=" + "%E4%B8%AD" * 2000,
    "q=%25%27%22%5C%3B--",
    "q=a&q=b&q=",
    "area=%FF",
    "area=%00&stage=%FF",
    "stage=nonsense",
    "stage=donated&stage=graduated",
    "donor=%C3%28",
    "type=%FF",
    "type=project&type=post",
    "year=abc",
    "year=-1",
    "year=99999999999999",
    "language=xx",
    "language=%00",
    "category=%E2%80%AE",
    "%FF=%FF",
    "&&&=&",
]

COMMON_MALFORMED_QUERIES = [
    "page=abc",
    "page=99999999999999999999",
    "q=%00",
    "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "area=%FF&year=abc",
    "page=1&page=abc&page=",
]

REQUIRED_PAGES = {
    "home",
    "posts:list",
    "posts:detail",
    "posts:category",
    "projects:list",
    "projects:detail",
    "projects:donor-list",
    "projects:donor-detail",
}


class LinkCollector(HTMLParser):
    """``<a href>`` targets and the actions of GET forms (the search box)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self.links.append(attrs.get("action") or "")


def links_in(response, base):
    collector = LinkCollector()
    collector.feed(response.content.decode(response.charset or "utf-8"))
    return [urljoin(base, href) for href in collector.links]


def internal_path(url):
    """The path and query of a same-origin URL worth crawling, or ``None``."""
    parts = urlsplit(url)
    if parts.scheme not in {"", "http", "https"}:
        return None
    if parts.netloc not in {"", "testserver"}:
        return None
    if not parts.path.startswith("/") or parts.path.startswith(NOT_CRAWLED):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def get(client, url, **extra):
    try:
        return client.get(url, **extra)
    except Exception as error:  # a visitor would have seen a 500
        raise AssertionError(f"GET {url!r} raised {error!r}") from error


def url_name(path):
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


@pytest.fixture
def site(db):
    """A small but complete site: every kind of public page has at least one instance,
    plus content that must never be linked to."""
    now = timezone.now()
    foundation = make_category("基金会", description="Foundation news.")
    events = make_category("Events")
    make_category("Empty category")
    systems = make_area("Operating systems")
    make_area("Font standards")
    lead = make_donor("Futurewei Technologies", website="https://www.futurewei.com/")
    co = make_donor("Xi'an Jiaotong University", kind="academic")
    hidden = make_donor("Anonymous benefactor", is_public=False)
    carsmos = make_project("CARSMOS", donors=[lead, co, hidden], area=systems)
    tongsuo = make_project("Tongsuo", donors=[lead], stage="incubating")
    make_project("OpenNJet", area=systems, donated_on=None)
    posts = [
        make_post(
            f"Signing ceremony {n}",
            categories=[foundation] if n % 2 else [events, foundation],
            projects=[carsmos] if n % 3 == 0 else [tongsuo],
            publish_at=now - timedelta(days=n),
            body=f"Donation **{n}**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[Registry](/projects/)",
        )
        for n in range(1, 15)
    ]
    posts.append(
        make_post(
            "开放原子新闻", slug="openatom-news-zh", language="zh-hans", categories=[foundation]
        )
    )
    draft = make_post("Secret draft", status=Post.Status.DRAFT, categories=[foundation])
    scheduled = make_post(
        "Tomorrow's announcement",
        publish_at=now + timedelta(days=1),
        categories=[foundation],
        projects=[carsmos],
    )
    return {"posts": posts, "draft": draft, "scheduled": scheduled, "hidden_donor": hidden}


def crawl(client):
    """Every internal URL reachable from ``/``: {path: response}, and {path: linked from}."""
    responses, linked_from = {}, {"/": "(start)"}
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        assert len(responses) < PAGES_LIMIT, "the crawl does not end: endless URLs?"
        response = get(client, path, follow=True)
        responses[path] = response
        if "html" not in response.get("Content-Type", ""):
            continue
        final = response.redirect_chain[-1][0] if response.redirect_chain else path
        for link in links_in(response, urljoin("http://testserver/", final)):
            target = internal_path(link)
            if target and target not in linked_from:
                linked_from[target] = path
                queue.append(target)
    return responses, linked_from


def with_query(path, query):
    return f"{path}{'&' if '?' in path else '?'}{query}"


def test_crawl_from_home_reaches_every_public_page_and_none_fails(site):
    client = Client()
    responses, linked_from = crawl(client)

    broken = {
        path: (response.status_code, linked_from[path])
        for path, response in responses.items()
        if response.status_code != 200
    }
    assert broken == {}, "links that do not lead to a page: {path: (status, linked from)}"

    visited = {url_name(path) for path in responses}
    assert visited >= REQUIRED_PAGES, f"never reached: {REQUIRED_PAGES - visited}"

    # Every published post is reachable, the Chinese category and slug included.
    for post in site["posts"]:
        assert post.get_absolute_url() in responses, post.title
    assert reverse("posts:category", args=["基金会"]) in responses

    # Nothing that is not public is ever linked to.
    secret = {
        site["draft"].get_absolute_url(),
        site["scheduled"].get_absolute_url(),
        site["hidden_donor"].get_absolute_url(),
    }
    assert secret.isdisjoint(linked_from), secret & set(linked_from)


def test_every_crawled_page_survives_malformed_parameters(site):
    """Every page found gets the common attacks; the first page of each kind gets them all
    (the others of a kind share its view and code path)."""
    client = Client()
    responses, _linked_from = crawl(client)
    pages = sorted(path for path, r in responses.items() if r.status_code == 200)
    assert len(pages) > 20

    answered, seen_kinds = {}, set()
    for path in pages:
        kind = url_name(path)
        queries = MALFORMED_QUERIES if kind not in seen_kinds else COMMON_MALFORMED_QUERIES
        seen_kinds.add(kind)
        for query in queries:
            url = with_query(path, query)
            answered[url] = get(client, url).status_code
    assert seen_kinds >= REQUIRED_PAGES
    unexpected = {url: status for url, status in answered.items() if status not in {200, 404}}
    assert unexpected == {}
    # Malformed page numbers on a list are "not found", as for a page past the end.
    for query in ("page=abc", "page=99999999999999999999", "page=-1", "page=1.5"):
        assert answered[with_query(reverse("posts:list"), query)] == 404, query


def test_malformed_paths_are_not_found(site):
    client = Client()
    for path in [
        "/news/%00/",
        "/news/%FF/",
        "/news/category/%FF/",
        "/news/category/%00/",
        "/news/category/" + "x" * 5000 + "/",
        "/projects/%C3%28/",
        "/donors/" + "%E4%B8%AD" * 500 + "/",
        "/news/..%2F..%2Fetc%2Fpasswd/",
        "/news/%2e%2e/",
    ]:
        assert get(client, path).status_code == 404, path


# --- property tests: arbitrary slugs and parameters --------------------------------------

URL_SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 100)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# /news/<slug>/, /news/category/<slug>/, /projects/<slug>/, /donors/<slug>/
SLUG_PAGES = ["posts:list", "posts:category", "projects:list", "projects:donor-list"]
LIST_PAGES = [
    "home",
    "search",
    "posts:list",
    "projects:list",
    "projects:donor-list",
]
PARAMETERS = ["page", "q", "area", "stage", "donor", "type", "year", "language", "category"]

anything = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1.5",
            "1e3",
            "99999999999999999999",
            "NaN",
            "last",
            "null",
            "../",
            "%",
            "%%",
            "\\",
            "'",
            '"',
            "<",
            "1 OR 1=1",
            "中文",
        ]
    ),
    st.integers().map(str),
)
raw_bytes = st.binary(max_size=30).map(lambda b: quote(b, safe=""))


def slug_url(name, slug):
    """``/news/<slug>/`` and friends with ``slug`` percent-encoded as a browser sends it."""
    encoded = quote(slug, safe="")
    if name == "posts:category":
        return reverse("posts:list") + "category/" + encoded + "/"
    return reverse(name) + encoded + "/"


@URL_SETTINGS
@given(
    name=st.sampled_from(SLUG_PAGES),
    slug=st.one_of(anything, raw_bytes),
)
def test_any_slug_is_a_page_or_not_found(site, name, slug):
    response = get(Client(), slug_url(name, slug))
    assert response.status_code in {200, 301, 302, 404}, (name, slug)


@URL_SETTINGS
@given(
    name=st.sampled_from(LIST_PAGES),
    params=st.lists(st.tuples(st.sampled_from(PARAMETERS), anything), min_size=1, max_size=4),
)
def test_any_query_parameters_are_a_page_or_not_found(site, name, params):
    url = reverse(name) + "?" + urlencode(params)
    response = get(Client(), url)
    assert response.status_code in {200, 301, 302, 404}, url


@URL_SETTINGS
@given(
    name=st.sampled_from(LIST_PAGES + ["posts:category"]),
    query=st.lists(
        st.tuples(st.sampled_from(PARAMETERS), raw_bytes).map("=".join), min_size=1, max_size=3
    ).map("&".join),
)
def test_undecodable_query_bytes_are_a_page_or_not_found(site, name, query):
    base = reverse(name, args=["基金会"]) if name == "posts:category" else reverse(name)
    response = get(Client(), f"{base}?{query}")
    assert response.status_code in {200, 301, 302, 404}, query


@URL_SETTINGS
@given(
    target=st.sampled_from(["post", "project", "projects", "donors"]),
    slug=st.one_of(anything, raw_bytes),
    params=st.lists(st.tuples(st.sampled_from(PARAMETERS), anything), max_size=3),
)
def test_detail_pages_ignore_or_refuse_any_parameters(site, target, slug, params):
    path = {
        "post": site["posts"][0].get_absolute_url(),
        "project": reverse("projects:detail", args=["carsmos"]),
        "projects": slug_url("projects:list", slug),
        "donors": slug_url("projects:donor-list", slug),
    }[target]
    url = f"{path}?{urlencode(params)}"
    response = get(Client(), url)
    assert response.status_code in {200, 301, 302, 404}, url
