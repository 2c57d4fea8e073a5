"""HTTP endpoints of the cart. Anonymous carts are found by the `X-Cart-Token` header."""

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.cart import selectors, services
from apps.cart.models import Cart
from apps.cart.serializers import (
    AddItemSerializer,
    CartSerializer,
    ShippingChoiceSerializer,
    ShippingMethodSerializer,
    UpdateItemSerializer,
    VoucherCodeSerializer,
)
from apps.core.authentication import TokenClaimsAuthentication
from apps.users.models import User

CART_TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 (a header name, not a secret)
CART_TOKEN = OpenApiParameter(
    CART_TOKEN_HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The token of an anonymous cart (from an earlier answer's `token`). Signed in, "
    "it merges that cart into the customer's.",
)


def request_user(request: Request) -> User | None:
    user = request.user
    return user if user.is_authenticated else None


def cart_token(request: Request) -> str | None:
    return request.headers.get(CART_TOKEN_HEADER) or None


class CartView(APIView):
    """Base of the cart endpoints: anyone may have a cart; it is never cached.

    A bearer token is read without loading its user (`TokenClaimsAuthentication`): the query
    that finds the cart joins the user and requires it active, which is the check
    `JWTAuthentication` makes, in one statement fewer. Only when that finds no cart is the user
    looked up on its own, and a token of a user who is gone or inactive is refused with 401.
    """

    authentication_classes = [TokenClaimsAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]

    def customer_id(self, request: Request) -> UUID | None:
        user = request.user
        if not user.is_authenticated:
            return None
        try:
            return user.pk if isinstance(user.pk, UUID) else UUID(str(user.pk))
        except ValueError as exc:  # signed by us, so never in practice
            raise AuthenticationFailed("The token names no user.", code="user_not_found") from exc

    def confirm_customer(self, request: Request, user_id: UUID) -> None:
        """Refuse a token whose user is gone or inactive (a session's user is checked already)."""
        if isinstance(request.user, User):
            return
        if not User.objects.filter(pk=user_id, is_active=True).exists():
            request.user = AnonymousUser()  # nobody was seen (`LastSeenMiddleware`)
            raise AuthenticationFailed("User not found or inactive.", code="user_not_found")

    def existing_cart(self, request: Request, *, lock: bool = False) -> Cart | None:
        user_id = self.customer_id(request)
        cart = services.get_cart(user_id=user_id, token=cart_token(request), lock=lock)
        if cart is None and user_id is not None:
            self.confirm_customer(request, user_id)
        return cart

    def cart(self, request: Request) -> Cart:
        """Return the caller's cart, locked, creating it if needed.

        Call it inside `transaction.atomic()` with the write it is for: the lock lasts until
        the write commits, and a refused write leaves no empty cart behind.
        """
        cart = self.existing_cart(request, lock=True)
        return cart or services.create_cart(user_id=self.customer_id(request))

    def answer(self, cart: Cart | None, *, code: int = status.HTTP_200_OK) -> Response:
        response = Response(selectors.cart_data(cart), status=code)
        if cart is not None and cart.user_id is None:
            response[CART_TOKEN_HEADER] = cart.token
        return response


class CartDetailView(CartView):
    @extend_schema(parameters=[CART_TOKEN], responses=CartSerializer, tags=["cart"])
    def get(self, request: Request) -> Response:
        return self.answer(self.existing_cart(request))

    @extend_schema(parameters=[CART_TOKEN], responses={204: None}, tags=["cart"])
    def delete(self, request: Request) -> Response:
        cart = self.existing_cart(request)
        if cart is not None:
            services.clear_cart(cart=cart)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartItemsView(CartView):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=AddItemSerializer,
        responses={201: CartSerializer},
        tags=["cart"],
    )
    def post(self, request: Request) -> Response:
        serializer = AddItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            cart = self.cart(request)
            services.add_to_cart(cart=cart, locked=True, **serializer.validated_data)
        return self.answer(cart, code=status.HTTP_201_CREATED)


class CartItemView(CartView):
    """A line of the caller's own cart; any other line id is a 404."""

    @extend_schema(
        parameters=[CART_TOKEN],
        request=UpdateItemSerializer,
        responses=CartSerializer,
        tags=["cart"],
    )
    def patch(self, request: Request, line_id: int) -> Response:
        serializer = UpdateItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            cart = self.cart(request)
            services.update_cart_line(
                cart=cart,
                locked=True,
                line_id=line_id,
                quantity=serializer.validated_data["quantity"],
            )
        return self.answer(cart)

    @extend_schema(parameters=[CART_TOKEN], responses=CartSerializer, tags=["cart"])
    def delete(self, request: Request, line_id: int) -> Response:
        with transaction.atomic():
            cart = self.cart(request)
            services.remove_cart_line(cart=cart, line_id=line_id)
        return self.answer(cart)


class CartVoucherView(CartView):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=VoucherCodeSerializer,
        responses=CartSerializer,
        tags=["cart"],
    )
    def put(self, request: Request) -> Response:
        serializer = VoucherCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            cart = self.cart(request)
            services.apply_voucher(
                cart=cart,
                code=serializer.validated_data["code"],
                user=cart.user if cart.user_id is not None else None,  # loaded with the cart
            )
        return self.answer(cart)

    @extend_schema(parameters=[CART_TOKEN], responses=CartSerializer, tags=["cart"])
    def delete(self, request: Request) -> Response:
        with transaction.atomic():
            cart = self.cart(request)
            services.remove_voucher(cart=cart)
        return self.answer(cart)


class CartShippingView(CartView):
    @extend_schema(
        parameters=[CART_TOKEN],
        request=ShippingChoiceSerializer,
        responses=CartSerializer,
        tags=["cart"],
    )
    def put(self, request: Request) -> Response:
        serializer = ShippingChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            cart = self.cart(request)
            services.set_shipping_method(
                cart=cart, shipping_method_id=serializer.validated_data["shipping_method"]
            )
        return self.answer(cart)


class ShippingMethodListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ShippingMethodSerializer(many=True), tags=["cart"])
    def get(self, request: Request) -> Response:
        return Response(selectors.list_shipping_methods())
