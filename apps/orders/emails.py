"""Order e-mails: which one a status change calls for, and how each is rendered."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from apps.orders.models import Order, OrderEmail, OrderStatus

Kind = OrderEmail.Kind

SUBJECTS = {
    Kind.RECEIVED: "We have your order {number}",
    Kind.CONFIRMED: "Payment received for order {number}",
    Kind.SHIPPED: "Your order {number} is on its way",
    Kind.REFUNDED: "Your order {number} has been refunded",
}

# The e-mail a customer gets when an order reaches a status.
FOR_STATUS: dict[str, str] = {
    OrderStatus.PAID: Kind.CONFIRMED,
    OrderStatus.FULFILLED: Kind.SHIPPED,
    OrderStatus.REFUNDED: Kind.REFUNDED,
}


def build_message(order: Order, kind: str) -> EmailMultiAlternatives:
    """Return the text + HTML e-mail of this kind for the order (lines and totals included)."""
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "kind": kind,
        "note": order.events.filter(to_status=OrderStatus.FULFILLED)
        .values_list("note", flat=True)
        .last()
        if kind == Kind.SHIPPED
        else "",
    }
    message = EmailMultiAlternatives(
        subject=SUBJECTS[Kind(kind)].format(number=order.number),
        body=render_to_string(f"orders/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[order.email],
    )
    message.attach_alternative(render_to_string(f"orders/email/{kind}.html", context), "text/html")
    return message
