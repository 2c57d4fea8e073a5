"""What every storefront page shows in its header: the number of items in the cart."""

from functools import cache
from typing import Any

from django.http import HttpRequest

from apps.cart.selectors import cart_item_count
from apps.storefront.cart_session import session_cart_token


def storefront(request: HttpRequest) -> dict[str, Any]:
    """Add `cart_count`, computed only if a template shows it (one query at most)."""

    @cache
    def count() -> int:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        session = getattr(request, "session", None)
        token = session_cart_token(request) if session is not None and user_id is None else None
        return cart_item_count(user_id=user_id, token=token)

    return {"cart_count": count}
