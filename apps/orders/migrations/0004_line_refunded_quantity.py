"""Order lines count how many of their units were refunded."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_listing_read_model'),
        ('orders', '0003_shipments'),
    ]

    operations = [
        migrations.AddField(
            model_name='orderline',
            name='refunded_quantity',
            field=models.PositiveIntegerField(db_default=0, default=0, help_text='How many of the quantity were refunded.'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('refunded_quantity__lte', models.F('quantity'))), name='orders_line_refunded_lte_quantity'),
        ),
    ]
