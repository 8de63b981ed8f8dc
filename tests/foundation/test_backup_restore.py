"""The portable backup of README.md's "Backups" section, run as documented: accounts, the
registry and every post with its images are exported, the database is emptied and MEDIA_ROOT
too, and restoring gives back every post field by field, its categories and projects, the
registry, and every image byte for byte."""

import hashlib
import shutil
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, models
from django.utils import timezone

from foundation.factories import (
    image_file,
    make_area,
    make_category,
    make_donor,
    make_post,
    make_project,
)
from posts import exports
from posts.models import Category, Post
from projects.models import Area, Donation, Donor, Project

pytestmark = pytest.mark.django_db


def sha256(name):
    with default_storage.open(name) as file:
        return hashlib.sha256(file.read()).hexdigest()


def body_image(name, seed):
    stored = default_storage.save(
        f"posts/body/{name}", image_file(name, size=(320, 200), seed=seed)
    )
    return default_storage.url(stored)


def make_site(editor, author):
    ai = make_area("Artificial intelligence", description="Models and tools.", position=1)
    infra = make_area("Infrastructure")
    acme = make_donor("Acme Corp", kind="company", website="https://acme.example")
    tsinghua = make_donor("清华大学", slug="tsinghua", kind="academic")
    make_donor("Quiet Donor", is_public=False)
    carsmos = make_project(
        "Carsmos", donors=[acme, tsinghua], area=infra, license="Apache-2.0", stage="incubating",
        homepage="https://carsmos.example", repository="https://git.example/carsmos",
    )  # fmt: skip
    tongsuo = make_project("Tongsuo", donors=[tsinghua], area=ai, description="**Crypto**.")
    make_project("Lonely", area=None, donated_on=None)

    news = make_category("基金会", description="关于基金会。", position=1)
    releases = make_category("Releases")
    figure = body_image("figure.png", seed=1)
    chart = body_image("图表.png", seed=2)
    original = make_post(
        "开放原子开源基金会与 CARSMOS 举行捐赠签约仪式", slug="carsmos-signing",
        language="zh-hans", hero=True, hero_image_caption="签约现场", categories=[news],
        projects=[carsmos], summary="签约仪式。", author=editor, author_name="基金会",
        body=f"六月十一日……\n\n![合影]({figure})\n\n| 项目 | 捐赠方 |\n|---|---|\n| A | B |\n\n"
        f'<div align="center"><img src="{chart}" alt=""></div>\n<center>图表</center>\n',
        extras={"layout": "post", "comments": True},
        created_by=editor, updated_by=author,
    )  # fmt: skip
    make_post(
        "Carsmos donation signed", slug="carsmos-signing-en", translation_of=original,
        publish_at=original.publish_at - timedelta(hours=1), author=author,
        expire_at=timezone.now() + timedelta(days=30), projects=[carsmos, tongsuo],
        categories=[news, releases], meta_title="Carsmos joins", hero=True,
        hero_focal_x=0.2, hero_focal_y=0.8,
    )  # fmt: skip
    make_post("A draft", slug="a-draft", status=Post.Status.DRAFT, body="- not yet")
    make_post("Scheduled", slug="scheduled", publish_at=timezone.now() + timedelta(days=2))


def natural(value):
    if isinstance(value, User):
        return value.get_username()
    if isinstance(value, Post):
        return value.slug
    return value


def post_state():
    """Every column of every post (relations by their natural key, files by their bytes)."""
    state = {}
    for post in Post.objects.prefetch_related("categories", "projects"):
        row = {}
        for field in Post._meta.concrete_fields:
            if field.primary_key:
                continue
            value = getattr(post, field.name)
            if isinstance(field, models.FileField):
                value = (value.name, sha256(value.name)) if value else None
            row[field.name] = natural(value)
        row["categories"] = sorted(c.slug for c in post.categories.all())
        row["projects"] = sorted(p.slug for p in post.projects.all())
        row["body_images"] = sorted(
            (name, sha256(name)) for _url, name in exports.body_media(post.body)
        )
        state[post.slug] = row
    return state


def category_state():
    return sorted(Category.objects.values_list("slug", "name", "description", "position"))


def registry_state():
    projects = sorted(
        Project.objects.values_list(
            "slug", "name", "summary", "description", "homepage", "repository", "license",
            "stage", "donated_on", "accepted_on", "incubating_on", "graduated_on",
            "archived_on", "area__slug", "area__name",
        )
    )  # fmt: skip
    donors = sorted(
        Donor.objects.values_list("slug", "name", "kind", "website", "description", "is_public")
    )
    donations = sorted(
        Donation.objects.values_list(
            "project__slug", "donor__slug", "role", "order", "signed_on", "notes"
        )
    )
    return projects, donors, donations


def account_state():
    users = sorted(
        (u.username, u.password, u.is_staff, u.is_superuser, sorted(g.name for g in u.groups.all()))
        for u in User.objects.prefetch_related("groups")
    )
    groups = sorted(
        (g.name, sorted(g.permissions.values_list("codename", flat=True)))
        for g in Group.objects.all()
    )
    return users, groups


def test_backup_then_restore_into_an_empty_site_gives_everything_back(
    tmp_path, settings, editor, author
):
    make_site(editor, author)
    before = (post_state(), category_state(), registry_state(), account_state())
    assert len(before[0]) == 4 and sum(len(row["body_images"]) for row in before[0].values()) == 2

    # The backup, as README.md "Backups" writes it.
    backup = tmp_path / "backup"
    backup.mkdir()
    call_command(
        "dumpdata", "auth.user", "auth.group", "--natural-foreign", "--natural-primary",
        "-o", str(backup / "accounts.json"), verbosity=0,
    )  # fmt: skip
    call_command("export_registry", "--format", "json", "-o", str(backup / "registry.json"))
    call_command(
        "export_posts", "--format", "json", "--with-media", "-o", str(backup / "posts.zip")
    )

    # Disaster: an empty database, an empty media folder. (The test runs in a transaction
    # that is rolled back afterwards; PostgreSQL truncates only once the deferred foreign
    # key checks of what the test wrote have run.)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", "--no-input", verbosity=0)
    ContentType.objects.clear_cache()
    shutil.rmtree(settings.MEDIA_ROOT)
    settings.MEDIA_ROOT.mkdir()
    assert not Post.objects.exists() and not Project.objects.exists()
    assert not User.objects.exists() and not Area.objects.exists()

    # The restore, in the documented order: accounts, registry, posts.
    call_command("loaddata", str(backup / "accounts.json"), verbosity=0)
    call_command("import_registry", str(backup / "registry.json"))
    call_command("import_posts", str(backup / "posts.zip"))

    after = (post_state(), category_state(), registry_state(), account_state())
    for slug, row in before[0].items():
        for field, value in row.items():
            assert after[0][slug][field] == value, f"{slug}: {field}"
    assert after[0].keys() == before[0].keys()
    assert after[1] == before[1], "categories"
    assert after[2] == before[2], "registry: projects, donors, donations"
    assert after[3] == before[3], "accounts and groups"
