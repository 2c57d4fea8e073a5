"""Staff report routes, mounted under /api/v1/."""

from django.urls import path

from apps.reports import views

app_name = "reports"

urlpatterns = [
    path("staff/reports/sales/", views.SalesReportView.as_view(), name="staff-report-sales"),
    path(
        "staff/reports/top-products/",
        views.TopProductsReportView.as_view(),
        name="staff-report-top-products",
    ),
]
