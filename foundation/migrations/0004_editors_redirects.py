"""The Editors manage redirects (issue 4): add, change, delete and view ``posts.Redirect``.

As in 0001, ``create_permissions`` runs first: on a fresh database the new model's
permissions do not exist yet. Reversing takes the permissions away again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
PERMISSIONS = [("posts", "redirect", f"{action}_redirect")
               for action in ("add", "change", "delete", "view")]


def permissions(apps, db_alias):
    app_config = apps.get_app_config("posts")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, verbosity=0, using=db_alias, apps=apps)
    finally:
        app_config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.using(db_alias).get(
            content_type__app_label=app_label, content_type__model=model, codename=codename
        )
        for app_label, model, codename in PERMISSIONS
    ]


def grant(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    editors, _ = Group.objects.using(db_alias).get_or_create(name=EDITORS)
    editors.permissions.add(*permissions(apps, db_alias))


def revoke(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    editors = Group.objects.using(db_alias).filter(name=EDITORS).first()
    if editors is not None:
        editors.permissions.remove(*permissions(apps, db_alias))


class Migration(migrations.Migration):
    dependencies = [
        ("foundation", "0003_workflow_groups"),
        ("posts", "0009_redirects"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
