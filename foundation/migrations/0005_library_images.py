"""The media library (issue 4): the Editors add, change, delete and view ``posts.Image``;
Authors may add images to the library and browse it.

As in 0001, ``create_permissions`` runs first: on a fresh database the new model's
permissions do not exist yet. Reversing takes the permissions away again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Editors"
AUTHORS = "Authors"
PERMISSIONS = {
    EDITORS: [
        ("posts", model, f"{action}_{model}")
        for model in ("image",)
        for action in ("add", "change", "delete", "view")
    ],
    AUTHORS: [("posts", "image", "add_image"), ("posts", "image", "view_image")],
}


def permissions(apps, db_alias, triples):
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
        for app_label, model, codename in triples
    ]


def grant(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    for name, triples in PERMISSIONS.items():
        group, _ = Group.objects.using(db_alias).get_or_create(name=name)
        group.permissions.add(*permissions(apps, db_alias, triples))


def revoke(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    for name, triples in PERMISSIONS.items():
        group = Group.objects.using(db_alias).filter(name=name).first()
        if group is not None:
            group.permissions.remove(*permissions(apps, db_alias, triples))


class Migration(migrations.Migration):
    dependencies = [
        ("foundation", "0004_editors_redirects"),
        ("posts", "0011_media_library"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
    ]
