"""HTTP endpoints for checkout, a customer's orders, guest look-up and staff order handling."""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.cart import services as cart_services
from apps.cart.views import CART_TOKEN, cart_token, request_user
from apps.core.api import validated
from apps.core.pagination import page_body
from apps.core.permissions import CanTransitionOrder, staff_may
from apps.core.throttling import SCOPED_THROTTLES
from apps.orders import selectors
from apps.orders.errors import EmptyCart
from apps.orders.idempotency import run_idempotent
from apps.orders.models import Order, OrderStatus
from apps.orders.serializers import (
    CheckoutSerializer,
    CreateReturnSerializer,
    CreateShipmentSerializer,
    GuestLookupSerializer,
    OrderListQuerySerializer,
    OrderPageSerializer,
    OrderSerializer,
    OrderStatsSerializer,
    OrderSummarySerializer,
    ReceiveReturnSerializer,
    ReturnDecisionSerializer,
    ReturnSerializer,
    ShipmentSerializer,
    StaffOrderListQuerySerializer,
    TransitionSerializer,
)
from apps.orders.services.checkout import ShippingAddress, place_order
from apps.orders.services.lifecycle import cancel_order, transition_order
from apps.orders.services.returns import (
    ReturnItem,
    approve_return,
    receive_return,
    reject_return,
    request_return,
)
from apps.orders.services.shipments import ShipmentItem, create_shipment, fulfil_order
from apps.users.models import User

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per intended order: a retry with the same key and body "
    "returns the first answer instead of placing a second order.",
)


def _page(request: Request, page: Any) -> dict[str, Any]:
    return page_body(
        request,
        list(OrderSummarySerializer(page.items, many=True).data),
        next_cursor=page.next_cursor,
        previous_cursor=page.previous_cursor,
    )


class CheckoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[CART_TOKEN, IDEMPOTENCY_KEY],
        request=CheckoutSerializer,
        responses={201: OrderSerializer},
        tags=["checkout"],
    )
    def post(self, request: Request) -> Response:
        data = validated(CheckoutSerializer, request.data)
        user = request_user(request)
        email = data.get("email") or (user.email if user else None)
        if not email:
            raise ValidationError({"email": ["An e-mail address is needed to order as a guest."]})
        token = cart_token(request)
        if user is None and not token:
            raise EmptyCart("There is nothing in the cart to order.")
        if user is not None and token:
            cart_services.get_cart(user_id=user.pk, token=token)  # takes in the guest cart's lines
        scope = f"user:{user.pk}" if user else f"cart:{token}"

        def checkout() -> tuple[int, dict[str, Any]]:
            order = place_order(
                user=user,
                cart_token=token,
                email=email,
                address=ShippingAddress(**data["shipping_address"]),
            )
            return status.HTTP_201_CREATED, OrderSerializer(order).data

        code, body = run_idempotent(
            scope=scope,
            key=request.headers.get("Idempotency-Key"),
            body=request.data,
            action=checkout,
            record_after=True,  # every effect of place_order is in its transaction
        )
        return Response(body, status=code)


class OrderListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="orders_list",
        parameters=[OrderListQuerySerializer],
        responses=OrderPageSerializer,
        tags=["orders"],
    )
    def get(self, request: Request) -> Response:
        params = validated(OrderListQuerySerializer, request.query_params)
        user: User = request.user  # type: ignore[assignment]
        page = selectors.list_orders(
            user=user,
            status=params.get("status"),
            cursor=params.get("cursor"),
            page_size=params["page_size"],
        )
        return Response(_page(request, page))


class OrderDetailView(APIView):
    """One of the caller's orders; anyone else's is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderSerializer, tags=["orders"])
    def get(self, request: Request, order_id: UUID) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(OrderSerializer(selectors.get_order(user=user, order_id=order_id)).data)


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OrderSerializer, tags=["orders"])
    def post(self, request: Request, order_id: UUID) -> Response:
        user: User = request.user  # type: ignore[assignment]
        order = selectors.get_order(user=user, order_id=order_id)
        cancel_order(order=order, actor=user, note="Cancelled by the customer.")
        return Response(OrderSerializer(selectors.get_order(user=user, order_id=order_id)).data)


class OrderStatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderStatsSerializer, tags=["orders"])
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(selectors.order_stats(user=user))


class GuestOrderLookupView(APIView):
    """Find a guest order by its number and e-mail (throttled against guessing)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = SCOPED_THROTTLES
    throttle_scope = "order_lookup"

    @extend_schema(request=GuestLookupSerializer, responses=OrderSerializer, tags=["orders"])
    def post(self, request: Request) -> Response:
        data = validated(GuestLookupSerializer, request.data)
        return Response(OrderSerializer(selectors.find_guest_order(**data)).data)


