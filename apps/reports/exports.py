"""CSV text from report rows: a header row, then one row per item; money as plain decimals."""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def rows_to_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """Return CSV text with `fields` as the header and each row's values in that order.

    None becomes an empty cell; everything else its `str` (Decimals stay exact: "12.50").
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow(["" if row.get(field) is None else str(row[field]) for field in fields])
    return buffer.getvalue()
