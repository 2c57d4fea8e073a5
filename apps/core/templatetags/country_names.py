"""`{{ code|country_name }}`: a country's name where a page or an e-mail shows an address."""

from django import template

from apps.core.countries import country_name as name_of

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    """Return the name of the country with the two-letter `code` (the code if unknown)."""
    return name_of(str(code))
