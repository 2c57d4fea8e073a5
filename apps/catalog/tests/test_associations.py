"""Recomputing "customers also bought" from orders: counts, what counts, top K, replacement."""

import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from apps.catalog import associations, tasks
from apps.catalog.associations import recompute_product_associations
from apps.catalog.cache import get_catalog_version
from apps.catalog.models import Product, ProductAssociation
from apps.catalog.tests.factories import ProductVariantFactory, make_product
from apps.core.tests.concurrency import TIMEOUT, require_postgresql, run_at_once
from apps.orders.models import Order, OrderStatus
from apps.orders.tests.factories import OrderFactory, OrderLineFactory, set_created_at

pytestmark = pytest.mark.django_db


def bought(*products: Product, status: str = OrderStatus.PAID, days_ago: float = 1) -> Order:
    """Return an order of one unit of each product's first variant, placed `days_ago`."""
    order = OrderFactory.create(status=status)
    for product in products:
        OrderLineFactory.create(order=order, variant=product.variants.order_by("pk").first())
    return set_created_at(order, timezone.now() - timedelta(days=days_ago))


def scores() -> dict[tuple[str, str], int]:
    return {
        (product, related): score
        for product, related, score in ProductAssociation.objects.values_list(
            "product__name", "related__name", "score"
        )
    }


@pytest.fixture
def shop() -> dict[str, Product]:
    return {name: make_product(name=name) for name in ("Kettle", "Teapot", "Mugs", "Tea", "Tray")}


def test_a_score_counts_the_orders_that_held_both_products(shop: dict[str, Product]) -> None:
    kettle, teapot, mugs = shop["Kettle"], shop["Teapot"], shop["Mugs"]
    bought(kettle, teapot)
    bought(kettle, teapot, mugs, status=OrderStatus.FULFILLED)
    bought(kettle, mugs)
    bought(teapot)

    report = recompute_product_associations()

    assert scores() == {
        ("Kettle", "Teapot"): 2,
        ("Teapot", "Kettle"): 2,
        ("Kettle", "Mugs"): 2,
        ("Mugs", "Kettle"): 2,
        ("Teapot", "Mugs"): 1,
        ("Mugs", "Teapot"): 1,
    }
    assert (report.rows, report.products) == (6, 3)


def test_several_lines_and_units_of_a_product_count_one_order(shop: dict[str, Product]) -> None:
    kettle, teapot = shop["Kettle"], shop["Teapot"]
    ProductVariantFactory.create(product=kettle, name="Copper")
    order = bought(kettle, teapot)
    OrderLineFactory.create(order=order, variant=kettle.variants.order_by("pk").last(), quantity=3)

    recompute_product_associations()

    assert scores() == {("Kettle", "Teapot"): 1, ("Teapot", "Kettle"): 1}


@pytest.mark.parametrize(
    "status", [OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.REFUNDED]
)
def test_orders_not_paid_for_or_given_back_do_not_count(
    shop: dict[str, Product], status: str
) -> None:
    bought(shop["Kettle"], shop["Teapot"], status=status)
    bought(shop["Kettle"], shop["Mugs"])

    recompute_product_associations()

    assert scores() == {("Kettle", "Mugs"): 1, ("Mugs", "Kettle"): 1}


def test_only_orders_of_the_window_count(shop: dict[str, Product], settings: Any) -> None:
    kettle, teapot, mugs = shop["Kettle"], shop["Teapot"], shop["Mugs"]
    bought(kettle, teapot, days_ago=400)
    bought(kettle, mugs, days_ago=20)

    recompute_product_associations()  # RELATED_PRODUCTS_WINDOW_DAYS: 365 by default
    assert set(scores()) == {("Kettle", "Mugs"), ("Mugs", "Kettle")}

    recompute_product_associations(window_days=500)
    assert ("Kettle", "Teapot") in scores()

    settings.RELATED_PRODUCTS_WINDOW_DAYS = 10
    assert recompute_product_associations().rows == 0


def test_each_product_keeps_its_top_k_with_ties_broken_by_id(shop: dict[str, Product]) -> None:
    kettle, teapot, mugs, tea, tray = (shop[n] for n in ("Kettle", "Teapot", "Mugs", "Tea", "Tray"))
    for _ in range(3):
        bought(kettle, teapot)
    for _ in range(2):
        bought(kettle, mugs)
    bought(kettle, tea)
    bought(kettle, tray)

    recompute_product_associations(top_k=3)

    kept = ProductAssociation.objects.filter(product=kettle).order_by("-score", "related_id")
    first_tie = min((tea, tray), key=lambda product: str(product.pk))
    assert [(row.related_id, row.score) for row in kept] == [
        (teapot.pk, 3),
        (mugs.pk, 2),
        (first_tie.pk, 1),
    ]
    assert ProductAssociation.objects.filter(product=tea).count() == 1


def test_the_top_k_comes_from_settings(shop: dict[str, Product], settings: Any) -> None:
    settings.RELATED_PRODUCTS_TOP_K = 1
    bought(shop["Kettle"], shop["Teapot"], shop["Mugs"])

    recompute_product_associations()

    assert ProductAssociation.objects.filter(product=shop["Kettle"]).count() == 1


