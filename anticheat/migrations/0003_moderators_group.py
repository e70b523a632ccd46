"""The "Moderators" group: role ``admin`` and what the admin asks to ban and settle flags.

Permissions are normally created after all migrations (post_migrate), so on a fresh
database they do not exist yet here: they are created first for the apps concerned.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("anticheat", "moderate"),         # role admin: the moderation API
    ("accounts", "view_user"),
    ("accounts", "change_user"),       # the admin's ban / unban actions on players
    ("anticheat", "view_flag"),
    ("anticheat", "change_flag"),      # approve / void in the admin
    ("anticheat", "view_auditentry"),
    ("leaderboard", "view_scorehistory"),
]


def create_group(apps, schema_editor):
    for label in {app for app, _ in PERMISSIONS}:
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # create_permissions skips apps without models
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.using(schema_editor.connection.alias).get(
                content_type__app_label=app_label, codename=codename
            )
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("anticheat", "0002_moderate_permission"),
        ("accounts", "0003_token_revocation"),
        ("leaderboard", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
