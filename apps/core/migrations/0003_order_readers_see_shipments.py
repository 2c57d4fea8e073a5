"""Order managers and support staff, who read orders, read their shipments too."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Order managers", "Support")
PERMISSIONS = ["view_shipment", "view_shipmentline"]


def _permissions(apps):
    # On a fresh database the permissions of new models do not exist until post_migrate.
    orders = apps.get_app_config("orders")
    orders.models_module = True
    create_permissions(orders, apps=apps, verbosity=0)
    orders.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="orders", codename__in=PERMISSIONS)


def grant(apps, schema_editor):
    permissions = list(_permissions(apps))
    for name in GROUPS:
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    permissions = list(_permissions(apps))
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_catalog_managers_attributes_images"),
        ("orders", "0003_shipments"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
