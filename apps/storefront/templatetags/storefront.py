"""Template helpers of the storefront."""

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Mapping[Any, Any] | None, key: Any) -> Any:
    """Return `mapping[key]`, or None (templates cannot index a dict by a variable)."""
    if not mapping:
        return None
    return mapping.get(key)
