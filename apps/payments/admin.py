"""Back office for payments: payments with their refunds, and the webhook event log."""

from decimal import Decimal

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.errors import DomainError
from apps.payments.models import Payment, Refund, WebhookEvent
from apps.payments.services import refund_payment


class RefundInline(admin.TabularInline[Refund, Payment]):
    model = Refund
    extra = 0
    can_delete = False
    fields = ("amount", "reason", "provider_refund_id", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    list_display = (
        "provider_id", "order", "provider", "status", "amount", "refunded_amount",
        "amount_mismatch", "created_at",
    )  # fmt: skip
    list_filter = ("status", "provider", "amount_mismatch")
    search_fields = ("provider_id", "order__number", "order__email")
    list_select_related = ("order",)
    readonly_fields = [field.name for field in Payment._meta.fields]
    inlines = [RefundInline]
    actions = ["refund_in_full"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    # Every field is read-only: money moves through the refund action, never by editing.
    def has_change_permission(self, request: HttpRequest, obj: Payment | None = None) -> bool:
        return False

    def has_refund_permission(self, request: HttpRequest) -> bool:
        """Return whether the user may send money back (the Order managers role may)."""
        return request.user.has_perm("payments.refund_payment")

    @admin.action(
        description="Refund what is left of the selected payments", permissions=["refund"]
    )
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        refunded, total = 0, Decimal(0)
        for payment in queryset.select_related("order"):
            try:
                refund = refund_payment(
                    order=payment.order,
                    amount=None,
                    reason="Refunded from the back office.",
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:  # a clear message, never a traceback
                self.message_user(request, f"{payment.order}: {exc.detail}", messages.ERROR)
                continue
            refunded += 1
            total += refund.amount
        if refunded:
            self.message_user(
                request, f"Refunded {refunded} payment(s), {total} in all.", messages.SUCCESS
            )


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin[WebhookEvent]):
    list_display = ("event_id", "provider", "type", "outcome", "attempts", "received_at")
    list_filter = ("provider", "outcome", "type")
    search_fields = ("event_id", "detail")
    readonly_fields = [field.name for field in WebhookEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
