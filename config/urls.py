"""Root URL configuration: health, admin, the versioned API, its documentation, the shop."""

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from apps.core import views as core_views

api_v1_patterns = [
    path("", include("apps.users.urls")),
    path("", include("apps.catalog.urls")),
    path("", include("apps.cart.urls")),
    path("", include("apps.orders.urls")),
    path("", include("apps.payments.urls")),
    path("", include("apps.invoices.urls")),
    path("", include("apps.reports.urls")),
    path("", include("apps.wishlist.urls")),
    path("", include("apps.webhooks.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("version", core_views.version, name="version"),
    path("metrics", core_views.metrics, name="metrics"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/", include((api_v1_patterns, "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Last: every other path under /api/ is a 404 problem, never an HTML page.
    re_path(r"^api/", core_views.ApiNotFoundView.as_view(), name="api-not-found"),
    # Uploaded files, when the application serves them itself (MEDIA_SERVE: the demo, tests).
    re_path(
        rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$",
        core_views.media,
        name="media",
    ),
    path("", include("apps.storefront.urls", namespace="storefront")),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
