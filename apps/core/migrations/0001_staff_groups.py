"""Create the staff role groups (Catalog managers, Order managers, Support) with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen copy of apps.core.permissions.ROLES as it was when the groups were made; later
# changes to a role come with a migration of their own.
ROLES = {
    'Catalog managers': [
        'catalog.add_category',
        'catalog.change_category',
        'catalog.delete_category',
        'catalog.view_category',
        'catalog.add_tag',
        'catalog.change_tag',
        'catalog.delete_tag',
        'catalog.view_tag',
        'catalog.add_product',
        'catalog.change_product',
        'catalog.delete_product',
        'catalog.view_product',
        'catalog.add_productvariant',
        'catalog.change_productvariant',
        'catalog.delete_productvariant',
        'catalog.view_productvariant',
        'catalog.add_discount',
        'catalog.change_discount',
        'catalog.delete_discount',
        'catalog.view_discount',
        'catalog.add_review',
        'catalog.change_review',
        'catalog.delete_review',
        'catalog.view_review',
        'cart.add_voucher',
        'cart.change_voucher',
        'cart.delete_voucher',
        'cart.view_voucher',
        'cart.add_shippingmethod',
        'cart.change_shippingmethod',
        'cart.delete_shippingmethod',
        'cart.view_shippingmethod',
    ],
    'Order managers': [
        'orders.view_order',
        'orders.view_orderline',
        'orders.view_orderevent',
        'payments.view_payment',
        'payments.view_refund',
        'users.view_user',
        'orders.fulfil_order',
        'orders.cancel_order',
        'payments.refund_payment',
        'reports.view_dailysalesreport',
    ],
    'Support': [
        'orders.view_order',
        'orders.view_orderline',
        'orders.view_orderevent',
        'payments.view_payment',
        'payments.view_refund',
        'users.view_user',
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate (post_migrate); on a fresh database
    # they do not exist yet, so create them now for the apps the roles name.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("users", "0001_initial"),
        ("catalog", "0002_product_search_vector_postgres"),
        ("cart", "0002_initial"),
        ("orders", "0002_staff_permissions"),
        ("payments", "0002_staff_permissions"),
        ("reports", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
