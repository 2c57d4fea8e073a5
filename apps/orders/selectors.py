"""Order reads, always scoped to their owner (staff reads are separate and explicit)."""

from typing import Any
from uuid import UUID

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from apps.core.errors import NotFound
from apps.core.keyset import KeysetOrder, KeysetPage, paginate_keyset
from apps.core.models import remember_related
from apps.orders.models import (
    SOLD_STATUSES,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
)
from apps.payments.models import CAPTURED, Payment, Refund, RefundLine
from apps.users.models import User

NEWEST_FIRST = KeysetOrder("created_at", descending=True, key_type="datetime")
MONEY: "DecimalField[Any, Any]" = DecimalField(max_digits=14, decimal_places=2)
SPENT = SOLD_STATUSES


def refunded_money() -> Any:
    """Return an expression of an order: the money refunded of its captured payment (or 0)."""
    refunded = Payment.objects.filter(order=OuterRef("pk"), status__in=CAPTURED).values(
        "refunded_amount"
    )[:1]
    return Coalesce(Subquery(refunded), Value(0), output_field=MONEY)


def _with_item_count(orders: Any) -> Any:
    items = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(n=Sum("quantity"))
        .values("n")[:1]
    )
    return orders.annotate(item_count=Coalesce(Subquery(items), Value(0)))


def list_orders(
    *, user: User, status: str | None, cursor: str | None, page_size: int
) -> KeysetPage[Order]:
    """Return a page of the user's orders, newest first, optionally of one status."""
    orders = Order.objects.filter(user=user)
    if status:
        orders = orders.filter(status=status)
    return paginate_keyset(
        _with_item_count(orders), order=NEWEST_FIRST, cursor=cursor, page_size=page_size
    )


def _detail(orders: Any) -> Any:
    parcels = Shipment.objects.prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line"))
    )
    refunds = Refund.objects.prefetch_related(
        Prefetch("lines", queryset=RefundLine.objects.select_related("order_line"))
    )
    returns = ReturnRequest.objects.prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line"))
    )
    return orders.prefetch_related(
        "lines",
        Prefetch("shipments", queryset=parcels),
        Prefetch("refunds", queryset=refunds),
        Prefetch("returns", queryset=returns),
        "events",
    )


def with_related(order: Order, *, lines: list[OrderLine], events: list[OrderEvent]) -> Order:
    """Return `order` with its lines and events in hand, as `_detail` loads them, no query.

    For an order just written: what was inserted is what a re-read would find (and it has
    no shipments, refunds or returns yet).
    """
    remember_related(order, "lines", lines)
    remember_related(order, "shipments", [])
    remember_related(order, "refunds", [])
    remember_related(order, "returns", [])
    remember_related(order, "events", events)
    return order


def get_order(*, user: User, order_id: UUID) -> Order:
    """Return one of the user's orders with its lines and events.

    Raises:
        NotFound: no such order among the user's (another customer's order is not found).
    """
    order = _detail(Order.objects.filter(user=user, pk=order_id)).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def find_guest_order(*, number: str, email: str) -> Order:
    """Return an order by its number and the e-mail it was placed with.

    Raises:
        NotFound: no order matches both (the answer does not say which one is wrong).
    """
    order = (
        _detail(Order.objects.alias(email_lower=Lower("email")))
        .filter(number=number.strip().upper(), email_lower=email.strip().lower())
        .first()
    )
    if order is None:
        raise NotFound("No order with this number and e-mail address.")
    return order


def order_stats(*, user: User) -> dict[str, Any]:
    """Return the user's order count, total spent (less refunds) and count per status, in
    one query."""
    counts = {status: Count("pk", filter=Q(status=status)) for status in OrderStatus.values}
    row = (
        Order.objects.filter(user=user)
        .annotate(kept=F("total") - refunded_money())
        .aggregate(
            order_count=Count("pk"),
            total_spent=Coalesce(
                Sum("kept", filter=Q(status__in=SPENT)), Value(0), output_field=MONEY
            ),
            **counts,
        )
    )
    return {
        "order_count": row["order_count"],
        "total_spent": f"{row['total_spent']:.2f}",
        "by_status": {status: row[status] for status in OrderStatus.values},
    }


def staff_list_orders(
    *, status: str | None, search: str | None, cursor: str | None, page_size: int
) -> KeysetPage[Order]:
    """Return a page of all orders, newest first; search by number, e-mail or SKU."""
    orders = Order.objects.all()
    if status:
        orders = orders.filter(status=status)
    if search:
        term = search.strip()
        by_sku = OrderLine.objects.filter(order=OuterRef("pk"), sku__iexact=term)
        orders = orders.filter(Q(number__iexact=term) | Q(email__iexact=term) | Q(Exists(by_sku)))
    return paginate_keyset(
        _with_item_count(orders), order=NEWEST_FIRST, cursor=cursor, page_size=page_size
    )


def staff_get_order(*, order_id: UUID) -> Order:
    order = _detail(Order.objects.filter(pk=order_id)).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def get_shipment(*, shipment_id: UUID) -> Shipment:
    """Return a shipment with what it carries (the lines' names and SKUs)."""
    parcel = ShipmentLine.objects.select_related("order_line")
    shipment = (
        Shipment.objects.filter(pk=shipment_id)
        .prefetch_related(Prefetch("lines", queryset=parcel))
        .first()
    )
    if shipment is None:
        raise NotFound("No such shipment.")
    return shipment


def staff_get_return(*, return_id: UUID) -> ReturnRequest:
    """Return a return (RMA) with its order and what it takes back.

    Raises:
        NotFound: no such return.
    """
    request = (
        ReturnRequest.objects.select_related("order")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line"))
        )
        .filter(pk=return_id)
        .first()
    )
    if request is None:
        raise NotFound("No such return.")
    return request
