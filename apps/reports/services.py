"""Daily sales reports: build (or rebuild) one day's report and e-mail it to staff once."""

import logging
from datetime import date
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from apps.reports import selectors
from apps.reports.exports import rows_to_csv
from apps.reports.models import DailySalesReport
from apps.users.models import User

logger = logging.getLogger(__name__)

# How many products a daily report lists (and its CSV attachment holds).
DAILY_TOP_PRODUCTS = 10
TOP_PRODUCT_FIELDS = ("product_id", "product_name", "units", "revenue")


def build_daily_report(*, day: date) -> DailySalesReport:
    """Compute `day`'s sales (UTC) into its report row and e-mail it to staff once.

    Idempotent per day: running it again recomputes the figures into the same row (the day is
    unique), and the e-mail goes out only if it has not already (see `email_daily_report`),
    after the row is committed.
    """
    sales = selectors.sales_by_period(start=day, end=day, interval="day")[0]
    top = [
        {**row, "product_id": _str_or_none(row["product_id"]), "revenue": str(row["revenue"])}
        for row in selectors.top_products(start=day, end=day, limit=DAILY_TOP_PRODUCTS)
    ]
    with transaction.atomic():
        report, created = DailySalesReport.objects.update_or_create(
            day=day,
            defaults={
                "orders": sales["orders"],
                "revenue": sales["revenue"],
                "average_order_value": sales["average_order_value"],
                "refunds": sales["refunds"],
                "top_products": top,
            },
        )
        transaction.on_commit(partial(email_daily_report, report_id=report.pk))
    logger.info(
        "Daily sales report for %s %s: %d orders, %s revenue",
        day.isoformat(),
        "built" if created else "rebuilt",
        report.orders,
        report.revenue,
    )
    return report


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def report_csv(report: DailySalesReport) -> str:
    """Return the report's top products as CSV text (header row first)."""
    return rows_to_csv(report.top_products, TOP_PRODUCT_FIELDS)


def report_text(report: DailySalesReport) -> str:
    """Return the plain-text summary e-mailed to staff."""
    lines = [
        f"Sales of {report.day.isoformat()} (UTC)",
        "",
        f"Orders (paid or fulfilled): {report.orders}",
        f"Revenue: {report.revenue} {settings.DEFAULT_CURRENCY}",
        f"Average order value: {report.average_order_value} {settings.DEFAULT_CURRENCY}",
        f"Refunded orders' total: {report.refunds} {settings.DEFAULT_CURRENCY}",
        "",
        "Top products:",
    ]
    lines += [
        f"  {index}. {row['product_name']}: {row['units']} units, {row['revenue']}"
        for index, row in enumerate(report.top_products, start=1)
    ] or ["  (no sales)"]
    lines += ["", "The attached CSV lists the top products."]
    return "\n".join(lines) + "\n"


def email_daily_report(*, report_id: int) -> bool:
    """E-mail the report to every active staff member, once; return False if already sent.

    A conditional update claims the send, so a second build or a redelivered task finds it
    taken; a failed send releases the claim and re-raises (the task retries it). Without any
    staff to write to, nothing is claimed.
    """
    recipients = list(
        User.objects.filter(is_active=True, is_staff=True)
        .order_by("email")
        .values_list("email", flat=True)
    )
    if not recipients:
        logger.warning("No active staff to e-mail daily sales report %s to", report_id)
        return False
    claimed = DailySalesReport.objects.filter(pk=report_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        logger.info("Daily sales report %s already e-mailed; skipping", report_id)
        return False
    try:
        report = DailySalesReport.objects.get(pk=report_id)
        message = EmailMessage(
            subject=f"Emporium sales of {report.day.isoformat()}",
            body=report_text(report),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
        )
        message.attach(f"top-products-{report.day.isoformat()}.csv", report_csv(report), "text/csv")
        message.send()
    except Exception:
        DailySalesReport.objects.filter(pk=report_id).update(emailed_at=None)
        raise
    logger.info("Daily sales report %s e-mailed to %d staff", report_id, len(recipients))
    return True
