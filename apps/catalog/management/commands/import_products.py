"""Import products and variants from a CSV file (the format `export_products` writes)."""

import sys
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.csv_io import COLUMNS, import_products_csv
from apps.catalog.management.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Import products and variants from CSV, one row per variant, matching products by "
        f"product_slug and variants by sku. Columns: {', '.join(COLUMNS)}. Exits with status 1 "
        "if any row failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file (UTF-8), or - for standard input.")
        parser.add_argument(
            "--atomic",
            action="store_true",
            help="All or nothing: import nothing if any row is bad (all bad rows are reported).",
        )

    def handle(self, *args: Any, file: str, atomic: bool, verbosity: int, **options: Any) -> None:
        started = time.monotonic()
        with self._open(file) as stream, ProgressBar(self.stderr, enabled=verbosity > 0) as bar:
            report = import_products_csv(file=stream, atomic=atomic, progress=bar)
        elapsed = time.monotonic() - started
        if report.rolled_back:
            self.stdout.write(f"Nothing imported from {file} (--atomic): some rows are bad.")
        else:
            self.stdout.write(
                f"Imported {file} in {elapsed:.1f} s: {report.created:,} created, "
                f"{report.updated:,} updated, {report.unchanged:,} unchanged, "
                f"{len(report.errors):,} failed."
            )
        for error in report.errors:
            self.stdout.write(f"  line {error.line}: {error.reason}")
        if report.errors:
            raise CommandError(
                f"{len(report.errors):,} row(s) failed"
                + ("; nothing was imported." if report.rolled_back else "."),
                returncode=1,
            )

    def _open(self, file: str) -> AbstractContextManager[TextIO]:
        if file == "-":
            return nullcontext(sys.stdin)  # not ours to close
        try:
            # utf-8-sig: spreadsheet programs often start UTF-8 CSV files with a BOM.
            return open(file, newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
