"""Staff who read orders (order managers, support) read their shipments, returns and the
lines of their refunds too."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Order managers", "Support")
PERMISSIONS = {
    "orders": ["view_shipment", "view_shipmentline", "view_returnrequest", "view_returnline"],
    "payments": ["view_refundline"],
}


def _permissions(apps):
    # On a fresh database the permissions of new models do not exist until post_migrate.
    Permission = apps.get_model("auth", "Permission")
    found = []
    for label, codenames in PERMISSIONS.items():
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
        found += Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
    return found


def grant(apps, schema_editor):
    permissions = _permissions(apps)
    for name in GROUPS:
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    permissions = _permissions(apps)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_read_invoices"),
        ("orders", "0004_refunds_and_returns"),
        ("payments", "0003_refund_lines"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
