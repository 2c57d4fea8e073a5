"""Catalog managers also manage product types, attributes, attribute values and images."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Catalog managers"
MODELS = (
    "producttype",
    "producttypeattribute",
    "attribute",
    "attributevalue",
    "attributeassignment",
    "productimage",
)
PERMISSIONS = [
    f"{action}_{model}" for model in MODELS for action in ("add", "change", "delete", "view")
]


def _permissions(apps):
    # On a fresh database the permissions of new models do not exist until post_migrate.
    catalog = apps.get_app_config("catalog")
    catalog.models_module = True
    create_permissions(catalog, apps=apps, verbosity=0)
    catalog.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="catalog", codename__in=PERMISSIONS)


def grant(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_staff_groups"),
        ("catalog", "0003_product_types_attributes_images_associations"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
