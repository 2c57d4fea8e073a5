"""Back office for orders: a read-only record moved on only through the lifecycle services.

Money, stock and addresses are never edited here. Staff ship orders (in one parcel or
several, with carrier and tracking), cancel or refund them through actions that call the
services; a step the lifecycle refuses is an error message for that order while the others
proceed. The list exports as streamed CSV,
filtered and searched as shown.
"""

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django_stubs_ext import StrOrPromise

from apps.cart.pricing import tax_on
from apps.core.errors import DomainError
from apps.invoices.admin import InvoiceInline
from apps.orders.carriers import carrier_names
from apps.orders.models import (
    TRANSITIONS,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)
from apps.orders.services.lifecycle import cancel_order
from apps.orders.services.returns import approve_return, receive_return, reject_return
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.payments.models import CAPTURED, Payment
from apps.payments.services import refund_payment, refund_return
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
# The columns of the lines export, from each line and its order; then the line's tax.
LINE_CSV_FIELDS = {
    "number": "order__number",
    "placed_at": "order__created_at",
    "status": "order__status",
    "sku": "sku",
    "product": "product_name",
    "variant": "variant_name",
    "quantity": "quantity",
    "currency": "order__currency",
    "unit_list_price": "unit_list_price",
    "discount_percent": "discount_percent",
    "unit_price": "unit_price",
    "line_total": "line_total",
    "tax_rate": "order__tax_rate",
    "prices_include_tax": "order__prices_include_tax",
}
LINE_CSV_COLUMNS = (*LINE_CSV_FIELDS, "line_tax")
_CSV_CHUNK = 500


class OrderTotals(TypedDict):
    is_paid: bool


CARRIER_LIST_ID = "carrier-names"


def _carrier_field() -> forms.CharField:
    return forms.CharField(
        label="Carrier",
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"list": CARRIER_LIST_ID, "autocomplete": "off"}),
        help_text="A known carrier's tracking page is linked from the tracking number.",
    )


class FulfilForm(forms.Form):
    """Ship whole orders in one parcel each (the list's action)."""

    carrier = _carrier_field()
    tracking_note = forms.CharField(
        label="Tracking note",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Carrier and tracking number; the customer sees it in the shipping e-mail.",
    )


class RefundForm(forms.Form):
    """How much of an order's payment to refund: a free amount, else everything left."""

    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Leave empty to refund everything that is left. Items and shipping are "
        "refunded by line from the API or through a return.",
    )
    reason = forms.CharField(label="Reason", max_length=255, required=False)


