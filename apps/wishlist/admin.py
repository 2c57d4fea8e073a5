"""Back office: what customers saved for later (read-only: the wishlist is theirs)."""

from django.contrib import admin
from django.http import HttpRequest

from apps.wishlist.models import WishlistItem


@admin.register(WishlistItem)
class WishlistItemAdmin(admin.ModelAdmin[WishlistItem]):
    list_display = ["product", "user", "saved_at"]
    list_select_related = ["product", "user"]
    search_fields = ["product__name", "user__email"]
    date_hierarchy = "saved_at"
    ordering = ["-saved_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WishlistItem | None = None) -> bool:
        return False
