"""Writes to a customer's wishlist: save a product for later (from its page or from the cart),
take it off again."""

from django.conf import settings
from django.db import transaction

from apps.cart import services as cart_services
from apps.cart.errors import CartLineNotFound
from apps.cart.models import Cart, CartLine
from apps.catalog import selectors as catalog_selectors
from apps.users.models import User
from apps.wishlist.errors import NotInWishlist, WishlistFull
from apps.wishlist.models import WishlistItem


def save_for_later(*, user: User, slug: str) -> tuple[WishlistItem, bool]:
    """Save the product `slug` to the customer's wishlist; return the item and whether it is
    new (saving a product twice keeps the first save).

    Raises:
        NotFound: no product customers can see has this slug.
        WishlistFull: the wishlist already holds WISHLIST_MAX_ITEMS products.
    """
    product_id = catalog_selectors.get_product_id(slug)
    with transaction.atomic():
        # One customer's saves one at a time, so two at once can't both pass the count below.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        saved = WishlistItem.objects.filter(user=user, product_id=product_id).first()
        if saved is not None:
            return saved, False
        limit = settings.WISHLIST_MAX_ITEMS
        if WishlistItem.objects.filter(user=user).count() >= limit:
            raise WishlistFull(
                f"Your wishlist holds {limit} products, as many as it can: remove one first."
            )
        return WishlistItem.objects.create(user=user, product_id=product_id), True


def save_cart_line_for_later(*, user: User, cart: Cart, line_id: int) -> WishlistItem:
    """Move a line of the customer's cart to their wishlist: its product is saved (the variant
    and quantity are not kept), and the line leaves the cart; both or neither.

    Raises:
        CartLineNotFound: the line is not in this cart.
        NotFound: the line's product is no longer one customers can see.
        WishlistFull: the wishlist already holds WISHLIST_MAX_ITEMS products.
    """
    slug = (
        CartLine.objects.filter(cart=cart, pk=line_id)
        .values_list("variant__product__slug", flat=True)
        .first()
    )
    if slug is None:
        raise CartLineNotFound(f"No line {line_id} in this cart.")
    with transaction.atomic():
        item, _ = save_for_later(user=user, slug=slug)
        cart_services.remove_cart_line(cart=cart, line_id=line_id)
    return item


def remove_from_wishlist(*, user: User, slug: str) -> None:
    """Take the product `slug` off the customer's wishlist (shown or not any more).

    Raises:
        NotInWishlist: the customer has not saved a product with this slug.
    """
    deleted, _ = WishlistItem.objects.filter(user=user, product__slug=slug).delete()
    if not deleted:
        raise NotInWishlist(f"'{slug}' is not in your wishlist.")
