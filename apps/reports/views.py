"""Staff report endpoints: sales per period and top products, as JSON or CSV."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import validated
from apps.core.permissions import staff_may
from apps.reports import selectors
from apps.reports.renderers import CSVRenderer
from apps.reports.serializers import (
    SalesQuerySerializer,
    SalesReportSerializer,
    TopProductsQuerySerializer,
    TopProductsReportSerializer,
)

FORMAT = OpenApiParameter(
    "format",
    type=str,
    enum=["json", "csv"],
    required=False,
    description="`csv` answers text/csv (as does `Accept: text/csv`): a header row, then one "
    "row per item.",
)
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="A header row, then one row each.")


class _ReportView(APIView):
    permission_classes = [staff_may(GET=["reports.view_dailysalesreport"])]
    renderer_classes = [JSONRenderer, CSVRenderer]
    csv_fields: tuple[str, ...] = ()
    csv_name = "report"

    def _answer(self, request: Request, body: dict[str, Any]) -> Response:
        response = Response(body)
        if getattr(request.accepted_renderer, "format", None) == CSVRenderer.format:
            filename = f"{self.csv_name}-{body['from']}-{body['to']}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class SalesReportView(_ReportView):
    csv_fields = ("period", "orders", "revenue", "average_order_value", "refunds")
    csv_name = "sales"

    @extend_schema(
        operation_id="staff_reports_sales",
        parameters=[SalesQuerySerializer, FORMAT],
        responses={
            (200, "application/json"): SalesReportSerializer,
            (200, "text/csv"): CSV_RESPONSE,
        },
        tags=["reports staff"],
    )
    def get(self, request: Request) -> Response:
        """Orders, revenue, average order value and refunds per day, week or month (UTC)."""
        params = validated(SalesQuerySerializer, request.query_params)
        rows = selectors.sales_by_period(
            start=params["from"], end=params["to"], interval=params["interval"]
        )
        body = SalesReportSerializer(
            {
                "from": params["from"],
                "to": params["to"],
                "interval": params["interval"],
                "rows": rows,
                "totals": selectors.sales_totals(rows),
            }
        ).data
        return self._answer(request, body)


class TopProductsReportView(_ReportView):
    csv_fields = ("product_id", "product_name", "units", "revenue")
    csv_name = "top-products"

    @extend_schema(
        operation_id="staff_reports_top_products",
        parameters=[TopProductsQuerySerializer, FORMAT],
        responses={
            (200, "application/json"): TopProductsReportSerializer,
            (200, "text/csv"): CSV_RESPONSE,
        },
        tags=["reports staff"],
    )
    def get(self, request: Request) -> Response:
        """The best-selling products of a range of days by revenue, then units."""
        params = validated(TopProductsQuerySerializer, request.query_params)
        rows = selectors.top_products(start=params["from"], end=params["to"], limit=params["limit"])
        body = TopProductsReportSerializer(
            {"from": params["from"], "to": params["to"], "limit": params["limit"], "rows": rows}
        ).data
        return self._answer(request, body)
