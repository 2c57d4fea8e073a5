"""The payment gateway protocol: what checkout and webhooks need of a payment provider.

Adapters live beside this module; `get_gateway()` returns the one named in settings, so a
new provider is a new adapter and a settings entry — no checkout code changes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.errors import DomainError


class InvalidSignature(DomainError):
    """A webhook's signature is missing, wrong, or too old."""

    code = "invalid_signature"
    title = "Invalid webhook signature"
    status = 400


class GatewayError(DomainError):
    """The provider refused or failed a request."""

    code = "gateway_error"
    title = "Payment provider error"
    status = 502


@dataclass(frozen=True)
class PaymentIntent:
    provider_id: str
    client_secret: str = ""
    redirect_url: str = ""


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider reports it."""

    provider_id: str
    status: str  # "pending" | "succeeded" | "failed"
    amount: Decimal
    currency: str
    refunded_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class ProviderRefund:
    provider_refund_id: str


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event, reduced to what Emporium acts on."""

    event_id: str
    type: str  # "payment.succeeded" | "payment.failed" | "refund.succeeded" | anything else
    provider_payment_id: str | None = None
    amount: Decimal | None = None  # captured amount, or total refunded for refund events
    currency: str | None = None
    reason: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    name: str

    def create_payment(
        self, *, amount: Decimal, currency: str, reference: str, idempotency_key: str
    ) -> PaymentIntent:
        """Create a payment the customer completes with the provider."""
        ...

    def retrieve_payment(self, *, provider_id: str) -> ProviderPayment:
        """Ask the provider how a payment stands (for reconciliation)."""
        ...

    def refund(
        self, *, provider_id: str, amount: Decimal, reason: str, idempotency_key: str
    ) -> ProviderRefund:
        """Refund part or all of a captured payment."""
        ...

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a webhook's signature on the raw body, then parse it.

        Raises:
            InvalidSignature: the signature is missing, wrong or outside the tolerance.
        """
        ...

    def parse_stored(self, payload: dict[str, Any]) -> ProviderEvent:
        """Read a stored (already verified) event body again, to retry a deferred event."""
        ...


def get_gateway(name: str | None = None) -> PaymentGateway:
    """Return the gateway called `name` (default: PAYMENT_GATEWAY).

    Raises:
        KeyError: no gateway of that name is configured.
    """
    name = name or settings.PAYMENT_GATEWAY
    gateway_class = import_string(settings.PAYMENT_GATEWAYS[name])
    gateway: PaymentGateway = gateway_class()
    return gateway
