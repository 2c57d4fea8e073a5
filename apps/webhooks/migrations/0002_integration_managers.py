"""Create the Integration managers role: webhook endpoints, the delivery log and replays."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Integration managers"
# Frozen copy of the role in apps.core.permissions.ROLES as it was when the group was made.
PERMISSIONS = [
    "add_webhookendpoint",
    "change_webhookendpoint",
    "delete_webhookendpoint",
    "view_webhookendpoint",
    "view_webhookdelivery",
    "view_webhookattempt",
    "view_outboxevent",
    "replay_webhookdelivery",
]


def _permissions(apps):
    # On a fresh database the permissions of new models do not exist until post_migrate.
    webhooks = apps.get_app_config("webhooks")
    webhooks.models_module = True
    create_permissions(webhooks, apps=apps, verbosity=0)
    webhooks.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="webhooks", codename__in=PERMISSIONS)


def create_group(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.set(_permissions(apps))


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
