"""Payment reads for pages that show a payment (the sandbox's hosted pay step)."""

from typing import Any

from apps.core.errors import NotFound
from apps.payments.models import Payment, SandboxIntent


def get_sandbox_intent(*, intent_id: str) -> dict[str, Any]:
    """Return a sandbox payment as its hosted pay step shows it, with the order it pays.

    Raises:
        NotFound: the sandbox has no such payment, or no order's payment uses it.
    """
    intent = SandboxIntent.objects.filter(pk=intent_id).first()
    payment = (
        Payment.objects.filter(provider="sandbox", provider_id=intent_id).values("order_id").first()
    )
    if intent is None or payment is None:
        raise NotFound("No such sandbox payment.")
    return {
        "id": intent.id,
        "amount": intent.amount,
        "currency": intent.currency,
        "reference": intent.reference,
        "status": intent.status,
        "client_secret": intent.client_secret,
        "order_id": payment["order_id"],
    }
