"""The Stripe adapter: API calls checked at the HTTP layer, webhooks signed as Stripe signs them.

No network: `responses` answers every request the `stripe` package sends through `requests`,
and refuses any it was not told about.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.conf import LazySettings
from django.test import Client
from responses import matchers

from apps.orders.models import Order, OrderEvent, OrderStatus
from apps.orders.tests.factories import buy, make_variant
from apps.payments.gateways.base import (
    GatewayError,
    InvalidSignature,
    PaymentIntent,
    ProviderEvent,
    ProviderPayment,
    get_gateway,
)
from apps.payments.gateways.stripe import StripeGateway, from_minor, to_minor
from apps.payments.models import Payment, PaymentStatus, WebhookEvent
from apps.users.models import User

SECRET_KEY = "sk_test_51EmporiumSecretKeyNeverShown"
WEBHOOK_SECRET = "whsec_test_emporium_signing_secret"
API = "https://api.stripe.com/v1"
WEBHOOK_URL = "/api/v1/payments/webhooks/stripe/"


@pytest.fixture(autouse=True)
def _stripe_settings(settings: LazySettings) -> None:
    settings.PAYMENT_GATEWAYS = {
        **settings.PAYMENT_GATEWAYS,
        "stripe": "apps.payments.gateways.stripe.StripeGateway",
    }
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    settings.WEBHOOK_TOLERANCE_SECONDS = 300


@pytest.fixture(autouse=True)
def api() -> Iterator[responses.RequestsMock]:
    """Every test: no request leaves the process; the ones registered must all be sent."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def gateway() -> StripeGateway:
    return StripeGateway()


# --- Stripe's objects, shaped as its API reference documents them ---------------------------


def payment_intent(
    *,
    intent_id: str = "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    amount: int = 1999,
    amount_received: int = 0,
    currency: str = "eur",
    status: str = "requires_payment_method",
    latest_charge: Any = None,
    last_payment_error: dict[str, Any] | None = None,
    reference: str = "EMP-2025-000001",
) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount_received,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_YrKJUKribcBjcG8HVhfZluoGH",
        "confirmation_method": "automatic",
        "created": 1680800504,
        "currency": currency,
        "customer": None,
        "description": None,
        "last_payment_error": last_payment_error,
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": {"reference": reference},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card", "link"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    *,
    intent_id: str = "pi_3MtwBwLkdIwHu7ix28a3tqPa",
    amount: int = 1999,
    amount_refunded: int = 0,
    currency: str = "eur",
) -> dict[str, Any]:
    return {
        "id": "ch_3MtwBwLkdIwHu7ix28Cb1oJs",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "balance_transaction": "txn_3MtwBwLkdIwHu7ix2Mr9CPzG",
        "captured": True,
        "created": 1680800505,
        "currency": currency,
        "disputed": False,
        "livemode": False,
        "metadata": {},
        "paid": True,
        "payment_intent": intent_id,
        "payment_method": "pm_1MtwBvLkdIwHu7ixJi8WUdeL",
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
    }


def refund_object(*, amount: int = 500, intent_id: str = "pi_3MtwBwLkdIwHu7ix28a3tqPa") -> dict:
    return {
        "id": "re_3MtwBwLkdIwHu7ix0bFR8rD6",
        "object": "refund",
        "amount": amount,
        "balance_transaction": "txn_3MtwBwLkdIwHu7ix2gCrLdcE",
        "charge": "ch_3MtwBwLkdIwHu7ix28Cb1oJs",
        "created": 1680800700,
        "currency": "eur",
        "metadata": {"reason": "damaged"},
        "payment_intent": intent_id,
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def card_error() -> dict[str, Any]:
    return {
        "error": {
            "code": "card_declined",
            "decline_code": "generic_decline",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card was declined.",
            "param": "",
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_8Kz1",
            "type": "card_error",
        }
    }


def form(call: Any) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def assert_authenticated(call: Any) -> None:
    assert call.request.headers["Authorization"] == f"Bearer {SECRET_KEY}"


# --- Amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("19.99"), "EUR", 1999),
        (Decimal("0.50"), "usd", 50),
        (Decimal(1500), "JPY", 1500),
        (Decimal("1.234"), "KWD", 1234),
    ],
)
def test_amounts_travel_in_the_currencys_minor_unit(
    amount: Decimal, currency: str, minor: int
) -> None:
    assert to_minor(amount, currency) == minor
    assert from_minor(minor, currency) == amount


def test_an_amount_finer_than_the_minor_unit_is_refused() -> None:
    with pytest.raises(GatewayError):
        to_minor(Decimal("19.995"), "EUR")


def test_the_gateway_is_configured_by_name() -> None:
    assert isinstance(get_gateway("stripe"), StripeGateway)


