"""Load everything a cart's prices depend on, once, into the dataclasses of `pricing`."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from apps.cart.errors import InvalidVoucher
from apps.cart.models import Cart, CartLine, Voucher
from apps.cart.pricing import LineInfo, ShippingInfo, Totals, VoucherInfo, calculate
from apps.cart.querysets import cart_lines
from apps.cart.services import check_voucher
from apps.catalog.selectors import get_discount_map, visible_category_ids


@dataclass(frozen=True)
class CartInfo:
    cart: Cart | None
    lines: list[LineInfo]
    voucher: VoucherInfo | None
    shipping: ShippingInfo | None


def fetch_cart_info(cart: Cart, *, lines: Iterable[CartLine] | None = None) -> CartInfo:
    """Load the cart's lines with their variants and products in one query.

    The cart must have been loaded with its voucher and shipping method
    (`select_related("voucher", "shipping_method")`); discounts and the visible categories
    come from the catalog cache. `lines`, loaded as `cart_lines` loads them (checkout locks
    their variants), saves the query, as do lines a service left on the cart (`add_to_cart`).
    """
    discounts = get_discount_map()
    visible = visible_category_ids()
    if lines is None:
        remembered = getattr(cart, "_prefetched_objects_cache", {})
        lines = cart.lines.all() if "lines" in remembered else cart_lines(cart)
    infos = []
    for line in lines:
        variant, product = line.variant, line.variant.product
        infos.append(
            LineInfo(
                line_id=line.pk,
                variant_id=variant.pk,
                sku=variant.sku,
                variant_name=variant.name,
                options=variant.options,
                product_id=product.pk,
                product_slug=product.slug,
                product_name=product.name,
                currency=variant.currency,
                unit_list_price=variant.price,
                discount_percent=discounts.percent_for(
                    product_id=product.pk, category_id=product.category_id
                ),
                quantity=line.quantity,
                stock=variant.stock,
                available=variant.is_active
                and product.is_active
                and product.category_id in visible,
            )
        )
    voucher = cart.voucher
    shipping = cart.shipping_method
    return CartInfo(
        cart=cart,
        lines=infos,
        voucher=VoucherInfo(
            id=voucher.pk,
            code=voucher.code,
            kind=voucher.kind,
            value=voucher.value,
            min_subtotal=voucher.min_subtotal,
            problem=voucher_problem(voucher),
        )
        if voucher is not None
        else None,
        shipping=ShippingInfo(
            id=shipping.pk, name=shipping.name, price=shipping.price, free_above=shipping.free_above
        )
        if shipping is not None and shipping.is_active
        else None,
    )


def voucher_problem(voucher: Voucher) -> str | None:
    """Return why the voucher cannot be used now, without asking who the customer is."""
    try:
        check_voucher(voucher=voucher, user=None, email=None)
    except InvalidVoucher as exc:
        return exc.detail
    return None


def cart_totals(info: CartInfo) -> Totals:
    """Price a loaded cart with the shop's tax settings."""
    return calculate(
        lines=info.lines,
        voucher=info.voucher,
        shipping=info.shipping,
        currency=settings.DEFAULT_CURRENCY,
        tax_rate=settings.TAX_RATE,
        prices_include_tax=settings.PRICES_INCLUDE_TAX,
    )
