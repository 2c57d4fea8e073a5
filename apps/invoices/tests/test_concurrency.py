"""Gap-free numbers under real concurrency on PostgreSQL.

Threads, each on a database connection of its own, are released together by a barrier, so
the issuing transactions really overlap. What keeps the numbers gap-free and unique is the
counter row each issuer holds locked until its transaction ends: a transaction that rolls
back gives its number back to whoever waited for the row.

SQLite serialises writers, so these tests skip there, and fail with REQUIRE_SERVICES=1 (CI).
"""

from decimal import Decimal
from functools import partial

import pytest
from django.db import transaction
from django.utils import timezone

from apps.core.tests.concurrency import require_postgresql, run_at_once
from apps.invoices.models import CreditNote, DocumentCounter, Invoice
from apps.invoices.services import issue_invoice
from apps.invoices.tests.factories import paid_order, place
from apps.orders.models import Order, OrderStatus
from apps.orders.services.lifecycle import mark_order_paid
from apps.orders.tests.factories import OrderFactory, OrderLineFactory
from apps.payments.services import refund_payment
from apps.users.models import User

pytestmark = [pytest.mark.django_db(transaction=True)]

ORDERS = 12


@pytest.fixture(autouse=True)
def _real_postgresql() -> None:
    require_postgresql()


class Abandoned(Exception):
    """Raised to roll back a transaction after the order was paid and invoiced."""


def sequences(numbers: list[str]) -> list[int]:
    return sorted(int(number.rsplit("-", 1)[1]) for number in numbers)


def test_orders_paid_at_once_get_consecutive_invoice_numbers_even_when_some_roll_back(
    user: User,
) -> None:
    orders = [place(user) for _ in range(ORDERS)]
    year = timezone.localtime().year

    def pay(order: Order, *, roll_back: bool) -> str | None:
        try:
            with transaction.atomic():
                mark_order_paid(order=order, actor=None)
                number = Invoice.objects.get(order=order).number
                if roll_back:
                    raise Abandoned(number)
        except Abandoned:
            return None
        return number

    answers = run_at_once(
        [partial(pay, order, roll_back=index % 3 == 0) for index, order in enumerate(orders)]
    )

    committed = [number for number in answers if number is not None]
    assert len(committed) == ORDERS - len(range(0, ORDERS, 3))
    # Every committed number is there once, and none is missing below the highest.
    assert sequences(committed) == list(range(1, len(committed) + 1))
    assert all(number.startswith(f"INV-{year}-") for number in committed)
    assert sorted(Invoice.objects.values_list("number", flat=True)) == sorted(committed)
    assert DocumentCounter.objects.get(series="INV", year=year).last == len(committed)
    rolled_back = [order.pk for index, order in enumerate(orders) if index % 3 == 0]
    assert set(Order.objects.filter(pk__in=rolled_back).values_list("status", flat=True)) == {
        OrderStatus.PENDING
    }


def test_one_order_invoiced_by_many_at_once_gets_one_invoice_and_one_number() -> None:
    # Paid before invoicing existed, so nothing has invoiced it yet.
    order = OrderFactory.create(status=OrderStatus.PAID)
    OrderLineFactory.create(order=order)

    numbers = run_at_once([lambda: issue_invoice(order=order).number] * 8)

    assert len(set(numbers)) == 1
    assert Invoice.objects.count() == 1
    assert DocumentCounter.objects.get(series="INV").last == 1


def test_refunds_of_several_orders_at_once_get_consecutive_credit_note_numbers(
    user: User,
) -> None:
    orders = [paid_order(user, price="10.00") for _ in range(4)]

    def refund_twice(order: Order) -> list[str]:
        refunds = [
            refund_payment(order=order, amount=Decimal("1.00"), reason="", actor=None)
            for _ in range(2)
        ]
        return [CreditNote.objects.get(refund=refund).number for refund in refunds]

    answers = run_at_once([partial(refund_twice, order) for order in orders])

    numbers = [number for pair in answers for number in pair]
    assert sequences(numbers) == list(range(1, 9))
    assert CreditNote.objects.count() == 8
    assert DocumentCounter.objects.get(series="CN").last == 8
