"""The sandbox provider: a payment provider that lives in this process, for development and tests.

It keeps its own records (`SandboxIntent`), offers a hosted "pay" step decided by the test
card number, and announces outcomes with signed webhooks delivered by a Celery task — over
HTTP to SANDBOX_WEBHOOK_URL when it is set, so the path is the same as with a real provider.
"""

import json
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.core.errors import DomainError, NotFound
from apps.payments.gateways.base import (
    GatewayError,
    InvalidSignature,
    PaymentIntent,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
)
from apps.payments.gateways.signing import verify
from apps.payments.models import SandboxIntent

SIGNATURE_HEADER = "Sandbox-Signature"
SUCCEEDING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


class CardDeclined(DomainError):
    code = "card_declined"
    title = "Card declined"
    status = 402


class InvalidCard(DomainError):
    code = "invalid_card"
    title = "Invalid card"


def _event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_sbx_{secrets.token_hex(12)}",
        "type": event_type,
        "created": int(time.time()),
        "data": data,
    }


def _intent_data(intent: SandboxIntent) -> dict[str, Any]:
    return {
        "id": intent.id,
        "amount": f"{intent.amount:.2f}",
        "currency": intent.currency,
        "status": intent.status,
        "refunded": f"{intent.refunded:.2f}",
        "reference": intent.reference,
    }


def _announce(event: dict[str, Any]) -> None:
    from apps.payments.tasks import deliver_sandbox_webhook

    transaction.on_commit(lambda: deliver_sandbox_webhook.delay(event), robust=True)


class SandboxGateway:
    name = "sandbox"

    def create_payment(
        self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str
    ) -> PaymentIntent:
        existing = SandboxIntent.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            intent_id = f"pi_sbx_{secrets.token_hex(12)}"
            try:
                with transaction.atomic():
                    existing = SandboxIntent.objects.create(
                        id=intent_id,
                        amount=amount,
                        currency=currency,
                        reference=reference,
                        client_secret=f"{intent_id}_secret_{secrets.token_hex(12)}",
                        idempotency_key=idempotency_key,
                    )
            except IntegrityError:
                existing = SandboxIntent.objects.get(idempotency_key=idempotency_key)
        return PaymentIntent(
            provider_id=existing.id,
            client_secret=existing.client_secret,
            redirect_url=settings.SANDBOX_PAY_URL.format(intent=existing.id),
        )

    def retrieve_payment(self, *, provider_id: str) -> ProviderPayment:
        intent = SandboxIntent.objects.filter(pk=provider_id).first()
        if intent is None:
            raise GatewayError(f"The sandbox has no payment {provider_id}.")
        status = {
            SandboxIntent.Status.SUCCEEDED: "succeeded",
            SandboxIntent.Status.FAILED: "failed",
        }.get(intent.status, "pending")  # type: ignore[call-overload]
        return ProviderPayment(
            provider_id=intent.id,
            status=status,
            amount=intent.amount,
            currency=intent.currency,
            refunded_amount=intent.refunded,
        )

    def refund(
        self, *, provider_id: str, amount: Decimal, reason: str, idempotency_key: str
    ) -> ProviderRefund:
        with transaction.atomic():
            intent = SandboxIntent.objects.select_for_update().filter(pk=provider_id).first()
            if intent is None or intent.status != SandboxIntent.Status.SUCCEEDED:
                raise GatewayError(f"The sandbox payment {provider_id} was not captured.")
            if intent.refunded + amount > intent.amount:
                raise GatewayError("The sandbox refuses to refund more than was paid.")
            intent.refunded += amount
            intent.save(update_fields=["refunded", "updated_at"])
            _announce(_event("refund.succeeded", {**_intent_data(intent), "reason": reason}))
        return ProviderRefund(provider_refund_id=f"re_sbx_{secrets.token_hex(12)}")

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        if not verify(
            body,
            headers.get(SIGNATURE_HEADER),
            secret=settings.SANDBOX_WEBHOOK_SECRET,
            tolerance=settings.WEBHOOK_TOLERANCE_SECONDS,
        ):
            raise InvalidSignature("The webhook signature is missing, wrong or too old.")
        try:
            return self.parse_stored(json.loads(body))
        except ValueError as exc:
            raise InvalidSignature("The signed webhook body is not a valid event.") from exc

    def parse_stored(self, payload: dict[str, Any]) -> ProviderEvent:
        """Read an event body (already verified) into a `ProviderEvent`.

        Raises:
            ValueError: it is not a sandbox event.
        """
        try:
            data = payload["data"]
            event_type = payload["type"]
            if not isinstance(event_type, str) or not isinstance(data, dict):
                raise TypeError("an event has a string type and an object of data")
            if not event_type.startswith(("payment.", "refund.")):
                # Not about a payment: stored and acknowledged, nothing else read.
                return ProviderEvent(event_id=str(payload["id"]), type=event_type, payload=payload)
            is_refund = event_type.startswith("refund.")
            return ProviderEvent(
                event_id=str(payload["id"]),
                type=str(payload["type"]),
                provider_payment_id=str(data["id"]),
                amount=Decimal(data["refunded"] if is_refund else data["amount"]),
                currency=str(data["currency"]),
                reason=str(data.get("reason", "")),
                payload=payload,
            )
        except (KeyError, TypeError, AttributeError, ArithmeticError) as exc:
            raise ValueError("not a sandbox event") from exc


def sandbox_pay(*, intent_id: str, client_secret: str, card_number: str) -> SandboxIntent:
    """The sandbox's hosted pay step: charge a test card, then announce the outcome.

    4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined.

    Raises:
        NotFound: no such intent, or the client secret does not match.
        InvalidCard: not one of the test cards.
        CardDeclined: the declining test card (the payment fails).
    """
    card = card_number.replace(" ", "")
    if card not in (SUCCEEDING_CARD, DECLINED_CARD):
        raise InvalidCard("Use the test card 4242 4242 4242 4242 (or 4000 0000 0000 0002).")
    with transaction.atomic():
        intent = SandboxIntent.objects.select_for_update().filter(pk=intent_id).first()
        if intent is None or not secrets.compare_digest(intent.client_secret, client_secret):
            raise NotFound("No such sandbox payment.")
        if intent.status != SandboxIntent.Status.REQUIRES_PAYMENT:
            return intent  # paying twice changes nothing
        succeeded = card == SUCCEEDING_CARD
        intent.status = SandboxIntent.Status.SUCCEEDED if succeeded else SandboxIntent.Status.FAILED
        intent.save(update_fields=["status", "updated_at"])
        event_type = "payment.succeeded" if succeeded else "payment.failed"
        data = _intent_data(intent)
        if not succeeded:
            data["reason"] = "Your card was declined."
        _announce(_event(event_type, data))
    if not succeeded:
        raise CardDeclined("The card was declined.")
    return intent
