"""App configuration for carts, vouchers and shipping methods."""

from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "apps.cart"
    label = "cart"
    verbose_name = "Cart"

    def ready(self) -> None:
        from apps.cart import signals  # noqa: F401  (shipping changes bump the catalog cache)
