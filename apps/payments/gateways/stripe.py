"""The Stripe provider: PaymentIntents paid with Stripe's Payment Element, refunds, webhooks.

Every call goes through the official `stripe` package (a `StripeClient` on the `requests`
HTTP client, retrying network failures and 409/5xx answers twice). Amounts travel to Stripe in
the currency's minor unit and come back as Decimal in major units; currencies are lower-case
at Stripe and upper-case here. Webhooks are verified with `stripe.Webhook.construct_event`
against STRIPE_WEBHOOK_SECRET on the raw body before anything is read from them.

Configure the webhook endpoint `/api/v1/payments/webhooks/stripe/` in the Stripe dashboard with
at least `payment_intent.succeeded`, `payment_intent.payment_failed` and `charge.refunded`.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from apps.core.money import quantize
from apps.payments.gateways.base import (
    GatewayError,
    InvalidSignature,
    PaymentIntent,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
)

SIGNATURE_HEADER = "Stripe-Signature"
MAX_NETWORK_RETRIES = 2
# Seconds to wait for Stripe (connect and read); the call may run while a row is locked.
TIMEOUT_SECONDS = 30

# Stripe event types, and the Emporium types they become.
PAYMENT_SUCCEEDED = "payment_intent.succeeded"
PAYMENT_FAILED = "payment_intent.payment_failed"
CHARGE_REFUNDED = "charge.refunded"


def minor_places(currency: str) -> int:
    """Return how many decimal places the currency's minor unit has (2 for EUR, 0 for JPY)."""
    return -int(quantize(Decimal(1), currency).as_tuple().exponent)


def to_minor(amount: Decimal, currency: str) -> int:
    """Return `amount` in the currency's minor unit (19.99 EUR → 1999).

    Raises:
        GatewayError: the amount is not a whole number of minor units.
    """
    rounded = quantize(amount, currency)
    if rounded != amount:
        raise GatewayError(f"{amount} is not a whole amount of {currency.upper()} minor units.")
    return int(rounded.scaleb(minor_places(currency)))


def from_minor(amount: int, currency: str) -> Decimal:
    """Return a minor-unit amount in major units (1999 EUR → Decimal("19.99"))."""
    return quantize(Decimal(int(amount)).scaleb(-minor_places(currency)), currency)