class StaffOrderListView(APIView):
    permission_classes = [staff_may(GET=["orders.view_order"])]

    @extend_schema(
        operation_id="staff_orders_list",
        parameters=[StaffOrderListQuerySerializer],
        responses=OrderPageSerializer,
        tags=["orders staff"],
    )
    def get(self, request: Request) -> Response:
        params = validated(StaffOrderListQuerySerializer, request.query_params)
        page = selectors.staff_list_orders(
            status=params.get("status"),
            search=params.get("search"),
            cursor=params.get("cursor"),
            page_size=params["page_size"],
        )
        return Response(_page(request, page))


class StaffOrderDetailView(APIView):
    permission_classes = [staff_may(GET=["orders.view_order"])]

    @extend_schema(responses=OrderSerializer, tags=["orders staff"])
    def get(self, request: Request, order_id: UUID) -> Response:
        return Response(OrderSerializer(selectors.staff_get_order(order_id=order_id)).data)


class StaffOrderTransitionView(APIView):
    permission_classes = [CanTransitionOrder]

    @extend_schema(request=TransitionSerializer, responses=OrderSerializer, tags=["orders staff"])
    def post(self, request: Request, order_id: UUID) -> Response:
        data = validated(TransitionSerializer, request.data)
        order: Order = selectors.staff_get_order(order_id=order_id)
        actor: User = request.user  # type: ignore[assignment]
        if data["to"] == OrderStatus.FULFILLED:  # a status that follows from shipping
            fulfil_order(order=order, actor=actor, tracking_note=data["note"])
        else:
            transition_order(order=order, to=data["to"], actor=actor, note=data["note"])
        return Response(OrderSerializer(selectors.staff_get_order(order_id=order_id)).data)


class StaffShipmentCreateView(APIView):
    """Record a parcel of a paid order; the order's status follows from what has shipped."""

    permission_classes = [staff_may(POST=["orders.view_order", "orders.fulfil_order"])]

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=CreateShipmentSerializer,
        responses={201: ShipmentSerializer},
        tags=["orders staff"],
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        data = validated(CreateShipmentSerializer, request.data)
        order: Order = selectors.staff_get_order(order_id=order_id)
        actor: User = request.user  # type: ignore[assignment]
        items = data.get("items")

        def ship() -> tuple[int, dict[str, Any]]:
            shipment = create_shipment(
                order=order,
                items=None
                if items is None
                else [ShipmentItem(line_id=i["line"], quantity=i["quantity"]) for i in items],
                actor=actor,
                carrier=data["carrier"],
                tracking_number=data["tracking_number"],
                tracking_url=data["tracking_url"],
                note=data["note"],
            )
            return status.HTTP_201_CREATED, dict(
                ShipmentSerializer(selectors.get_shipment(shipment_id=shipment.pk)).data
            )

        code, body = run_idempotent(
            scope=f"ship:{actor.pk}:{order.pk}",
            key=request.headers.get("Idempotency-Key"),
            body=request.data,
            action=ship,
            record_after=True,  # every effect of create_shipment is in its transaction
        )
        return Response(body, status=code)


class OrderReturnCreateView(APIView):
    """Ask to return shipped items of one of the caller's orders, within the return window."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CreateReturnSerializer, responses={201: ReturnSerializer}, tags=["orders"]
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        data = validated(CreateReturnSerializer, request.data)
        user: User = request.user  # type: ignore[assignment]
        order = selectors.get_order(user=user, order_id=order_id)
        created = request_return(
            order=order,
            items=[ReturnItem(line_id=i["line"], quantity=i["quantity"]) for i in data["items"]],
            reason=data["reason"],
            comment=data["comment"],
            actor=user,
        )
        return Response(
            ReturnSerializer(selectors.staff_get_return(return_id=created.pk)).data,
            status=status.HTTP_201_CREATED,
        )


def _return_with_lines(return_id: UUID) -> Any:
    order = selectors.staff_get_return(return_id=return_id).order
    return next(
        r for r in selectors.staff_get_order(order_id=order.pk).returns.all() if r.pk == return_id
    )


# The steps of a return staff decide with a note alone; the routes name these and "receive".
RETURN_DECISIONS = {"approve": approve_return, "reject": reject_return}


class StaffReturnStepView(APIView):
    """Move a return on: approve, reject or receive it (`step` in the URL)."""

    permission_classes = [staff_may(POST=["orders.view_order", "orders.fulfil_order"])]

    @extend_schema(
        request=ReceiveReturnSerializer, responses=ReturnSerializer, tags=["orders staff"]
    )
    def post(self, request: Request, return_id: UUID, step: str) -> Response:
        actor: User = request.user  # type: ignore[assignment]
        found = selectors.staff_get_return(return_id=return_id)
        if step == "receive":
            data = validated(ReceiveReturnSerializer, request.data)
            receive_return(request=found, restock=data["restock"], actor=actor, note=data["note"])
        else:
            data = validated(ReturnDecisionSerializer, request.data)
            RETURN_DECISIONS[step](request=found, actor=actor, note=data["note"])
        return Response(ReturnSerializer(selectors.staff_get_return(return_id=found.pk)).data)
