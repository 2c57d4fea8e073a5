"""HTTP endpoints for an order's invoice and credit notes: the list and each PDF."""

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.permissions import staff_may
from apps.invoices import selectors
from apps.invoices.pdf import PDF_CONTENT_TYPE, download_headers, render_document
from apps.invoices.serializers import DocumentSerializer
from apps.users.models import User

STAFF_PERMISSIONS = ["orders.view_order", "invoices.view_invoice", "invoices.view_creditnote"]
_PDF_RESPONSES: dict[int | tuple[int, str], Any] = {
    (200, PDF_CONTENT_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY, description="The document as a PDF attachment."
    ),
}

NUMBER = OpenApiParameter(
    "number",
    location=OpenApiParameter.PATH,
    type=str,
    description="The document's number, as the list gives it: INV-2026-000001, CN-2026-000001.",
)


class PDFRenderer(BaseRenderer):
    """Pass PDF bytes through (errors are problem+json whatever the renderer)."""

    media_type = PDF_CONTENT_TYPE
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return bytes(data)


def pdf_response(document: selectors.Document) -> Response:
    """Return the document's PDF as a download."""
    return Response(
        render_document(document),
        content_type=PDF_CONTENT_TYPE,
        headers=download_headers(document),
    )


def _listing(
    request: Request, documents: list[selectors.Document], url_for: Callable[[str], str]
) -> Response:
    context = {"url_for": lambda number: request.build_absolute_uri(url_for(number))}
    return Response(DocumentSerializer(documents, many=True, context=context).data)


class DocumentListView(APIView):
    """The invoice and credit notes of one of the caller's orders; anyone else's is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="orders_documents_list",
        responses=DocumentSerializer(many=True),
        tags=["orders"],
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        user: User = request.user  # type: ignore[assignment]
        documents = selectors.list_documents(user=user, order_id=order_id)
        return _listing(
            request,
            documents,
            lambda number: reverse(
                "v1:invoices:document-pdf", kwargs={"order_id": order_id, "number": number}
            ),
        )


class DocumentPdfView(APIView):
    """The PDF of one document of one of the caller's orders."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [PDFRenderer]

    @extend_schema(
        operation_id="orders_documents_pdf",
        parameters=[NUMBER],
        responses=_PDF_RESPONSES,
        tags=["orders"],
    )
    def get(self, request: Request, order_id: UUID, number: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return pdf_response(selectors.get_document(user=user, order_id=order_id, number=number))


class StaffDocumentListView(APIView):
    permission_classes = [staff_may(GET=STAFF_PERMISSIONS)]

    @extend_schema(
        operation_id="staff_orders_documents_list",
        responses=DocumentSerializer(many=True),
        tags=["orders staff"],
    )
    def get(self, request: Request, order_id: UUID) -> Response:
        documents = selectors.staff_list_documents(order_id=order_id)
        return _listing(
            request,
            documents,
            lambda number: reverse(
                "v1:invoices:staff-document-pdf", kwargs={"order_id": order_id, "number": number}
            ),
        )


class StaffDocumentPdfView(APIView):
    permission_classes = [staff_may(GET=STAFF_PERMISSIONS)]
    renderer_classes = [PDFRenderer]

    @extend_schema(
        operation_id="staff_orders_documents_pdf",
        parameters=[NUMBER],
        responses=_PDF_RESPONSES,
        tags=["orders staff"],
    )
    def get(self, request: Request, order_id: UUID, number: str) -> Response:
        return pdf_response(selectors.staff_get_document(order_id=order_id, number=number))
