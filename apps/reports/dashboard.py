"""The sales dashboard: a staff page of the admin site with charts, best sellers, low stock
and the orders that need attention. Every figure comes from a selector in one query.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.reports import selectors
from apps.reports.charts import Point, bar_chart

DASHBOARD_PERMISSION = "reports.view_dailysalesreport"
UNPAID_FOR = timedelta(hours=1)
DAYS, MONTHS, TOP, LISTED = 30, 12, 10, 20


def dashboard_context() -> dict[str, Any]:
    """Return what the dashboard shows, as of now (a fixed number of queries)."""
    now = timezone.now()
    today = now.date()
    daily = selectors.sales_by_period(
        start=today - timedelta(days=DAYS - 1), end=today, interval="day"
    )
    first_month = selectors.period_start(today, "month")
    for _ in range(MONTHS - 1):
        first_month = selectors.period_start(first_month - timedelta(days=1), "month")
    monthly = selectors.sales_by_period(start=first_month, end=today, interval="month")
    currency = settings.DEFAULT_CURRENCY

    def day_label(row: selectors.SalesRow) -> str:
        return row["period"].strftime("%d %b")

    def month_label(row: selectors.SalesRow) -> str:
        return row["period"].strftime("%b %Y")

    return {
        "currency": currency,
        "daily_totals": selectors.sales_totals(daily),
        "monthly_totals": selectors.sales_totals(monthly),
        "daily_revenue_chart": bar_chart(
            [Point(day_label(row), row["revenue"]) for row in daily],
            title=f"Revenue per day, last {DAYS} days ({currency})",
            unit=currency,
            label_every=5,
        ),
        "daily_orders_chart": bar_chart(
            [Point(day_label(row), row["orders"]) for row in daily],
            title=f"Orders per day, last {DAYS} days",
            unit="orders",
            label_every=5,
        ),
        "monthly_revenue_chart": bar_chart(
            [Point(month_label(row), row["revenue"]) for row in monthly],
            title=f"Revenue per month, last {MONTHS} months ({currency})",
            unit=currency,
            label_every=2,
        ),
        "monthly_orders_chart": bar_chart(
            [Point(month_label(row), row["orders"]) for row in monthly],
            title=f"Orders per month, last {MONTHS} months",
            unit="orders",
            label_every=2,
        ),
        "top_products": selectors.top_products(
            start=today - timedelta(days=DAYS - 1), end=today, limit=TOP
        ),
        "low_stock_threshold": settings.DASHBOARD_LOW_STOCK_THRESHOLD,
        "low_stock": selectors.low_stock_variants(
            threshold=settings.DASHBOARD_LOW_STOCK_THRESHOLD, limit=LISTED
        ),
        "fulfilment_days": settings.DASHBOARD_FULFILMENT_DAYS,
        "attention": selectors.orders_needing_attention(
            now=now,
            unpaid_for=UNPAID_FOR,
            unfulfilled_for=timedelta(days=settings.DASHBOARD_FULFILMENT_DAYS),
            limit=LISTED,
        ),
    }


def sales_dashboard(site: AdminSite) -> Callable[[HttpRequest], HttpResponse]:
    """Return the dashboard view of `site` (wrap it in `site.admin_view`)."""

    def view(request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(DASHBOARD_PERMISSION):
            raise PermissionDenied("Your staff role does not include the sales figures.")
        context = {
            **site.each_context(request),
            "title": "Sales dashboard",
            **dashboard_context(),
        }
        return TemplateResponse(request, "admin/reports/dashboard.html", context)

    return view
