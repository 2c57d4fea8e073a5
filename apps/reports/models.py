"""Stored reports: one row of sales figures per day, built and e-mailed by a daily task."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from apps.core.models import money_field


class DailySalesReport(models.Model):
    """One day's sales (UTC), with its best-selling products; rebuilt in place if run again."""

    day = models.DateField(unique=True)
    orders = models.PositiveIntegerField(default=0)
    revenue = money_field(default=0)
    average_order_value = money_field(default=0)
    refunds = money_field(default=0)
    top_products = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Claimed by a conditional update before the e-mail is sent, released if sending fails:
    # the staff get each report once however often it is rebuilt or its task redelivered.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"Sales of {self.day.isoformat()}"
