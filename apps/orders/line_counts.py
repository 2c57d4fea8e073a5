"""Counts kept on order lines (how many shipped, refunded, returned), checked and raised safely.

A parcel, a refund or a return names lines and quantities; `add_up` checks and totals them
per line, and `raise_counts` adds them to a line counter in one conditional UPDATE that never
takes a line past its limit (the ordered quantity; for returns, the shipped one); a check
constraint backs each counter.
"""

from collections.abc import Iterable, Mapping

from django.db.models import Case, F, PositiveIntegerField, Q, Value, When

from apps.core.errors import DomainError
from apps.orders.models import Order, OrderLine


def add_up(
    lines: Mapping[int, OrderLine],
    items: Iterable[tuple[int, int]],
    *,
    error: type[DomainError],
    field: str,
    verb: str,
) -> dict[int, int]:
    """Return line id → total quantity of `items` ((line id, quantity) pairs), in id order.

    Raises:
        error: an item names a line not in `lines`, or a quantity below 1 (reported on
            `field`, with `verb` saying what is done to the line: "ship", "refund").
    """
    wanted: dict[int, int] = {}
    for line_id, quantity in items:
        if line_id not in lines:
            raise error(
                f"The order has no line {line_id}.",
                errors={field: [f"No line {line_id} in this order."]},
            )
        if quantity < 1:
            raise error(
                f"Each line {verb}s a quantity of at least 1.",
                errors={field: [f"Line {line_id}: {verb} at least 1."]},
            )
        wanted[line_id] = wanted.get(line_id, 0) + quantity
    return dict(sorted(wanted.items()))


def over_limit(
    lines: Mapping[int, OrderLine], wanted: Mapping[int, int], *, left: str, verb: str
) -> list[str]:
    """Return a message per line asked for more than its `left` attribute allows."""
    return [
        f"Line {pk} ({lines[pk].sku}): {getattr(lines[pk], left)} left to {verb}, not {n}."
        for pk, n in wanted.items()
        if n > getattr(lines[pk], left)
    ]


def raise_counts(
    order: Order, counts: Mapping[int, int], *, counter: str, limit: str = "quantity"
) -> bool:
    """Add `counts` (line id → quantity) to each line's `counter` where that leaves it at most
    the line's `limit` field; return whether every line was raised (else none should be kept).
    """
    enough_left = Q()
    raise_by = []
    for line_id, quantity in counts.items():
        amount = Value(quantity, output_field=PositiveIntegerField())
        enough_left |= Q(pk=line_id, **{f"{counter}__lte": F(limit) - amount})
        raise_by.append(When(pk=line_id, then=F(counter) + amount))
    updated = OrderLine.objects.filter(enough_left, order=order).update(
        **{counter: Case(*raise_by, default=F(counter), output_field=PositiveIntegerField())}
    )
    return updated == len(counts)
