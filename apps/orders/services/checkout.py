"""Turn a cart into an order, in one transaction that never oversells."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.cart.fetch import CartInfo, cart_totals, fetch_cart_info
from apps.cart.models import Cart, CartLine, ShippingMethod, Voucher, VoucherUsage
from apps.cart.pricing import LineTotals, Totals
from apps.cart.services import check_voucher
from apps.catalog.cache import bump_catalog_version_on_commit
from apps.core import metrics
from apps.core.errors import OutOfStock
from apps.core.transactions import joined_atomic
from apps.orders import locks, tasks
from apps.orders.errors import CheckoutInvalid, EmptyCart
from apps.orders.models import Order, OrderEmail, OrderEvent, OrderLine, OrderStatus
from apps.orders.selectors import with_related
from apps.users.models import User
from apps.webhooks import events as webhook_events


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    phone: str = ""


def _check_lines(info: CartInfo) -> None:
    if not info.lines:
        raise EmptyCart("There is nothing in the cart to order.")
    unavailable = [line for line in info.lines if not line.available]
    if unavailable:
        names = ", ".join(f"{line.product_name} ({line.sku})" for line in unavailable)
        raise CheckoutInvalid(
            f"No longer for sale: {names}. Remove them from the cart to order the rest.",
            errors={"lines": [f"{line.sku} is no longer for sale." for line in unavailable]},
        )


def _check_shipping(info: CartInfo) -> None:
    if info.shipping is None and ShippingMethod.objects.filter(is_active=True).exists():
        raise CheckoutInvalid(
            "Choose a shipping method first.",
            errors={"shipping_method": ["Choose a shipping method."]},
        )


def _out_of_stock(short: dict[int, int], info: CartInfo) -> OutOfStock:
    wanted = {line.variant_id: line for line in info.lines}
    details = [
        f"{wanted[pk].product_name} ({wanted[pk].sku}): {left} available, "
        f"{wanted[pk].quantity} wanted"
        for pk, left in short.items()
    ]
    return OutOfStock(
        "Not enough stock: " + "; ".join(details) + ".",
        errors={"lines": [f"{wanted[pk].sku}: {left} available." for pk, left in short.items()]},
    )


def _lock_voucher(
    info: CartInfo, totals: Totals, *, user: User | None, email: str
) -> Voucher | None:
    """Lock the cart's voucher and check that this order may use it (nothing is written)."""
    if info.voucher is None:
        return None
    voucher = locks.lock_voucher(info.voucher.id)
    if voucher is None:
        raise CheckoutInvalid("The voucher code on the cart no longer exists; remove it.")
    check_voucher(voucher=voucher, user=user, email=email)
    if totals.voucher_problem:
        raise CheckoutInvalid(totals.voucher_problem, errors={"voucher": [totals.voucher_problem]})
    return voucher


def _order_line(order: Order, priced: LineTotals) -> OrderLine:
    line = priced.line
    return OrderLine(
        order=order,
        variant_id=line.variant_id,
        product_id=line.product_id,
        sku=line.sku,
        product_name=line.product_name,
        variant_name=line.variant_name,
        options=line.options,
        quantity=line.quantity,
        unit_list_price=line.unit_list_price,
        discount_percent=line.discount_percent,
        unit_price=priced.unit_price,
    )


def place_order(
    *,
    user: User | None,
    email: str,
    address: ShippingAddress,
    cart: Cart | None = None,
    cart_token: str | None = None,
) -> Order:
    """Turn a cart into a pending order, take its stock and empty the cart, all or nothing.

    The cart is `cart`, else the customer's own: the user's, or the guest cart of
    `cart_token`. Runs in the caller's transaction when there is one (every refusal is raised
    before the first write, so it needs no savepoint), else in its own. The order comes
    back with its lines and events loaded, and the "order received" e-mail is enqueued once
    it is committed.

    Raises:
        EmptyCart: no cart, or nothing in it to order.
        CheckoutInvalid: an item is no longer for sale, no shipping method was chosen, or the
            voucher no longer applies.
        OutOfStock: a line wants more than is left (the answer names each such line).
        InvalidVoucher: the voucher is used up, expired, or used up by this customer.
    """
    with joined_atomic():
        # One checkout per cart at a time: a double click waits here, then finds it empty.
        locked = locks.lock_cart(cart_id=cart.pk if cart else None, user=user, token=cart_token)
        if locked is None:
            raise EmptyCart("There is nothing in the cart to order.")
        info = fetch_cart_info(locked, lines=locks.lock_cart_lines(locked))
        _check_lines(info)
        _check_shipping(info)

        short = locks.short_of_stock(info.lines)
        if short:
            metrics.CHECKOUT_OUT_OF_STOCK.inc()
            raise _out_of_stock(short, info)
        totals = cart_totals(info)
        voucher = _lock_voucher(info, totals, user=user, email=email)

        # Every check has passed: from here on, only writes.
        sold_out = locks.take_stock(info.lines)
        if voucher is not None:
            voucher.used_count += 1
            voucher.save(update_fields=["used_count", "updated_at"])

        now = timezone.now()
        sequence = locks.next_order_sequence(now.year)
        order = Order.objects.create(
            number=f"EMP-{now.year}-{sequence:06d}",
            user=user,
            email=email,
            status=OrderStatus.PENDING,
            currency=totals.currency,
            subtotal=totals.subtotal,
            discount_total=totals.discount_total,
            voucher_discount=totals.voucher_discount,
            shipping_total=totals.shipping_total,
            tax_total=totals.tax_total,
            total=totals.total,
            prices_include_tax=totals.prices_include_tax,
            tax_rate=totals.tax_rate,
            voucher_id=info.voucher.id if info.voucher else None,
            voucher_code=info.voucher.code if info.voucher else "",
            shipping_method_id=info.shipping.id if info.shipping else None,
            shipping_method_name=info.shipping.name if info.shipping else "",
            shipping_name=address.name,
            shipping_line1=address.line1,
            shipping_line2=address.line2,
            shipping_city=address.city,
            shipping_postal_code=address.postal_code,
            shipping_country=address.country.upper(),
            shipping_phone=address.phone,
        )
        lines = OrderLine.objects.bulk_create(
            [_order_line(order, priced) for priced in totals.lines]
        )
        event = OrderEvent.objects.create(
            order=order, actor=user, from_status="", to_status=OrderStatus.PENDING, note="Placed."
        )
        if voucher is not None:
            VoucherUsage.objects.create(voucher=voucher, order=order, user=user, email=email)
        CartLine.objects.filter(cart=locked).delete()
        if locked.voucher_id is not None:
            locked.voucher = None
            locked.save(update_fields=["voucher", "updated_at"])

        webhook_events.publish_order_placed(order=order, lines=lines, stock=info.lines)
        if sold_out:
            bump_catalog_version_on_commit()  # availability on product cards changed
        transaction.on_commit(
            lambda: tasks.send_order_email.delay(str(order.pk), OrderEmail.Kind.RECEIVED),
            robust=True,
        )
        transaction.on_commit(metrics.ORDERS_PLACED.inc)
    return with_related(order, lines=lines, events=[event])
