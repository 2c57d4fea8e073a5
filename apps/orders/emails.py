"""Order e-mails: which one a status change calls for, and how each is rendered.

Shipping e-mails are not tied to a status: one goes out per shipment (`create_shipment`).
"""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from apps.orders.models import Order, OrderEmail, OrderStatus, Shipment

Kind = OrderEmail.Kind

SUBJECTS = {
    Kind.RECEIVED: "We have your order {number}",
    Kind.CONFIRMED: "Payment received for order {number}",
    Kind.SHIPPED: "Your order {number} is on its way",
    # A later parcel of an order shipped in several.
    "shipped_more": "Another parcel of your order {number} is on its way",
    Kind.REFUNDED: "Your order {number} has been refunded",
}

# The e-mail a customer gets when an order reaches a status.
FOR_STATUS: dict[str, str] = {
    OrderStatus.PAID: Kind.CONFIRMED,
    OrderStatus.REFUNDED: Kind.REFUNDED,
}


def build_message(
    order: Order, kind: str, *, shipment: Shipment | None = None
) -> EmailMultiAlternatives:
    """Return the text + HTML e-mail of this kind for the order (lines and totals included).

    A shipping e-mail lists what `shipment` carries, how to track it and what is still to come.
    """
    lines = list(order.lines.all())
    context: dict[str, Any] = {"order": order, "lines": lines, "kind": kind}
    subject = SUBJECTS[Kind(kind)]
    if shipment is not None:
        context["shipment"] = shipment
        context["parcel"] = list(shipment.lines.select_related("order_line"))
        context["to_come"] = [line for line in lines if line.quantity_to_ship]
        if shipment.number > 1:
            subject = SUBJECTS["shipped_more"]
    message = EmailMultiAlternatives(
        subject=subject.format(number=order.number),
        body=render_to_string(f"orders/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.email],
    )
    message.attach_alternative(render_to_string(f"orders/email/{kind}.html", context), "text/html")
    return message
