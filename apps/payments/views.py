"""HTTP endpoints: pay an order, receive provider webhooks, the sandbox pay step, refunds."""

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import NotFound
from apps.core.permissions import staff_may
from apps.core.problems import problem_response
from apps.orders import selectors as order_selectors
from apps.orders.idempotency import run_idempotent
from apps.orders.serializers import OrderSerializer
from apps.orders.views import IDEMPOTENCY_KEY
from apps.payments import services
from apps.payments.gateways.base import InvalidSignature
from apps.payments.gateways.sandbox import sandbox_pay
from apps.payments.serializers import (
    PaymentSerializer,
    RefundRequestSerializer,
    ReturnRefundSerializer,
    SandboxPaySerializer,
)
from apps.users.models import User

logger = logging.getLogger(__name__)


class PayOrderView(APIView):
    """Start or resume paying one of the caller's pending orders."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=None,
        responses={201: PaymentSerializer},
        tags=["payments"],
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        user: User = request.user  # type: ignore[assignment]
        order = order_selectors.get_order(user=user, order_id=order_id)

        def pay() -> tuple[int, dict[str, Any]]:
            payment = services.start_payment(order=order)
            return status.HTTP_201_CREATED, dict(PaymentSerializer(payment).data)

        code, body = run_idempotent(
            scope=f"pay:{user.pk}:{order.pk}",
            key=request.headers.get("Idempotency-Key"),
            body={"order": str(order.pk)},
            action=pay,
        )
        return Response(body, status=code)


@extend_schema(exclude=True)
@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> JsonResponse:
    """Receive a provider's event: verify the signature on the raw body first, then apply once."""
    if provider not in settings.PAYMENT_GATEWAYS:
        return problem_response(status=404, code="not_found", detail=f"No provider {provider}.")
    try:
        record = services.receive_webhook(
            provider=provider, body=request.body, headers=request.headers
        )
    except InvalidSignature as exc:
        logger.warning("Refused a %s webhook: %s", provider, exc.detail)
        return problem_response(status=400, code=exc.code, detail=exc.detail, title=exc.title)
    return JsonResponse({"received": True, "outcome": record.outcome})


class SandboxPayView(APIView):
    """The sandbox provider's hosted pay step (only where the sandbox is enabled)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(request=SandboxPaySerializer, responses={200: None}, tags=["payments"])
    def post(self, request: Request, intent_id: str) -> Response:
        if not settings.SANDBOX_ENABLED:
            raise NotFound("The sandbox payment provider is not enabled.")
        serializer = SandboxPaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        intent = sandbox_pay(intent_id=intent_id, **serializer.validated_data)
        return Response({"id": intent.id, "status": intent.status})


class StaffRefundView(APIView):
    """Refund items, shipping or a free amount of an order's payment, through its provider."""

    permission_classes = [staff_may(POST=["orders.view_order", "payments.refund_payment"])]

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=RefundRequestSerializer,
        responses=OrderSerializer,
        tags=["orders staff"],
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        serializer = RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = order_selectors.staff_get_order(order_id=order_id)
        actor: User = request.user  # type: ignore[assignment]

        return _refund_once(
            request,
            scope=f"refund:{actor.pk}:{order.pk}",
            order_id=order.pk,
            refund=lambda: services.refund_payment(
                order=order,
                amount=data.get("amount"),
                items=[
                    services.RefundItem(line_id=item["line"], quantity=item["quantity"])
                    for item in data.get("items", [])
                ],
                shipping=data.get("shipping") or Decimal(0),
                reason=data["reason"],
                actor=actor,
            ),
        )


class StaffReturnRefundView(APIView):
    """Refund the items of a received return (and part of the shipping fee, if given)."""

    permission_classes = [staff_may(POST=["orders.view_order", "payments.refund_payment"])]

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=ReturnRefundSerializer,
        responses=OrderSerializer,
        tags=["orders staff"],
    )
    def post(self, request: Request, return_id: UUID) -> Response:
        serializer = ReturnRefundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        found = order_selectors.staff_get_return(return_id=return_id)
        actor: User = request.user  # type: ignore[assignment]

        return _refund_once(
            request,
            scope=f"refund:{actor.pk}:{found.pk}",
            order_id=found.order_id,
            refund=lambda: services.refund_return(
                request=found,
                shipping=data.get("shipping") or Decimal(0),
                reason=data["reason"],
                actor=actor,
            ),
        )


def _refund_once(
    request: Request, *, scope: str, order_id: UUID, refund: Callable[[], object]
) -> Response:
    """Run `refund` once per Idempotency-Key and answer with the order as it then is.

    The key is claimed before the provider is called: a retry never refunds twice.
    """

    def refund_and_show() -> tuple[int, dict[str, Any]]:
        refund()
        body = OrderSerializer(order_selectors.staff_get_order(order_id=order_id)).data
        return status.HTTP_200_OK, dict(body)

    code, body = run_idempotent(
        scope=scope,
        key=request.headers.get("Idempotency-Key"),
        body=request.data,
        action=refund_and_show,
    )
    return Response(body, status=code)
