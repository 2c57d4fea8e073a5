"""Reads of a customer's wishlist."""

from typing import Any

from apps.catalog import selectors as catalog_selectors
from apps.wishlist.models import WishlistItem


def list_wishlist(*, user_id: Any) -> list[dict[str, Any]]:
    """Return the customer's saved products, newest first, each as `{product, saved_at}`.

    Two queries: the items, then their product cards. A product the shop no longer shows
    (hidden, or nothing left to sell) is left out until it is back.
    """
    items = list(
        WishlistItem.objects.filter(user_id=user_id)
        .order_by("-saved_at", "-id")
        .values_list("product_id", "saved_at")
    )
    cards = catalog_selectors.product_cards(product_ids=[product_id for product_id, _ in items])
    return [
        {"product": cards[product_id], "saved_at": saved_at}
        for product_id, saved_at in items
        if product_id in cards
    ]


def is_saved(*, user_id: Any, product_id: Any) -> bool:
    """Whether the customer saved the product: one query."""
    return WishlistItem.objects.filter(user_id=user_id, product_id=product_id).exists()
