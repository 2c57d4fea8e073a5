"""Idempotency keys: a retried request gets the first answer instead of a second effect.

The key row is written in the same transaction as the work it guards, by one upsert that
also takes over a key past its lifetime. A concurrent request with the same key blocks on
the unique index until the first commits, then replays its answer; if the first fails,
nothing of it (key included) is kept and the retry runs afresh.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.errors import DomainError, IdempotencyConflict
from apps.orders.models import IdempotencyKey

MAX_KEY_LENGTH = 255

Outcome = tuple[int, dict[str, Any]]


class InvalidIdempotencyKey(DomainError):
    code = "invalid_idempotency_key"
    title = "Invalid Idempotency-Key header"


class _KeyTaken(Exception):
    """The key is live and belongs to an earlier request: undo this one and replay that."""


def fingerprint(body: Any) -> str:
    """Return a stable hash of a parsed request body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_idempotent(
    *,
    scope: str,
    key: str | None,
    body: Any,
    action: Callable[[], Outcome],
    record_after: bool = False,
) -> Outcome:
    """Run `action` once per (scope, key); return its (status, body), replayed on retries.

    Without a key the action simply runs. By default the key is claimed before the action
    runs, so a concurrent twin waits and the action never runs twice. With `record_after`,
    for an action whose every effect is in this transaction, the key is written once with
    the answer, after the action: one statement instead of two. A twin then runs too, finds
    the key taken when it writes it, and is rolled back before it replays the first answer;
    if the action refuses instead (the twin's first run emptied the cart, say), the first
    answer is replayed too.

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
    try:
        with transaction.atomic():
            if record_after:
                outcome = action()
                if not _write_key(scope=scope, key=key, request_hash=request_hash, outcome=outcome):
                    raise _KeyTaken
                return outcome
            if not _write_key(scope=scope, key=key, request_hash=request_hash, outcome=None):
                raise _KeyTaken
            outcome = action()
            IdempotencyKey.objects.filter(scope=scope, key=key).update(
                status_code=outcome[0], response=outcome[1]
            )
            return outcome
    except _KeyTaken:
        replay = _replay(scope=scope, key=key, request_hash=request_hash)
        if replay is None:  # pragma: no cover - the key was live a moment ago
            raise IdempotencyConflict("A request with this key is still being processed.") from None
        return replay
    except DomainError:
        replay = _replay(scope=scope, key=key, request_hash=request_hash) if record_after else None
        if replay is None:
            raise
        return replay


def _write_key(*, scope: str, key: str, request_hash: str, outcome: Outcome | None) -> bool:
    """Insert the key, or take over its row if it has expired; False if it is live.

    One `INSERT … ON CONFLICT DO UPDATE … WHERE expired`: it waits for a concurrent insert of
    the same key to commit or roll back, and returns a row only where this request owns the key.
    """
    now = timezone.now()
    record = IdempotencyKey(
        scope=scope,
        key=key,
        fingerprint=request_hash,
        status_code=outcome[0] if outcome else None,
        response=outcome[1] if outcome else None,
        created_at=now,
        expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS),
    )
    fields = [f for f in IdempotencyKey._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = quote(IdempotencyKey._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    updates = ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in fields)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({quote('scope')}, {quote('key')}) DO UPDATE SET {updates} "
        f"WHERE {table}.{quote('expires_at')} <= %s RETURNING 1"
    )
    params = [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _db_time(now)])
        return cursor.fetchone() is not None


def _db_time(value: datetime) -> Any:
    return IdempotencyKey._meta.get_field("expires_at").get_db_prep_value(value, connection)


def _replay(*, scope: str, key: str, request_hash: str) -> Outcome | None:
    """Return the stored answer of a live key, or None if there is none yet.

    Raises:
        IdempotencyConflict: the key was used with a different request body.
    """
    existing = (
        IdempotencyKey.objects.filter(scope=scope, key=key, expires_at__gt=timezone.now())
        .exclude(status_code=None)
        .first()
    )
    if existing is None or existing.response is None or existing.status_code is None:
        return None
    if existing.fingerprint != request_hash:
        raise IdempotencyConflict(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request.",
        )
    return existing.status_code, existing.response
