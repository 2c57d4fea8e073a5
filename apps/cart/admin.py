"""Back office for what carts carry: voucher codes and shipping methods, with how often each
was used (counted by correlated subqueries, so a list page runs a fixed number of queries).
"""

from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from apps.cart.models import ShippingMethod, Voucher, VoucherUsage
from apps.orders.models import Order

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def _count_of(rows: QuerySet[Any], *, by: str) -> Coalesce:
    """Return how many `rows` point at the outer row through `by` (0 when none)."""
    grouped = rows.filter(**{by: OuterRef("pk")}).order_by().values(by)
    return Coalesce(Subquery(grouped.annotate(n=Count("pk")).values("n")[:1]), 0)


class VoucherTotals(TypedDict):
    usage_count: int


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin[Voucher]):
    list_display = (
        "code", "kind", "value", "min_subtotal", "starts_at", "ends_at", "usage_limit",
        "usage_count", "is_active",
    )  # fmt: skip
    list_filter = ("is_active", "kind", "starts_at", "ends_at")
    search_fields = ("code",)
    readonly_fields = ("used_count", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "kind", "value", "min_subtotal", "is_active")}),
        ("Window", {"fields": ("starts_at", "ends_at")}),
        ("Limits", {"fields": ("usage_limit", "per_customer_limit", "used_count")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Voucher]:
        usages = VoucherUsage.objects.all()
        return super().get_queryset(request).annotate(usage_count=_count_of(usages, by="voucher"))

    @admin.display(description="uses", ordering="usage_count")
    def usage_count(self, obj: "WithAnnotations[Voucher, VoucherTotals]") -> int:
        """Orders that used the code (cancelled orders give their use back)."""
        return obj.usage_count


class ShippingTotals(TypedDict):
    order_count: int


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin[ShippingMethod]):
    list_display = ("name", "price", "free_above", "is_active", "order_count")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShippingMethod]:
        orders = Order.objects.all()
        return (
            super()
            .get_queryset(request)
            .annotate(order_count=_count_of(orders, by="shipping_method"))
        )

    @admin.display(description="orders", ordering="order_count")
    def order_count(self, obj: "WithAnnotations[ShippingMethod, ShippingTotals]") -> int:
        return obj.order_count
