"""Background jobs for reports: the daily sales report."""

import logging
from datetime import UTC, date, timedelta

from celery import shared_task
from django.utils import timezone

from apps.core.tasks import RETRY_OPTIONS

logger = logging.getLogger(__name__)


@shared_task(name="reports.daily_sales_report", **RETRY_OPTIONS)
def daily_sales_report(day: str | None = None) -> str:
    """Build and e-mail the sales report of `day` (ISO date), by default yesterday in UTC.

    Safe to run again or redeliver: the report is rebuilt in place and e-mailed once. Returns
    the day reported on.
    """
    from apps.reports.services import build_daily_report

    target = (
        date.fromisoformat(day)
        if day
        else timezone.now().astimezone(UTC).date() - timedelta(days=1)
    )
    build_daily_report(day=target)
    return target.isoformat()
