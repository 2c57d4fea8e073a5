"""A DRF renderer answering `text/csv` (`?format=csv` or `Accept: text/csv`) for report views.

The view's JSON body must carry its items under "rows"; the view names the columns in
`csv_fields`. Errors never reach this renderer: the problem handler renders them as JSON.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer

from apps.reports.exports import rows_to_csv


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        view = (renderer_context or {}).get("view")
        rows = data.get("rows", []) if isinstance(data, Mapping) else data
        fields = getattr(view, "csv_fields", None) or (list(rows[0]) if rows else [])
        return rows_to_csv(rows, fields).encode(self.charset)
