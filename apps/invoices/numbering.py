"""Gap-free document numbers: one counter row per series and year, locked until commit.

Invoice and credit note numbers must run without gaps within a year (tax authorities ask
why one is missing), so they never come from a database sequence, which hands out numbers
that a rolled-back transaction then leaves unused. The counter row is incremented in the
issuing transaction and stays row-locked until it commits: a concurrent issuer waits for
it, and a rollback gives the number back with everything else.
"""

from django.db import connection

from apps.invoices.models import DocumentCounter


def next_number(*, series: str, year: int) -> int:
    """Return the next number of `series` in `year`; its counter row stays locked until commit.

    One upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`), like the order numbers of
    checkout: it starts the year's counter or increments it, taking the row lock that a
    `SELECT … FOR UPDATE` would, and two first issuers of a year cannot both insert the row.
    Taken last in an issuing transaction, so the lock is held only for the insert that follows.
    """
    quote = connection.ops.quote_name
    table, last = quote(DocumentCounter._meta.db_table), quote("last")
    series_col, year_col = quote("series"), quote("year")
    sql = (
        f"INSERT INTO {table} ({series_col}, {year_col}, {last}) VALUES (%s, %s, 1) "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({series_col}, {year_col}) DO UPDATE SET {last} = {table}.{last} + 1 "
        f"RETURNING {last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [series, year])
        row = cursor.fetchone()
    return int(row[0])


def format_number(*, series: str, year: int, sequence: int) -> str:
    """Return a document number as printed: `INV-2026-000001`."""
    return f"{series}-{year}-{sequence:06d}"
