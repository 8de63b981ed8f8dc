"""Redirects: old addresses answer 301 instead of 404 (posts.middleware), a published post's
slug change and imported Jekyll permalinks record them, chains collapse, loops are refused,
editors manage them in the admin and load a CSV."""

from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from foundation.factories import make_post
from posts.imports.jekyll import import_paths
from posts.models import Post, Redirect
from tests.conftest import grant
from tests.posts.test_workflow import submit_change_form

pytestmark = pytest.mark.django_db

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "foundation/demo/jekyll/_posts/2023-06-11-carsmos-donation-signing-ceremony.md"
)


def test_changing_a_published_posts_slug_keeps_the_old_address_working(client, editor):
    post = make_post("Carsmos signs", slug="carsmos-signs")
    old_url = post.get_absolute_url()
    client.force_login(editor)
    response = submit_change_form(client, post, slug="carsmos-signs-the-agreement")
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.slug == "carsmos-signs-the-agreement"

    client.logout()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()
    assert client.get(response["Location"]).status_code == 200
    # Without the trailing slash too.
    response = client.get(old_url.rstrip("/"))
    assert response.status_code == 301 and response["Location"] == post.get_absolute_url()


def test_renaming_back_makes_the_first_address_live_again(client, editor):
    post = make_post("Round trip", slug="first")
    client.force_login(editor)
    submit_change_form(client, post, slug="second")
    post.refresh_from_db()
    submit_change_form(client, post, slug="first")
    assert client.get(reverse("posts:detail", kwargs={"slug": "first"})).status_code == 200
    second = client.get(reverse("posts:detail", kwargs={"slug": "second"}))
    assert second.status_code == 301
    assert second["Location"] == reverse("posts:detail", kwargs={"slug": "first"})
    assert not Redirect.objects.filter(old_path="/news/first/").exists()


def test_changing_a_drafts_slug_records_no_redirect(client, editor):
    post = make_post("Draft", slug="draft-one", status=Post.Status.DRAFT)
    client.force_login(editor)
    submit_change_form(client, post, slug="draft-two")
    assert not Redirect.objects.exists()


def test_imported_sample_post_answers_on_its_old_jekyll_permalink(client):
    report = import_paths([SAMPLE])
    assert not report.failures
    post = Post.objects.get(slug="carsmos-donation-signing-ceremony")
    old = "/基金会/2023/06/11/carsmos-donation-signing-ceremony/"
    assert Redirect.objects.filter(old_path=old).exists()
    # A browser sends the Chinese path percent-encoded.
    response = client.get(quote(old))
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()
    assert client.get(post.get_absolute_url()).status_code == 200


def test_permalink_pattern_is_a_setting(client, settings):
    settings.JEKYLL_PERMALINK = "/blog/:year/:title.html"
    import_paths([SAMPLE])
    response = client.get("/blog/2023/carsmos-donation-signing-ceremony.html")
    assert response.status_code == 301


def test_only_404s_are_redirected(client):
    post = make_post("Live page", slug="live-page")
    Redirect.objects.record(post.get_absolute_url(), "/news/")
    assert client.get(post.get_absolute_url()).status_code == 200
    assert client.get("/no/such/page/").status_code == 404


def test_temporary_redirect_is_a_302(client):
    Redirect.objects.record("/campaign/", "/news/", is_permanent=False)
    response = client.get("/campaign/")
    assert response.status_code == 302 and response["Location"] == "/news/"


def test_percent_encoded_old_path_is_stored_unquoted():
    redirect = Redirect.objects.record(quote("/基金会/旧/"), "/news/")
    assert redirect.old_path == "/基金会/旧/"


def test_chains_collapse_both_ways(client):
    Redirect.objects.record("/a/", "/b/")
    Redirect.objects.record("/b/", "/c/")  # A→B becomes A→C
    assert Redirect.objects.get(old_path="/a/").target_path == "/c/"
    Redirect.objects.record("/z/", "/a/")  # a target that is redirected: the final one
    assert Redirect.objects.get(old_path="/z/").target_path == "/c/"
    for old in ("/a/", "/b/", "/z/"):
        assert client.get(old)["Location"] == "/c/"


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ([], ("/a/", "/a/")),
        ([], ("/a/", "/a")),  # the middleware matches both: still a loop
        ([("/b/", "/a/")], ("/a/", "/b/")),
        ([("/b/", "/c/"), ("/c/", "/a/")], ("/a/", "/b/")),
    ],
)
def test_loops_are_refused(existing, new):
    for old, target in existing:
        Redirect.objects.record(old, target)
    with pytest.raises(ValidationError) as error:
        Redirect.objects.record(*new)
    assert "target_path" in error.value.message_dict
    assert not Redirect.objects.filter(old_path=new[0]).exists()


