"""Staff API for outbound webhooks: endpoints, their secret, deliveries and replays."""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import validated
from apps.core.pagination import page_body
from apps.core.permissions import model_permissions, staff_may
from apps.webhooks import selectors, services
from apps.webhooks.serializers import (
    DeliveryListQuerySerializer,
    DeliveryPageSerializer,
    DeliverySerializer,
    EndpointListItemSerializer,
    EndpointSerializer,
    EndpointWriteSerializer,
)

TAGS = ["webhooks staff"]
EndpointPermissions = model_permissions("webhooks.WebhookEndpoint")


def _write_data(request: Request, *, partial: bool) -> dict[str, Any]:
    serializer = EndpointWriteSerializer(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class EndpointListView(APIView):
    permission_classes = [EndpointPermissions]

    @extend_schema(
        operation_id="staff_webhook_endpoints_list",
        responses=EndpointListItemSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        endpoints = selectors.list_endpoints()
        return Response(EndpointListItemSerializer(endpoints, many=True).data)

    @extend_schema(
        request=EndpointWriteSerializer,
        responses={201: EndpointSerializer},
        description="Register an endpoint; the answer carries its new signing `secret`.",
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = _write_data(request, partial=False)
        endpoint = services.create_endpoint(**data)
        return Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(APIView):
    permission_classes = [EndpointPermissions]

    @extend_schema(responses=EndpointSerializer, tags=TAGS)
    def get(self, request: Request, endpoint_id: UUID) -> Response:
        return Response(EndpointSerializer(selectors.get_endpoint(endpoint_id=endpoint_id)).data)

    @extend_schema(
        request=EndpointWriteSerializer,
        responses=EndpointSerializer,
        description="Change any of the fields; `is_active: true` re-enables a disabled "
        "endpoint and resets its failure count.",
        tags=TAGS,
    )
    def patch(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = selectors.get_endpoint(endpoint_id=endpoint_id)
        data = _write_data(request, partial=True)
        services.update_endpoint(endpoint=endpoint, **data)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, endpoint_id: UUID) -> Response:
        services.delete_endpoint(endpoint=selectors.get_endpoint(endpoint_id=endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RotateSecretView(APIView):
    permission_classes = [staff_may(POST=["webhooks.change_webhookendpoint"])]

    @extend_schema(
        request=None,
        responses=EndpointSerializer,
        description="Replace the signing secret; requests are signed with the new one only.",
        tags=TAGS,
    )
    def post(self, request: Request, endpoint_id: UUID) -> Response:
        endpoint = selectors.get_endpoint(endpoint_id=endpoint_id)
        return Response(EndpointSerializer(services.rotate_secret(endpoint=endpoint)).data)


class DeliveryListView(APIView):
    permission_classes = [staff_may(GET=["webhooks.view_webhookdelivery"])]

    @extend_schema(
        operation_id="staff_webhook_deliveries_list",
        parameters=[DeliveryListQuerySerializer],
        responses=DeliveryPageSerializer,
        tags=TAGS,
    )
    def get(self, request: Request, endpoint_id: UUID) -> Response:
        params = validated(DeliveryListQuerySerializer, request.query_params)
        page = selectors.list_deliveries(
            endpoint=selectors.get_endpoint(endpoint_id=endpoint_id),
            status=params.get("status"),
            event_type=params.get("event_type"),
            cursor=params.get("cursor"),
            page_size=params["page_size"],
        )
        results = list(DeliverySerializer(page.items, many=True).data)
        return Response(
            page_body(
                request,
                results,
                next_cursor=page.next_cursor,
                previous_cursor=page.previous_cursor,
            )
        )


class DeliveryReplayView(APIView):
    permission_classes = [staff_may(POST=["webhooks.replay_webhookdelivery"])]

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        description="Send the delivery again (same event id and delivery id), now.",
        tags=TAGS,
    )
    def post(self, request: Request, endpoint_id: UUID, delivery_id: UUID) -> Response:
        delivery = selectors.get_delivery(endpoint_id=endpoint_id, delivery_id=delivery_id)
        services.replay_delivery(delivery=delivery)
        delivery = selectors.get_delivery(endpoint_id=endpoint_id, delivery_id=delivery_id)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