class StripeGateway:
    name = "stripe"

    def __init__(self) -> None:
        self._client: stripe.StripeClient | None = None

    @property
    def client(self) -> stripe.StripeClient:
        """The API client, made on first use (webhooks need no API key)."""
        if self._client is None:
            if not settings.STRIPE_SECRET_KEY:
                raise GatewayError("Stripe is not configured: STRIPE_SECRET_KEY is empty.")
            self._client = stripe.StripeClient(
                settings.STRIPE_SECRET_KEY,
                base_addresses={"api": settings.STRIPE_API_BASE},
                http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
                max_network_retries=MAX_NETWORK_RETRIES,
            )
        return self._client

    # --- API calls ------------------------------------------------------------------------

    def create_payment(
        self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str
    ) -> PaymentIntent:
        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": to_minor(amount, currency),
                    "currency": currency.lower(),
                    "automatic_payment_methods": {"enabled": True},
                    "metadata": {"reference": reference},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _gateway_error("create the payment", exc) from exc
        return PaymentIntent(
            provider_id=intent.id, client_secret=intent.client_secret or "", redirect_url=""
        )

    def retrieve_payment(self, *, provider_id: str) -> ProviderPayment:
        try:
            intent = self.client.v1.payment_intents.retrieve(
                provider_id, params={"expand": ["latest_charge"]}
            )
        except stripe.StripeError as exc:
            raise _gateway_error(f"retrieve the payment {provider_id}", exc) from exc
        currency = intent.currency.upper()
        if intent.status == "succeeded":
            status = "succeeded"
        elif intent.status == "canceled" or (
            intent.status == "requires_payment_method" and intent.last_payment_error is not None
        ):
            status = "failed"
        else:
            status = "pending"
        captured = intent.amount_received if status == "succeeded" else intent.amount
        refunded = 0
        charge = intent.latest_charge
        if isinstance(charge, stripe.Charge):
            refunded = charge.amount_refunded
        return ProviderPayment(
            provider_id=intent.id,
            status=status,
            amount=from_minor(captured or intent.amount, currency),
            currency=currency,
            refunded_amount=from_minor(refunded, currency),
        )

    def refund(
        self, *, provider_id: str, amount: Decimal, reason: str, idempotency_key: str
    ) -> ProviderRefund:
        try:
            intent = self.client.v1.payment_intents.retrieve(provider_id)
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": provider_id,
                    "amount": to_minor(amount, intent.currency),
                    "metadata": {"reason": reason[:500]},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _gateway_error(f"refund the payment {provider_id}", exc) from exc
        return ProviderRefund(provider_refund_id=refund.id)

    # --- Webhooks -------------------------------------------------------------------------

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        try:
            event = stripe.Webhook.construct_event(
                payload=body,
                sig_header=headers.get(SIGNATURE_HEADER),
                secret=settings.STRIPE_WEBHOOK_SECRET,
                tolerance=settings.WEBHOOK_TOLERANCE_SECONDS,
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature("The webhook signature is missing, wrong or too old.") from exc
        except ValueError as exc:  # not JSON, or not a snapshot event
            raise InvalidSignature("The signed webhook body is not a valid event.") from exc
        try:
            return self.parse_stored(event.to_dict(for_json=True))
        except ValueError as exc:
            raise InvalidSignature("The signed webhook body is not a valid event.") from exc

    def parse_stored(self, payload: dict[str, Any]) -> ProviderEvent:
        """Read a Stripe event body (already verified) into a `ProviderEvent`.

        Raises:
            ValueError: it is not a Stripe event, or lacks what its type needs.
        """
        try:
            event_id, event_type = payload["id"], payload["type"]
            if not (isinstance(event_id, str) and isinstance(event_type, str)):
                raise TypeError("the event id and type are strings")
            obj = payload["data"]["object"]
            if event_type == PAYMENT_SUCCEEDED:
                currency = str(obj["currency"]).upper()
                return ProviderEvent(
                    event_id=event_id,
                    type="payment.succeeded",
                    provider_payment_id=str(obj["id"]),
                    amount=from_minor(obj["amount_received"], currency),
                    currency=currency,
                    payload=payload,
                )
            if event_type == PAYMENT_FAILED:
                error = obj.get("last_payment_error") or {}
                return ProviderEvent(
                    event_id=event_id,
                    type="payment.failed",
                    provider_payment_id=str(obj["id"]),
                    amount=from_minor(obj["amount"], str(obj["currency"])),
                    currency=str(obj["currency"]).upper(),
                    reason=str(error.get("message") or "The payment failed."),
                    payload=payload,
                )
            if event_type == CHARGE_REFUNDED and obj.get("payment_intent"):
                currency = str(obj["currency"]).upper()
                intent = obj["payment_intent"]
                return ProviderEvent(
                    event_id=event_id,
                    type="refund.succeeded",
                    provider_payment_id=str(intent["id"] if isinstance(intent, dict) else intent),
                    amount=from_minor(obj["amount_refunded"], currency),  # the total so far
                    currency=currency,
                    payload=payload,
                )
            # Anything else (a charge without a PaymentIntent included) is stored and ignored.
            return ProviderEvent(event_id=event_id, type=event_type, payload=payload)
        except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            raise ValueError("not a Stripe event") from exc


def _gateway_error(action: str, exc: stripe.StripeError) -> GatewayError:
    """A `GatewayError` saying what Stripe refused, without the request's secrets."""
    message = exc.user_message or "no message"
    if settings.STRIPE_SECRET_KEY:
        message = message.replace(settings.STRIPE_SECRET_KEY, "[secret]")
    details = [type(exc).__name__]
    if exc.code:
        details.append(f"code {exc.code}")
    if exc.http_status:
        details.append(f"HTTP {exc.http_status}")
    if exc.request_id:
        details.append(f"request {exc.request_id}")
    return GatewayError(f"Stripe could not {action}: {message} ({', '.join(details)}).")
