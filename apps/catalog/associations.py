"""Product associations ("customers also bought"), recomputed from the orders customers kept.

One SQL statement counts, for every pair of products, the orders of the window that held
both, keeps each product's top K, and inserts them in place of the previous set, inside one
transaction: readers see the old set until it commits, then the new one.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.models import Product, ProductAssociation

# Orders the customer paid for and kept: pending ones may never be paid, cancelled and
# refunded ones were not really bought (see apps.orders.models.OrderStatus).
BOUGHT_STATUSES = ("paid", "partially_fulfilled", "fulfilled")
# A bigger order (a wholesale buy, a staff test) says little about what goes together, and
# would add the square of its size in pairs.
MAX_PRODUCTS_PER_ORDER = 50
# The recomputation's statements may take longer than DB_STATEMENT_TIMEOUT_MS allows a web
# request (about 6 s for 1.1 million order lines): as long as its task may run.
STATEMENT_TIMEOUT_SECONDS = 10 * 60


@dataclass(frozen=True)
class AssociationsReport:
    """What a recomputation wrote: rows, products that have some, and how long it took."""

    rows: int
    products: int
    since: datetime
    seconds: float


def _recompute_sql() -> str:
    """Return the statement that inserts each product's top associations, from order lines.

    `kept` are the window's bought orders of 2 to MAX_PRODUCTS_PER_ORDER products; pairs are
    found by joining their lines to each other through the order id index, so the work grows
    with the number of lines (times products per order), never with lines squared, whatever
    the planner estimates. A pair counts distinct orders, however many lines or units each
    order had of the two.
    """
    order_model = django_apps.get_model("orders", "Order")
    line_model = django_apps.get_model("orders", "OrderLine")
    orders = order_model._meta.db_table
    lines = line_model._meta.db_table
    products = Product._meta.db_table
    associations = ProductAssociation._meta.db_table
    statuses = ", ".join(["%s"] * len(BOUGHT_STATUSES))
    # Not an injection: the table names come from the models, every value is a parameter.
    return f"""
        INSERT INTO {associations} (product_id, related_id, score, computed_at)
        WITH kept AS (
            SELECT line.order_id
            FROM {orders} o
            JOIN {lines} line ON line.order_id = o.id
            WHERE o.status IN ({statuses})
              AND o.created_at >= %s
              AND line.product_id IS NOT NULL
            GROUP BY line.order_id
            HAVING COUNT(DISTINCT line.product_id) BETWEEN 2 AND %s
        ),
        pairs AS (
            SELECT a.product_id AS product_id, b.product_id AS related_id,
                   COUNT(DISTINCT kept.order_id) AS score
            FROM kept
            JOIN {lines} a ON a.order_id = kept.order_id
            JOIN {lines} b ON b.order_id = kept.order_id AND b.product_id <> a.product_id
            JOIN {products} related ON related.id = b.product_id AND related.is_active
            GROUP BY a.product_id, b.product_id
        ),
        ranked AS (
            SELECT product_id, related_id, score,
                   ROW_NUMBER() OVER (
                       PARTITION BY product_id ORDER BY score DESC, related_id
                   ) AS position
            FROM pairs
        )
        SELECT product_id, related_id, score, %s FROM ranked WHERE position <= %s
    """  # noqa: S608  # nosec B608


def _prepare_transaction() -> None:
    """Make a concurrent recomputation wait for this one (readers are never blocked), and
    give this transaction's statements the time the task has, not a web request's.

    Two replacements interleaved would each delete only the rows they saw, then insert
    theirs: duplicates. SQLite runs one writing transaction at a time already.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(ProductAssociation._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT_SECONDS}s'")


def recompute_product_associations(
    *,
    window_days: int | None = None,
    top_k: int | None = None,
    now: datetime | None = None,
) -> AssociationsReport:
    """Replace every product association with counts from the orders of the last days.

    For each pair of products, `score` is the number of paid (or fulfilled) orders placed in
    the last `window_days` (default RELATED_PRODUCTS_WINDOW_DAYS) that held both; only the
    `top_k` (default RELATED_PRODUCTS_TOP_K) best of each product are kept, ties broken by the
    related product's id. Related products must be active; orders of a single product, or of
    more than MAX_PRODUCTS_PER_ORDER, count for nothing. The old rows are replaced in one
    transaction, and the catalog cache is invalidated once it commits. Running it again gives
    the same rows.
    """
    window_days = settings.RELATED_PRODUCTS_WINDOW_DAYS if window_days is None else window_days
    top_k = settings.RELATED_PRODUCTS_TOP_K if top_k is None else top_k
    if window_days < 1 or top_k < 1:
        raise ValueError("window_days and top_k must be at least 1.")
    now = now or timezone.now()
    since = now - timedelta(days=window_days)
    adapt = connection.ops.adapt_datetimefield_value
    params = [*BOUGHT_STATUSES, adapt(since), MAX_PRODUCTS_PER_ORDER, adapt(now), top_k]
    started = time.monotonic()
    with transaction.atomic():
        _prepare_transaction()
        with connection.cursor() as cursor:
            # Not QuerySet.delete(): with signals connected it would load every row first.
            table = connection.ops.quote_name(ProductAssociation._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608  # nosec B608
            cursor.execute(_recompute_sql(), params)
            rows = cursor.rowcount
        products = ProductAssociation.objects.values("product_id").distinct().count()
        bump_catalog_version_on_commit()  # raw SQL sends no signals
    return AssociationsReport(
        rows=rows, products=products, since=since, seconds=time.monotonic() - started
    )
