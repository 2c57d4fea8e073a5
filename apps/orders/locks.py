"""The row locks and conditional updates that make checkout safe under concurrency.

Every checkout takes its locks in the same order — the cart, its variants by id, then the
voucher, then the order-number counter — so two checkouts can wait for each other but never
deadlock.
"""

from django.db.models import Case, F, IntegerField, Value, When

from apps.cart.models import Voucher
from apps.catalog.models import ProductVariant
from apps.orders.models import OrderNumberCounter


def take_stock(quantities: dict[int, int]) -> tuple[dict[int, int], bool]:
    """Take each variant's quantity from its stock, all or nothing, in two queries.

    The variant rows are locked in id order (`SELECT … FOR UPDATE`), so concurrent checkouts
    queue behind each other instead of deadlocking, and the stock read under the lock is the
    stock that is decremented. Returns the variants that are short (id → what is left, 0 for
    one no longer for sale) — nothing is taken then — and whether a variant sold out.
    """
    locked = {
        pk: (stock, is_active)
        for pk, stock, is_active in ProductVariant.objects.select_for_update()
        .filter(pk__in=list(quantities))
        .order_by("pk")
        .values_list("pk", "stock", "is_active")
    }
    short = {
        pk: (locked[pk][0] if pk in locked and locked[pk][1] else 0)
        for pk, quantity in quantities.items()
        if pk not in locked or not locked[pk][1] or locked[pk][0] < quantity
    }
    if short:
        return short, False
    ProductVariant.objects.filter(pk__in=list(quantities)).update(
        stock=F("stock") - _per_variant(quantities)
    )
    return {}, any(locked[pk][0] == quantity for pk, quantity in quantities.items())


def return_stock(quantities: dict[int, int]) -> None:
    """Put quantities back on their variants, locking them in id order first, like checkout.

    A plain multi-row UPDATE locks rows in whatever order the scan finds them, which can
    deadlock against a checkout locking the same variants in id order.
    """
    if quantities:
        ids = list(
            ProductVariant.objects.select_for_update()
            .filter(pk__in=list(quantities))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ProductVariant.objects.filter(pk__in=ids).update(
            stock=F("stock") + _per_variant(quantities)
        )


def _per_variant(quantities: dict[int, int]) -> Case:
    return Case(
        *[When(pk=pk, then=Value(quantity)) for pk, quantity in quantities.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def lock_voucher(voucher_id: int) -> Voucher | None:
    """Lock the voucher row until the transaction ends (its use is counted under this lock)."""
    return Voucher.objects.select_for_update().filter(pk=voucher_id).first()


def next_order_sequence(year: int) -> int:
    """Return the next order number of `year`; the counter row stays locked until commit.

    Taken last in a checkout, so the lock is held only for the few statements that follow.
    """
    OrderNumberCounter.objects.get_or_create(year=year)
    OrderNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
    return OrderNumberCounter.objects.values_list("last", flat=True).get(year=year)
