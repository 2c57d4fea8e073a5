"""Every write to a cart: lines, voucher, shipping method, merging on sign-in, purging.

Quantities are checked against stock here for a clear answer early; checkout checks again
under row locks, which is what guarantees no overselling.
"""

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from apps.cart.errors import (
    CartFull,
    CartLineNotFound,
    InvalidQuantity,
    InvalidVoucher,
    ProductUnavailable,
    ShippingMethodUnavailable,
    VariantNotFound,
)
from apps.cart.models import Cart, CartLine, ShippingMethod, Voucher, VoucherUsage
from apps.cart.querysets import cart_lines_and_variant
from apps.catalog.models import ProductVariant
from apps.catalog.selectors import visible_category_ids
from apps.core.errors import OutOfStock
from apps.core.models import remember_related
from apps.core.transactions import joined_atomic
from apps.users.models import User


def _lock(cart: Cart) -> None:
    """Lock the cart row until the transaction ends: concurrent writes to it take turns."""
    Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk", flat=True).first()


def _touch(cart: Cart) -> None:
    """Mark the cart as used now (stale carts are purged by their last use)."""
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def _check_quantity(quantity: int) -> None:
    limit = settings.CART_MAX_QUANTITY
    if not 1 <= quantity <= limit:
        raise InvalidQuantity(
            f"Quantity must be between 1 and {limit}.",
            errors={"quantity": [f"Must be between 1 and {limit}."]},
        )


def _check_sellable(variant: ProductVariant) -> None:
    product = variant.product
    if not (
        variant.is_active and product.is_active and product.category_id in visible_category_ids()
    ):
        raise ProductUnavailable(f"{product.name} ({variant.sku}) is not for sale.")


def _sellable_variant(*, variant_id: int) -> ProductVariant:
    variant = ProductVariant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None:
        raise VariantNotFound(f"No product variant {variant_id}.")
    _check_sellable(variant)
    return variant


def _check_stock(variant: ProductVariant, quantity: int) -> None:
    if quantity > variant.stock:
        raise OutOfStock(
            f"Only {variant.stock} of {variant.product.name} ({variant.sku}) available.",
            errors={"quantity": [f"{variant.stock} available."]},
        )


# --- Finding and merging carts --------------------------------------------------------------


def get_cart(*, user_id: UUID | None, token: str | None, lock: bool = False) -> Cart | None:
    """Return the caller's cart without creating one; a signed-in user's absorbs `token`'s.

    A signed-in customer's cart comes with its user (`cart.user`), and only while that user is
    active: the one query that finds the cart also confirms who it belongs to. A customer who
    sends the token of a cart filled while signed out gets that cart merged into theirs (the
    anonymous cart is then gone). With `lock`, the cart's row stays locked until the
    transaction ends, so the writes to one cart take turns.
    """
    carts = Cart.objects.select_related("voucher", "shipping_method")
    if lock:
        carts = carts.select_for_update(of=("self",))
    anonymous = carts.filter(token=token, user__isnull=True).first() if token else None
    if user_id is None:
        return anonymous
    cart = carts.select_related("user").filter(user_id=user_id, user__is_active=True).first()
    if anonymous is not None:
        if cart is None and not User.objects.filter(pk=user_id, is_active=True).exists():
            return None  # no active customer to give it to; the caller refuses the token
        cart = merge_carts(source=anonymous, user_id=user_id, target=cart)
    return cart


def create_cart(*, user_id: UUID | None) -> Cart:
    """Create an empty cart (the user's, or an anonymous one), or return the user's if it exists.

    Inside a transaction the new row is the caller's alone until it commits, as a locked one is.
    """
    try:
        with transaction.atomic():
            return Cart.objects.create(user_id=user_id)
    except IntegrityError:  # a concurrent request made the user's cart
        if user_id is None:
            raise
        carts = Cart.objects.select_related("voucher", "shipping_method")
        if connection.in_atomic_block:
            carts = carts.select_for_update(of=("self",))
        return carts.get(user_id=user_id)


def get_or_create_cart(*, user_id: UUID | None, token: str | None, lock: bool = False) -> Cart:
    """Return the caller's cart, creating an empty one if there is none."""
    return get_cart(user_id=user_id, token=token, lock=lock) or create_cart(user_id=user_id)


