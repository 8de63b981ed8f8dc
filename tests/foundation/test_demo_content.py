"""The first-start experience: demo content and the admin account, both safe to run again."""

import io

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from foundation.management.commands.load_demo_content import (
    SAMPLE_POST,
    donor_kind,
    parse_donation_table,
    split_donors,
)
from posts.models import Category, Post
from projects.models import Area, Donation, Donor, Project

pytestmark = pytest.mark.django_db


def load():
    out = io.StringIO()
    call_command("load_demo_content", stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Area, Project, Donor, Donation, Category, Post)
    }


def test_demo_content_twice_creates_nothing_new(media_root):
    load()
    first = counts()
    files = sorted(p for p in media_root.rglob("*") if p.is_file())
    output = load()

    assert counts() == first
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files
    assert "nothing changed" in output
    assert first["Area"] == 12 and first["Project"] == 20
    assert first["Donation"] >= 20 and first["Donor"] >= 20
    assert (
        Category.objects.filter(slug__in=["基金会", "donations", "events", "community"]).count()
        == 4
    )


def test_sample_post_is_published_with_its_categories_projects_and_stand_in_images():
    load()
    post = Post.objects.published().get(slug="carsmos-donation-signing-ceremony")

    assert timezone.localdate(post.publish_at).isoformat() == "2023-06-11"
    assert {c.slug for c in post.categories.all()} >= {"基金会"}
    assert post.projects.count() == 20
    assert post.projects.filter(name="CARSMOS").exists()
    # The lost photos have labelled stand-ins, copied like any imported image.
    assert post.hero_image and post.hero_image_alt
    assert post.body_html.count('src="/media/posts/body/imported/') == 2
    assert post.extras["layout"] == "post"


def test_sample_post_page_lists_carsmos_and_carsmos_has_its_four_donors(client):
    load()
    response = client.get(
        reverse("posts:detail", kwargs={"slug": "carsmos-donation-signing-ceremony"})
    )
    assert response.status_code == 200
    carsmos = Project.objects.get(name="CARSMOS")
    assert carsmos.get_absolute_url().encode() in response.content

    donations = list(carsmos.donations.select_related("donor"))
    assert [d.donor.name for d in donations] == [
        "Futurewei Technologies, Inc.",
        "SYNKROTRON",
        "Arctic Xiongxin Information Technology (Xi'an) Co., Ltd.",
        "Open Motors",
    ]
    assert [d.role for d in donations] == [Donation.Role.LEAD] + [Donation.Role.CO_DONOR] * 3
    assert carsmos.donated_on.isoformat() == "2023-06-11"
    assert carsmos.area.slug == "operating-systems"

    page = client.get(reverse("projects:detail", kwargs={"slug": carsmos.slug}))
    assert page.status_code == 200
    assert b"SYNKROTRON" in page.content and b"Open Motors" in page.content


def test_demo_posts_include_chinese_a_scheduled_post_and_a_draft():
    load()
    chinese = Post.objects.published().filter(language="zh-hans")
    assert chinese.exists()
    assert all(post.hero_image for post in chinese)
    assert Post.objects.filter(status=Post.Status.DRAFT).exists()
    scheduled = [post for post in Post.objects.all() if post.is_scheduled]
    assert len(scheduled) == 1
    assert not Post.objects.published().filter(pk=scheduled[0].pk).exists()


def test_the_donation_table_is_read_row_by_row():
    rows = dict(parse_donation_table(SAMPLE_POST.read_text(encoding="utf-8")))

    assert len(rows) == 20
    assert rows["Vearch"] == ["Jingdong (Beijing Wodong Tianjun Information Technology Co., Ltd.)"]
    assert rows["open source big brother"][-2:] == ["Xiang Jin", "Tang Zuolin"]
    assert len(rows["open source big brother"]) == 5
    assert rows["PUACleaner"] == [
        "China Electronics Standardization Institute",
        "Institute of Software, Chinese Academy of Sciences",
    ]
    # "and other colleges and enterprises" is not a donor.
    assert rows["openDACS"][-1] == "Anlu Technology" and len(rows["openDACS"]) == 8
    assert rows["RT-Thread Nano"] == ["Shanghai Ruiside Electronic Technology Co., Ltd."]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Peking University", Donor.Kind.ACADEMIC),
        ("Shenzhen Vocational and Technical College", Donor.Kind.ACADEMIC),
        ("Institute of Software, Chinese Academy of Sciences", Donor.Kind.ACADEMIC),
        ("Xiang Jin", Donor.Kind.INDIVIDUAL),
        ("Tang Zuolin", Donor.Kind.INDIVIDUAL),
        ("Open Motors", Donor.Kind.COMPANY),
        ("SYNKROTRON", Donor.Kind.COMPANY),
    ],
)
def test_donor_kinds_are_guessed_from_the_name(name, kind):
    assert donor_kind(name) == kind


def test_split_donors_keeps_company_suffixes_together():
    assert split_donors("**Futurewei Technologies, Inc.,SYNKROTRON, Open Motors**") == [
        "Futurewei Technologies, Inc.",
        "SYNKROTRON",
        "Open Motors",
    ]


# --------------------------------------------------------------------------- ensure_admin


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ensure_admin(tmp_path, monkeypatch, **env):
    for name in ("DJANGO_ADMIN_PASSWORD", "DJANGO_EDITOR_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    call_command("ensure_admin", password_file=str(tmp_path / ".admin-password"), stdout=out)
    return out.getvalue()


def test_ensure_admin_creates_accounts_once_and_prints_how_to_log_in(tmp_path, monkeypatch, client):
    first = ensure_admin(tmp_path, monkeypatch)
    password_file = (tmp_path / ".admin-password").read_text()
    admin_password = next(
        line.split(": ", 1)[1] for line in password_file.splitlines() if line.startswith("admin:")
    )

    assert f"Log in at {settings.SITE_URL}/admin/" in first
    assert "user: admin" in first and admin_password in first
    assert (tmp_path / ".admin-password").stat().st_mode & 0o077 == 0
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(admin_password)
    editor = User.objects.get(username="editor")
    assert editor.is_staff and not editor.is_superuser
    assert editor.groups.filter(name="Editors").exists()

    second = ensure_admin(tmp_path, monkeypatch)
    assert User.objects.count() == 2
    assert admin_password not in second  # printed once
    assert User.objects.get(username="admin").check_password(admin_password)
    assert (tmp_path / ".admin-password").read_text() == password_file

    assert client.login(username="admin", password=admin_password)
    assert client.get(reverse("admin:index")).status_code == 200


def test_ensure_admin_takes_the_password_from_the_environment(tmp_path, monkeypatch):
    output = ensure_admin(tmp_path, monkeypatch, DJANGO_ADMIN_PASSWORD="from-the-env-123")
    assert User.objects.get(username="admin").check_password("from-the-env-123")
    assert "from-the-env-123" not in output
    assert "admin:" not in (tmp_path / ".admin-password").read_text()
