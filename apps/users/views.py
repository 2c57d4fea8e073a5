"""HTTP endpoints for registration, tokens, the current user and password flows."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from apps.core.throttling import SCOPED_THROTTLES
from apps.users import services
from apps.users.models import User
from apps.users.serializers import (
    ChangePasswordSerializer,
    DetailSerializer,
    LogoutSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ProfileUpdateSerializer,
    RegisterSerializer,
    UserSerializer,
)


class _PublicView(APIView):
    """An unauthenticated endpoint with its own, tighter throttle scope."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = SCOPED_THROTTLES


class RegisterView(_PublicView):
    throttle_scope = "register"

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"])
class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Exchange an e-mail and password for an access and a refresh token."""

    throttle_classes = SCOPED_THROTTLES
    throttle_scope = "login"


@extend_schema(tags=["auth"])
class TokenRefreshView(jwt_views.TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""

    throttle_classes = SCOPED_THROTTLES
    throttle_scope = "login"


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=LogoutSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.log_out(user=request.user, refresh_token=serializer.validated_data["refresh"])  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetRequestView(_PublicView):
    throttle_scope = "password_reset"

    @extend_schema(
        request=PasswordResetRequestSerializer, responses={202: DetailSerializer}, tags=["auth"]
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_password_reset(email=serializer.validated_data["email"])
        return Response(
            {"detail": "If an account uses this address, a password reset link is on its way."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(_PublicView):
    throttle_scope = "password_reset"

    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reset_password(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserSerializer, tags=["users"])
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(UserSerializer(user).data)

    @extend_schema(request=ProfileUpdateSerializer, responses=UserSerializer, tags=["users"])
    def patch(self, request: Request) -> Response:
        serializer = ProfileUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        if "full_name" in serializer.validated_data:
            user = services.update_user_profile(
                user=user, full_name=serializer.validated_data["full_name"]
            )
        return Response(UserSerializer(user).data)


class ChangePasswordView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ChangePasswordSerializer, responses={204: None}, tags=["users"])
    def post(self, request: Request) -> Response:
        serializer = ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_password(user=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
