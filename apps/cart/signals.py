"""Catalog pages tell what shipping costs (`selectors.shipping_offer`), so a saved or deleted
shipping method invalidates the catalog cache, from the admin, the API or the shell alike."""

from typing import Any

from django.db.models.signals import post_delete, post_save

from apps.cart.models import ShippingMethod
from apps.catalog.cache import bump_catalog_version_on_commit


def _bump(**_: Any) -> None:
    bump_catalog_version_on_commit()


post_save.connect(_bump, sender=ShippingMethod, dispatch_uid="cart-shipping-method-save")
post_delete.connect(_bump, sender=ShippingMethod, dispatch_uid="cart-shipping-method-delete")