def test_editor_manages_redirects_in_the_admin_and_sees_loop_errors(client, editor):
    Redirect.objects.record("/b/", "/a/")
    client.force_login(editor)
    add = reverse("admin:posts_redirect_add")
    response = client.post(add, {"old_path": "/a/", "target_path": "/b/", "is_permanent": "on"})
    assert response.status_code == 200
    assert "loop" in str(response.context["adminform"].form.errors["target_path"])
    assert not Redirect.objects.filter(old_path="/a/").exists()

    response = client.post(
        add, {"old_path": "/old/", "target_path": "/b/", "is_permanent": "on", "note": "Moved"}
    )
    assert response.status_code == 302
    assert Redirect.objects.get(old_path="/old/").target_path == "/a/"  # collapsed

    response = client.get(reverse("admin:posts_redirect_changelist"), {"q": "old"})
    assert response.status_code == 200
    assert "/old/" in response.content.decode()


def test_staff_without_permission_cannot_manage_redirects(client, staff_without_permission):
    client.force_login(staff_without_permission)
    assert client.get(reverse("admin:posts_redirect_changelist")).status_code == 403


def test_csv_import_reports_bad_rows_by_line_and_imports_the_rest(client, tmp_path):
    csv_file = tmp_path / "redirects.csv"
    csv_file.write_text(
        "old_path,target_path,permanent,note\n"
        "/2019/01/01/hello/,/news/,yes,old blog\n"
        "/loop/,/loop/,yes,\n"
        "/%E6%97%A7/,/news/,no,\n"
        "/only-one-column/\n"
        "/bad-flag/,/news/,maybe,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_redirects", str(csv_file), stderr=(errors := _Stream()))
    assert ":3:" in errors.text and "cannot point at its own old path" in errors.text
    assert ":5:" in errors.text and ":6:" in errors.text
    assert ":2:" not in errors.text and ":4:" not in errors.text
    assert client.get("/2019/01/01/hello/").status_code == 301
    assert client.get(quote("/旧/")).status_code == 302
    assert Redirect.objects.count() == 2


class _Stream:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


# --- "Import CSV" in the admin ----------------------------------------------------------------

IMPORT = "admin:posts_redirect_import"


def upload(client, text, name="redirects.csv", **kwargs):
    csv_file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse(IMPORT), {"file": csv_file}, **kwargs)


def report_rows(response):
    return [
        (row.line, row.outcome, row.old_path, row.redirect.target_path if row.redirect else "")
        for row in response.context["report"].rows
    ]


def test_the_redirects_list_offers_import_csv_to_editors(client, editor):
    client.force_login(editor)
    html = client.get(reverse("admin:posts_redirect_changelist")).content.decode()
    assert f'href="{reverse(IMPORT)}"' in html
    form = client.get(reverse(IMPORT))
    assert form.status_code == 200 and 'type="file"' in form.content.decode()


def test_editor_imports_a_good_csv_and_reads_what_each_line_did(client, editor):
    Redirect.objects.record("/old-about/", "/about-v1/", note="Kept note")
    Redirect.objects.record("/about-v1/", "/about/")
    client.force_login(editor)
    response = upload(
        client,
        "old_path,target_path,permanent,note\n"
        "/2019/01/01/hello/,/news/hello/,yes,old blog\n"
        "/old-about/,/about-us/,no,\n"  # already redirects: updated
        "/promo/,/about-v1/,,\n"  # /about-v1/ redirects on: the chain collapses
        "/%E6%97%A7/,https://example.com/elsewhere/,yes,\n",
    )
    assert response.status_code == 200
    assert report_rows(response) == [
        (2, "created", "/2019/01/01/hello/", "/news/hello/"),
        (3, "updated", "/old-about/", "/about-us/"),
        (4, "created", "/promo/", "/about/"),
        (5, "created", "/%E6%97%A7/", "https://example.com/elsewhere/"),
    ]
    html = response.content.decode()
    assert "redirects.csv: 3 created, 1 updated, 0 refused." in html
    assert "/about-v1/ already redirected there: the chain was collapsed." in html

    old_about = Redirect.objects.get(old_path="/old-about/")
    assert not old_about.is_permanent and old_about.note == "Kept note"
    client.logout()
    assert client.get("/promo/")["Location"] == "/about/"  # one hop
    assert client.get(quote("/旧/"))["Location"] == "https://example.com/elsewhere/"
    assert client.get("/old-about/").status_code == 302


