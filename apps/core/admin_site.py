"""The Emporium admin site: the sales dashboard page, and a TOTP second factor for staff.

With ADMIN_REQUIRE_OTP on, the login form asks for a token of the user's TOTP device and a
staff user counts as staff only once verified by it (django-otp's OTPAdminSite behaviour);
the setting is read per request, so tests can switch it.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, path
from django_otp import devices_for_user  # type: ignore[import-untyped, unused-ignore]
from django_otp.admin import OTPAdminAuthenticationForm  # type: ignore[import-untyped, unused-ignore]


class AdminOTPForm(OTPAdminAuthenticationForm):
    """The admin login form with a TOTP token field; a user's only device is chosen for them."""

    def _chosen_device(self, user: Any) -> Any:
        # django-otp wants the device picked explicitly (it never tries every device, so a
        # wrong token cannot count as a failure against all of them). With exactly one
        # confirmed device there is nothing to pick, so the login is one step.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class EmporiumAdminSite(admin.AdminSite):
    site_header = "Emporium back office"
    site_title = "Emporium admin"
    index_title = "Back office"
    index_template = "admin/emporium_index.html"

    @property
    def login_form(self) -> type[AdminAuthenticationForm]:  # type: ignore[override]
        return AdminOTPForm if settings.ADMIN_REQUIRE_OTP else AdminAuthenticationForm

    @property
    def login_template(self) -> str | None:  # type: ignore[override]
        return "otp/admin111/login.html" if settings.ADMIN_REQUIRE_OTP else None

    def has_permission(self, request: HttpRequest) -> bool:
        """Return whether the user may use the admin: active staff, verified when required."""
        if not super().has_permission(request):
            return False
        if not settings.ADMIN_REQUIRE_OTP:
            return True
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from apps.reports.dashboard import sales_dashboard

        urls: list[URLResolver | URLPattern] = [
            path(
                "dashboard/",
                self.admin_view(sales_dashboard(self)),
                name="sales-dashboard",
            ),
        ]
        return urls + super().get_urls()