# --- create_payment -------------------------------------------------------------------------


def test_create_payment_creates_a_payment_intent(
    api: responses.RequestsMock, gateway: StripeGateway
) -> None:
    api.post(f"{API}/payment_intents", json=payment_intent())

    intent = gateway.create_payment(
        amount=Decimal("19.99"), currency="EUR", reference="EMP-2025-000001", idempotency_key="o:1"
    )

    assert intent == PaymentIntent(
        provider_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
        client_secret="pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
        redirect_url="",
    )
    assert len(api.calls) == 1
    call = api.calls[0]
    assert call.request.method == "POST"
    assert call.request.url == f"{API}/payment_intents"
    assert_authenticated(call)
    assert call.request.headers["Idempotency-Key"] == "o:1"
    assert form(call) == {
        "amount": ["1999"],
        "currency": ["eur"],
        "automatic_payment_methods[enabled]": ["true"],
        "metadata[reference]": ["EMP-2025-000001"],
    }


def test_a_refused_create_is_a_gateway_error_without_the_key(
    api: responses.RequestsMock, gateway: StripeGateway
) -> None:
    api.post(
        f"{API}/payment_intents",
        json=card_error(),
        status=402,
        headers={"Request-Id": "req_8Kz1"},
    )

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(
            amount=Decimal("19.99"), currency="EUR", reference="EMP-1", idempotency_key="o:1"
        )

    message = caught.value.detail
    assert "Your card was declined." in message
    assert "card_declined" in message
    assert "402" in message
    assert SECRET_KEY not in message
    assert SECRET_KEY not in str(caught.value)
    assert len(api.calls) == 1  # a 402 is not retried


def test_an_unconfigured_key_is_a_gateway_error(settings: LazySettings) -> None:
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(GatewayError, match="STRIPE_SECRET_KEY"):
        StripeGateway().create_payment(
            amount=Decimal("19.99"), currency="EUR", reference="EMP-1", idempotency_key="o:1"
        )


# --- retrieve_payment -----------------------------------------------------------------------


def retrieve_url(intent_id: str = "pi_3MtwBwLkdIwHu7ix28a3tqPa") -> str:
    return f"{API}/payment_intents/{intent_id}"


EXPAND = matchers.query_param_matcher({"expand[0]": "latest_charge"})


def test_a_succeeded_intent_reports_its_capture_and_refunds(
    api: responses.RequestsMock, gateway: StripeGateway
) -> None:
    api.get(
        retrieve_url(),
        match=[EXPAND],
        json=payment_intent(
            status="succeeded",
            amount_received=1999,
            latest_charge=charge(amount_refunded=500),
        ),
    )

    state = gateway.retrieve_payment(provider_id="pi_3MtwBwLkdIwHu7ix28a3tqPa")

    assert state == ProviderPayment(
        provider_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
        status="succeeded",
        amount=Decimal("19.99"),
        currency="EUR",
        refunded_amount=Decimal("5.00"),
    )
    call = api.calls[0]
    url = urlsplit(str(call.request.url))
    assert call.request.method == "GET"
    assert (url.scheme, url.netloc) == ("https", "api.stripe.com")
    assert url.path == "/v1/payment_intents/pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert parse_qs(url.query) == {"expand[0]": ["latest_charge"]}
    assert_authenticated(call)


@pytest.mark.parametrize(
    ("intent", "status"),
    [
        ({"status": "requires_payment_method"}, "pending"),
        ({"status": "requires_action"}, "pending"),
        ({"status": "processing"}, "pending"),
        ({"status": "canceled"}, "failed"),
        (
            {
                "status": "requires_payment_method",
                "last_payment_error": {
                    "code": "card_declined",
                    "message": "Your card was declined.",
                    "type": "card_error",
                },
                "latest_charge": "ch_3MtwBwLkdIwHu7ix28Cb1oJs",
            },
            "failed",
        ),
    ],
)
def test_stripe_statuses_map_to_ours(
    api: responses.RequestsMock, gateway: StripeGateway, intent: dict[str, Any], status: str
) -> None:
    api.get(retrieve_url(), match=[EXPAND], json=payment_intent(**intent))

    state = gateway.retrieve_payment(provider_id="pi_3MtwBwLkdIwHu7ix28a3tqPa")

    assert state.status == status
    assert state.amount == Decimal("19.99")
    assert state.refunded_amount == Decimal(0)


def test_retrieving_an_unknown_intent_is_a_gateway_error(
    api: responses.RequestsMock, gateway: StripeGateway
) -> None:
    api.get(
        retrieve_url("pi_missing"),
        match=[EXPAND],
        status=404,
        json={
            "error": {
                "code": "resource_missing",
                "message": "No such payment_intent: 'pi_missing'",
                "param": "intent",
                "type": "invalid_request_error",
            }
        },
    )
    with pytest.raises(GatewayError, match="No such payment_intent"):
        gateway.retrieve_payment(provider_id="pi_missing")


