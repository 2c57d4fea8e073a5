"""Back office for orders: a read-only record moved on only through the lifecycle services.

Money, stock and addresses are never edited here. Staff fulfil (with a tracking note), cancel
or refund orders through actions that call the services; a step the lifecycle refuses is an
error message for that order while the others proceed. The list exports as streamed CSV,
filtered and searched as shown.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django_stubs_ext import StrOrPromise

from apps.core.errors import DomainError
from apps.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from apps.orders.services.lifecycle import cancel_order, fulfil_order
from apps.payments.models import CAPTURED, Payment
from apps.payments.services import refund_payment
from apps.users.models import User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

FULFIL_PERMISSION = "orders.fulfil_order"
CANCEL_PERMISSION = "orders.cancel_order"
REFUND_PERMISSION = "payments.refund_payment"
# Stable names the fulfil page is driven by (browser tests included).
FULFIL_FORM_ID = "fulfil-form"
FULFIL_SUBMIT = "_fulfil"
CSV_COLUMNS = ("number", "placed_at", "status", "paid", "email", "currency", "total")
_CSV_CHUNK = 500


class OrderTotals(TypedDict):
    is_paid: bool


class FulfilForm(forms.Form):
    tracking_note = forms.CharField(
        label="Tracking note",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Carrier and tracking number; the customer sees it in the shipping e-mail.",
    )


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


# --- Filters and inlines --------------------------------------------------------------------


class PaidFilter(admin.SimpleListFilter):
    """Filter orders by whether a payment of theirs was captured."""

    title = "payment"
    parameter_name = "paid"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return (("yes", "Paid"), ("no", "Unpaid"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        match self.value():
            case "yes":
                return queryset.filter(is_paid=True)
            case "no":
                return queryset.filter(is_paid=False)
        return queryset


class _ReadOnlyInline(admin.TabularInline[Any, Order]):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = (
        "sku", "product_name", "variant_name", "quantity", "unit_list_price",
        "discount_percent", "unit_price", "line_total",
    )  # fmt: skip
    readonly_fields = fields


class PaymentInline(_ReadOnlyInline):
    model = Payment
    fields = (
        "provider", "provider_id", "status", "amount", "refunded_amount", "amount_mismatch",
        "failure_reason", "created_at",
    )  # fmt: skip
    readonly_fields = fields


class OrderEventInline(_ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("actor")


# --- Orders ---------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """Return a CSV cell; text a spreadsheet would run as a formula is quoted with a '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def csv_lines(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """Yield the header, then one CSV line per (number, placed, status, paid, …) row."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(CSV_COLUMNS)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ("number", "status", "total", "currency", "email", "created_at", "is_paid")
    list_filter = ("status", "created_at", PaidFilter)
    date_hierarchy = "created_at"
    search_fields = ("number", "email", "lines__sku")
    search_help_text = "Order number, customer e-mail or the SKU of a line."
    list_per_page = 50
    inlines = (OrderLineInline, PaymentInline, OrderEventInline)
    actions = ("fulfil_orders", "cancel_orders", "refund_orders")
    fieldsets = (
        (None, {"fields": ("number", "status", "user", "email", "created_at", "updated_at")}),
        (
            "Money",
            {
                "fields": (
                    "currency",
                    "subtotal",
                    "discount_total",
                    "voucher_code",
                    "voucher_discount",
                    "shipping_method_name",
                    "shipping_total",
                    "tax_total",
                    "tax_rate",
                    "prices_include_tax",
                    "total",
                )
            },
        ),
        (
            "Ship to",
            {
                "fields": (
                    "shipping_name",
                    "shipping_line1",
                    "shipping_line2",
                    "shipping_city",
                    "shipping_postal_code",
                    "shipping_country",
                    "shipping_phone",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        return [field.name for field in Order._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        captured = Payment.objects.filter(order=OuterRef("pk"), status__in=CAPTURED)
        return (
            super().get_queryset(request).select_related("user").annotate(is_paid=Exists(captured))
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        """Search numbers, e-mails and line SKUs, listing each order once.

        A SKU match joins the lines; keeping that join inside `pk IN (…)` lists each order
        once without a DISTINCT over every column.
        """
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if may_have_duplicates:
            results = queryset.filter(pk__in=results.values("pk"))
        return results, False

    # Orders come from checkout and change through the lifecycle only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    def has_fulfil_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(FULFIL_PERMISSION)

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CANCEL_PERMISSION)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    @admin.display(description="paid", boolean=True, ordering="is_paid")
    def is_paid(self, obj: "WithAnnotations[Order, OrderTotals]") -> bool:
        return obj.is_paid

    # --- Actions ----------------------------------------------------------------------------

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Order],
        *,
        step: Callable[[Order], object],
        done: str,
    ) -> None:
        """Call `step(order)` on each order; report each failure and then what succeeded."""
        succeeded = []
        for order in queryset.order_by("created_at"):
            try:
                step(order)
            except DomainError as exc:  # a clear message per order, never a traceback
                self.message_user(request, f"{order.number}: {exc.detail}", messages.ERROR)
                continue
            succeeded.append(order.number)
        if succeeded:
            self.message_user(
                request,
                f"{done} {len(succeeded)} order(s): {', '.join(succeeded)}.",
                messages.SUCCESS,
            )

    @admin.action(description="Mark selected orders fulfilled…", permissions=["fulfil"])
    def fulfil_orders(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        """Ask for the tracking note first; fulfil with it once the form is sent."""
        form = FulfilForm(request.POST if FULFIL_SUBMIT in request.POST else None)
        if form.is_valid():
            note = form.cleaned_data["tracking_note"]
            actor = _actor(request)
            self._apply(
                request,
                queryset,
                step=lambda order: fulfil_order(order=order, actor=actor, tracking_note=note),
                done="Fulfilled",
            )
            return None
        return self._fulfil_page(request, form=form, orders=list(queryset), action=True)

    @admin.action(description="Cancel selected orders (pending ones only)", permissions=["cancel"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        actor = _actor(request)
        self._apply(
            request,
            queryset,
            step=lambda order: cancel_order(
                order=order, actor=actor, note="Cancelled from the back office."
            ),
            done="Cancelled",
        )

    @admin.action(description="Refund selected orders in full", permissions=["refund"])
    def refund_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        actor = _actor(request)
        self._apply(
            request,
            queryset,
            step=lambda order: refund_payment(
                order=order, amount=None, reason="Refunded from the back office.", actor=actor
            ),
            done="Refunded",
        )

    # --- Pages of their own: fulfil one order, export the list ------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            ),
            path(
                "<path:object_id>/fulfil/",
                self.admin_site.admin_view(self.fulfil_view),
                name="{}_{}_fulfil".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        order = self.get_object(request, object_id)
        can_fulfil = (
            order is not None
            and order.status == OrderStatus.PAID
            and self.has_fulfil_permission(request)
        )
        context = {**(extra_context or {}), "can_fulfil": can_fulfil}
        return super().change_view(request, object_id, form_url, context)

    def fulfil_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Show the tracking-note form for one order; fulfil it when the form is sent."""
        if not self.has_fulfil_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=object_id)
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        form = FulfilForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                fulfil_order(
                    order=order,
                    actor=_actor(request),
                    tracking_note=form.cleaned_data["tracking_note"],
                )
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"Order {order.number} fulfilled.", messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        return self._fulfil_page(request, form=form, orders=[order], action=False)

    def _fulfil_page(
        self, request: HttpRequest, *, form: FulfilForm, orders: list[Order], action: bool
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark orders fulfilled" if action else f"Fulfil order {orders[0].number}",
            "opts": self.opts,
            "form": form,
            "orders": orders,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "form_id": FULFIL_FORM_ID,
            "submit_name": FULFIL_SUBMIT,
        }
        return TemplateResponse(request, "admin/orders/order/fulfil.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """Stream the orders the list shows (its filters and search) as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, "Those filters are not valid.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:orders_order_changelist"))
        rows = changelist.queryset.values_list(
            "number", "created_at", "status", "is_paid", "email", "currency", "total"
        ).iterator(chunk_size=_CSV_CHUNK)
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response