@transaction.atomic
def merge_carts(*, source: Cart, user_id: UUID, target: Cart | None) -> Cart:
    """Move an anonymous cart's lines into the user's cart, summing quantities up to the stock.

    Without a target the anonymous cart simply becomes the user's.
    """
    if target is None:
        source.user_id = user_id
        source.save(update_fields=["user", "updated_at"])
        return source
    existing = {line.variant_id: line for line in target.lines.select_related("variant")}
    room = settings.CART_MAX_LINES - len(existing)
    for line in source.lines.select_related("variant"):
        cap = min(line.variant.stock, settings.CART_MAX_QUANTITY)
        if line.variant_id in existing:
            merged = existing[line.variant_id]
            merged.quantity = max(1, min(merged.quantity + line.quantity, cap))
            merged.save(update_fields=["quantity", "updated_at"])
        elif cap > 0 and room > 0:  # a full cart takes no new line, as add_to_cart refuses
            CartLine.objects.create(
                cart=target, variant_id=line.variant_id, quantity=min(line.quantity, cap)
            )
            room -= 1
    if target.voucher_id is None and source.voucher_id is not None:
        target.voucher_id = source.voucher_id
    if target.shipping_method_id is None and source.shipping_method_id is not None:
        target.shipping_method_id = source.shipping_method_id
    target.save(update_fields=["voucher", "shipping_method", "updated_at"])
    source.delete()
    return Cart.objects.select_related("user", "voucher", "shipping_method").get(pk=target.pk)


# --- Lines ----------------------------------------------------------------------------------


def add_to_cart(
    *,
    cart: Cart,
    quantity: int,
    sku: str | None = None,
    variant_id: int | None = None,
    locked: bool = False,
) -> CartLine:
    """Add a quantity of a variant (by SKU or id), on top of what the cart already holds.

    Runs in the caller's transaction when there is one (no savepoint: every refusal is raised
    before the first write), else in its own. Two queries: the cart's lines with their variants
    and products together with the variant added, then the line's write; the lines are left on
    `cart` for its answer. A third, first, locks the cart, unless the caller says with `locked`
    that it loaded the cart locked in this transaction (`get_cart(lock=True)`) or created it
    there. The cart's last use is its newest line's (`purge_stale_carts`), so it isn't written.

    Raises:
        InvalidQuantity: not between 1 and CART_MAX_QUANTITY (in all, for the line).
        VariantNotFound: no such variant.
        ProductUnavailable: the product or variant is not for sale.
        OutOfStock: more than the stock in all.
        CartFull: the cart already has CART_MAX_LINES lines.
    """
    _check_quantity(quantity)
    with joined_atomic():
        # Under the cart's lock two adds of the same variant take turns, and the second reads
        # the lines the first wrote.
        if not locked:
            _lock(cart)
        wanted = Q(sku=sku) if sku is not None else Q(pk=variant_id)
        lines, variant = cart_lines_and_variant(cart, wanted)
        if variant is None:
            raise VariantNotFound(f"No product variant {sku or variant_id}.")
        _check_sellable(variant)
        line = next((x for x in lines if x.variant_id == variant.pk), None)
        total = quantity + (line.quantity if line else 0)
        _check_quantity(total)
        _check_stock(variant, total)
        if line is None:
            if len(lines) >= settings.CART_MAX_LINES:
                raise CartFull(f"A cart holds at most {settings.CART_MAX_LINES} different items.")
            line = CartLine.objects.create(cart=cart, variant=variant, quantity=total)
            lines.append(line)
        else:
            line.quantity = total
            line.save(update_fields=["quantity", "updated_at"])
    remember_related(cart, "lines", lines)  # the cart's answer needs no second read
    return line


def _own_line(cart: Cart, line_id: int) -> CartLine:
    line = CartLine.objects.filter(cart=cart, pk=line_id).select_related("variant__product").first()
    if line is None:
        raise CartLineNotFound(f"No line {line_id} in this cart.")
    return line


@transaction.atomic
def update_cart_line(*, cart: Cart, line_id: int, quantity: int, locked: bool = False) -> CartLine:
    """Set a line's quantity (`locked` as for `add_to_cart`).

    Raises:
        CartLineNotFound: the line is not in this cart.
        InvalidQuantity, ProductUnavailable, OutOfStock: as for `add_to_cart`.
    """
    _check_quantity(quantity)
    if not locked:
        _lock(cart)
    line = _own_line(cart, line_id)
    variant = _sellable_variant(variant_id=line.variant_id)
    _check_stock(variant, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])  # the cart's last use, too
    return line


