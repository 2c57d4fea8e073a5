"""Helpers for the wishlist tests: products customers can see and save, and hiding them."""

from typing import Any

from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import Product
from apps.catalog.tests.factories import make_product
from apps.wishlist.models import WishlistItem


def for_sale(**product_fields: Any) -> Product:
    """Create a product with one variant in stock at 19.99 and make the catalog see it.

    The catalog's cached category rows are bumped by hand: the signals do it on commit, which a
    test's transaction never reaches.
    """
    product = make_product(**product_fields)
    bump_catalog_version()
    return product


def deactivate(product: Product) -> None:
    """Take the product off the shop: the back office unticks its "active"."""
    product.is_active = False
    product.save(update_fields=["is_active"])


def hide_category(product: Product) -> None:
    """Take the product's category off the shop (its products go with it)."""
    category = product.category
    category.is_active = False
    category.save(update_fields=["is_active"])
    bump_catalog_version()  # the visible categories are cached


def stop_selling(product: Product) -> None:
    """Deactivate every variant: the product is left with nothing to sell."""
    for variant in product.variants.all():
        variant.is_active = False
        variant.save(update_fields=["is_active"])  # refreshes the listing columns


# The ways a product stops being one customers can see, by test id.
HIDE = {"inactive": deactivate, "hidden-category": hide_category, "not-sellable": stop_selling}


def saved_slugs(user: Any) -> set[str]:
    """Return the slugs of the products stored in the user's wishlist, shown or not."""
    return set(WishlistItem.objects.filter(user=user).values_list("product__slug", flat=True))
