"""Errors raised by the wishlist services."""

from apps.core.errors import Conflict, NotFound


class WishlistFull(Conflict):
    """The wishlist holds as many products as it may (settings.WISHLIST_MAX_ITEMS)."""

    code = "wishlist_full"
    title = "Wishlist full"


class NotInWishlist(NotFound):
    """The customer has not saved this product."""

    code = "not_in_wishlist"
    title = "Not in the wishlist"
