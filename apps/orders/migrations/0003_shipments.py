"""Shipments: parcels of an order and what each carries; lines count what has shipped.

Orders fulfilled before shipments existed get one shipment of everything, described by the
note staff gave when fulfilling them, so their lines and parcels agree with their status.
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def ship_fulfilled_orders(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    Shipment = apps.get_model("orders", "Shipment")
    ShipmentLine = apps.get_model("orders", "ShipmentLine")
    for order in Order.objects.filter(status="fulfilled").iterator():
        event = OrderEvent.objects.filter(order=order, to_status="fulfilled").last()
        shipment = Shipment.objects.create(
            order=order, number=1, note=(event.note if event else "")[:500]
        )
        if event is not None:  # auto_now_add set the time of the migration
            Shipment.objects.filter(pk=shipment.pk).update(created_at=event.created_at)
        lines = list(OrderLine.objects.filter(order=order))
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, order_line=line, quantity=line.quantity)
            for line in lines
        )
        OrderLine.objects.filter(order=order).update(shipped_quantity=models.F("quantity"))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_listing_read_model"),
        ("orders", "0002_staff_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Shipment",
            fields=[
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "number",
                    models.PositiveSmallIntegerField(
                        help_text="1 for the order's first shipment, …"
                    ),
                ),
                ("carrier", models.CharField(blank=True, max_length=64)),
                ("tracking_number", models.CharField(blank=True, max_length=64)),
                ("tracking_url", models.URLField(blank=True, max_length=500)),
                ("note", models.CharField(blank=True, max_length=500)),
            ],
            options={
                "ordering": ["order", "number"],
            },
        ),
        migrations.CreateModel(
            name="ShipmentLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("quantity", models.PositiveIntegerField()),
            ],
            options={
                "ordering": ["order_line_id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="orderemail",
            name="orders_email_once_per_kind",
        ),
        migrations.AddField(
            model_name="orderline",
            name="shipped_quantity",
            field=models.PositiveIntegerField(
                db_default=0, default=0, help_text="How many of the quantity shipments carried."
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending payment"),
                    ("paid", "Paid"),
                    ("partially_fulfilled", "Partially shipped"),
                    ("fulfilled", "Fulfilled"),
                    ("cancelled", "Cancelled"),
                    ("refunded", "Refunded"),
                ],
                default="pending",
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="orderevent",
            name="from_status",
            field=models.CharField(blank=True, max_length=24),
        ),
        migrations.AlterField(
            model_name="orderevent",
            name="to_status",
            field=models.CharField(max_length=24),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(("shipped_quantity__lte", models.F("quantity"))),
                name="orders_line_shipped_lte_quantity",
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="shipments",
                to="orders.order",
            ),
        ),
        migrations.AddField(
            model_name="orderemail",
            name="shipment",
            field=models.ForeignKey(
                blank=True,
                help_text="The shipment a shipping e-mail is about (one e-mail per shipment).",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="emails",
                to="orders.shipment",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderemail",
            constraint=models.UniqueConstraint(
                condition=models.Q(("shipment__isnull", True)),
                fields=("order", "kind"),
                name="orders_email_once_per_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderemail",
            constraint=models.UniqueConstraint(
                condition=models.Q(("shipment__isnull", False)),
                fields=("shipment",),
                name="orders_email_once_per_shipment",
            ),
        ),
        migrations.AddField(
            model_name="shipmentline",
            name="order_line",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="shipment_lines",
                to="orders.orderline",
            ),
        ),
        migrations.AddField(
            model_name="shipmentline",
            name="shipment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="orders.shipment",
            ),
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(fields=["tracking_number"], name="orders_shipment_tracking_idx"),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.UniqueConstraint(
                fields=("order", "number"), name="orders_shipment_number_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="shipmentline",
            constraint=models.UniqueConstraint(
                fields=("shipment", "order_line"), name="orders_shipment_line_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="shipmentline",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)), name="orders_shipment_line_quantity_gt_0"
            ),
        ),
        migrations.RunPython(ship_fulfilled_orders, migrations.RunPython.noop),
    ]
