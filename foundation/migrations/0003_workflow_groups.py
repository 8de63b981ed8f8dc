"""The editorial workflow's groups (issue 4).

- Authors: write posts and change their own while they are drafts or in review; submit them
  for review. ``add_post`` and ``change_post`` only: no ``view_post`` (they see only their
  own posts: ``posts.admin_workflow``) and no ``publish_post``. ``view_category`` and
  ``view_project`` let them pick categories and related projects.
- Editors (created by 0001) also get ``publish_post``: publish, unpublish, schedule, send
  back, archive. They keep the registry, as issue 2 says.
- Registry maintainers: the projects, donors, areas and donations, nothing of the news.

As in 0001, ``create_permissions`` runs first because on a fresh database the permissions
(``publish_post`` included) do not exist yet. Running it again changes nothing; reversing it
removes the two new groups and takes ``publish_post`` from the Editors again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REGISTRY = [
    ("projects", model, f"{action}_{model}")
    for model in ("area", "donor", "project", "donation")
    for action in ("add", "change", "delete", "view")
]
GROUPS = {
    "Authors": [
        ("posts", "post", "add_post"),
        ("posts", "post", "change_post"),
        ("posts", "category", "view_category"),
        ("projects", "project", "view_project"),
    ],
    "Registry maintainers": REGISTRY,
}
EDITORS = "Editors"
EDITORS_EXTRA = [("posts", "post", "publish_post")]


def permissions(apps, db_alias, triples):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.using(db_alias).get(
            content_type__app_label=app_label, content_type__model=model_name, codename=codename
        )
        for app_label, model_name, codename in triples
    ]


def create_groups(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    for app_label in ("posts", "projects"):
        app_config = apps.get_app_config(app_label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, using=db_alias, apps=apps)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    for name, triples in GROUPS.items():
        group, _ = Group.objects.using(db_alias).get_or_create(name=name)
        group.permissions.set(permissions(apps, db_alias, triples))
    editors, _ = Group.objects.using(db_alias).get_or_create(name=EDITORS)
    editors.permissions.add(*permissions(apps, db_alias, EDITORS_EXTRA))


def remove_groups(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    Group.objects.using(db_alias).filter(name__in=GROUPS).delete()
    editors = Group.objects.using(db_alias).filter(name=EDITORS).first()
    if editors is not None:
        editors.permissions.remove(*permissions(apps, db_alias, EDITORS_EXTRA))


class Migration(migrations.Migration):
    dependencies = [
        ("foundation", "0002_staff_exporters_importers"),
        ("posts", "0007_workflow"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
    ]
