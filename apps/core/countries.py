"""Country names and the choice of countries a shopper picks from (ISO 3166-1 alpha-2 codes,
with names from django-countries); the countries the shop ships to most come first."""

from typing import Any

from django.conf import settings
from django_countries import countries


def country_name(code: str) -> str:
    """Return the English name of the country `code` names, or the code if it names none."""
    return countries.name(code.upper()) or code


def country_choices() -> list[tuple[str, Any]]:
    """Return select choices: a blank, then SHIPPING_COUNTRIES, then every other country."""
    first = [code.upper() for code in settings.SHIPPING_COUNTRIES]
    everyone = [(country.code, country.name) for country in countries]
    return [
        ("", "Choose a country"),
        ("Where we usually ship", [(code, country_name(code)) for code in first]),
        ("All countries", [pair for pair in everyone if pair[0] not in first]),
    ]
