"""The demo catalog seeder and the seed_demo command: shape, determinism, idempotence."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from apps.catalog import demo
from apps.catalog.cache import get_catalog_version
from apps.catalog.demo import SeedReport, product_id, product_sku, seed_demo_catalog
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.catalog.tests.factories import ProductVariantFactory
from apps.users.models import User

pytestmark = pytest.mark.django_db


def table_counts() -> dict[str, int]:
    return {
        "categories": Category.objects.count(),
        "tags": Tag.objects.count(),
        "customers": User.objects.count(),
        "products": Product.objects.count(),
        "variants": ProductVariant.objects.count(),
        "product_tags": Product.tags.through.objects.count(),
        "reviews": Review.objects.count(),
        "discounts": Discount.objects.count(),
    }


def snapshot() -> list[tuple]:
    return list(
        ProductVariant.objects.order_by("sku").values_list(
            "product__id", "product__slug", "product__name", "sku", "options", "price", "stock"
        )
    )


def test_seeds_a_realistic_catalog():
    report = seed_demo_catalog(products=1_000)

    assert report.products == Product.objects.count() == 1_000
    assert report.variants == ProductVariant.objects.count()
    assert report.reviews == Review.objects.count()
    # A category tree: top-level categories with 2-4 sub-categories each; products in leaves.
    tops = Category.objects.filter(parent=None).annotate(n=Count("children"))
    assert 6 <= len(tops) <= 10
    assert all(2 <= top.n <= 4 for top in tops)
    leaf_ids = set(Category.objects.exclude(parent=None).values_list("id", flat=True))
    assert set(Product.objects.values_list("category_id", flat=True)) <= leaf_ids
    assert len(set(Product.objects.values_list("category_id", flat=True))) > len(tops)
    shirts = Category.objects.select_related("parent").get(slug="clothing-shirts")
    assert shirts.parent is not None
    assert shirts.parent.name == "Clothing"
    assert Tag.objects.count() == report.tags == 30
    customers = User.objects.filter(email__endswith="@emporium.localhost")
    assert customers.count() == report.customers == 20
    assert not any(customer.has_usable_password() for customer in customers)


def test_every_product_has_sellable_variants_and_simple_ones_have_exactly_one():
    seed_demo_catalog(products=300)

    variants_per_product = Counter(ProductVariant.objects.values_list("product_id", flat=True))
    assert set(variants_per_product) == set(Product.objects.values_list("id", flat=True))
    assert set(variants_per_product.values()) <= {1, 2, 3, 4}
    assert max(variants_per_product.values()) > 1
    variants = list(ProductVariant.objects.all())
    simple = [v for v in variants if v.options == {}]
    assert simple, "some products are simple"
    assert all(variants_per_product[v.product_id] == 1 for v in simple)
    with_options = [v for v in variants if v.options]
    assert {"size", "colour"} <= {key for v in with_options for key in v.options}
    # (PostgreSQL's jsonb does not keep the keys' order.)
    assert all(sorted(v.name.split(" / ")) == sorted(v.options.values()) for v in with_options)
    assert ProductVariant.objects.filter(sku=product_sku(1, 1), product_id=product_id(1)).exists()


def test_prices_stock_flags_and_reviews_vary_realistically():
    seed_demo_catalog(products=1_000)

    variants = list(ProductVariant.objects.all())
    assert all(v.price >= 0 and v.price == v.price.quantize(Decimal("0.01")) for v in variants)
    assert len({v.price for v in variants}) > 100
    assert any(v.compare_at_price and v.compare_at_price > v.price for v in variants)
    assert any(v.compare_at_price is None for v in variants)
    assert any(v.stock == 0 for v in variants)
    assert any(v.stock > 0 for v in variants)
    assert 50 <= Product.objects.filter(is_featured=True).count() <= 150  # ~10%
    assert 1 <= Product.objects.filter(is_active=False).count() <= 50  # ~2%
    ratings = list(Review.objects.values_list("rating", flat=True))
    assert set(ratings) == {1, 2, 3, 4, 5}
    assert sum(ratings) / len(ratings) > 3.5  # skewed positive
    pairs = list(Review.objects.values_list("product_id", "user_id"))
    assert len(pairs) == len(set(pairs))
    per_product = Counter(product for product, _ in pairs)
    assert max(per_product.values()) <= 5
    assert per_product.keys() < set(Product.objects.values_list("id", flat=True))  # some have 0


def test_seeds_product_and_category_discounts_in_past_current_and_future_windows():
    report = seed_demo_catalog(products=200)

    discounts = list(Discount.objects.all())
    assert report.discounts == len(discounts) >= 5
    assert all(Decimal(5) <= d.percent <= Decimal(40) for d in discounts)
    assert any(d.product_id for d in discounts)
    assert any(d.category_id for d in discounts)
    now = timezone.now()
    assert any(d.ends_at and d.ends_at < now for d in discounts)  # past
    assert any(d.starts_at and d.starts_at > now for d in discounts)  # future
    assert any(d.is_live(now) and d.ends_at for d in discounts)  # current, ending
    assert any(d.starts_at is None and d.ends_at is None for d in discounts)  # open-ended
    later = now + timedelta(days=365)
    assert all(d.starts_at is None or d.starts_at < later for d in discounts)


def test_second_run_creates_nothing():
    seed_demo_catalog(products=40)
    before, rows = table_counts(), snapshot()

    report = seed_demo_catalog(products=40)

    assert report == SeedReport(existing_products=40)
    assert table_counts() == before
    assert snapshot() == rows


def test_larger_run_adds_exactly_the_missing_products():
    seed_demo_catalog(products=30)
    before, rows = table_counts(), snapshot()

    report = seed_demo_catalog(products=50)

    assert (report.products, report.existing_products) == (20, 30)
    after = table_counts()
    assert after["products"] == 50
    assert after["variants"] == before["variants"] + report.variants
    assert after["reviews"] == before["reviews"] + report.reviews
    assert (after["categories"], after["tags"], after["customers"]) == (
        before["categories"],
        before["tags"],
        before["customers"],
    )
    new_ids = {product_id(n) for n in range(31, 51)}
    assert [row for row in snapshot() if row[0] not in new_ids] == rows


def test_the_same_seed_gives_the_same_catalog_and_another_seed_another():
    seed_demo_catalog(products=25, seed=7)
    first = snapshot()
    Product.objects.all().delete()

    seed_demo_catalog(products=25, seed=7)
    assert snapshot() == first
    Product.objects.all().delete()

    seed_demo_catalog(products=25, seed=8)
    other = snapshot()
    assert {row[0] for row in other} == {row[0] for row in first}  # ids follow the number
    assert {row[2] for row in other} != {row[2] for row in first}  # content follows the seed


def test_skips_a_numbered_product_whose_sku_another_product_uses():
    ProductVariantFactory.create(sku=product_sku(2, 1))

    report = seed_demo_catalog(products=3)

    assert (report.products, report.conflicts) == (2, 1)
    assert not Product.objects.filter(id=product_id(2)).exists()
    assert Product.objects.filter(id__in=[product_id(1), product_id(3)]).count() == 2


def test_bumps_the_catalog_version(django_capture_on_commit_callbacks):
    before = get_catalog_version()
    assert before is not None

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo_catalog(products=5)

    assert get_catalog_version() == before + 1


def test_refreshes_planner_statistics_after_a_load_on_postgresql():
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        seed_demo_catalog(products=3)
        seed_demo_catalog(products=3)  # loads nothing: nothing to refresh

    analyzed = [sql for sql in statements if sql.startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert analyzed == [
            'ANALYZE "catalog_product", "catalog_productvariant", "catalog_product_tags", '
            '"catalog_review", "catalog_attributeassignment", "catalog_productimage"'
        ]
    else:
        assert analyzed == []


def test_reports_progress_after_each_batch(monkeypatch):
    monkeypatch.setattr(demo, "BATCH_SIZE", 10)
    calls = []

    seed_demo_catalog(products=25, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(10, 25), (20, 25), (25, 25)]
    assert Product.objects.count() == 25


def test_zero_products_seeds_only_the_frame():
    report = seed_demo_catalog(products=0)

    assert report.products == Product.objects.count() == 0
    assert (report.tags, report.customers) == (30, 20)
    assert report.categories > 0
    assert Discount.objects.filter(product=None).exists()


def test_refuses_a_negative_count():
    with pytest.raises(ValueError, match="zero or more"):
        seed_demo_catalog(products=-1)


# --- The command ----------------------------------------------------------------------------


def seed_demo(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_seeds_and_prints_a_summary_and_progress(settings):
    settings.DEBUG = True

    out, err = seed_demo("--products", "25")

    assert Product.objects.count() == 25
    assert "Seeded the demo catalog in" in out
    assert "products    25 created, 0 were there" in out
    assert f"variants    {ProductVariant.objects.count()} created" in out
    assert f"reviews     {Review.objects.count()} created" in out
    assert "[##############################] 25/25" in err
    assert err.endswith("\n")


def test_command_rerun_reports_what_was_there(settings):
    settings.DEBUG = True
    seed_demo("--products", "10")

    out, _ = seed_demo("--products", "12", "--verbosity", "0")

    assert "products    2 created, 10 were there" in out
    assert "categories  0 created" in out
    assert Product.objects.count() == 12


def test_command_defaults_to_200_products(settings):
    settings.DEBUG = True

    seed_demo("--verbosity", "0")

    assert Product.objects.count() == 200


def test_command_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        seed_demo("--products", "3")
    assert not Product.objects.exists()

    seed_demo("--products", "3", "--force")
    assert Product.objects.count() == 3


def test_command_rejects_a_negative_count(settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="zero or more"):
        seed_demo("--products", "-5")
