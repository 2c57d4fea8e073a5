"""Payment routes, mounted under /api/v1/."""

from django.urls import path

from apps.payments import views

app_name = "payments"

urlpatterns = [
    path("orders/<uuid:order_id>/pay/", views.PayOrderView.as_view(), name="order-pay"),
    path("payments/webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path(
        "payments/sandbox/<str:intent_id>/pay/",
        views.SandboxPayView.as_view(),
        name="sandbox-pay",
    ),
    path(
        "staff/orders/<uuid:order_id>/refund/",
        views.StaffRefundView.as_view(),
        name="staff-order-refund",
    ),
    path(
        "staff/returns/<uuid:return_id>/refund/",
        views.StaffReturnRefundView.as_view(),
        name="staff-return-refund",
    ),
]
