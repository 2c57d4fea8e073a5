"""The row locks and conditional updates that make checkout safe under concurrency.

Every checkout takes its locks in the same order — the cart, its variants by id, the voucher,
the products whose variants sold out (by id), then the order-number counter — so two
checkouts can wait for each other but never deadlock.
"""

from collections import Counter
from collections.abc import Sequence
from uuid import UUID

from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When

from apps.cart.models import Cart, CartLine, Voucher
from apps.cart.pricing import LineInfo
from apps.cart.querysets import cart_lines
from apps.catalog.listing import adjust_stocked_variants
from apps.catalog.models import ProductVariant
from apps.orders.models import OrderNumberCounter
from apps.users.models import User


def lock_cart(
    *, cart_id: UUID | None = None, user: User | None = None, token: str | None = None
) -> Cart | None:
    """Lock and return a cart, by id, else the user's, else the guest cart of `token`.

    With its voucher and shipping method: the one read of the cart a checkout makes. Lines
    are written only under this lock, so the lines read after it are the ones ordered.
    """
    carts = Cart.objects.select_for_update(of=("self",)).select_related(
        "voucher", "shipping_method"
    )
    if cart_id is not None:
        return carts.filter(pk=cart_id).first()
    if user is not None:
        return carts.filter(user=user).first()
    return carts.filter(token=token, user__isnull=True).first() if token else None


def lock_cart_lines(cart: Cart) -> list[CartLine]:
    """Return the cart's lines with their variants locked in id order, in the cart's order.

    The stock each variant carries is read under its lock: the stock `take_stock` decrements.
    """
    lines = list(cart_lines(cart).select_for_update(of=("variant",)).order_by("variant_id"))
    return sorted(lines, key=lambda line: (line.created_at, line.pk))


def short_of_stock(lines: Sequence[LineInfo]) -> dict[int, int]:
    """Return the variants that have less than their line wants: id → what is left.

    The lines come from `lock_cart_lines`, so their stock is what is left under the lock.
    """
    return {line.variant_id: line.stock for line in lines if line.stock < line.quantity}


def take_stock(lines: Sequence[LineInfo]) -> bool:
    """Take each line's quantity from its variant's stock in one UPDATE; True if one sold out.

    For lines of `lock_cart_lines` that `short_of_stock` passed: the variants are locked, so
    the stock is still what was read (the `stock >= 0` constraint backs this). A product whose
    variant sold out has its count of variants in stock lowered (two statements more).
    """
    quantities = {line.variant_id: line.quantity for line in lines}
    ProductVariant.objects.filter(pk__in=list(quantities)).update(
        stock=F("stock") - _per_variant(quantities)
    )
    sold_out = Counter(line.product_id for line in lines if line.stock == line.quantity)
    adjust_stocked_variants({pk: -n for pk, n in sold_out.items()})
    return bool(sold_out)


def return_stock(quantities: dict[int, int]) -> None:
    """Put quantities back on their variants, locking them in id order first, like checkout.

    A product whose variant comes back in stock has its count of variants in stock raised.

    A plain multi-row UPDATE locks rows in whatever order the scan finds them, which can
    deadlock against a checkout locking the same variants in id order.
    """
    if quantities:
        locked = list(
            ProductVariant.objects.select_for_update()
            .filter(pk__in=list(quantities))
            .order_by("pk")
            .values_list("pk", "stock", "is_active", "product_id")
        )
        ProductVariant.objects.filter(pk__in=[row[0] for row in locked]).update(
            stock=F("stock") + _per_variant(quantities)
        )
        back = Counter(
            product_id
            for pk, stock, is_active, product_id in locked
            if is_active and stock <= 0 < quantities[pk]
        )
        adjust_stocked_variants(back)


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

    One upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) starts the year's counter or
    increments it. Taken last in a checkout, so the lock is held only for the few statements
    that follow.
    """
    quote = connection.ops.quote_name
    table, last = quote(OrderNumberCounter._meta.db_table), quote("last")
    sql = (
        f"INSERT INTO {table} ({quote('year')}, {last}) VALUES (%s, 1) "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({quote('year')}) DO UPDATE SET {last} = {table}.{last} + 1 "
        f"RETURNING {last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [year])
        row = cursor.fetchone()
    return int(row[0])
