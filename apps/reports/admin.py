"""Admin: daily sales reports, read-only (the task builds them)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.reports.models import DailySalesReport


@admin.register(DailySalesReport)
class DailySalesReportAdmin(admin.ModelAdmin[DailySalesReport]):
    list_display = ["day", "orders", "revenue", "average_order_value", "refunds", "emailed_at"]
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
