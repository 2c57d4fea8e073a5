"""Issuing invoices and credit notes: snapshots, gap-free yearly numbers, immutability."""

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from apps.cart import services as cart_services
from apps.invoices.errors import DocumentImmutable, NotInvoiceable
from apps.invoices.models import CreditNote, DocumentCounter, Invoice
from apps.invoices.services import issue_credit_note, issue_invoice
from apps.invoices.tests.factories import credit_notes_of, invoice_of, paid_order, pay, place
from apps.orders.models import Order, OrderLine, OrderStatus
from apps.orders.services.lifecycle import cancel_order, mark_order_paid
from apps.orders.services.shipments import fulfil_order
from apps.orders.tests.factories import (
    OrderFactory,
    OrderLineFactory,
    checkout,
    fill_cart,
    make_shipping,
    make_variant,
    new_cart,
    set_created_at,
)
from apps.payments.errors import InvalidRefund
from apps.payments.models import Payment, PaymentStatus, Refund, SandboxIntent
from apps.payments.services import refund_payment

pytestmark = pytest.mark.django_db

T0 = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def seller(settings):
    settings.SHOP_LEGAL_NAME = "Emporium Trading GmbH"
    settings.SHOP_ADDRESS = ["Hauptstraße 1", "10115 Berlin", "Germany"]
    settings.SHOP_VAT_ID = "ATU12345678"
    return settings


def counters() -> dict[tuple[str, int], int]:
    return {(c.series, c.year): c.last for c in DocumentCounter.objects.all()}


# --- The invoice of a paid order ------------------------------------------------------------


def test_paying_an_order_issues_its_invoice_with_a_snapshot_of_everything_it_shows(
    user, seller, frozen
):
    standard = make_shipping(price="4.95")
    tee = make_variant(price="20.00", discount="10", product_name="Tee", name="Large")
    mug = make_variant(price="8.50", product_name="Mug")
    cart = fill_cart(new_cart(user), {tee: 2, mug: 1})
    cart_services.set_shipping_method(cart=cart, shipping_method_id=standard.pk)
    order = checkout(cart, user=user)
    pay(order)
    order.refresh_from_db()

    invoice = invoice_of(order)

    assert invoice.number == "INV-2031-000001"
    assert invoice.issued_at == T0
    assert invoice.order_number == order.number
    assert (invoice.seller_name, invoice.seller_address, invoice.seller_vat_id) == (
        "Emporium Trading GmbH",
        "Hauptstraße 1\n10115 Berlin\nGermany",
        "ATU12345678",
    )
    assert invoice.buyer_name == "Ada Lovelace"
    assert invoice.buyer_address == "12 Analytical Row\nN1 9GU London\nUnited Kingdom"
    assert invoice.buyer_email == user.email
    assert invoice.lines == [
        {
            "sku": tee.sku,
            "name": "Tee, Large",
            "quantity": 2,
            "unit_list_price": "20.00",
            "discount_percent": "10.00",
            "unit_price": "18.00",
            "line_total": "36.00",
        },
        {
            "sku": mug.sku,
            "name": f"Mug, {mug.name}" if mug.name else "Mug",
            "quantity": 1,
            "unit_list_price": "8.50",
            "discount_percent": "0.00",
            "unit_price": "8.50",
            "line_total": "8.50",
        },
    ]
    amounts = ("subtotal", "discount_total", "voucher_discount", "shipping_total", "tax_total")
    for name in (*amounts, "total", "currency", "tax_rate", "prices_include_tax"):
        assert getattr(invoice, name) == getattr(order, name), name
    assert invoice.subtotal == Decimal("48.50")
    assert invoice.discount_total == Decimal("4.00")
    assert invoice.shipping_total == Decimal("4.95")
    assert invoice.total == Decimal("49.45")
    assert invoice.tax_label == "VAT"


def test_invoice_numbers_count_up_without_gaps(user, frozen):
    numbers = [invoice_of(paid_order(user)).number for _ in range(3)]

    assert numbers == ["INV-2031-000001", "INV-2031-000002", "INV-2031-000003"]
    assert counters() == {("INV", 2031): 3}