def test_inactive_and_deleted_products_are_never_someones_related(
    shop: dict[str, Product],
) -> None:
    kettle, teapot, mugs = shop["Kettle"], shop["Teapot"], shop["Mugs"]
    Product.objects.filter(pk=teapot.pk).update(is_active=False)
    order = bought(kettle, teapot, mugs)
    OrderLineFactory.create(
        order=order,
        variant=None,
        product=None,
        sku="GONE",
        product_name="Gone",
        variant_name="",
        unit_list_price=1,
        unit_price=1,
    )

    recompute_product_associations()

    assert ("Kettle", "Teapot") not in scores()
    assert scores()[("Kettle", "Mugs")] == 1


def test_orders_of_a_great_many_products_do_not_count(shop: dict[str, Product]) -> None:
    bought(shop["Kettle"], shop["Teapot"], shop["Mugs"])
    bought(shop["Tea"], shop["Tray"])

    with mock.patch.object(associations, "MAX_PRODUCTS_PER_ORDER", 2):
        recompute_product_associations()

    assert scores() == {("Tea", "Tray"): 1, ("Tray", "Tea"): 1}


def test_a_recomputation_replaces_every_previous_row(shop: dict[str, Product]) -> None:
    kettle, teapot, tray = shop["Kettle"], shop["Teapot"], shop["Tray"]
    ProductAssociation.objects.create(
        product=kettle, related=tray, score=99, computed_at=timezone.now()
    )
    bought(kettle, teapot)

    recompute_product_associations()

    assert scores() == {("Kettle", "Teapot"): 1, ("Teapot", "Kettle"): 1}


def test_recomputing_again_gives_the_same_rows(shop: dict[str, Product]) -> None:
    bought(shop["Kettle"], shop["Teapot"], shop["Mugs"])
    bought(shop["Kettle"], shop["Tea"])
    recompute_product_associations()
    first = scores()

    report = recompute_product_associations()

    assert scores() == first
    assert report.rows == len(first) == 8


def test_a_failed_recomputation_keeps_the_previous_rows(shop: dict[str, Product]) -> None:
    bought(shop["Kettle"], shop["Teapot"])
    recompute_product_associations()
    before = scores()
    bought(shop["Kettle"], shop["Mugs"])

    with (
        mock.patch.object(associations, "_recompute_sql", return_value="SELECT * FROM nowhere"),
        pytest.raises(DatabaseError),
    ):
        recompute_product_associations()

    assert scores() == before


def test_the_catalog_cache_is_invalidated_once_it_commits(
    shop: dict[str, Product], django_capture_on_commit_callbacks: Any
) -> None:
    bought(shop["Kettle"], shop["Teapot"])
    version = get_catalog_version()
    assert version is not None

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recompute_product_associations()
    assert get_catalog_version() == version  # not before the commit
    for callback in callbacks:
        callback()

    assert get_catalog_version() == version + 1


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        recompute_product_associations(top_k=0)


# --- The task -------------------------------------------------------------------------------


def test_the_task_recomputes_and_says_how_many_rows(shop: dict[str, Product]) -> None:
    bought(shop["Kettle"], shop["Teapot"])

    result = tasks.recompute_product_associations.delay().get()

    assert result == {"rows": 2, "products": 2}
    assert scores() == {("Kettle", "Teapot"): 1, ("Teapot", "Kettle"): 1}


def test_the_task_runs_every_night_with_room_to_finish() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["recompute-product-associations"]
    assert entry["task"] == tasks.recompute_product_associations.name
    assert entry["schedule"].hour == {2}  # type: ignore[attr-defined]
    assert tasks.recompute_product_associations.soft_time_limit >= 5 * 60
    assert tasks.recompute_product_associations.acks_late


# --- Under concurrency (PostgreSQL) ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_readers_see_the_old_set_until_the_new_one_commits(shop: dict[str, Product]) -> None:
    require_postgresql()
    kettle, teapot, mugs = shop["Kettle"], shop["Teapot"], shop["Mugs"]
    bought(kettle, teapot)
    recompute_product_associations()
    bought(kettle, mugs)
    bought(kettle, mugs)
    written, release = threading.Event(), threading.Event()
    real_bump = associations.bump_catalog_version_on_commit

    def hold_before_commit() -> None:  # called inside the transaction, after the insert
        real_bump()
        written.set()
        assert release.wait(TIMEOUT)

    def recompute() -> None:
        recompute_product_associations()

    with mock.patch.object(associations, "bump_catalog_version_on_commit", hold_before_commit):
        worker = threading.Thread(target=lambda: run_at_once([recompute]), daemon=True)
        worker.start()
        try:
            assert written.wait(TIMEOUT)
            during = scores()
        finally:
            release.set()
            worker.join(TIMEOUT)

    assert during == {("Kettle", "Teapot"): 1, ("Teapot", "Kettle"): 1}
    assert scores()[("Kettle", "Mugs")] == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_recomputations_wait_for_each_other(shop: dict[str, Product]) -> None:
    require_postgresql()
    bought(shop["Kettle"], shop["Teapot"], shop["Mugs"])

    reports = run_at_once([recompute_product_associations] * 3)

    assert [report.rows for report in reports] == [6, 6, 6]
    assert len(scores()) == 6
