"""The workflow's groups, made by foundation/migrations/0003_workflow_groups."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

REGISTRY = {
    f"projects.{action}_{model}"
    for model in ("area", "donor", "project", "donation")
    for action in ("add", "change", "delete", "view")
}
AUTHORS = {"posts.add_post", "posts.change_post", "posts.view_category", "projects.view_project"}


def permissions_of(name):
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
def test_authors_may_write_but_neither_publish_nor_see_all_posts():
    authors = permissions_of("Authors")
    assert authors >= AUTHORS  # later migrations may add more (the media library's images)
    for forbidden in ("posts.publish_post", "posts.view_post", "posts.delete_post",
                      "posts.import_post", "posts.export_post", "projects.change_project"):
        assert forbidden not in authors, forbidden


@pytest.mark.django_db
def test_registry_maintainers_keep_the_registry_only():
    assert permissions_of("Registry maintainers") == REGISTRY


@pytest.mark.django_db
def test_editors_may_publish_and_keep_the_registry():
    editors = permissions_of("Editors")
    assert "posts.publish_post" in editors
    assert editors >= REGISTRY


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_is_reversible():
    call_command("migrate", "foundation", "0002", verbosity=0)
    assert not Group.objects.filter(name__in=["Authors", "Registry maintainers"]).exists()
    assert "posts.publish_post" not in permissions_of("Editors")
    call_command("migrate", "foundation", verbosity=0)
    assert permissions_of("Authors") >= AUTHORS
    assert "posts.publish_post" in permissions_of("Editors")