# --- refund ---------------------------------------------------------------------------------


def test_refund_creates_a_stripe_refund(
    api: responses.RequestsMock, gateway: StripeGateway
) -> None:
    api.get(
        retrieve_url(),
        json=payment_intent(status="succeeded", amount_received=1999, latest_charge="ch_1"),
    )
    api.post(f"{API}/refunds", json=refund_object(amount=500))

    result = gateway.refund(
        provider_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
        amount=Decimal("5.00"),
        reason="damaged",
        idempotency_key="p:1",
    )

    assert result.provider_refund_id == "re_3MtwBwLkdIwHu7ix0bFR8rD6"
    call = api.calls[1]
    assert call.request.method == "POST"
    assert call.request.url == f"{API}/refunds"
    assert_authenticated(call)
    assert call.request.headers["Idempotency-Key"] == "p:1"
    assert form(call) == {
        "payment_intent": ["pi_3MtwBwLkdIwHu7ix28a3tqPa"],
        "amount": ["500"],
        "metadata[reason]": ["damaged"],
    }


def test_a_refused_refund_is_a_gateway_error_without_the_key(
    api: responses.RequestsMock, gateway: StripeGateway
) -> None:
    api.get(retrieve_url(), json=payment_intent(status="succeeded", amount_received=1999))
    api.post(
        f"{API}/refunds",
        status=400,
        json={
            "error": {
                "code": "charge_already_refunded",
                "message": "Charge ch_3MtwBwLkdIwHu7ix28Cb1oJs has already been refunded.",
                "type": "invalid_request_error",
            }
        },
    )
    with pytest.raises(GatewayError) as caught:
        gateway.refund(
            provider_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
            amount=Decimal("19.99"),
            reason="again",
            idempotency_key="p:2",
        )
    assert "already been refunded" in caught.value.detail
    assert SECRET_KEY not in caught.value.detail


def test_an_authentication_failure_does_not_leak_the_key(
    api: responses.RequestsMock, gateway: StripeGateway
) -> None:
    api.post(
        f"{API}/payment_intents",
        status=401,
        json={
            "error": {
                "message": f"Invalid API Key provided: {SECRET_KEY}",
                "type": "invalid_request_error",
            }
        },
    )
    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(
            amount=Decimal("19.99"), currency="EUR", reference="EMP-1", idempotency_key="o:1"
        )
    assert SECRET_KEY not in caught.value.detail
    assert "AuthenticationError" in caught.value.detail


# --- Webhooks -------------------------------------------------------------------------------


def stripe_event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or "evt_3MtwBwLkdIwHu7ix0Ykrq8Tm",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, indent=2).encode()  # Stripe sends pretty-printed JSON


def sign(raw: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header, computed as Stripe documents it."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def parse(gateway: StripeGateway, raw: bytes, header: str | None = "sign") -> ProviderEvent:
    headers = {}
    if header == "sign":
        headers["Stripe-Signature"] = sign(raw)
    elif header is not None:
        headers["Stripe-Signature"] = header
    return gateway.parse_webhook(body=raw, headers=headers)


def test_a_signed_payment_succeeded_event(gateway: StripeGateway) -> None:
    obj = payment_intent(status="succeeded", amount_received=1999, latest_charge="ch_1")
    body = stripe_event("payment_intent.succeeded", obj)

    event = parse(gateway, encode(body))

    assert event == ProviderEvent(
        event_id="evt_3MtwBwLkdIwHu7ix0Ykrq8Tm",
        type="payment.succeeded",
        provider_payment_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
        amount=Decimal("19.99"),
        currency="EUR",
        payload=body,
    )
    json.dumps(event.payload)  # storable as JSON


def test_a_signed_payment_failed_event(gateway: StripeGateway) -> None:
    obj = payment_intent(
        last_payment_error={
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "type": "card_error",
        }
    )

    event = parse(gateway, encode(stripe_event("payment_intent.payment_failed", obj)))

    assert event.type == "payment.failed"
    assert event.provider_payment_id == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert event.reason == "Your card has insufficient funds."
    assert event.currency == "EUR"


def test_a_signed_charge_refunded_event_carries_the_total_refunded(
    gateway: StripeGateway,
) -> None:
    obj = charge(amount=1999, amount_refunded=1500)

    event = parse(gateway, encode(stripe_event("charge.refunded", obj)))

    assert event.type == "refund.succeeded"
    assert event.provider_payment_id == "pi_3MtwBwLkdIwHu7ix28a3tqPa"
    assert event.amount == Decimal("15.00")
    assert event.currency == "EUR"


def test_another_event_type_keeps_its_stripe_type(gateway: StripeGateway) -> None:
    body = stripe_event("payment_intent.created", payment_intent())

    event = parse(gateway, encode(body))

    assert event.type == "payment_intent.created"
    assert event.event_id == "evt_3MtwBwLkdIwHu7ix0Ykrq8Tm"
    assert event.provider_payment_id is None
    assert event.payload == body


def test_a_stored_event_parses_again(gateway: StripeGateway) -> None:
    obj = payment_intent(status="succeeded", amount_received=1999)
    first = parse(gateway, encode(stripe_event("payment_intent.succeeded", obj)))
    assert gateway.parse_stored(json.loads(json.dumps(first.payload))) == first


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("garbage", id="malformed"),
        pytest.param("t=1680800504", id="no-v1"),
        pytest.param("wrong-secret", id="wrong-secret"),
    ],
)
def test_a_bad_signature_is_refused(gateway: StripeGateway, header: str | None) -> None:
    raw = encode(stripe_event("payment_intent.succeeded", payment_intent()))
    if header == "wrong-secret":
        header = sign(raw, secret="whsec_test_someone_else")
    with pytest.raises(InvalidSignature):
        parse(gateway, raw, header)


