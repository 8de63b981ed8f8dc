"""The Staff exporters and Staff importers groups.

Exporting takes every post out of the CMS, drafts included, and importing can overwrite
posts by slug, so both are kept apart from the Editors group:

- Staff exporters: view posts, categories and the registry, and export posts.
- Staff importers: import posts, and add or change the posts and categories an import
  writes.

As in 0001, ``create_permissions`` runs first because on a fresh database the permissions
(including posts' own ``export_post`` / ``import_post``) do not exist yet. Running it again
changes nothing; reversing it removes the two groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "Staff exporters": [
        ("posts", "post", "view_post"),
        ("posts", "post", "export_post"),
        ("posts", "category", "view_category"),
        ("projects", "project", "view_project"),
        ("projects", "donor", "view_donor"),
        ("projects", "area", "view_area"),
        ("projects", "donation", "view_donation"),
    ],
    "Staff importers": [
        ("posts", "post", "import_post"),
        ("posts", "post", "view_post"),
        ("posts", "post", "add_post"),
        ("posts", "post", "change_post"),
        ("posts", "category", "view_category"),
        ("posts", "category", "add_category"),
        ("posts", "category", "change_category"),
    ],
}


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
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        permissions = [
            Permission.objects.using(db_alias).get(
                content_type__app_label=app_label,
                content_type__model=model_name,
                codename=codename,
            )
            for app_label, model_name, codename in codenames
        ]
        group, _ = Group.objects.using(db_alias).get_or_create(name=name)
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("foundation", "0001_editors_group"),
        ("posts", "0002_export_import_permissions"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
    ]
