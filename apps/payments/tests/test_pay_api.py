"""Paying an order through the API and the sandbox's hosted pay step."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.core.tests.helpers import assert_problem
from apps.orders.models import Order, OrderEvent, OrderStatus
from apps.orders.services.lifecycle import cancel_order
from apps.orders.tests.factories import client_for
from apps.payments.models import Payment, PaymentStatus, SandboxIntent, WebhookEvent
from apps.payments.tests.helpers import (
    DECLINED_CARD,
    intent_of,
    pay_url,
    place,
    sandbox_pay,
    start,
)
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


def paid_events(order: Order) -> list[tuple[str, str]]:
    return list(
        OrderEvent.objects.filter(order=order, to_status=OrderStatus.PAID).values_list(
            "from_status", "to_status"
        )
    )


def test_the_owner_starts_a_payment(user: User, auth_client: APIClient) -> None:
    order = place(user)
    response = start(auth_client, order)
    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get(order=order)
    assert body["id"] == str(payment.pk)
    assert body["status"] == "pending"
    assert body["provider"] == "sandbox"
    assert body["amount"] == f"{order.total:.2f}"
    assert body["currency"] == order.currency
    assert body["client_secret"] == payment.client_secret
    assert body["client_secret"].startswith(payment.provider_id)
    assert payment.provider_id in body["redirect_url"]
    intent = intent_of(payment)
    assert intent.amount == order.total
    assert intent.reference == order.number
    assert intent.status == SandboxIntent.Status.REQUIRES_PAYMENT


def test_another_customers_order_is_not_found(user: User) -> None:
    order = place(user)
    response = start(client_for(UserFactory.create()), order)
    assert_problem(response, 404, "not_found")
    assert not Payment.objects.exists()


def test_anonymous_callers_must_sign_in(user: User) -> None:
    order = place(user)
    response = APIClient().post(pay_url(order))
    assert response.status_code == 401
    assert not Payment.objects.exists()


def test_a_retry_with_the_same_idempotency_key_returns_the_same_payment(
    user: User, auth_client: APIClient
) -> None:
    order = place(user)
    first = start(auth_client, order, key="pay-1")
    second = start(auth_client, order, key="pay-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Payment.objects.filter(order=order).count() == 1
    assert SandboxIntent.objects.count() == 1


def test_without_a_key_a_second_call_resumes_the_pending_payment(
    user: User, auth_client: APIClient
) -> None:
    order = place(user)
    first = start(auth_client, order)
    second = start(auth_client, order)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["client_secret"] == second.json()["client_secret"]
    assert Payment.objects.filter(order=order).count() == 1
    assert SandboxIntent.objects.count() == 1


def test_paying_with_the_succeeding_card_pays_the_order(
    user: User, auth_client: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sandbox_pay(payment)

    assert response.status_code == 200, response.content
    assert response.json() == {"id": payment.provider_id, "status": "succeeded"}
    assert len(callbacks) >= 1
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount_mismatch is False
    assert order.status == OrderStatus.PAID
    assert paid_events(order) == [(OrderStatus.PENDING, OrderStatus.PAID)]
    events = list(WebhookEvent.objects.all())
    assert len(events) == 1
    assert events[0].type == "payment.succeeded"
    assert events[0].outcome == WebhookEvent.Outcome.APPLIED
    assert events[0].attempts == 1
    assert events[0].processed_at is not None
    assert intent_of(payment).status == SandboxIntent.Status.SUCCEEDED


def test_paying_the_same_intent_twice_changes_nothing(
    user: User, auth_client: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_pay(payment)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sandbox_pay(payment)
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert callbacks == []
    assert WebhookEvent.objects.count() == 1
    assert len(paid_events(order)) == 1


def test_paying_again_after_success_is_a_conflict(
    user: User, auth_client: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    order = place(user)
    start(auth_client, order)
    with django_capture_on_commit_callbacks(execute=True):
        sandbox_pay(Payment.objects.get(order=order))

    response = start(auth_client, order)

    assert_problem(response, 409, "already_paid")
    assert Payment.objects.filter(order=order).count() == 1


def test_a_cancelled_order_cannot_be_paid(user: User, auth_client: APIClient) -> None:
    order = place(user)
    cancel_order(order=order, actor=user)
    response = start(auth_client, order)
    assert_problem(response, 409, "order_not_payable")
    assert not Payment.objects.exists()
    assert not SandboxIntent.objects.exists()


def test_a_declined_card_fails_the_payment_and_a_new_attempt_is_possible(
    user: User, auth_client: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)

    with django_capture_on_commit_callbacks(execute=True):
        response = sandbox_pay(payment, DECLINED_CARD)

    assert_problem(response, 402, "card_declined")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason
    assert order.status == OrderStatus.PENDING
    assert intent_of(payment).status == SandboxIntent.Status.FAILED
    failed = WebhookEvent.objects.get()
    assert (failed.type, failed.outcome) == ("payment.failed", WebhookEvent.Outcome.APPLIED)

    retry = start(auth_client, order)

    assert retry.status_code == 201
    assert retry.json()["id"] != str(payment.pk)
    assert retry.json()["client_secret"] != payment.client_secret
    assert Payment.objects.filter(order=order).count() == 2
    second = Payment.objects.get(pk=retry.json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        assert sandbox_pay(second).status_code == 200
    order.refresh_from_db()
    second.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert second.status == PaymentStatus.SUCCEEDED
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.FAILED


def test_a_wrong_client_secret_is_not_found(
    user: User, auth_client: APIClient, django_capture_on_commit_callbacks: Capture
) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sandbox_pay(payment, secret=payment.client_secret + "x")
    assert_problem(response, 404, "not_found")
    assert callbacks == []
    assert intent_of(payment).status == SandboxIntent.Status.REQUIRES_PAYMENT
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_an_unknown_intent_is_not_found(user: User, auth_client: APIClient) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)
    payment.provider_id = "pi_sbx_missing"
    assert_problem(sandbox_pay(payment), 404, "not_found")


@pytest.mark.parametrize("card", ["4111 1111 1111 1111", "not a card", "4242"])
def test_an_invalid_card_number_is_refused(user: User, auth_client: APIClient, card: str) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)
    response = sandbox_pay(payment, card)
    assert_problem(response, 400, "invalid_card")
    assert intent_of(payment).status == SandboxIntent.Status.REQUIRES_PAYMENT


def test_a_missing_card_number_is_a_validation_error(user: User, auth_client: APIClient) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)
    response = APIClient().post(
        f"/api/v1/payments/sandbox/{payment.provider_id}/pay/",
        {"client_secret": payment.client_secret},
        format="json",
    )
    assert_problem(response, 400, "validation_error", field="card_number")


@override_settings(SANDBOX_ENABLED=False)
def test_the_sandbox_pay_step_is_absent_when_disabled(user: User, auth_client: APIClient) -> None:
    order = place(user)
    start(auth_client, order)
    payment = Payment.objects.get(order=order)
    response = sandbox_pay(payment)
    assert_problem(response, 404, "not_found")
    assert intent_of(payment).status == SandboxIntent.Status.REQUIRES_PAYMENT
