"""App configuration for customers' wishlists (products saved for later)."""

from django.apps import AppConfig


class WishlistConfig(AppConfig):
    name = "apps.wishlist"
    label = "wishlist"
    verbose_name = "Wishlists"