class ShipmentForm(forms.Form):
    """One parcel of one order: how many of each line it carries, and how to track it."""

    carrier = _carrier_field()
    tracking_number = forms.CharField(label="Tracking number", max_length=64, required=False)
    tracking_url = forms.URLField(
        label="Tracking URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Leave empty to link a known carrier's tracking page.",
    )
    note = forms.CharField(
        label="Note to the customer",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def __init__(self, *args: Any, lines: list[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity_to_ship]
        for line in self.lines:
            self.fields[self.quantity_field(line)] = forms.IntegerField(
                label=f"{line.sku}: {line.product_name} {line.variant_name}".strip(),
                min_value=0,
                max_value=line.quantity_to_ship,
                initial=line.quantity_to_ship,
                help_text=f"{line.shipped_quantity} of {line.quantity} shipped so far.",
            )

    @staticmethod
    def quantity_field(line: OrderLine) -> str:
        return f"line_{line.pk}"

    def quantity_fields(self) -> list[forms.BoundField]:
        return [self[self.quantity_field(line)] for line in self.lines]

    def items(self) -> list[ShipmentItem]:
        return [
            ShipmentItem(line_id=line.pk, quantity=quantity)
            for line in self.lines
            if (quantity := self.cleaned_data.get(self.quantity_field(line)) or 0)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not self.items():
            raise forms.ValidationError("Put at least one item in the parcel.")
        return cleaned


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
        "sku", "product_name", "variant_name", "quantity", "shipped_quantity",
        "unit_list_price", "discount_percent", "unit_price", "line_total",
    )  # fmt: skip
    readonly_fields = fields


def _shipments_with_items(shipments: QuerySet[Shipment]) -> QuerySet[Shipment]:
    parcel = ShipmentLine.objects.select_related("order_line")
    return shipments.select_related("created_by").prefetch_related(
        Prefetch("lines", queryset=parcel)
    )


class _ShipmentColumns:
    """The columns of a parcel shown in the back office: what it carries, its tracking link."""

    @admin.display(description="items")
    def items(self, shipment: Shipment) -> str:
        return ", ".join(
            f"{item.quantity} x {item.order_line.sku}" for item in shipment.lines.all()
        )

    @admin.display(description="tracking")
    def tracking(self, shipment: Shipment) -> str:
        if not shipment.tracking_url:
            return shipment.tracking_number or "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
            shipment.tracking_url,
            shipment.tracking_number or "track",
        )


class ShipmentInline(_ShipmentColumns, _ReadOnlyInline):
    model = Shipment
    fields = ("number", "created_at", "items", "carrier", "tracking", "note", "created_by")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        return _shipments_with_items(super().get_queryset(request))


class ReturnInline(_ReadOnlyInline):
    model = ReturnRequest
    fields = ("number", "status", "reason", "comment", "restocked", "created_at")
    readonly_fields = fields
    show_change_link = True


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

# The admin's scripts for filling a slug from a name as it is typed.
_PREPOPULATE_SCRIPTS = re.compile(r"(xregexp|urlify|prepopulate)(\.min)?\.js$")

# What an order's state must be for each action of its page, in staff's words.
_STATE_NEEDED: dict[str, str] = {
    OrderStatus.FULFILLED: "only a paid order can be shipped",
    OrderStatus.CANCELLED: "only an order waiting for payment can be cancelled",
    OrderStatus.REFUNDED: "only a paid or fulfilled order can be refunded",
}


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    """Return a CSV cell; text a spreadsheet would run as a formula is quoted with a '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield the header, then one CSV line per row."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def _placed_at(value: datetime) -> str:
    """Return a time as ISO 8601 in the shop's time zone (TIME_ZONE), to the second."""
    return timezone.localtime(value).isoformat(timespec="seconds")


def _order_rows(orders: "QuerySet[Any]") -> Iterator[tuple[Any, ...]]:
    rows = orders.values_list(
        "number", "created_at", "status", "is_paid", "email", "currency", "total"
    ).iterator(chunk_size=_CSV_CHUNK)
    for number, placed, *rest in rows:
        yield (number, _placed_at(placed), *rest)


def _line_rows(orders: "QuerySet[Any]") -> Iterator[tuple[Any, ...]]:
    """Yield the orders' lines, oldest order first, each with its tax at the order's rate."""
    lines = (
        OrderLine.objects.filter(order__in=orders.order_by().values("pk"))
        .order_by("order__created_at", "order_id", "id")
        .values(*LINE_CSV_FIELDS.values())
        .iterator(chunk_size=_CSV_CHUNK)
    )
    for line in lines:
        row = {column: line[field] for column, field in LINE_CSV_FIELDS.items()}
        row["placed_at"] = _placed_at(row["placed_at"])
        row["line_tax"] = tax_on(
            row["line_total"],
            tax_rate=row["tax_rate"],
            inclusive=row["prices_include_tax"],
            currency=row["currency"],
        )
        yield tuple(row[column] for column in LINE_CSV_COLUMNS)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = ("number", "status", "total", "currency", "email", "created_at", "is_paid")
    list_filter = ("status", "created_at", PaidFilter)
    date_hierarchy = "created_at"
    search_fields = ("number", "email", "lines__sku")
    search_help_text = "Order number, customer e-mail or the SKU of a line."
    list_per_page = 50
    inlines = (
        OrderLineInline,
        ShipmentInline,
        ReturnInline,
        PaymentInline,
        InvoiceInline,
        OrderEventInline,
    )
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

    @property
    def media(self) -> forms.Media:
        """The admin's scripts without those of prepopulated (slug) fields, which orders have
        none of: xregexp, urlify and prepopulate are 172 KB of the list's 391."""
        media = super().media
        # `_js`/`_css` are the merged lists Media itself renders (not in django-stubs).
        scripts = [
            path
            for path in media._js  # type: ignore[attr-defined]
            if not _PREPOPULATE_SCRIPTS.search(str(path))
        ]
        return forms.Media(css=media._css, js=scripts)  # type: ignore[attr-defined]

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

    @admin.action(description="Ship selected orders in full…", permissions=["fulfil"])
    def fulfil_orders(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        """Ask for the tracking note first; ship what is left of each order once it is sent."""
        form = FulfilForm(request.POST if FULFIL_SUBMIT in request.POST else None)
        if form.is_valid():
            note, carrier = form.cleaned_data["tracking_note"], form.cleaned_data["carrier"]
            actor = _actor(request)
            self._apply(
                request,
                queryset,
                step=lambda order: create_shipment(
                    order=order, items=None, actor=actor, carrier=carrier, note=note
                ),
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
                "export/lines/",
                self.admin_site.admin_view(self.export_lines_view),
                name="{}_{}_export_lines".format(*info),
            ),
            path(
                "<path:object_id>/fulfil/",
                self.admin_site.admin_view(self.fulfil_view),
                name="{}_{}_fulfil".format(*info),
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="{}_{}_cancel".format(*info),
            ),
            path(
                "<path:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="{}_{}_refund".format(*info),
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
        # Every action staff may take is offered; one the order's state does not allow is
        # refused with a message that says why, rather than hidden.
        context = {
            **(extra_context or {}),
            "can_fulfil": self.has_fulfil_permission(request),
            "can_cancel": self.has_cancel_permission(request),
            "can_refund": self.has_refund_permission(request),
        }
        return super().change_view(request, object_id, form_url, context)

    def _refused(self, request: HttpRequest, order: Order, to: str) -> HttpResponse | None:
        """Send staff back to the order, saying why, if its state does not allow `to`."""
        if to in TRANSITIONS[order.status]:
            return None
        state = order.get_status_display().lower()
        self.message_user(
            request, f"Order {order.number} is {state}: {_STATE_NEEDED[to]}.", messages.ERROR
        )
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def fulfil_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Show the parcel form for one order (how many of each line, carrier, tracking);
        record the shipment when the form is sent."""
        if not self.has_fulfil_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=object_id)
        if refused := self._refused(request, order, OrderStatus.FULFILLED):
            return refused
        change_url = reverse("admin:orders_order_change", args=[order.pk])
        form = ShipmentForm(
            request.POST if request.method == "POST" else None, lines=list(order.lines.all())
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                shipment = create_shipment(
                    order=order,
                    items=form.items(),
                    actor=_actor(request),
                    carrier=data["carrier"],
                    tracking_number=data["tracking_number"],
                    tracking_url=data["tracking_url"],
                    note=data["note"],
                )
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.detail}", messages.ERROR)
            else:
                done = "fulfilled" if order.status == OrderStatus.FULFILLED else "partly shipped"
                self.message_user(
                    request,
                    f"Order {order.number} {done}: shipment {shipment.number} recorded.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        return self._fulfil_page(request, form=form, orders=[order], action=False)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask to confirm, then cancel one order (its stock and voucher use come back)."""
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        return self._confirmed(
            request,
            object_id,
            to=OrderStatus.CANCELLED,
            question="Cancel this order? Its items go back into stock and its voucher use is "
            "given back.",
            button="Cancel the order",
            step=lambda order: cancel_order(
                order=order, actor=_actor(request), note="Cancelled from the back office."
            ),
            done="cancelled",
        )

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask how much (everything left by default), then refund it through the provider."""
        if not self.has_refund_permission(request):
            raise PermissionDenied
        form = RefundForm(request.POST if request.method == "POST" else None)
        return self._confirmed(
            request,
            object_id,
            to=OrderStatus.REFUNDED,
            question="Refund what is left of this order's payment, or the amount given, "
            "through its payment provider? The goods are not put back into stock.",
            button="Refund",
            step=lambda order: refund_payment(
                order=order,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"] or "Refunded from the back office.",
                actor=_actor(request),
            ),
            done="refunded",
            form=form,
        )

    def _confirmed(
        self,
        request: HttpRequest,
        object_id: str,
        *,
        to: str,
        question: str,
        button: str,
        step: Callable[[Order], object],
        done: str,
        form: forms.Form | None = None,
    ) -> HttpResponse:
        """Show a confirmation (with `form`'s fields, if any) for one order; on a POST (with
        the form valid) run `step` and go back to the order."""
        order = get_object_or_404(Order, pk=object_id)
        if refused := self._refused(request, order, to):
            return refused
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                step(order)
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"Order {order.number} {done}.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{button}: order {order.number}",
            "opts": self.opts,
            "order": order,
            "question": question,
            "button": button,
            "action_id": f"{to}-submit",
            "form": form,
        }
        return TemplateResponse(request, "admin/orders/order/confirm.html", context)

    def _fulfil_page(
        self,
        request: HttpRequest,
        *,
        form: FulfilForm | ShipmentForm,
        orders: list[Order],
        action: bool,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Ship orders in full" if action else f"Ship order {orders[0].number}",
            "carrier_names": carrier_names(),
            "carrier_list_id": CARRIER_LIST_ID,
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
        """Stream the orders the list shows (its filters and search) as CSV, one per row."""
        return self._export(request, "orders", CSV_COLUMNS, _order_rows)

    def export_lines_view(self, request: HttpRequest) -> HttpResponseBase:
        """Stream the lines of the orders the list shows as CSV, one line per row."""
        return self._export(request, "order-lines", LINE_CSV_COLUMNS, _line_rows)

    def _export(
        self,
        request: HttpRequest,
        name: str,
        header: Iterable[str],
        rows: "Callable[[QuerySet[Any]], Iterable[Iterable[Any]]]",
    ) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, "Those filters are not valid.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:orders_order_changelist"))
        response = StreamingHttpResponse(
            csv_lines(header, rows(changelist.queryset)), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return response


@admin.register(Shipment)
class ShipmentAdmin(_ShipmentColumns, admin.ModelAdmin[Shipment]):
    """Every parcel sent, findable by tracking number or order; recorded from the order."""

    list_display = ("order", "number", "created_at", "carrier", "tracking", "items")
    list_filter = ("carrier", "created_at")
    search_fields = ("tracking_number", "order__number", "order__email")
    search_help_text = "Tracking number, order number or customer e-mail."
    list_select_related = ("order",)
    readonly_fields = (
        "order", "number", "created_at", "carrier", "tracking_number", "tracking_url", "note",
        "created_by", "items",
    )  # fmt: skip
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        return _shipments_with_items(super().get_queryset(request))

    # Parcels are recorded from their order's page, through `create_shipment`.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Shipment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Shipment | None = None) -> bool:
        return False


class ReturnLineInline(_ReadOnlyInline):
    model = ReturnLine
    fk_name = "return_request"
    fields = ("order_line", "quantity")
    readonly_fields = fields


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin[ReturnRequest]):
    """Returns (RMAs) customers asked for; staff approve, reject, receive and refund them."""

    list_display = ("__str__", "order", "status", "reason", "restocked", "created_at")
    list_filter = ("status", "reason", "created_at")
    search_fields = ("order__number", "order__email")
    search_help_text = "Order number or customer e-mail."
    list_select_related = ("order",)
    inlines = (ReturnLineInline,)
    readonly_fields = (
        "order", "number", "status", "reason", "comment", "staff_note", "restocked",
        "requested_by", "created_at", "updated_at",
    )  # fmt: skip
    fields = readonly_fields
    actions = (
        "approve_returns", "reject_returns", "receive_and_restock", "receive_without_restock",
        "refund_returns",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReturnRequest | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReturnRequest | None = None) -> bool:
        return False

    def has_fulfil_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(FULFIL_PERMISSION)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REFUND_PERMISSION)

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[ReturnRequest],
        step: Callable[[ReturnRequest], object],
        done: str,
    ) -> None:
        """Apply `step` to each return; report each refusal, then what succeeded."""
        succeeded = []
        for item in queryset.select_related("order").order_by("created_at"):
            name = f"{item.order.number} {item.label}"
            try:
                step(item)
            except DomainError as exc:
                self.message_user(request, f"{name}: {exc.detail}", messages.ERROR)
                continue
            succeeded.append(name)
        if succeeded:
            self.message_user(
                request, f"{done} {len(succeeded)}: {', '.join(succeeded)}.", messages.SUCCESS
            )

    @admin.action(description="Approve selected returns", permissions=["fulfil"])
    def approve_returns(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        actor = _actor(request)
        self._each(
            request, queryset, lambda item: approve_return(request=item, actor=actor), "Approved"
        )

    @admin.action(description="Reject selected returns", permissions=["fulfil"])
    def reject_returns(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        actor = _actor(request)
        self._each(
            request, queryset, lambda item: reject_return(request=item, actor=actor), "Rejected"
        )

    @admin.action(description="Received: put the items back into stock", permissions=["fulfil"])
    def receive_and_restock(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        actor = _actor(request)
        self._each(
            request,
            queryset,
            lambda item: receive_return(request=item, restock=True, actor=actor),
            "Received and restocked",
        )

    @admin.action(description="Received: do not restock (damaged)", permissions=["fulfil"])
    def receive_without_restock(
        self, request: HttpRequest, queryset: QuerySet[ReturnRequest]
    ) -> None:
        actor = _actor(request)
        self._each(
            request,
            queryset,
            lambda item: receive_return(request=item, restock=False, actor=actor),
            "Received",
        )

    @admin.action(description="Refund the items of selected returns", permissions=["refund"])
    def refund_returns(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        actor = _actor(request)
        self._each(
            request, queryset, lambda item: refund_return(request=item, actor=actor), "Refunded"
        )
