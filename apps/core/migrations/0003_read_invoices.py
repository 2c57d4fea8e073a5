"""Whoever reads orders (Order managers, Support) also reads their invoices and credit notes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Order managers", "Support")
PERMISSIONS = ["view_invoice", "view_creditnote"]


def _permissions(apps):
    # On a fresh database the permissions of new models do not exist until post_migrate.
    invoices = apps.get_app_config("invoices")
    invoices.models_module = True
    create_permissions(invoices, apps=apps, verbosity=0)
    invoices.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="invoices", codename__in=PERMISSIONS)


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
        ("invoices", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
