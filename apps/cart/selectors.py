"""Cart reads as plain data for the API and the storefront."""

from typing import Any

from django.conf import settings
from django.db.models import Q, Sum

from apps.cart.fetch import CartInfo, cart_totals, fetch_cart_info
from apps.cart.models import Cart, CartLine, ShippingMethod
from apps.cart.pricing import ShippingInfo, Totals, free_shipping_shortfall
from apps.catalog.cache import cached
from apps.core.money import format_money


def cart_data(cart: Cart | None) -> dict[str, Any]:
    """Return the cart with its lines, prices and totals (an empty cart when there is none)."""
    if cart is None:
        return _empty()
    info = fetch_cart_info(cart)
    totals = cart_totals(info)
    return {
        "id": str(cart.pk),
        "token": None if cart.user_id else cart.token,
        "lines": [
            {
                "id": priced.line.line_id,
                "sku": priced.line.sku,
                "variant_name": priced.line.variant_name,
                "options": priced.line.options,
                "product": {"slug": priced.line.product_slug, "name": priced.line.product_name},
                "quantity": priced.line.quantity,
                "unit_list_price": format_money(priced.line.unit_list_price, totals.currency),
                "discount_percent": f"{priced.line.discount_percent:.2f}",
                "unit_price": format_money(priced.unit_price, totals.currency),
                "line_total": format_money(priced.line_total, totals.currency),
                "available": priced.line.available,
                "available_quantity": max(priced.line.stock, 0),
            }
            for priced in totals.lines
        ],
        "voucher": {
            "code": info.voucher.code,
            "discount": format_money(totals.voucher_discount, totals.currency),
            "problem": totals.voucher_problem,
        }
        if info.voucher
        else None,
        "shipping_method": _shipping(info.shipping, totals),
        **_totals(totals),
        "item_count": sum(line.quantity for line in info.lines),
    }


def _shipping(shipping: ShippingInfo | None, totals: Totals) -> dict[str, Any] | None:
    if shipping is None:
        return None
    shortfall = free_shipping_shortfall(shipping, totals)
    return {
        "id": shipping.id,
        "name": shipping.name,
        "price": format_money(totals.shipping_total, totals.currency),
        "list_price": format_money(shipping.price, totals.currency),
        "free_above": None
        if shipping.free_above is None
        else format_money(shipping.free_above, totals.currency),
        "free_shipping_shortfall": None
        if shortfall is None
        else format_money(shortfall, totals.currency),
    }


def _totals(totals: Totals) -> dict[str, Any]:
    return {
        "currency": totals.currency,
        "subtotal": format_money(totals.subtotal, totals.currency),
        "discount_total": format_money(totals.discount_total, totals.currency),
        "voucher_discount": format_money(totals.voucher_discount, totals.currency),
        "shipping_total": format_money(totals.shipping_total, totals.currency),
        "tax_total": format_money(totals.tax_total, totals.currency),
        "total": format_money(totals.total, totals.currency),
        "prices_include_tax": totals.prices_include_tax,
        "tax_rate": f"{totals.tax_rate}",
    }


def _empty() -> dict[str, Any]:
    totals = cart_totals(CartInfo(cart=None, lines=[], voucher=None, shipping=None))
    return {
        "id": None,
        "token": None,
        "lines": [],
        "voucher": None,
        "shipping_method": None,
        **_totals(totals),
        "item_count": 0,
    }


def list_shipping_methods() -> list[dict[str, Any]]:
    return [
        {
            "id": method.pk,
            "name": method.name,
            "price": format_money(method.price),
            "free_above": format_money(method.free_above)
            if method.free_above is not None
            else None,
        }
        for method in ShippingMethod.objects.filter(is_active=True)
    ]


def shipping_offer() -> dict[str, Any]:
    """Return what the active shipping methods offer, as catalog pages tell it: the lowest
    price (`from_price`) and the lowest free-shipping threshold (`free_above`, of
    `free_method`); None where there is none.

    Cached with the catalog: a change to a method bumps its version (apps.cart.signals).
    """

    def compute() -> dict[str, Any]:
        methods = list(
            ShippingMethod.objects.filter(is_active=True).only("name", "price", "free_above")
        )
        thresholds = [(m.free_above, m.name) for m in methods if m.free_above is not None]
        free = min(thresholds, default=None)
        return {
            "from_price": format_money(min(m.price for m in methods)) if methods else None,
            "free_above": format_money(free[0]) if free else None,
            "free_method": free[1] if free else None,
            "currency": settings.DEFAULT_CURRENCY,
        }

    return cached("shipping-offer", compute=compute)


def cart_item_count(*, user_id: Any, token: str | None) -> int:
    """Return how many items the caller's cart holds, in one query (for a page header)."""
    if user_id is None and not token:
        return 0
    owner = Q(cart__user_id=user_id) if user_id is not None else Q(cart__token=token)
    total = CartLine.objects.filter(owner).aggregate(n=Sum("quantity"))["n"]
    return int(total or 0)
