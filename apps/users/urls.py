"""Routes for authentication and the current user, mounted under /api/v1/."""

from django.urls import path

from apps.users import views

app_name = "users"

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/token/", views.TokenObtainPairView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/password/reset/", views.PasswordResetRequestView.as_view(), name="password-reset"),
    path(
        "auth/password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("users/me/", views.MeView.as_view(), name="me"),
    path("users/me/password/", views.ChangePasswordView.as_view(), name="change-password"),
]
