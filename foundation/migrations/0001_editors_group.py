"""The Editors group: may write posts and keep the registry, may not manage users.

Permissions are normally created after ``migrate`` finishes (post_migrate signal), so on
a fresh database they do not exist yet when this runs; ``create_permissions`` is called
for the two apps first. Running it again changes nothing; reversing it removes the group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Editors"
ACTIONS = ("add", "change", "delete", "view")
MODELS = {
    "posts": ("post", "category"),
    "projects": ("area", "donor", "project", "donation"),
}


def create_editors_group(apps, schema_editor):
    db_alias = schema_editor.connection.alias
    for app_label in MODELS:
        app_config = apps.get_app_config(app_label)
        models_module = getattr(app_config, "models_module", None)
        # create_permissions skips app configs without a models module, as the migration
        # state's stubs are; lend one for the call.
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, using=db_alias, apps=apps)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = []
    for app_label, model_names in MODELS.items():
        for model_name in model_names:
            for action in ACTIONS:
                permissions.append(
                    Permission.objects.using(db_alias).get(
                        content_type__app_label=app_label,
                        content_type__model=model_name,
                        codename=f"{action}_{model_name}",
                    )
                )
    group, _ = Group.objects.using(db_alias).get_or_create(name=GROUP_NAME)
    group.permissions.set(permissions)


def remove_editors_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("posts", "0001_initial"),
        ("projects", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_editors_group, remove_editors_group),
    ]
