"""Money helpers: amounts are Decimal, quantized to the currency's minor unit in one place."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

# ISO 4217 minor units where they differ from 2.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "JOD": 3}


def default_currency() -> str:
    """Return the shop's currency (ISO 4217 code)."""
    return str(settings.DEFAULT_CURRENCY)


def quantize(amount: Decimal, currency: str | None = None) -> Decimal:
    """Round an amount half-up to the minor unit of its currency."""
    places = _MINOR_UNITS.get((currency or default_currency()).upper(), 2)
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str | None = None) -> str:
    """Return an amount as the API writes it: a string with the currency's minor unit."""
    return f"{quantize(amount, currency)}"