def test_bad_lines_are_refused_with_their_reasons_and_save_nothing(client, editor):
    Redirect.objects.record("/b/", "/a/")
    client.force_login(editor)
    response = upload(
        client,
        "/fine/,/news/\n"
        "/self/,/self\n"  # the middleware matches both: a loop
        "/a/,/b/\n"  # /b/ already goes to /a/: a loop
        "/only-one-column/\n"
        "/bad-flag/,/news/,maybe\n"
        f"/{'x' * 600}/,/news/\n",  # longer than an old path may be
    )
    rows = {row.line: row for row in response.context["report"].rows}
    assert rows[1].outcome == "created"
    assert [rows[n].outcome for n in (2, 3, 4, 5, 6)] == ["refused"] * 5
    assert "cannot point at its own old path" in rows[2].reason
    assert "loop" in rows[3].reason
    assert "needs an old path and a target" in rows[4].reason
    assert "“maybe” is not a redirect type" in rows[5].reason
    assert rows[6].reason
    html = response.content.decode()
    assert "1 created, 0 updated, 5 refused." in html
    assert "loop" in html and "“maybe” is not a redirect type" in html
    assert set(Redirect.objects.values_list("old_path", flat=True)) == {"/b/", "/fine/"}
    assert Redirect.objects.get(old_path="/b/").target_path == "/a/"  # untouched


def test_a_redirection_plugin_export_imports_as_it_is(client, editor):
    client.force_login(editor)
    response = upload(
        client,
        "source,target,regex,code,type,hits,title,status\n"
        "/old-page/,/news/,0,301,url,12,Moved in 2024,enabled\n"
        "/campaign/,/projects/,0,307,url,0,,enabled\n"
        "/tag/(.*),/news/,1,301,url,0,,enabled\n"
        "/gone/,/news/,0,410,url,0,,enabled\n"
        "/paused/,/news/,0,301,url,0,,disabled\n",
    )
    outcomes = [(row.line, row.outcome) for row in response.context["report"].rows]
    assert outcomes == [(2, "created"), (3, "created"), (4, "refused"), (5, "refused"),
                        (6, "refused")]
    assert Redirect.objects.get(old_path="/old-page/").note == "Moved in 2024"
    assert Redirect.objects.get(old_path="/old-page/").is_permanent
    assert not Redirect.objects.get(old_path="/campaign/").is_permanent
    assert "Regular expressions are not supported" in response.content.decode()


def test_a_file_that_is_not_utf8_text_is_refused_on_the_form(client, editor):
    client.force_login(editor)
    latin1 = SimpleUploadedFile("r.csv", "/café/,/news/\n".encode("latin-1"), "text/csv")
    response = client.post(reverse(IMPORT), {"file": latin1})
    assert response.status_code == 200
    assert "not UTF-8" in str(response.context["form"].errors["file"])
    assert not Redirect.objects.exists()


@pytest.mark.parametrize("who", ["author", "staff_without_permission"])
def test_import_csv_is_refused_without_the_redirect_permissions(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(IMPORT)).status_code == 403
    assert upload(client, "/a/,/news/\n").status_code == 403
    assert not Redirect.objects.exists()


def test_import_csv_needs_the_change_permission_too(client, staff_without_permission):
    user = grant(staff_without_permission, "posts.view_redirect", "posts.add_redirect")
    client.force_login(user)
    html = client.get(reverse("admin:posts_redirect_changelist")).content.decode()
    assert reverse(IMPORT) not in html
    assert upload(client, "/a/,/news/\n").status_code == 403
    user = grant(user, "posts.change_redirect")
    client.force_login(user)
    assert upload(client, "/a/,/news/\n").status_code == 200
    assert Redirect.objects.filter(old_path="/a/").exists()


def test_import_csv_is_csrf_protected(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert upload(client, "/a/,/news/\n").status_code == 403
    assert not Redirect.objects.exists()
    token = client.get(reverse(IMPORT)).context["csrf_token"]
    assert upload(client, "/a/,/news/\n", headers={"X-CSRFToken": str(token)}).status_code == 200
    assert Redirect.objects.filter(old_path="/a/").exists()
