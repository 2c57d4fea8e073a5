"""The wishlist API: the signed-in customer's products saved for later."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog import selectors as catalog_selectors
from apps.wishlist import selectors, services
from apps.wishlist.serializers import (
    SaveForLaterSerializer,
    WishlistItemSerializer,
    WishlistSerializer,
)


class WishlistView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WishlistSerializer, tags=["wishlist"])
    def get(self, request: Request) -> Response:
        """List the products the customer saved, newest first (the shop's current cards)."""
        items = selectors.list_wishlist(user_id=request.user.pk)
        return Response(WishlistSerializer({"count": len(items), "results": items}).data)

    @extend_schema(
        request=SaveForLaterSerializer,
        responses={201: WishlistItemSerializer, 200: WishlistItemSerializer},
        tags=["wishlist"],
    )
    def post(self, request: Request) -> Response:
        """Save a product for later: 201 when new, 200 when it was saved already."""
        serializer = SaveForLaterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item, created = services.save_for_later(
            user=request.user,  # type: ignore[arg-type]
            slug=serializer.validated_data["product"],
        )
        cards = catalog_selectors.product_cards(product_ids=[item.product_id])
        body = WishlistItemSerializer(
            {"product": cards[item.product_id], "saved_at": item.saved_at}
        ).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class WishlistItemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, tags=["wishlist"])
    def delete(self, request: Request, slug: str) -> Response:
        """Take a product off the wishlist."""
        services.remove_from_wishlist(user=request.user, slug=slug)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
