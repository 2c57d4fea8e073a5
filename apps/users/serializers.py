"""Input and output shapes of the user and authentication API."""

from typing import Any

from rest_framework import exceptions, serializers
from rest_framework_simplejwt.serializers import TokenRefreshSerializer as JWTRefreshSerializer

from apps.users.models import User


class UserSerializer(serializers.ModelSerializer[User]):
    """A user as the user sees themselves."""

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "date_joined", "is_staff"]
        read_only_fields = fields


class _PasswordConfirmationMixin:
    """Check that `<confirmed_field>` and its `_confirm` twin are equal."""

    confirmed_field = "password"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        confirm_field = f"{self.confirmed_field}_confirm"
        if attrs[self.confirmed_field] != attrs.pop(confirm_field):
            raise serializers.ValidationError(
                {confirm_field: ["The two passwords do not match."]}, code="password_mismatch"
            )
        return attrs


def _password_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=128,
        style={"input_type": "password"},
        **kwargs,
    )


class RegisterSerializer(_PasswordConfirmationMixin, serializers.Serializer[User]):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    password = _password_field()
    password_confirm = _password_field()


class ProfileUpdateSerializer(serializers.Serializer[User]):
    full_name = serializers.CharField(max_length=150, allow_blank=True)


class ChangePasswordSerializer(_PasswordConfirmationMixin, serializers.Serializer[None]):
    confirmed_field = "new_password"

    current_password = _password_field()
    new_password = _password_field()
    new_password_confirm = _password_field()


class PasswordResetRequestSerializer(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(_PasswordConfirmationMixin, serializers.Serializer[None]):
    confirmed_field = "new_password"

    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = _password_field()
    new_password_confirm = _password_field()


class LogoutSerializer(serializers.Serializer[None]):
    refresh = serializers.CharField(max_length=2048)


class DetailSerializer(serializers.Serializer[None]):
    """A plain acknowledgement."""

    detail = serializers.CharField()


class TokenRefreshSerializer(JWTRefreshSerializer):
    """Refresh a token pair; a token whose user no longer exists is refused, not a crash."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            return super().validate(attrs)
        except User.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(
                "No active account found for this token.", code="no_active_account"
            ) from exc