def test_invoice_numbers_start_again_each_year(user, time_machine):
    time_machine.move_to(datetime(2031, 12, 31, 23, 59, 59, tzinfo=UTC), tick=False)
    last_of_2031 = [invoice_of(paid_order(user)).number for _ in range(2)]
    time_machine.move_to(datetime(2032, 1, 1, 0, 0, 1, tzinfo=UTC), tick=False)
    first_of_2032 = invoice_of(paid_order(user)).number

    assert last_of_2031 == ["INV-2031-000001", "INV-2031-000002"]
    assert first_of_2032 == "INV-2032-000001"
    assert counters() == {("INV", 2031): 2, ("INV", 2032): 1}


def test_the_year_of_a_number_is_the_shop_s_year(user, settings, time_machine):
    settings.TIME_ZONE = "Europe/Berlin"
    # 23:30 UTC on New Year's Eve is already half past midnight in Berlin.
    time_machine.move_to(datetime(2031, 12, 31, 23, 30, tzinfo=UTC), tick=False)

    assert invoice_of(paid_order(user)).number == "INV-2032-000001"


def test_issuing_twice_returns_the_first_invoice_and_counts_no_number(user, frozen):
    order = paid_order(user)
    first = invoice_of(order)

    again = issue_invoice(order=order)

    assert again.pk == first.pk
    assert again.number == first.number
    assert Invoice.objects.count() == 1
    assert counters() == {("INV", 2031): 1}


def test_the_database_refuses_a_second_invoice_of_an_order(user, frozen):
    invoice = invoice_of(paid_order(user))
    fields = {
        field.name: getattr(invoice, field.name)
        for field in Invoice._meta.fields
        if field.name not in ("id", "number", "order")
    }

    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(**fields, number="INV-2031-999999", order=invoice.order)


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CANCELLED])
def test_an_order_that_is_not_paid_is_not_invoiced(status):
    order = OrderFactory.create(status=status)

    with pytest.raises(NotInvoiceable, match=f"{order.number} is {status}"):
        issue_invoice(order=order)

    assert not Invoice.objects.exists()
    assert not DocumentCounter.objects.exists()


def test_cancelling_or_fulfilling_issues_no_invoice_of_its_own(user, frozen):
    cancelled = place(user)
    cancel_order(order=cancelled, actor=None)
    fulfilled = paid_order(user)
    fulfil_order(order=fulfilled, actor=None, tracking_note="DHL 123")

    assert list(Invoice.objects.values_list("order_id", "number")) == [
        (fulfilled.pk, "INV-2031-000001")
    ]


def test_a_rolled_back_paid_transition_leaves_no_gap_in_the_numbers(user, frozen):
    first, second = place(user), place(user)

    def pay_then_fail() -> None:
        with transaction.atomic():
            mark_order_paid(order=first, actor=None)
            assert invoice_of(first).number == "INV-2031-000001"
            raise RuntimeError("the payment's transaction fails after the order was paid")

    with pytest.raises(RuntimeError):
        pay_then_fail()

    assert not Invoice.objects.exists()
    assert Order.objects.get(pk=first.pk).status == OrderStatus.PENDING
    mark_order_paid(order=second, actor=None)
    assert invoice_of(second).number == "INV-2031-000001"


# --- Immutability ---------------------------------------------------------------------------


def test_an_issued_invoice_refuses_every_change(user, frozen):
    invoice = invoice_of(paid_order(user))
    invoice.total = Decimal("0.01")

    with pytest.raises(DocumentImmutable):
        invoice.save()
    with pytest.raises(DocumentImmutable):
        invoice.delete()
    with pytest.raises(DocumentImmutable):
        Invoice.objects.filter(pk=invoice.pk).update(total=Decimal("0.01"))
    with pytest.raises(DocumentImmutable):
        Invoice.objects.filter(pk=invoice.pk).delete()

    invoice.refresh_from_db()
    assert invoice.total == Decimal("40.00")


