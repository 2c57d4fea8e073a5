"""Routes of an order's documents, mounted under /api/v1/."""

from django.urls import path

from apps.invoices import views

app_name = "invoices"

urlpatterns = [
    path(
        "orders/<uuid:order_id>/documents/",
        views.DocumentListView.as_view(),
        name="document-list",
    ),
    path(
        "orders/<uuid:order_id>/documents/<str:number>.pdf",
        views.DocumentPdfView.as_view(),
        name="document-pdf",
    ),
    path(
        "staff/orders/<uuid:order_id>/documents/",
        views.StaffDocumentListView.as_view(),
        name="staff-document-list",
    ),
    path(
        "staff/orders/<uuid:order_id>/documents/<str:number>.pdf",
        views.StaffDocumentPdfView.as_view(),
        name="staff-document-pdf",
    ),
]
