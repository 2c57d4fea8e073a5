"""Staff webhook routes, mounted under /api/v1/."""

from django.urls import path

from apps.webhooks import views

app_name = "webhooks"

PREFIX = "staff/webhooks/endpoints/"

urlpatterns = [
    path(PREFIX, views.EndpointListView.as_view(), name="endpoint-list"),
    path(
        f"{PREFIX}<uuid:endpoint_id>/", views.EndpointDetailView.as_view(), name="endpoint-detail"
    ),
    path(
        f"{PREFIX}<uuid:endpoint_id>/rotate-secret/",
        views.RotateSecretView.as_view(),
        name="endpoint-rotate-secret",
    ),
    path(
        f"{PREFIX}<uuid:endpoint_id>/deliveries/",
        views.DeliveryListView.as_view(),
        name="delivery-list",
    ),
    path(
        f"{PREFIX}<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/replay/",
        views.DeliveryReplayView.as_view(),
        name="delivery-replay",
    ),
]
