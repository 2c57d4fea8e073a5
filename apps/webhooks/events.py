"""The events the shop publishes, and their payloads: small, stable JSON (ids as strings,
amounts as decimal strings with their currency). docs/api.md documents each one.

Each `publish_*` runs inside the transaction of the change it reports (see `publish_event`).
"""

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings

from apps.webhooks.models import EventType, OutboxEvent
from apps.webhooks.services import publish_event, publish_events

if TYPE_CHECKING:
    from apps.cart.pricing import LineInfo
    from apps.catalog.models import Product
    from apps.orders.models import Order, OrderLine, Shipment
    from apps.payments.models import Refund


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def order_data(order: "Order") -> dict[str, Any]:
    """Return what every order event says about the order."""
    return {
        "id": str(order.pk),
        "number": order.number,
        "status": order.status,
        "currency": order.currency,
        "total": str(order.total),
        "user_id": str(order.user_id) if order.user_id else None,
    }


def stock_low_data(line: "LineInfo", *, threshold: int) -> dict[str, Any]:
    return {
        "product_id": str(line.product_id),
        "variant_id": line.variant_id,
        "sku": line.sku,
        "stock": line.stock - line.quantity,
        "threshold": threshold,
    }


def crossed_low_stock(lines: Iterable["LineInfo"], *, threshold: int) -> list["LineInfo"]:
    """Return the lines whose sale takes their variant from above `threshold` to at or below it.

    Once per crossing: a sale that starts at or below the threshold is not another one.
    """
    return [line for line in lines if line.stock > threshold >= line.stock - line.quantity]


def publish_order_placed(
    *, order: "Order", lines: Sequence["OrderLine"], stock: Iterable["LineInfo"]
) -> list[OutboxEvent]:
    """Publish `order.created`, and `stock.low` for each variant the order took below the
    LOW_STOCK_THRESHOLD (`stock`: the checkout's lines, with the stock they found), at once."""
    threshold: int = settings.LOW_STOCK_THRESHOLD
    created = {
        **order_data(order),
        "created_at": _when(order.created_at),
        "subtotal": str(order.subtotal),
        "shipping_total": str(order.shipping_total),
        "tax_total": str(order.tax_total),
        "lines": [
            {
                "sku": line.sku,
                "product_id": str(line.product_id) if line.product_id else None,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
            }
            for line in lines
        ],
    }
    low = [
        (EventType.STOCK_LOW.value, stock_low_data(line, threshold=threshold))
        for line in crossed_low_stock(stock, threshold=threshold)
    ]
    return publish_events(events=[(EventType.ORDER_CREATED.value, created), *low])


def publish_order_paid(*, order: "Order") -> OutboxEvent:
    """Publish `order.paid` (call it as the order becomes paid)."""
    return publish_event(type=EventType.ORDER_PAID, data=order_data(order))


def publish_refund_created(*, refund: "Refund") -> OutboxEvent:
    """Publish `refund.created` for a refund just made (its payment and order loaded)."""
    payment = refund.payment
    return publish_event(
        type=EventType.REFUND_CREATED,
        data={
            "id": str(refund.pk),
            "order_id": str(payment.order_id),
            "order_number": payment.order.number,
            "payment_id": str(payment.pk),
            "amount": str(refund.amount),
            "shipping_amount": str(refund.shipping_amount),
            "currency": payment.currency,
            "items": [
                {"line": line.order_line_id, "quantity": line.quantity, "amount": str(line.amount)}
                for line in refund.lines.all()
            ],
            "created_at": _when(refund.created_at),
        },
    )


def publish_shipment_created(
    *, shipment: "Shipment", items: Iterable[tuple["OrderLine", int]]
) -> OutboxEvent:
    """Publish `shipment.created` for a parcel just recorded: (order line, quantity) items."""
    order = shipment.order
    return publish_event(
        type=EventType.SHIPMENT_CREATED,
        data={
            "id": str(shipment.pk),
            "order_id": str(order.pk),
            "order_number": order.number,
            "order_status": order.status,
            "number": shipment.number,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "items": [
                {"line": line.pk, "sku": line.sku, "quantity": quantity} for line, quantity in items
            ],
            "created_at": _when(shipment.created_at),
        },
    )


def product_data(product: "Product", *, created: bool = False) -> dict[str, Any]:
    return {
        "id": str(product.pk),
        "slug": product.slug,
        "name": product.name,
        "is_active": product.is_active,
        "created": created,
        "updated_at": _when(product.updated_at),
    }


def publish_product_updated(*, product: "Product", created: bool = False) -> OutboxEvent:
    """Publish `product.updated` for a product just saved (`created`: a new one)."""
    return publish_event(
        type=EventType.PRODUCT_UPDATED, data=product_data(product, created=created)
    )


def publish_products_updated(*, products: Iterable["Product"]) -> list[OutboxEvent]:
    """Publish `product.updated` for each of products changed in bulk (no save signals)."""
    return publish_events(
        events=[(EventType.PRODUCT_UPDATED.value, product_data(p)) for p in products]
    )
