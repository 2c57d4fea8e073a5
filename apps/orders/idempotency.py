"""Idempotency keys: a retried request gets the first answer instead of a second effect.

The key row is inserted in the same transaction as the work it guards. A concurrent request
with the same key blocks on the unique index until the first commits, then replays its
answer; if the first fails, nothing of it (key included) is kept and the retry runs afresh.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import DomainError, IdempotencyConflict
from apps.orders.models import IdempotencyKey

MAX_KEY_LENGTH = 255


class InvalidIdempotencyKey(DomainError):
    code = "invalid_idempotency_key"
    title = "Invalid Idempotency-Key header"


def fingerprint(body: Any) -> str:
    """Return a stable hash of a parsed request body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_idempotent(
    *,
    scope: str,
    key: str | None,
    body: Any,
    action: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any]]:
    """Run `action` once per (scope, key); return its (status, body), replayed on retries.

    Without a key the action simply runs.

    Raises:
        InvalidIdempotencyKey: the key is empty or too long.
        IdempotencyConflict: the key was used with a different request body.
    """
    if key is None:
        return action()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} characters long.")
    request_hash = fingerprint(body)
    now = timezone.now()
    with transaction.atomic():
        IdempotencyKey.objects.filter(scope=scope, key=key, expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    scope=scope,
                    key=key,
                    fingerprint=request_hash,
                    expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS),
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.get(scope=scope, key=key)
            if existing.fingerprint != request_hash:
                raise IdempotencyConflict(
                    "This Idempotency-Key was already used with a different request; "
                    "use a new key for a new request.",
                ) from None
            if existing.status_code is None or existing.response is None:  # pragma: no cover
                raise IdempotencyConflict(
                    "A request with this key is still being processed."
                ) from None
            return existing.status_code, existing.response
        status, response = action()
        record.status_code, record.response = status, response
        record.save(update_fields=["status_code", "response"])
    return status, response
