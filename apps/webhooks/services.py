"""Webhook writes: publishing events into the outbox, endpoints, fan-out and replay.

`publish_event` runs inside the caller's transaction: the event row commits or rolls back with
the change it reports, and its fan-out is enqueued only once that transaction has committed.
The HTTP side (sending one delivery, backoff, disabling an endpoint) is in `delivery.py`.
"""

import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.errors import NotFound
from apps.webhooks.errors import EndpointExists, EndpointInactive, InvalidEndpoint
from apps.webhooks.models import (
    DeliveryStatus,
    EventType,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps.webhooks.urls_check import check_url

SECRET_PREFIX = "whsec_"  # noqa: S105  (a label, not a secret)
# An event its on-commit fan-out has not handled after this long is fanned out by the sweep.
DISPATCH_GRACE = timedelta(minutes=1)
# A claim older than this belongs to a worker that died mid-request (tasks end well before).
CLAIM_STALE_AFTER = timedelta(minutes=3)
ENDPOINT_FIELDS = ("url", "description", "event_types", "is_active")


# --- Publishing ----------------------------------------------------------------------------


def publish_events(*, events: Sequence[tuple[str, dict[str, Any]]]) -> list[OutboxEvent]:
    """Write (type, data) events into the outbox in one INSERT; fan them out after commit.

    Call it inside the transaction of the change the events report: rolled back, it leaves
    no event and nothing is sent.
    """
    unknown = {kind for kind, _ in events} - set(EventType.values)
    if unknown:
        raise ValueError(f"Unknown webhook event types: {', '.join(sorted(unknown))}")
    if not events:
        return []
    rows = OutboxEvent.objects.bulk_create(
        [OutboxEvent(type=kind, data=data) for kind, data in events]
    )
    ids = [str(row.pk) for row in rows]
    transaction.on_commit(lambda: _enqueue_dispatch(ids), robust=True)
    return rows


def publish_event(*, type: str, data: dict[str, Any]) -> OutboxEvent:
    """Write one event into the outbox, in the caller's transaction; fan it out after commit."""
    return publish_events(events=[(type, data)])[0]


def _enqueue_dispatch(event_ids: list[str]) -> None:
    from apps.webhooks import tasks

    tasks.dispatch_events.delay(event_ids)


def _enqueue_sends(delivery_ids: Iterable[UUID]) -> None:
    from apps.webhooks import tasks

    for delivery_id in delivery_ids:
        tasks.send_delivery.delay(str(delivery_id))


def dispatch_events(*, event_ids: Sequence[UUID | str]) -> list[UUID]:
    """Make one delivery per (event, active endpoint subscribed to its type); return their ids.

    Idempotent: deliveries that exist are kept (unique per endpoint and event), events already
    fanned out are not fanned out again. The sends of the events' pending deliveries are
    enqueued on commit, also when a redelivered task finds them made already (its worker died
    before enqueuing them).
    """
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True).filter(
                pk__in=list(event_ids), dispatched_at__isnull=True
            )
        )
        if events:
            # Few endpoints, so they are matched here rather than with a JSON lookup.
            endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
            deliveries = [
                WebhookDelivery(endpoint=endpoint, event=event)
                for event in events
                for endpoint in endpoints
                if event.type in endpoint.event_types
            ]
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(
                dispatched_at=timezone.now()
            )
        ids = list(
            WebhookDelivery.objects.filter(
                event_id__in=list(event_ids), status=DeliveryStatus.PENDING, attempts=0
            ).values_list("pk", flat=True)
        )
        if ids:
            transaction.on_commit(lambda: _enqueue_sends(ids), robust=True)
    return ids


def claimable(now: Any, claim: str | None = None) -> Q:
    """Match deliveries due now that no live task is sending (`claim`: or this very task)."""
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER)
    if claim:
        free |= Q(claimed_by=claim)  # the same task, redelivered after its worker died
    # No join on the endpoint: the claim is an UPDATE whose conditions must all be on the
    # delivery row itself, so that of two concurrent claims PostgreSQL lets only one through.
    active = WebhookEndpoint.objects.filter(is_active=True).values("pk")
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__in=active) & free


