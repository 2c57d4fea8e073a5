"""Which cart and which guest orders belong to a browser: kept in its session.

An anonymous visitor's cart is the same `Cart` the API uses, found by its token; the token
lives in the session instead of a header. Guests' orders are remembered by id so that only the
browser that placed an order can see it.
"""

from typing import Any
from uuid import UUID

from django.http import HttpRequest

from apps.cart import services as cart_services
from apps.cart.models import Cart
from apps.users.models import User

CART_TOKEN_KEY = "storefront:cart_token"  # noqa: S105 (a session key, not a secret)
GUEST_ORDERS_KEY = "storefront:guest_orders"
GUEST_ORDERS_KEPT = 20


def signed_in_user(request: HttpRequest) -> User | None:
    """Return the signed-in user, or None for an anonymous visitor."""
    user = request.user
    return user if user.is_authenticated else None


def session_cart_token(request: HttpRequest) -> str | None:
    token = request.session.get(CART_TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def existing_cart(request: HttpRequest) -> Cart | None:
    """Return the browser's cart without creating one (a signed-in user's absorbs the session's)."""
    cart = cart_services.get_cart(user_id=_user_id(request), token=session_cart_token(request))
    _remember(request, cart)
    return cart


def cart_for_writing(request: HttpRequest) -> Cart:
    """Return the browser's cart, locked, creating it when there is none yet.

    Call it inside `transaction.atomic()` with the write it is for: the lock lasts until the
    write commits.
    """
    cart = cart_services.get_or_create_cart(
        user_id=_user_id(request), token=session_cart_token(request), lock=True
    )
    _remember(request, cart)
    return cart


def _user_id(request: HttpRequest) -> UUID | None:
    user = signed_in_user(request)
    return user.pk if user is not None else None


def _remember(request: HttpRequest, cart: Cart | None) -> None:
    if cart is None:
        return
    if cart.user_id is None:
        if request.session.get(CART_TOKEN_KEY) != cart.token:
            request.session[CART_TOKEN_KEY] = cart.token
    elif CART_TOKEN_KEY in request.session:
        del request.session[CART_TOKEN_KEY]  # merged into the user's cart


def merge_session_cart(request: HttpRequest, user: User) -> Cart | None:
    """Move the anonymous session cart into `user`'s cart (call right after signing in)."""
    token = session_cart_token(request)
    request.session.pop(CART_TOKEN_KEY, None)
    # The cart service merges an anonymous cart named by its token into the user's, as the
    # API does when a signed-in customer sends X-Cart-Token.
    return cart_services.get_cart(user_id=user.pk, token=token) if token else None


def remember_guest_order(request: HttpRequest, order_id: Any) -> None:
    orders = [str(order_id)] + [
        kept for kept in request.session.get(GUEST_ORDERS_KEY, []) if kept != str(order_id)
    ]
    request.session[GUEST_ORDERS_KEY] = orders[:GUEST_ORDERS_KEPT]


def placed_by_this_browser(request: HttpRequest, order_id: Any) -> bool:
    return str(order_id) in request.session.get(GUEST_ORDERS_KEY, [])
