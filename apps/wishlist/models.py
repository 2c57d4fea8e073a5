"""A customer's wishlist: the products they saved for later, once each."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class WishlistItem(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wishlist_items"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="wishlist_items"
    )
    saved_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="wishlist_item_once"),
        ]
        indexes = [
            # The wishlist page and API: one customer's items, newest first.
            models.Index(fields=["user", "-saved_at", "-id"], name="wishlist_user_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} saved by {self.user_id}"