def find_lost_work(*, limit: int = 500) -> tuple[list[UUID], list[UUID]]:
    """Return events never fanned out and deliveries due but not being sent: (events, deliveries).

    What the on-commit enqueue missed (the broker was down, a worker died) and retries whose
    time has come.
    """
    now = timezone.now()
    events = list(
        OutboxEvent.objects.filter(
            dispatched_at__isnull=True, created_at__lt=now - DISPATCH_GRACE
        ).values_list("pk", flat=True)[:limit]
    )
    # A first attempt is the on-commit enqueue's to make; the sweep takes it only if late.
    retry_or_late = Q(attempts__gt=0) | Q(next_attempt_at__lt=now - DISPATCH_GRACE)
    deliveries = list(
        WebhookDelivery.objects.filter(claimable(now), retry_or_late)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return events, deliveries


def purge_events(*, older_than: timedelta) -> int:
    """Delete events (with their deliveries and attempts) older than `older_than`; return how
    many events went."""
    ids = list(
        OutboxEvent.objects.filter(created_at__lt=timezone.now() - older_than).values_list(
            "pk", flat=True
        )[:5000]
    )
    if not ids:
        return 0
    _, by_model = OutboxEvent.objects.filter(pk__in=ids).delete()
    return by_model.get(OutboxEvent._meta.label, 0)


# --- Endpoints -----------------------------------------------------------------------------


def generate_secret() -> str:
    """Return a new signing secret (shown to staff, who give it to the receiver)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _clean_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [kind for kind in chosen if kind not in EventType.values]
    if unknown:
        raise InvalidEndpoint(
            f"Unknown event types: {', '.join(unknown)}. "
            f"Choose from: {', '.join(EventType.values)}.",
            errors={"event_types": [f"{kind!r} is not an event type." for kind in unknown]},
        )
    if not chosen:
        raise InvalidEndpoint(
            "Subscribe the endpoint to at least one event type.",
            errors={"event_types": ["Choose at least one event type."]},
        )
    return chosen


def clean_endpoint(
    *, url: str, event_types: Iterable[str], exclude_pk: UUID | None = None
) -> tuple[str, list[str]]:
    """Return the normalized URL and event types, or raise what is wrong with them.

    Raises:
        InvalidEndpoint: the URL is not acceptable (see `urls_check`) or an event type is
            unknown, or there is none.
        EndpointExists: another endpoint has the URL.
    """
    normalized, problems = check_url(url)
    if problems:
        raise InvalidEndpoint(" ".join(problems), errors={"url": problems})
    types = _clean_event_types(event_types)
    taken = WebhookEndpoint.objects.filter(url=normalized)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise EndpointExists(
            f"An endpoint for {normalized} exists already; change that one instead.",
            errors={"url": ["An endpoint with this URL exists."]},
        )
    return normalized, types


def save_endpoint(*, endpoint: WebhookEndpoint, changed: Iterable[str] = ENDPOINT_FIELDS) -> None:
    """Validate and save a new or changed endpoint (the API and the admin both come here).

    A new endpoint gets a secret; one switched back on starts with a clean failure count.

    Raises:
        InvalidEndpoint, EndpointExists: as `clean_endpoint`.
    """
    adding = endpoint._state.adding
    endpoint.url, endpoint.event_types = clean_endpoint(
        url=endpoint.url,
        event_types=endpoint.event_types,
        exclude_pk=None if adding else endpoint.pk,
    )
    fields = set(changed) & set(ENDPOINT_FIELDS)
    if adding and not endpoint.secret:
        endpoint.secret = generate_secret()
    if "is_active" in fields and endpoint.is_active:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        fields |= {"consecutive_failures", "disabled_at", "disabled_reason"}
    try:
        with transaction.atomic():
            if adding:
                endpoint.save(force_insert=True)
            elif fields:
                endpoint.save(update_fields=[*sorted(fields), "updated_at"])
    except IntegrityError as exc:  # the same URL saved concurrently
        raise EndpointExists(
            f"An endpoint for {endpoint.url} exists already.",
            errors={"url": ["An endpoint with this URL exists."]},
        ) from exc


def create_endpoint(
    *, url: str, event_types: Sequence[str], description: str = "", is_active: bool = True
) -> WebhookEndpoint:
    """Register an endpoint with a new secret.

    Raises:
        InvalidEndpoint, EndpointExists: as `clean_endpoint`.
    """
    endpoint = WebhookEndpoint(
        url=url, event_types=list(event_types), description=description, is_active=is_active
    )
    save_endpoint(endpoint=endpoint)
    return endpoint


def update_endpoint(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change an endpoint's url, description, event_types or is_active.

    Switching it back on (`is_active=True`) resets its failure count.

    Raises:
        InvalidEndpoint, EndpointExists: as `clean_endpoint`.
    """
    unknown = set(changes) - set(ENDPOINT_FIELDS)
    if unknown:
        raise TypeError(f"update_endpoint() got unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(endpoint, name, list(value) if name == "event_types" else value)
    save_endpoint(endpoint=endpoint, changed=changes)
    return endpoint


def rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Give the endpoint a new secret; requests from now on are signed with it only."""
    endpoint.secret = generate_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its deliveries and their attempts."""
    endpoint.delete()


# --- Replay --------------------------------------------------------------------------------


def replay_delivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, now, with the same event (and delivery) id.

    It gets a fresh set of attempts; its earlier attempts stay in the log.

    Raises:
        EndpointInactive: the endpoint is disabled; switch it back on first.
        NotFound: the delivery was deleted meanwhile.
    """
    with transaction.atomic():
        locked = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery.pk)
            .first()
        )
        if locked is None:
            raise NotFound("No such delivery.")
        if not locked.endpoint.is_active:
            raise EndpointInactive(
                f"The endpoint {locked.endpoint.url} is disabled; switch it back on first."
            )
        locked.status = DeliveryStatus.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        transaction.on_commit(lambda: _enqueue_sends([locked.pk]), robust=True)
    return locked


def replay_deliveries(*, deliveries: Iterable[WebhookDelivery]) -> tuple[int, int]:
    """Replay each delivery whose endpoint is active; return (replayed, skipped)."""
    replayed = skipped = 0
    for delivery in deliveries:
        try:
            replay_delivery(delivery=delivery)
        except (EndpointInactive, NotFound):
            skipped += 1
        else:
            replayed += 1
    return replayed, skipped
