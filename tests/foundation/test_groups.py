"""The groups the foundation migrations create: Editors (0001, and ``publish_post`` from
0003), Authors and Registry maintainers (0003)."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection

EXPECTED = {
    f"{app_label}.{action}_{model}"
    for app_label, models in {
        "posts": ("post", "category"),
        "projects": ("area", "donor", "project", "donation"),
    }.items()
    for model in models
    for action in ("add", "change", "delete", "view")
}
# What 0001 gives; 0003_workflow_groups adds the right to publish.
EXPECTED_0001 = EXPECTED
EXPECTED = EXPECTED_0001 | {"posts.publish_post"}
# 0004 and 0005 add the redirects and the media library.
EXPECTED |= {
    f"posts.{action}_{model}"
    for model in ("redirect", "image")
    for action in ("add", "change", "delete", "view")
}


def editor_permissions():
    group = Group.objects.get(name="Editors")
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
def test_editors_group_has_exactly_the_content_permissions():
    assert editor_permissions() == EXPECTED
    assert not any(name.startswith(("auth.", "admin.", "sessions.")) for name in EXPECTED)


@pytest.mark.django_db
def test_editor_user_has_them_and_no_user_management(editor):
    assert editor.has_perms(EXPECTED)
    for perm in ("auth.view_user", "auth.change_user", "auth.add_group", "auth.change_group"):
        assert not editor.has_perm(perm), perm


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_is_reversible_and_idempotent():
    call_command("migrate", "foundation", "zero", verbosity=0)
    assert not Group.objects.filter(name="Editors").exists()
    # permissions themselves are left alone: only the group goes
    assert Permission.objects.filter(codename="change_post").exists()

    call_command("migrate", "foundation", verbosity=0)
    assert editor_permissions() == EXPECTED


@pytest.mark.django_db
def test_running_the_data_step_again_changes_nothing_but_restores_the_permissions():
    step = importlib.import_module("foundation.migrations.0001_editors_group")
    schema_editor = SimpleNamespace(connection=connection)
    group = Group.objects.get(name="Editors")
    group.permissions.add(Permission.objects.get(codename="delete_user"))  # someone's edit

    step.create_editors_group(django_apps, schema_editor)
    step.create_editors_group(django_apps, schema_editor)

    assert Group.objects.filter(name="Editors").count() == 1
    assert Group.objects.get(name="Editors").pk == group.pk
    assert editor_permissions() == EXPECTED_0001
    assert Permission.objects.filter(codename="change_post").count() == 1
