"""The payments back office: refunds through the gateway, with clear messages."""

import pytest
from django.test import Client

from apps.orders.models import OrderStatus
from apps.orders.tests.factories import buy, make_variant
from apps.payments.gateways.sandbox import SUCCEEDING_CARD, sandbox_pay
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services import start_payment
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payments/payment/"


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def paid_payment(django_capture_on_commit_callbacks) -> Payment:
    with django_capture_on_commit_callbacks(execute=True):
        order = buy({make_variant(price="30.00", stock=5): 1})
        payment = start_payment(order=order)
        sandbox_pay(
            intent_id=payment.provider_id,
            client_secret=payment.client_secret,
            card_number=SUCCEEDING_CARD,
        )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment


def test_the_refund_action_refunds_through_the_gateway(
    admin_client, django_capture_on_commit_callbacks
):
    payment = paid_payment(django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": "refund_in_full", "_selected_action": [payment.pk]},
            follow=True,
        )

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunds.get().amount == payment.amount
    assert payment.order.status == OrderStatus.REFUNDED
    assert "Refunded 1 payment(s)" in response.content.decode()


def test_refunding_twice_shows_a_message_not_a_traceback(
    admin_client, django_capture_on_commit_callbacks
):
    payment = paid_payment(django_capture_on_commit_callbacks)
    data = {"action": "refund_in_full", "_selected_action": [payment.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(CHANGELIST, data)
    response = admin_client.post(CHANGELIST, data, follow=True)

    assert response.status_code == 200
    assert "is already refunded in full" in response.content.decode()
    assert payment.refunds.count() == 1


def test_the_payment_and_webhook_lists_render(admin_client, django_capture_on_commit_callbacks):
    paid_payment(django_capture_on_commit_callbacks)
    assert admin_client.get(CHANGELIST + "?q=EMP").status_code == 200
    assert admin_client.get("/admin/payments/webhookevent/").status_code == 200
