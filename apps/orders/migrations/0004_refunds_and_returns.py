"""Order lines count refunded and returned units; returns (RMAs) and the lines they take back."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0005_listing_read_model'),
        ('orders', '0003_shipments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReturnLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField()),
            ],
            options={
                'ordering': ['order_line_id'],
            },
        ),
        migrations.CreateModel(
            name='ReturnRequest',
            fields=[
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('number', models.PositiveSmallIntegerField(help_text="1 for the order's first return, …")),
                ('status', models.CharField(choices=[('requested', 'Requested'), ('approved', 'Approved: send it back'), ('rejected', 'Rejected'), ('received', 'Received'), ('refunded', 'Refunded')], default='requested', max_length=16)),
                ('reason', models.CharField(choices=[('damaged', 'Arrived damaged'), ('defective', 'Does not work'), ('wrong_item', 'Not what I ordered'), ('not_as_described', 'Not as described'), ('no_longer_needed', 'No longer needed'), ('other', 'Another reason')], max_length=24)),
                ('comment', models.CharField(blank=True, max_length=1000)),
                ('staff_note', models.CharField(blank=True, max_length=500)),
                ('restocked', models.BooleanField(default=False)),
            ],
            options={
                'ordering': ['order', 'number'],
            },
        ),
        migrations.AddField(
            model_name='orderline',
            name='refunded_quantity',
            field=models.PositiveIntegerField(db_default=0, default=0, help_text='How many of the quantity were refunded.'),
        ),
        migrations.AddField(
            model_name='orderline',
            name='returned_quantity',
            field=models.PositiveIntegerField(db_default=0, default=0, help_text='How many of the shipped quantity returns (not rejected) take back.'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('refunded_quantity__lte', models.F('quantity'))), name='orders_line_refunded_lte_quantity'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('returned_quantity__lte', models.F('shipped_quantity'))), name='orders_line_returned_lte_shipped'),
        ),
        migrations.AddField(
            model_name='returnline',
            name='order_line',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='return_lines', to='orders.orderline'),
        ),
        migrations.AddField(
            model_name='returnrequest',
            name='order',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='returns', to='orders.order'),
        ),
        migrations.AddField(
            model_name='returnrequest',
            name='requested_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='returnline',
            name='return_request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='orders.returnrequest'),
        ),
        migrations.AddIndex(
            model_name='returnrequest',
            index=models.Index(condition=models.Q(('status__in', ['requested', 'approved', 'received'])), fields=['created_at'], name='orders_return_open_idx'),
        ),
        migrations.AddConstraint(
            model_name='returnrequest',
            constraint=models.UniqueConstraint(fields=('order', 'number'), name='orders_return_number_unique'),
        ),
        migrations.AddConstraint(
            model_name='returnline',
            constraint=models.UniqueConstraint(fields=('return_request', 'order_line'), name='orders_return_line_unique'),
        ),
        migrations.AddConstraint(
            model_name='returnline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gt', 0)), name='orders_return_line_quantity_gt_0'),
        ),
    ]
