"""Template helpers of the storefront."""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def get_item(mapping: Mapping[Any, Any] | None, key: Any) -> Any:
    """Return `mapping[key]`, or None (templates cannot index a dict by a variable)."""
    if not mapping:
        return None
    return mapping.get(key)


@register.simple_tag
def tax_note(
    prices_include_tax: bool | None = None, rate: Decimal | str | None = None
) -> SafeString | str:
    """Return the note saying how the prices shown treat tax, e.g. "incl. 20% VAT".

    By default the shop's PRICES_INCLUDE_TAX and TAX_RATE; a cart or an order passes those
    its own totals were worked out with. Nothing for a zero rate. The tax is named TAX_LABEL.
    """
    include = settings.PRICES_INCLUDE_TAX if prices_include_tax is None else prices_include_tax
    percent = Decimal(settings.TAX_RATE if rate is None else rate) * 100
    if not percent:
        return ""
    return format_html(
        '<span class="tax-note">{} {}% {}</span>',
        "incl." if include else "excl.",
        format(percent.normalize(), "f"),
        settings.TAX_LABEL,
    )


@register.simple_tag
def stars(rating: Decimal | float | int | None) -> SafeString | str:
    """Return a rating out of 5 as five stars, filled to the nearest whole one.

    Drawn for the eye only (`aria-hidden`): the page states the rating in words beside it.
    """
    if rating is None:
        return ""
    filled = int(Decimal(str(rating)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    filled = max(0, min(5, filled))
    return format_html(
        '<span class="stars" aria-hidden="true">{}<span class="stars-empty">{}</span></span>',
        "\u2605" * filled,
        "\u2606" * (5 - filled),
    )
