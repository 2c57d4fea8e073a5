"""Keyset (seek) pagination over any ordering key, with the primary key as tie-breaker.

Unlike offset pagination, a page costs the same at any depth and stays correct while rows are
added; unlike DRF's cursor pagination it orders by computed keys (a price, a rating) with an
exact tie-breaker. Keys must be exact values (integers, strings, datetimes), never floats.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet

from apps.core.errors import DomainError

KeyType = Literal["int", "str", "datetime"]
M = TypeVar("M", bound=Model)


class InvalidCursor(DomainError):
    """A pagination cursor was not made by this endpoint (or was tampered with)."""

    code = "invalid_cursor"
    title = "Invalid cursor"
    status = 400


@dataclass(frozen=True)
class KeysetOrder:
    """Order rows by `key` (a field or annotation) then by primary key, in one direction."""

    key: str
    descending: bool
    key_type: KeyType

    @property
    def name(self) -> str:
        """The ordering as a query parameter spells it, e.g. `-price_key`."""
        return f"-{self.key}" if self.descending else self.key


@dataclass(frozen=True)
class Cursor:
    key: Any
    pk: str
    backwards: bool


@dataclass
class KeysetPage(Generic[M]):
    items: list[M]
    next_cursor: str | None
    previous_cursor: str | None


def _dump_key(value: Any, key_type: KeyType) -> Any:
    if value is None:
        raise ValueError("keyset keys must not be NULL; coalesce them in the query")
    return value.isoformat() if key_type == "datetime" else value


def _load_key(value: Any, key_type: KeyType) -> Any:
    if key_type == "datetime":
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("cursor times carry their time zone")
        return moment
    if key_type == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("int key expected")
        return value
    if not isinstance(value, str):
        raise TypeError("str key expected")
    return value


def encode_cursor(item: Model, order: KeysetOrder, *, backwards: bool) -> str:
    """Return an opaque cursor pointing just after (or, backwards, just before) `item`."""
    payload = {
        "k": _dump_key(getattr(item, order.key), order.key_type),
        "p": str(item.pk),
        "b": backwards,
        "o": order.name,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, order: KeysetOrder, *, model: type[Model] | None = None) -> Cursor:
    """Parse a cursor made by `encode_cursor` for this ordering, or raise InvalidCursor.

    With `model`, the cursor's primary key must also be a valid one for that model.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        if payload["o"] != order.name:
            raise ValueError("cursor of another ordering")
        pk = str(payload["p"])
        if model is not None:
            pk = str(model._meta.pk.to_python(pk))
        return Cursor(
            key=_load_key(payload["k"], order.key_type),
            pk=pk,
            backwards=bool(payload["b"]),
        )
    except (
        ValueError,
        TypeError,
        KeyError,
        binascii.Error,
        json.JSONDecodeError,
        DjangoValidationError,
    ) as exc:
        raise InvalidCursor(
            "The cursor is invalid or belongs to another ordering; start from the first page.",
            errors={"cursor": ["Invalid cursor."]},
        ) from exc


def _seek(order: KeysetOrder, cursor: Cursor, *, forward: bool) -> Q:
    """Match rows strictly after (forward) or before the cursor position in `order`."""
    after = forward != order.descending  # moving towards larger keys?
    op = "gt" if after else "lt"
    bound = "gte" if after else "lte"
    # The plain range on the key lets an index on it start at the cursor; the OR is exact.
    return Q(**{f"{order.key}__{bound}": cursor.key}) & (
        Q(**{f"{order.key}__{op}": cursor.key})
        | Q(**{order.key: cursor.key, f"pk__{op}": cursor.pk})
    )


def _order_by(order: KeysetOrder, *, reverse: bool) -> Sequence[str]:
    descending = order.descending != reverse
    sign = "-" if descending else ""
    return (f"{sign}{order.key}", f"{sign}pk")


def paginate_keyset(
    queryset: QuerySet[M], *, order: KeysetOrder, cursor: str | None, page_size: int
) -> KeysetPage[M]:
    """Return one page of `queryset` in `order`, starting at `cursor` (None: the first page)."""
    position = decode_cursor(cursor, order, model=queryset.model) if cursor else None
    backwards = bool(position and position.backwards)
    rows = queryset
    if position is not None:
        rows = rows.filter(_seek(order, position, forward=not backwards))
    items = list(rows.order_by(*_order_by(order, reverse=backwards))[: page_size + 1])
    has_more = len(items) > page_size
    items = items[:page_size]
    if backwards:
        items.reverse()

    more_ahead = (has_more and not backwards) or (backwards and position is not None)
    more_behind = (has_more and backwards) or (not backwards and position is not None)
    return KeysetPage(
        items=items,
        next_cursor=encode_cursor(items[-1], order, backwards=False)
        if items and more_ahead
        else None,
        previous_cursor=encode_cursor(items[0], order, backwards=True)
        if items and more_behind
        else None,
    )
