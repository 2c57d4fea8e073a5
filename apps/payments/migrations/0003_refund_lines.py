"""Refunds name what they are for: order lines (refund lines), shipping, a return, their order."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_refund_orders(apps, schema_editor):
    Refund = apps.get_model("payments", "Refund")
    Payment = apps.get_model("payments", "Payment")
    Refund.objects.filter(order__isnull=True).update(
        order=models.Subquery(
            Payment.objects.filter(pk=models.OuterRef("payment_id")).values("order_id")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0004_refunds_and_returns'),
        ('payments', '0002_staff_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RefundLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField()),
                ('amount', models.DecimalField(decimal_places=2, max_digits=12)),
            ],
            options={
                'ordering': ['order_line_id'],
            },
        ),
        migrations.AddField(
            model_name='refund',
            name='order',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='orders.order'),
        ),
        migrations.AddField(
            model_name='refund',
            name='return_request',
            field=models.OneToOneField(blank=True, help_text='The return this refund gave the money back for.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='refund', to='orders.returnrequest'),
        ),
        migrations.AddField(
            model_name='refund',
            name='shipping_amount',
            field=models.DecimalField(db_default=0, decimal_places=2, default=0, max_digits=12),
        ),
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.CheckConstraint(condition=models.Q(('shipping_amount__gte', 0), ('shipping_amount__lte', models.F('amount'))), name='payments_refund_shipping_within_amount'),
        ),
        migrations.AddField(
            model_name='refundline',
            name='order_line',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='refund_lines', to='orders.orderline'),
        ),
        migrations.AddField(
            model_name='refundline',
            name='refund',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='payments.refund'),
        ),
        migrations.AddConstraint(
            model_name='refundline',
            constraint=models.UniqueConstraint(fields=('refund', 'order_line'), name='payments_refund_line_unique'),
        ),
        migrations.AddConstraint(
            model_name='refundline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='payments_refund_line_quantity_gt_0'),
        ),
        migrations.RunPython(fill_refund_orders, migrations.RunPython.noop),
    ]
