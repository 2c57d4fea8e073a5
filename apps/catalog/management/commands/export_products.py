"""Export every product variant as a CSV row (the format `import_products` reads)."""

import os
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.csv_io import export_products_csv
from apps.catalog.management.progress import ProgressBar, plain


class Command(BaseCommand):
    help = (
        "Export the catalog as CSV, one row per variant, ordered by product slug and variant "
        "position. Importing the file back changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", help="Where to write the CSV (default: standard output)."
        )

    def handle(self, *args: Any, file: str | None, verbosity: int, **options: Any) -> None:
        started = time.monotonic()
        with ProgressBar(self.stderr, enabled=verbosity > 0) as bar:
            if file is None:
                try:
                    rows = export_products_csv(out=self.stdout, progress=bar)
                except BrokenPipeError:
                    # The reader went away (`| head`): stop quietly, as Unix tools do, and
                    # keep Python from complaining again when it flushes stdout at exit.
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    return
            else:
                try:
                    with open(file, "w", newline="", encoding="utf-8") as out:
                        rows = export_products_csv(out=out, progress=bar)
                except OSError as exc:
                    raise CommandError(f"Cannot write {file}: {exc.strerror}.") from exc
        summary = f"Exported {rows:,} rows to {file or 'standard output'} in "
        summary += f"{time.monotonic() - started:.1f} s."
        if file is None:  # keep standard output pure CSV
            if verbosity > 0:
                self.stderr.write(summary, style_func=plain)
        else:
            self.stdout.write(summary)