def test_later_changes_to_the_shop_or_the_order_leave_the_invoice_as_issued(user, seller, frozen):
    order = paid_order(user)
    invoice = invoice_of(order)
    seller.SHOP_LEGAL_NAME = "Someone Else Ltd"
    OrderLine.objects.filter(order=order).update(product_name="Renamed")
    Order.objects.filter(pk=order.pk).update(shipping_name="Moved Away")

    invoice.refresh_from_db()
    assert invoice.seller_name == "Emporium Trading GmbH"
    assert invoice.buyer_name == "Ada Lovelace"
    assert "Renamed" not in invoice.lines[0]["name"]


# --- Credit notes ---------------------------------------------------------------------------


def test_each_of_two_partial_refunds_gets_a_credit_note_against_the_invoice(user, frozen):
    order = paid_order(user, price="40.00")
    invoice = invoice_of(order)

    first = refund_payment(order=order, amount=Decimal("5.00"), reason="Damaged box", actor=None)
    rest = refund_payment(order=order, amount=None, reason="Returned", actor=None)

    notes = credit_notes_of(order)
    assert [(n.number, n.total, n.reason, n.refund_id) for n in notes] == [
        ("CN-2031-000001", Decimal("5.00"), "Damaged box", first.pk),
        ("CN-2031-000002", Decimal("35.00"), "Returned", rest.pk),
    ]
    assert {n.invoice_id for n in notes} == {invoice.pk}
    # The tax the refunded (tax-inclusive) amount contains, at the invoice's 20 %.
    assert [n.tax_total for n in notes] == [Decimal("0.83"), Decimal("5.83")]
    assert {n.issued_at for n in notes} == {T0}
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
    assert counters() == {("INV", 2031): 1, ("CN", 2031): 2}


def test_credit_notes_are_numbered_apart_from_invoices(user, frozen):
    one, two = paid_order(user), paid_order(user)

    refund_payment(order=two, amount=Decimal("1.00"), reason="", actor=None)
    refund_payment(order=one, amount=Decimal("1.00"), reason="", actor=None)

    assert [n.number for n in credit_notes_of(two)] == ["CN-2031-000001"]
    assert [n.number for n in credit_notes_of(one)] == ["CN-2031-000002"]
    assert invoice_of(two).number == "INV-2031-000002"


def captured(order: Order) -> Payment:
    """Record a captured sandbox payment of an order without moving the order (old data)."""
    intent = SandboxIntent.objects.create(
        id=f"pi_sbx_{order.number}",
        amount=order.total,
        currency=order.currency,
        status=SandboxIntent.Status.SUCCEEDED,
        client_secret=order.number,
        reference=order.number,
        idempotency_key=f"{order.pk}:1",
    )
    return Payment.objects.create(
        order=order,
        provider="sandbox",
        provider_id=intent.id,
        amount=order.total,
        currency=order.currency,
        status=PaymentStatus.SUCCEEDED,
    )


def test_a_refund_of_an_order_paid_before_invoicing_issues_the_invoice_first(user, frozen):
    """Orders paid before invoices existed have none: their first refund issues it."""
    paid_order(user)  # takes INV-2031-000001
    legacy = OrderFactory.create(user=user, status=OrderStatus.PAID)
    OrderLineFactory.create(order=legacy, unit_price=Decimal("19.99"))
    captured(legacy)

    refund_payment(order=legacy, amount=Decimal("2.00"), reason="Late", actor=None)

    invoice = invoice_of(legacy)
    assert invoice.number == "INV-2031-000002"
    assert invoice.total == Decimal("19.99")
    assert invoice.lines[0]["line_total"] == "19.99"
    assert [(n.number, n.invoice_id, n.total) for n in credit_notes_of(legacy)] == [
        ("CN-2031-000001", invoice.pk, Decimal("2.00"))
    ]