def test_a_tampered_body_is_refused(gateway: StripeGateway) -> None:
    obj = payment_intent(status="succeeded", amount_received=1999)
    raw = encode(stripe_event("payment_intent.succeeded", obj))
    header = sign(raw)
    tampered = raw.replace(b"1999", b"1")
    with pytest.raises(InvalidSignature):
        gateway.parse_webhook(body=tampered, headers={"Stripe-Signature": header})


def test_a_signature_older_than_the_tolerance_is_refused(gateway: StripeGateway) -> None:
    raw = encode(stripe_event("payment_intent.succeeded", payment_intent()))
    header = sign(raw, timestamp=int(time.time()) - 301)
    with pytest.raises(InvalidSignature):
        parse(gateway, raw, header)


def test_without_a_webhook_secret_everything_is_refused(
    gateway: StripeGateway, settings: LazySettings
) -> None:
    raw = encode(stripe_event("payment_intent.succeeded", payment_intent()))
    header = sign(raw, secret="")
    settings.STRIPE_WEBHOOK_SECRET = ""
    with pytest.raises(InvalidSignature):
        parse(gateway, raw, header)


def test_a_signed_body_that_is_not_an_event_is_refused(gateway: StripeGateway) -> None:
    with pytest.raises(InvalidSignature):
        parse(gateway, b"not json")
    with pytest.raises(InvalidSignature):
        parse(gateway, json.dumps({"object": "event", "type": "charge.refunded"}).encode())
    with pytest.raises(InvalidSignature):
        parse(gateway, json.dumps({"id": "evt_1", "object": "event", "type": 5}).encode())


# --- Through the API ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_stripe_webhook_pays_the_order_once(user: User) -> None:
    order: Order = buy({make_variant(price="19.99"): 1}, user=user)
    assert order.status == OrderStatus.PENDING
    payment = Payment.objects.create(
        order=order,
        provider="stripe",
        provider_id="pi_3MtwBwLkdIwHu7ix28a3tqPa",
        amount=order.total,
        currency=order.currency,
        client_secret="pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH",
    )
    cents = to_minor(order.total, order.currency)
    obj = payment_intent(
        amount=cents,
        amount_received=cents,
        currency=order.currency.lower(),
        status="succeeded",
        reference=order.number,
    )
    raw = encode(stripe_event("payment_intent.succeeded", obj, event_id="evt_api_1"))
    client = Client()

    def post(header: str) -> Any:
        return client.post(
            WEBHOOK_URL,
            data=raw,
            content_type="application/json",
            headers={"Stripe-Signature": header},
        )

    refused = post(sign(raw, secret="whsec_test_forged"))
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING

    first = post(sign(raw))
    assert first.status_code == 200, first.content
    assert first.json() == {"received": True, "outcome": "applied"}
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert payment.status == PaymentStatus.SUCCEEDED
    assert not payment.amount_mismatch
    record = WebhookEvent.objects.get()
    assert (record.provider, record.event_id, record.type) == (
        "stripe",
        "evt_api_1",
        "payment.succeeded",
    )
    events = OrderEvent.objects.filter(order=order).count()

    again = post(sign(raw))
    assert again.status_code == 200, again.content
    assert again.json() == {"received": True, "outcome": "applied"}
    assert WebhookEvent.objects.count() == 1
    assert OrderEvent.objects.filter(order=order).count() == events
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert payment.status == PaymentStatus.SUCCEEDED
