"""The interface in English (unprefixed addresses) and Simplified Chinese (/zh-hans/…): the
language switcher, hreflang alternates, plurals, grouped numbers, the admin's language, and a
complete, compiled Chinese catalogue."""

import ast
import gettext
import re
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from foundation.factories import make_donor, make_post, make_project
from projects.models import Donation, Project

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


class Page(HTMLParser):
    """The ``<html lang>``, hreflang alternates and the language switcher's entries."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.lang, self.alternates, self.switcher = None, {}, []
        self._in_switcher = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            self.alternates[attrs["hreflang"]] = attrs["href"]
        elif tag == "nav" and "language-switcher" in (attrs.get("class") or ""):
            self._in_switcher = True
        elif self._in_switcher and tag in ("a", "span"):
            self.switcher.append(attrs)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_switcher = False


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response, Page(response.content.decode())


def test_english_keeps_the_unprefixed_addresses(client):
    assert reverse("posts:list") == "/news/"  # no language activated: the default language
    response, page = get(client, "/news/")
    assert page.lang == "en"
    assert ">News</a>" in response.content.decode()


def test_chinese_pages_live_under_zh_hans(client):
    response, page = get(client, "/zh-hans/news/")
    html = response.content.decode()
    assert page.lang == "zh-Hans"
    assert ">新闻</a>" in html and ">项目</a>" in html and ">捐赠方</a>" in html
    assert "跳到主要内容" in html
    assert 'href="/zh-hans/projects/"' in html  # links stay in the visitor's language


@pytest.mark.parametrize(
    "name", ["home", "search", "posts:list", "projects:list", "projects:donor-list"]
)
def test_every_public_page_answers_in_both_languages(client, name):
    english_url = reverse(name)
    with translation.override("zh-hans"):
        chinese_url = reverse(name)
    assert chinese_url == "/zh-hans" + english_url
    assert get(client, english_url)[1].lang == "en"
    assert get(client, chinese_url)[1].lang == "zh-Hans"


def test_machine_and_staff_addresses_have_no_language_prefix(client):
    for url in ["/news/feed/rss/", "/sitemap.xml", "/robots.txt", "/healthz"]:
        assert client.get(url).status_code == 200, url
    for url in ["/zh-hans/news/feed/rss/", "/zh-hans/sitemap.xml", "/zh-hans/admin/"]:
        assert client.get(url).status_code == 404, url
    assert client.get("/admin/").status_code == 302  # to the login page
    robots = client.get("/robots.txt").content.decode().splitlines()
    assert "Disallow: /search/" in robots and "Disallow: /zh-hans/search/" in robots


def test_a_request_in_chinese_does_not_change_the_language_after_it(client):
    client.get("/zh-hans/news/")
    assert translation.get_language() == "en"
    assert reverse("posts:list") == "/news/"


def test_switcher_links_to_the_same_page_in_the_other_language(client):
    _, page = get(client, "/projects/?stage=incubating")
    assert page.switcher == [
        {"aria-current": "true", "lang": "en"},
        {"href": "/zh-hans/projects/?stage=incubating", "hreflang": "zh-Hans", "lang": "zh-Hans"},
    ]
    _, page = get(client, "/zh-hans/projects/?stage=incubating")
    assert page.switcher == [
        {"href": "/projects/?stage=incubating", "hreflang": "en", "lang": "en"},
        {"aria-current": "true", "lang": "zh-Hans"},
    ]


def test_switcher_names_each_language_in_that_language(client):
    html = client.get("/news/").content.decode()
    assert 'lang="en">English</span>' in html
    assert 'lang="zh-Hans">简体中文</a>' in html


def test_switcher_on_a_missing_page(client):
    # A missing post: the same address in the other language (a 404 there too, in Chinese).
    response = client.get("/news/no-such-post/")
    assert response.status_code == 404
    assert Page(response.content.decode()).switcher[1]["href"] == "/zh-hans/news/no-such-post/"
    chinese = client.get("/zh-hans/news/no-such-post/")
    assert chinese.status_code == 404 and "找不到页面" in chinese.content.decode()
    # An address that means nothing: the other language's home page.
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert Page(response.content.decode()).switcher[1]["href"] == "/zh-hans/"


def test_pages_name_their_other_language_version_with_hreflang(client, settings):
    settings.SITE_URL = "https://news.example.org"
    expected = {
        "en": "https://news.example.org/news/",
        "zh-Hans": "https://news.example.org/zh-hans/news/",
        "x-default": "https://news.example.org/news/",
    }
    assert get(client, "/news/")[1].alternates == expected
    assert get(client, "/zh-hans/news/")[1].alternates == expected


def test_staff_pages_follow_the_browsers_language(client):
    login = reverse("admin:login")
    assert "Username" in client.get(login).content.decode()
    chinese = client.get(login, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert "用户名" in chinese.content.decode()
    # The public pages do not: the address alone decides.
    assert Page(client.get("/news/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()).lang == "en"


def test_plurals_follow_the_language(client):
    one, two = make_donor("Acme Labs"), make_donor("Beta University")
    make_project("Carsmos", donors=[one, two])
    make_project("Tongsuo", donors=[two])
    english = client.get(reverse("projects:donor-list")).content.decode()
    assert "1 project<" in english and "2 projects<" in english
    chinese = client.get("/zh-hans" + reverse("projects:donor-list")).content.decode()
    assert "1 个项目<" in chinese and "2 个项目<" in chinese
    assert "projects<" not in chinese


def make_registry_of(count, donor):
    """``count`` projects, all donated by ``donor`` (in bulk: the figures are what matter)."""
    projects = Project.objects.bulk_create(
        Project(name=f"Project {n:05d}", slug=f"project-{n:05d}", donated_on=date(2024, 1, 1))
        for n in range(count)
    )
    Donation.objects.bulk_create(Donation(project=project, donor=donor) for project in projects)


def test_counts_are_grouped_by_thousands_in_both_languages(client, settings):
    settings.PROJECTS_PER_PAGE = 1  # so that the registry has 1,234 pages
    make_registry_of(1234, make_donor("Acme Labs"))

    english = client.get(reverse("projects:list")).content.decode()
    assert "1,234 projects<" in english
    assert "Page 1 of 1,234<" in english
    assert 'href="?page=2"' in english  # the page number in the address stays a number
    chinese = client.get("/zh-hans" + reverse("projects:list")).content.decode()
    assert "1,234 个项目<" in chinese
    assert "第 1 页，共 1,234 页<" in chinese

    assert "1,234 projects<" in client.get(reverse("projects:donor-list")).content.decode()
    chinese = client.get("/zh-hans" + reverse("projects:donor-list")).content.decode()
    assert "1,234 个项目<" in chinese


def test_years_and_image_sizes_are_never_grouped(client):
    published = timezone.make_aware(datetime(2023, 5, 4, 10, 0))
    post = make_post("Carsmos joins the foundation", publish_at=published, hero=True)
    for prefix in ("", "/zh-hans"):
        archive = client.get(prefix + reverse("posts:archive-year", args=[2023])).content.decode()
        detail = client.get(prefix + post.get_absolute_url()).content.decode()
        for html in (archive, detail):
            assert "2,023" not in html and "1,600" not in html
        assert f'href="{prefix}/news/2023/05/"' in archive
        assert "2023" in archive.split("<h1>", 1)[1].split("</h1>", 1)[0]
        assert 'width="1600" height="900"' in detail


# --- the catalogue -----------------------------------------------------------------------


def read_po(path):
    """``{(context, msgid): (msgid_plural, [msgstr, …])}`` and the fuzzy keys of a .po file."""
    entries, fuzzy = {}, set()
    current, field, is_fuzzy = {}, None, False

    def finish():
        nonlocal current, is_fuzzy
        if "msgid" in current:
            key = (current.get("msgctxt"), current["msgid"])
            msgstrs = [v for k, v in sorted(current.items()) if k.startswith("msgstr")]
            entries[key] = (current.get("msgid_plural"), msgstrs)
            if is_fuzzy:
                fuzzy.add(key)
        current, is_fuzzy = {}, False

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            finish()
        elif line.startswith("#,"):
            is_fuzzy = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] += ast.literal_eval(line)
        else:
            keyword, literal = line.split(" ", 1)
            if keyword in ("msgctxt", "msgid") and field and field.startswith("msgstr"):
                finish()
            field = keyword
            current[field] = ast.literal_eval(literal)
    return entries, fuzzy


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_interface_string_has_a_chinese_translation():
    entries, fuzzy = read_po(LOCALE / "django.po")
    assert len(entries) > 300
    _plural, (header,) = entries.pop((None, ""))
    assert "Plural-Forms: nplurals=1; plural=0;" in header
    assert fuzzy - {(None, "")} == set()
    untranslated = [msgid for (_ctx, msgid), (_p, msgstrs) in entries.items() if not all(msgstrs)]
    assert untranslated == []
    for (_ctx, msgid), (plural, msgstrs) in entries.items():
        allowed = set(PLACEHOLDER.findall(msgid + (plural or "")))
        for msgstr in msgstrs:  # placeholders survive translation
            assert set(PLACEHOLDER.findall(msgstr)) <= allowed, msgid


def test_compiled_catalogue_matches_the_po_file():
    """django.mo is committed (no gettext needed to run the site): it must be current."""
    entries, _fuzzy = read_po(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    stale = []
    for (context, msgid), (plural, msgstrs) in entries.items():
        if not msgid:
            continue
        if plural:
            found = (
                catalog.npgettext(context, msgid, plural, 1)
                if context
                else catalog.ngettext(msgid, plural, 1)
            )
        else:
            found = catalog.pgettext(context, msgid) if context else catalog.gettext(msgid)
        if found != msgstrs[0]:
            stale.append(msgid)
    assert stale == [], "run `make messages` (or manage.py compilemessages)"