def test_a_refund_of_a_cancelled_order_s_stray_capture_needs_no_credit_note(user, frozen):
    """A payment captured after its order was cancelled goes back; nothing was invoiced."""
    order = OrderFactory.create(user=user, status=OrderStatus.CANCELLED)
    captured(order)

    refund = refund_payment(order=order, amount=None, reason="Stray capture", actor=None)

    assert refund.amount == order.total
    assert issue_credit_note(refund=refund) is None
    assert not Invoice.objects.exists()
    assert not CreditNote.objects.exists()
    assert not DocumentCounter.objects.exists()


def test_issuing_a_refund_s_credit_note_again_returns_the_first(user, frozen):
    order = paid_order(user)
    refund = refund_payment(order=order, amount=Decimal("3.00"), reason="", actor=None)

    again = issue_credit_note(refund=refund)

    assert again is not None
    assert again.number == "CN-2031-000001"
    assert CreditNote.objects.count() == 1
    assert counters()[("CN", 2031)] == 1


def test_a_refused_refund_issues_no_credit_note(user, frozen):
    order = paid_order(user, price="40.00")

    with pytest.raises(InvalidRefund):
        refund_payment(order=order, amount=Decimal("40.01"), reason="", actor=None)

    assert not Refund.objects.exists()
    assert not CreditNote.objects.exists()
    assert ("CN", 2031) not in counters()


def test_an_issued_credit_note_refuses_every_change(user, frozen):
    order = paid_order(user)
    refund_payment(order=order, amount=Decimal("3.00"), reason="", actor=None)
    note = credit_notes_of(order)[0]
    note.reason = "Changed"

    with pytest.raises(DocumentImmutable):
        note.save()
    with pytest.raises(DocumentImmutable):
        CreditNote.objects.update(reason="Changed")
    note.refresh_from_db()
    assert note.reason == ""


# --- Documents for data from before invoicing -----------------------------------------------


def test_the_backfill_issues_what_old_orders_and_refunds_lack_once(user, frozen):
    invoiced = paid_order(user)  # INV-2031-000001, issued when it was paid
    old_paid = set_created_at(
        OrderFactory.create(user=user, status=OrderStatus.FULFILLED),
        datetime(2030, 5, 1, tzinfo=UTC),
    )
    old_refunded = set_created_at(
        OrderFactory.create(user=user, status=OrderStatus.PAID), datetime(2030, 6, 1, tzinfo=UTC)
    )
    OrderFactory.create(user=user, status=OrderStatus.PENDING)
    OrderFactory.create(user=user, status=OrderStatus.CANCELLED)
    # A refund recorded before credit notes existed.
    refund = Refund.objects.create(payment=captured(old_refunded), amount=Decimal("1.00"))

    out = StringIO()
    call_command("issue_missing_invoices", stdout=out)
    again = StringIO()
    call_command("issue_missing_invoices", stdout=again)

    assert out.getvalue().strip() == "Issued 2 invoice(s) and 1 credit note(s)."
    assert again.getvalue().strip() == "Issued 0 invoice(s) and 0 credit note(s)."
    assert invoice_of(invoiced).number == "INV-2031-000001"
    assert invoice_of(old_paid).number == "INV-2031-000002"
    assert invoice_of(old_refunded).number == "INV-2031-000003"
    assert CreditNote.objects.get(refund=refund).number == "CN-2031-000001"
    assert Invoice.objects.count() == 3


def test_issuing_is_five_queries_however_many_lines_the_order_has(
    user, frozen, django_assert_num_queries
):
    small, large = (
        OrderFactory.create(status=OrderStatus.PAID),
        OrderFactory.create(status=OrderStatus.PAID),
    )
    OrderLineFactory.create(order=small)
    OrderLineFactory.create_batch(20, order=large)

    # The order locked, its invoice looked for, its lines, the counter, the insert.
    with django_assert_num_queries(5):
        issue_invoice(order=small)
    with django_assert_num_queries(5):
        issue_invoice(order=large)
    assert len(invoice_of(large).lines) == 20
