"""Checkout and order routes, mounted under /api/v1/."""

from django.urls import path

from apps.orders import views

app_name = "orders"

urlpatterns = [
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/summary/", views.OrderStatsView.as_view(), name="order-summary"),
    path("orders/lookup/", views.GuestOrderLookupView.as_view(), name="order-lookup"),
    path("orders/<uuid:order_id>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<uuid:order_id>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path(
        "orders/<uuid:order_id>/returns/",
        views.OrderReturnCreateView.as_view(),
        name="order-returns",
    ),
    path("staff/orders/", views.StaffOrderListView.as_view(), name="staff-order-list"),
    path(
        "staff/orders/<uuid:order_id>/",
        views.StaffOrderDetailView.as_view(),
        name="staff-order-detail",
    ),
    path(
        "staff/orders/<uuid:order_id>/transition/",
        views.StaffOrderTransitionView.as_view(),
        name="staff-order-transition",
    ),
    path(
        "staff/orders/<uuid:order_id>/shipments/",
        views.StaffShipmentCreateView.as_view(),
        name="staff-order-shipments",
    ),
    *(
        path(
            f"staff/returns/<uuid:return_id>/{step}/",
            views.StaffReturnStepView.as_view(),
            {"step": step},
            name=f"staff-return-{step}",
        )
        for step in (*views.RETURN_DECISIONS, "receive")
    ),
]
