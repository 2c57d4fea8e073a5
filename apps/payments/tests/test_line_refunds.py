"""Partial refunds by line, quantity and shipping: each item at what the customer paid for it.

A refund names items (each unit at its price less its share of the voucher, with tax added
back where prices exclude it), part of the shipping fee, or a free amount. Lines count their
refunded units, so an item is never refunded twice; a refund made at the provider arrives by
webhook and is recorded as one of ours; the order page lists refunds.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import override_settings

from apps.cart import services as cart_services
from apps.core.tests.helpers import assert_problem, client_for
from apps.orders.models import Order, OrderLine, OrderStatus
from apps.orders.tests.factories import (
    checkout,
    fill_cart,
    make_shipping,
    make_variant,
    make_voucher,
    new_cart,
    order_url,
    staff_client,
)
from apps.payments import services
from apps.payments.errors import InvalidRefund
from apps.payments.gateways import sandbox
from apps.payments.models import Payment, PaymentStatus, Refund, RefundLine
from apps.payments.services import RefundItem
from apps.payments.tests.helpers import SUCCEEDING_CARD, intent_of, refund_url
from apps.storefront.tests.helpers import browser_for
from apps.users.models import User

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


def paid_order(
    user: User, capture: Capture, *, voucher: bool = False, shipping: str = "5.00"
) -> Order:
    """Pay, through the sandbox, 2 lamps at 30.00 and 1 shade at 20.00 plus shipping."""
    lamp = make_variant(sku="LAMP", price="30.00", stock=10)
    shade = make_variant(sku="SHADE", price="20.00", stock=10)
    cart = fill_cart(new_cart(user), {lamp: 2, shade: 1})
    cart_services.set_shipping_method(
        cart=cart, shipping_method_id=make_shipping(price=shipping).pk
    )
    if voucher:
        make_voucher(code="TENOFF", kind="fixed", value=Decimal("8.00"))
        cart_services.apply_voucher(cart=cart, code="TENOFF", user=user)
    order = checkout(cart, user=user)
    payment = services.start_payment(order=order)
    with capture(execute=True):
        sandbox.sandbox_pay(
            intent_id=payment.provider_id,
            client_secret=payment.client_secret,
            card_number=SUCCEEDING_CARD,
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def line(order: Order, sku: str) -> OrderLine:
    return order.lines.get(sku=sku)


def payment_of(order: Order) -> Payment:
    return Payment.objects.get(order=order, status__in=PaymentStatus.values[1:])


def refunded_units(order: Order) -> dict[str, int]:
    return dict(order.lines.values_list("sku", "refunded_quantity"))


# --- The amounts ----------------------------------------------------------------------------


def test_an_item_is_refunded_at_its_price_and_counted_on_its_line(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)

    refund = services.refund_payment(
        order=order, items=[RefundItem(line(order, "LAMP").pk, 1)], reason="Broken", actor=None
    )

    assert (refund.amount, refund.shipping_amount) == (Decimal("30.00"), Decimal(0))
    assert list(refund.lines.values_list("order_line__sku", "quantity", "amount")) == [
        ("LAMP", 1, Decimal("30.00"))
    ]
    assert refunded_units(order) == {"LAMP": 1, "SHADE": 0}
    payment = payment_of(order)
    assert (payment.status, payment.refunded_amount) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        Decimal("30.00"),
    )
    assert intent_of(payment).refunded == Decimal("30.00")  # the provider gave it back
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_each_item_bears_its_share_of_the_voucher(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    # Goods 80.00, voucher 8.00 off (10 %): each lamp cost 27.00 of the money paid.
    order = paid_order(user, django_capture_on_commit_callbacks, voucher=True)
    assert order.voucher_discount == Decimal("8.00")

    refund = services.refund_payment(
        order=order, items=[RefundItem(line(order, "LAMP").pk, 2)], reason="", actor=None
    )

    assert refund.amount == Decimal("54.00")


@override_settings(PRICES_INCLUDE_TAX=False, TAX_RATE=Decimal("0.20"))
def test_tax_added_on_top_of_prices_is_refunded_too(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    assert not order.prices_include_tax

    refund = services.refund_payment(
        order=order,
        items=[RefundItem(line(order, "SHADE").pk, 1)],
        shipping=Decimal("6.00"),  # the 5.00 fee and its 1.00 tax
        reason="",
        actor=None,
    )

    assert (refund.amount, refund.shipping_amount) == (Decimal("30.00"), Decimal("6.00"))


def test_an_item_and_part_of_the_shipping_fee_in_one_refund(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)

    refund = services.refund_payment(
        order=order,
        items=[RefundItem(line(order, "SHADE").pk, 1)],
        shipping=Decimal("2.50"),
        reason="Returned, half the postage back",
        actor=None,
    )

    assert (refund.amount, refund.shipping_amount) == (Decimal("22.50"), Decimal("2.50"))
    # The rest of the fee, and no more.
    services.refund_payment(order=order, shipping=Decimal("2.50"), reason="", actor=None)
    with pytest.raises(InvalidRefund, match=r"At most 0\.00 EUR of the shipping fee"):
        services.refund_payment(order=order, shipping=Decimal("0.01"), reason="", actor=None)


def test_refunding_every_item_and_the_shipping_refunds_the_order(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)

    services.refund_payment(
        order=order,
        items=[RefundItem(line(order, "LAMP").pk, 2), RefundItem(line(order, "SHADE").pk, 1)],
        shipping=Decimal("5.00"),
        reason="",
        actor=None,
    )

    order.refresh_from_db()
    payment = payment_of(order)
    assert (order.status, payment.status) == (OrderStatus.REFUNDED, PaymentStatus.REFUNDED)
    assert payment.refunded_amount == order.total == Decimal("85.00")


# --- Refusals change nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": [("LAMP", 3)]}, "2 left to refund, not 3"),
        ({"items": [("LAMP", 0)]}, "at least 1"),
        ({"items": [("OTHER", 1)]}, "no line"),
        ({"shipping": Decimal("5.01")}, "At most 5.00 EUR of the shipping fee"),
        ({"shipping": Decimal("-1")}, "of the shipping fee"),
        ({"items": [("LAMP", 1)], "amount": Decimal("1.00")}, "not both"),
    ],
)
def test_a_refund_of_more_than_was_bought_or_charged_is_refused(
    user: User, django_capture_on_commit_callbacks: Capture, kwargs: dict, message: str
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    other = make_variant(sku="OTHER")
    ids = {"LAMP": line(order, "LAMP").pk, "OTHER": other.pk * 1000}
    if "items" in kwargs:
        kwargs = {**kwargs, "items": [RefundItem(ids[sku], n) for sku, n in kwargs["items"]]}

    with pytest.raises(InvalidRefund) as refused:
        services.refund_payment(order=order, reason="", actor=None, **kwargs)

    assert message in f"{refused.value} {refused.value.errors}"
    assert refunded_units(order) == {"LAMP": 0, "SHADE": 0}
    assert not Refund.objects.exists()
    assert payment_of(order).refunded_amount == 0
    assert intent_of(payment_of(order)).refunded == 0


def test_an_item_refunded_already_is_not_refunded_again(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    shade = line(order, "SHADE")
    services.refund_payment(order=order, items=[RefundItem(shade.pk, 1)], reason="", actor=None)

    with pytest.raises(InvalidRefund) as refused:
        services.refund_payment(order=order, items=[RefundItem(shade.pk, 1)], reason="", actor=None)

    assert "0 left to refund, not 1" in str(refused.value.errors)
    assert Refund.objects.count() == 1
    assert payment_of(order).refunded_amount == Decimal("20.00")


def test_the_database_refuses_a_line_refunded_beyond_its_quantity(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)

    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(order=order).update(refunded_quantity=F("quantity") + 1)


# --- Webhook reconciliation -----------------------------------------------------------------


def test_a_refund_made_at_the_provider_is_recorded_when_its_webhook_arrives(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    payment = payment_of(order)
    services.refund_payment(order=order, amount=Decimal("10.00"), reason="Ours", actor=None)
    # Staff refund 15.00 more in the provider's dashboard; its event says 25.00 in all.
    event = services.ProviderEvent(
        event_id="evt_dashboard_refund",
        type="refund.succeeded",
        provider_payment_id=payment.provider_id,
        amount=Decimal("25.00"),
    )
    record = services.WebhookEvent.objects.create(
        provider=payment.provider, event_id=event.event_id, type=event.type, payload={}
    )

    applied = services.apply_event(record_id=record.pk, event=event)
    again = services.apply_event(record_id=record.pk, event=event)

    assert applied.outcome == again.outcome == services.Outcome.APPLIED
    refunds = list(Refund.objects.order_by("created_at").values_list("amount", "reason"))
    assert refunds == [(Decimal("10.00"), "Ours"), (Decimal("15.00"), "Refunded at sandbox.")]
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("25.00")


# --- The staff API --------------------------------------------------------------------------


def test_staff_refund_an_item_and_shipping_and_the_order_shows_it(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    client, _ = staff_client()
    lamp = line(order, "LAMP")

    response = client.post(
        refund_url(order),
        {"items": [{"line": lamp.pk, "quantity": 1}], "shipping": "5.00", "reason": "Returned"},
        format="json",
        headers={"Idempotency-Key": "refund-lamp"},
    )
    retry = client.post(
        refund_url(order),
        {"items": [{"line": lamp.pk, "quantity": 1}], "shipping": "5.00", "reason": "Returned"},
        format="json",
        headers={"Idempotency-Key": "refund-lamp"},
    )

    assert response.status_code == 200, response.content
    assert retry.json() == response.json()  # the retry refunded nothing more
    [refund] = response.json()["refunds"]
    assert (refund["amount"], refund["shipping_amount"], refund["reason"]) == (
        "35.00",
        "5.00",
        "Returned",
    )
    assert refund["items"] == [
        {
            "line": lamp.pk,
            "sku": "LAMP",
            "product_name": lamp.product_name,
            "quantity": 1,
            "amount": "30.00",
        }
    ]
    assert Refund.objects.count() == 1
    # The customer sees the refund on the order too.
    customer_view = client_for(user).get(order_url(order)).json()
    assert [r["amount"] for r in customer_view["refunds"]] == ["35.00"]
    assert {row["sku"]: row["refunded_quantity"] for row in customer_view["lines"]} == {
        "LAMP": 1,
        "SHADE": 0,
    }


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"amount": "1.00", "shipping": "1.00"}, 400, "validation_error", "amount"),
        ({"items": []}, 400, "validation_error", "items.non_field_errors"),
        ({"items": [{"line": 1, "quantity": 0}]}, 400, "validation_error", "items.0.quantity"),
        ({"shipping": "0"}, 400, "validation_error", "shipping"),
        ({"shipping": "9.99"}, 400, "invalid_refund", "shipping"),
        ({"items": [{"line": 0, "quantity": 1}]}, 400, "invalid_refund", "items"),
        ({"amount": "85.01"}, 400, "invalid_refund", "amount"),
    ],
)
def test_a_bad_refund_request_gets_a_problem_and_changes_nothing(
    user: User,
    django_capture_on_commit_callbacks: Capture,
    body: dict,
    status: int,
    code: str,
    field: str,
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    client, _ = staff_client()

    response = client.post(refund_url(order), body, format="json")

    problem = assert_problem(response, status, code)
    assert field in [error["field"] for error in problem.get("errors", [])], problem
    assert not Refund.objects.exists()
    assert not RefundLine.objects.exists()
    assert payment_of(order).refunded_amount == 0


def test_the_customers_order_page_lists_the_refunds(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    services.refund_payment(
        order=order,
        items=[RefundItem(line(order, "LAMP").pk, 1)],
        shipping=Decimal("5.00"),
        reason="Arrived broken",
        actor=None,
    )

    page = browser_for(user).get(f"/account/orders/{order.pk}/").content.decode()

    assert 'id="order-refunds"' in page
    lamp_name = line(order, "LAMP").product_name
    assert (
        f"<strong>35.00 EUR</strong> for 1 \u00d7 {lamp_name} and shipping (5.00 EUR)"
        " — Arrived broken"
    ) in page
    assert "(1 refunded)" in page


def test_items_already_paid_back_by_a_free_refund_are_refused(
    user: User, django_capture_on_commit_callbacks: Capture
) -> None:
    order = paid_order(user, django_capture_on_commit_callbacks)
    services.refund_payment(order=order, amount=Decimal("70.00"), reason="Goodwill", actor=None)

    with pytest.raises(InvalidRefund, match=r"at most 15\.00 EUR"):
        services.refund_payment(
            order=order, items=[RefundItem(line(order, "SHADE").pk, 1)], reason="", actor=None
        )

    assert refunded_units(order) == {"LAMP": 0, "SHADE": 0}
    assert payment_of(order).refunded_amount == Decimal("70.00")
