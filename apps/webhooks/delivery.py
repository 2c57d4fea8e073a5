"""Send one delivery over HTTP: sign it, POST it, record the attempt, schedule the retry.

At least once: a delivery is claimed before its request (so two workers never send it at
the same time), and marked done after the answer; a worker that dies in between leaves a claim
that goes stale, and the delivery is sent again. Receivers deduplicate on the event id.
"""

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.payments.gateways.signing import sign
from apps.webhooks.models import (
    DeliveryStatus,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps.webhooks.services import claimable
from apps.webhooks.urls_check import refused_address

logger = logging.getLogger(__name__)

USER_AGENT = "Emporium-Webhooks/1"
SNIPPET_CHARS = 500
ERROR_CHARS = 500


@dataclass(frozen=True)
class Answer:
    """How the endpoint answered one request (status None: no HTTP answer at all)."""

    status_code: int | None
    error: str
    snippet: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after the `attempts`-th failed attempt: doubling from the base, capped."""
    base: int = settings.WEBHOOK_RETRY_BASE_SECONDS
    cap: int = settings.WEBHOOK_RETRY_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def event_body(event: OutboxEvent) -> bytes:
    """Return the JSON body every delivery of `event` carries (the same bytes each time)."""
    created = event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    envelope = {"id": str(event.pk), "type": event.type, "created_at": created, "data": event.data}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(
    delivery: WebhookDelivery, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """Return the request headers: ids, timestamp, and the signature of timestamp and body."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Emporium-Event-Id": str(delivery.event_id),
        "Emporium-Event-Type": delivery.event.type,
        "Emporium-Delivery-Id": str(delivery.pk),
        "Emporium-Timestamp": str(timestamp),
        "Emporium-Signature": sign(body, secret=delivery.endpoint.secret, timestamp=timestamp),
    }


def _post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    refused = refused_address(url)
    if refused:
        return Answer(status_code=None, error=refused[:ERROR_CHARS], snippet="", duration_ms=0)
    try:
        # Never follow redirects: the endpoint is the URL staff registered, nothing else.
        with requests.post(
            url,
            data=body,
            headers=headers,
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        ) as response:
            raw = response.raw.read(SNIPPET_CHARS, decode_content=True) or b""
            snippet = raw.decode(response.encoding or "utf-8", errors="replace")
            error = "" if response.ok and response.status_code < 300 else _status_error(response)
            return Answer(response.status_code, error, snippet[:SNIPPET_CHARS], took())
    except requests.RequestException as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS], "", took())


def _status_error(response: requests.Response) -> str:
    if response.is_redirect:
        where = response.headers.get("Location", "")
        return f"HTTP {response.status_code}: redirects are not followed ({where})"[:ERROR_CHARS]
    return f"HTTP {response.status_code} {response.reason or ''}".strip()[:ERROR_CHARS]


def _claim(delivery_id: UUID | str, claim: str) -> WebhookDelivery | None:
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(claimable(now, claim), pk=delivery_id).update(
        claimed_at=now, claimed_by=claim
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint", "event").get(pk=delivery_id)


def send_delivery(*, delivery_id: UUID | str, claim: str) -> WebhookDelivery | None:
    """Send a due delivery once, as the holder of `claim` (the task's id); record the outcome.

    Returns the delivery as it is after the attempt, or None when it is not due, already sent,
    its endpoint is disabled, or another live task is sending it.
    """
    delivery = _claim(delivery_id, claim)
    if delivery is None:
        return None
    started_at = timezone.now()
    body = event_body(delivery.event)
    answer = _post(delivery.endpoint.url, body, signed_headers(delivery, body))
    record_attempt(delivery=delivery, answer=answer, started_at=started_at)
    log = logger.info if answer.succeeded else logger.warning
    log(
        "Webhook %s of event %s to %s: %s",
        delivery.pk,
        delivery.event_id,
        delivery.endpoint.url,
        answer.status_code or answer.error,
    )
    return delivery


def record_attempt(*, delivery: WebhookDelivery, answer: Answer, started_at: datetime) -> None:
    """Log the attempt, settle or reschedule the delivery, and count the endpoint's failures."""
    delivery.attempts += 1
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error
    delivery.claimed_at, delivery.claimed_by = None, ""
    if answer.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started_at,
            duration_ms=answer.duration_ms,
            succeeded=answer.succeeded,
            status_code=answer.status_code,
            error=answer.error,
            response_snippet=answer.snippet,
        )
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_error",
                "claimed_at",
                "claimed_by",
                "status",
                "delivered_at",
                "next_attempt_at",
                "updated_at",
            ]
        )
        if answer.succeeded:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).exclude(
                consecutive_failures=0
            ).update(consecutive_failures=0)
        else:
            _count_failure(delivery.endpoint_id)


def _count_failure(endpoint_id: Any) -> None:
    """Count a failed attempt; the WEBHOOK_DISABLE_AFTER_FAILURES-th in a row disables it."""
    limit: int = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    disabled = (
        WebhookEndpoint.objects.filter(
            pk=endpoint_id, is_active=True, consecutive_failures__gte=limit
        ).update(
            is_active=False,
            disabled_at=timezone.now(),
            disabled_reason=f"Disabled after {limit} failed attempts in a row.",
            updated_at=timezone.now(),
        )
        if limit > 0
        else 0
    )
    if disabled:
        logger.warning(
            "Webhook endpoint %s disabled after %s failures in a row", endpoint_id, limit
        )