def remove_cart_line(*, cart: Cart, line_id: int) -> None:
    """Remove a line from the cart.

    Raises:
        CartLineNotFound: the line is not in this cart.
    """
    _own_line(cart, line_id).delete()
    _touch(cart)


def clear_cart(*, cart: Cart) -> None:
    """Remove every line and the voucher (the shipping choice stays)."""
    with transaction.atomic():
        cart.lines.all().delete()
        cart.voucher = None
        cart.save(update_fields=["voucher", "updated_at"])


# --- Voucher and shipping -------------------------------------------------------------------


def find_voucher(code: str) -> Voucher | None:
    return (
        Voucher.objects.alias(code_lower=Lower("code"))
        .filter(code_lower=code.strip().lower())
        .first()
    )


def check_voucher(
    *, voucher: Voucher, user: User | None, email: str | None, at: datetime | None = None
) -> None:
    """Check that a voucher may be used now by this customer (the minimum is checked by pricing).

    Raises:
        InvalidVoucher: inactive, outside its window, used up, or used up by this customer.
    """
    at = at or timezone.now()
    if not voucher.is_active or (voucher.starts_at and at < voucher.starts_at):
        raise InvalidVoucher(f"The code {voucher.code} is not valid.")
    if voucher.ends_at and at >= voucher.ends_at:
        raise InvalidVoucher(f"The code {voucher.code} has expired.")
    if voucher.usage_limit is not None and voucher.used_count >= voucher.usage_limit:
        raise InvalidVoucher(f"The code {voucher.code} has been used up.")
    if voucher.per_customer_limit is not None and (user is not None or email):
        who = Q(user=user) if user is not None else Q()
        if email:
            who |= Q(email__iexact=email)
        used = VoucherUsage.objects.filter(Q(voucher=voucher) & who).count()
        if used >= voucher.per_customer_limit:
            raise InvalidVoucher(f"You have already used the code {voucher.code}.")


def apply_voucher(*, cart: Cart, code: str, user: User | None) -> Voucher:
    """Put a voucher code on the cart.

    Raises:
        InvalidVoucher: unknown, or not usable now by this customer.
    """
    voucher = find_voucher(code)
    if voucher is None:
        raise InvalidVoucher(
            f"There is no voucher code {code.strip()!r}.", errors={"code": ["Unknown code."]}
        )
    check_voucher(voucher=voucher, user=user, email=user.email if user else None)
    cart.voucher = voucher
    cart.save(update_fields=["voucher", "updated_at"])
    return voucher


def remove_voucher(*, cart: Cart) -> None:
    cart.voucher = None
    cart.save(update_fields=["voucher", "updated_at"])


def set_shipping_method(*, cart: Cart, shipping_method_id: int) -> ShippingMethod:
    """Choose how the cart is shipped.

    Raises:
        ShippingMethodUnavailable: no active method with this id.
    """
    method = ShippingMethod.objects.filter(pk=shipping_method_id, is_active=True).first()
    if method is None:
        raise ShippingMethodUnavailable(
            f"No shipping method {shipping_method_id}.",
            errors={"shipping_method": ["Not an available shipping method."]},
        )
    cart.shipping_method = method
    cart.save(update_fields=["shipping_method", "updated_at"])
    return method


# --- Housekeeping ---------------------------------------------------------------------------


def purge_stale_carts(*, older_than: timedelta | None = None) -> int:
    """Delete carts nobody has used for CART_STALE_DAYS (or `older_than`); return how many.

    A cart's last use is the newest of its own change and its lines' (adding to a cart writes
    only the line).
    """
    cutoff = timezone.now() - (older_than or timedelta(days=settings.CART_STALE_DAYS))
    recent_lines = CartLine.objects.filter(cart=OuterRef("pk"), updated_at__gte=cutoff)
    _, per_model = Cart.objects.filter(updated_at__lt=cutoff).exclude(Exists(recent_lines)).delete()
    return per_model.get(Cart._meta.label, 0)
