"""Helpers for the payment tests: real orders, sandbox events signed as the provider signs them."""

import json
import secrets
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from apps.orders.models import Order
from apps.orders.tests.factories import buy, make_variant
from apps.payments.gateways.sandbox import SIGNATURE_HEADER
from apps.payments.gateways.signing import sign
from apps.payments.models import Payment, SandboxIntent
from apps.users.models import User

WEBHOOK_URL = "/api/v1/payments/webhooks/sandbox/"
SUCCEEDING_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def pay_url(order: Order) -> str:
    return f"/api/v1/orders/{order.pk}/pay/"


def sandbox_pay_url(intent_id: str) -> str:
    return f"/api/v1/payments/sandbox/{intent_id}/pay/"


def refund_url(order: Order) -> str:
    return f"/api/v1/staff/orders/{order.pk}/refund/"


def webhook_url(provider: str = "sandbox") -> str:
    return f"/api/v1/payments/webhooks/{provider}/"


def place(user: User, *, price: str = "19.99", quantity: int = 1) -> Order:
    """Place a real pending order of `user` for one product."""
    return buy({make_variant(price=price): quantity}, user=user)


def start(client: APIClient, order: Order, *, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(pay_url(order), headers=headers)


def sandbox_pay(payment: Payment, card: str = SUCCEEDING_CARD, *, secret: str | None = None) -> Any:
    """Complete a payment on the sandbox's hosted pay step (anonymous, like a browser)."""
    body = {
        "client_secret": payment.client_secret if secret is None else secret,
        "card_number": card,
    }
    return APIClient().post(sandbox_pay_url(payment.provider_id), body, format="json")


def event(
    event_type: str,
    *,
    intent_id: str,
    amount: Decimal | str,
    currency: str | None = None,
    refunded: Decimal | str = "0.00",
    event_id: str | None = None,
    **data: Any,
) -> dict[str, Any]:
    """A sandbox event body, shaped as `apps.payments.gateways.sandbox` announces them."""
    return {
        "id": event_id or f"evt_test_{secrets.token_hex(8)}",
        "type": event_type,
        "created": int(time.time()),
        "data": {
            "id": intent_id,
            "amount": f"{Decimal(amount):.2f}",
            "currency": currency or settings.DEFAULT_CURRENCY,
            "status": "succeeded",
            "refunded": f"{Decimal(refunded):.2f}",
            "reference": "EMP-TEST",
            **data,
        },
    }


def payment_event(event_type: str, payment: Payment, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "intent_id": payment.provider_id,
        "amount": payment.amount,
        "currency": payment.currency,
        **overrides,
    }
    return event(event_type, **values)


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def signature(raw: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
    return sign(raw, secret=secret or settings.SANDBOX_WEBHOOK_SECRET, timestamp=timestamp)


def post_webhook(
    raw: bytes | dict[str, Any],
    *,
    header: str | None = "sign",
    provider: str = "sandbox",
    client: Client | None = None,
) -> Any:
    """POST a webhook body; `header="sign"` signs it validly, None sends no signature."""
    body = encode(raw) if isinstance(raw, dict) else raw
    headers = {}
    if header == "sign":
        headers[SIGNATURE_HEADER] = signature(body)
    elif header is not None:
        headers[SIGNATURE_HEADER] = header
    return (client or Client()).post(
        webhook_url(provider), data=body, content_type="application/json", headers=headers
    )


def intent_of(payment: Payment) -> SandboxIntent:
    return SandboxIntent.objects.get(pk=payment.provider_id)
