"""Cart reads as plain data for the API and the storefront."""

from typing import Any

from apps.cart.fetch import CartInfo, cart_totals, fetch_cart_info
from apps.cart.models import Cart, ShippingMethod
from apps.cart.pricing import Totals


def _money(amount: Any) -> str:
    return f"{amount:.2f}"


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
                "unit_list_price": _money(priced.line.unit_list_price),
                "discount_percent": _money(priced.line.discount_percent),
                "unit_price": _money(priced.unit_price),
                "line_total": _money(priced.line_total),
                "available": priced.line.available,
                "available_quantity": max(priced.line.stock, 0),
            }
            for priced in totals.lines
        ],
        "voucher": {
            "code": info.voucher.code,
            "discount": _money(totals.voucher_discount),
            "problem": totals.voucher_problem,
        }
        if info.voucher
        else None,
        "shipping_method": {
            "id": info.shipping.id,
            "name": info.shipping.name,
            "price": _money(totals.shipping_total),
        }
        if info.shipping
        else None,
        **_totals(totals),
        "item_count": sum(line.quantity for line in info.lines),
    }


def _totals(totals: Totals) -> dict[str, Any]:
    return {
        "currency": totals.currency,
        "subtotal": _money(totals.subtotal),
        "discount_total": _money(totals.discount_total),
        "voucher_discount": _money(totals.voucher_discount),
        "shipping_total": _money(totals.shipping_total),
        "tax_total": _money(totals.tax_total),
        "total": _money(totals.total),
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
            "price": _money(method.price),
            "free_above": _money(method.free_above) if method.free_above is not None else None,
        }
        for method in ShippingMethod.objects.filter(is_active=True)
    ]
