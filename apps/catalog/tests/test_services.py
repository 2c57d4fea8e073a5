"""Catalog services: the business rules of every write, tested without HTTP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog import services
from apps.catalog.cache import get_catalog_version
from apps.catalog.errors import (
    CategoryInUse,
    InvalidCategoryParent,
    InvalidDiscount,
    ReviewExists,
    SkuTaken,
    UnknownSku,
)
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.catalog.services import VariantChange, VariantInput
from apps.catalog.tests.test_api_support import catalog_state, make_category, make_product, variant
from apps.users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def lamps() -> Category:
    return make_category("Lamps")


# --- Products -------------------------------------------------------------------------------


def test_create_a_simple_product(lamps):
    staff = StaffUserFactory.create()
    sale = services.create_tag(name="Sale")

    product = services.create_product(
        name="Desk Lamp",
        category=lamps,
        variants=[VariantInput(sku="DL-1", price=Decimal("19.90"), stock=4)],
        description="Small.",
        tags=[sale],
        is_featured=True,
        created_by=staff,
    )

    stored = Product.objects.get(pk=product.pk)
    assert (stored.slug, stored.name, stored.description) == ("desk-lamp", "Desk Lamp", "Small.")
    assert (stored.is_active, stored.is_featured, stored.created_by) == (True, True, staff)
    assert list(stored.tags.all()) == [sale]
    [only] = stored.variants.all()
    assert (only.sku, only.price, only.stock, only.currency, only.position, only.is_active) == (
        "DL-1",
        Decimal("19.90"),
        4,
        "EUR",
        0,
        True,
    )


def test_create_a_product_with_variants_in_order(lamps):
    product = services.create_product(
        name="Floor Lamp",
        category=lamps,
        variants=[
            VariantInput(sku="FL-S", price=Decimal(40), options={"size": "S"}, name="Small"),
            VariantInput(sku="FL-M", price=Decimal(50), currency="usd", is_active=False),
            VariantInput(sku="FL-L", price=Decimal(60), compare_at_price=Decimal(80), stock=2),
        ],
    )

    rows = list(product.variants.values_list("sku", "position", "options", "currency", "is_active"))
    assert rows == [
        ("FL-S", 0, {"size": "S"}, "EUR", True),
        ("FL-M", 1, {}, "USD", False),
        ("FL-L", 2, {}, "EUR", True),
    ]
    assert ProductVariant.objects.get(sku="FL-L").compare_at_price == Decimal(80)


@pytest.mark.parametrize(
    ("skus", "taken"),
    [(["A", "B", "A"], []), (["A", "LAMP-1"], ["LAMP-1"])],
    ids=["repeated", "in-use"],
)
def test_a_product_with_a_taken_sku_is_not_created(lamps, skus, taken):
    make_product("Lamp", category=lamps, variants=[variant("LAMP-1")])
    before = catalog_state()

    with pytest.raises(SkuTaken) as raised:
        services.create_product(name="New", category=lamps, variants=[variant(sku) for sku in skus])

    assert raised.value.errors
    assert "sku" in raised.value.errors
    assert catalog_state() == before


def test_slugs_are_unique_numbered_and_kept_on_rename(lamps):
    made = [make_product("Desk Lamp", category=lamps) for _ in range(3)]
    assert [p.slug for p in made] == ["desk-lamp", "desk-lamp-2", "desk-lamp-3"]

    services.update_product(product=made[0], name="Reading Lamp")
    assert Product.objects.get(pk=made[0].pk).slug == "desk-lamp"
    # Other names that merely start alike do not count as collisions.
    assert make_product("Desk", category=lamps).slug == "desk"
    assert make_product("Desk Lamp", category=lamps).slug == "desk-lamp-4"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Crème Brûlée Set", "creme-brulee-set"),
        ("!!!", "item"),
        ("  Spaced   Out  ", "spaced-out"),
        ("x" * 200, "x" * 200),
        ("Lamp 2", "lamp-2"),
    ],
    ids=["accents", "no-letters", "spaces", "longest", "number"],
)
def test_a_slug_is_made_from_any_name(lamps, name, slug):
    product = make_product(name, category=lamps)

    assert product.slug == slug


def test_update_a_product(lamps):
    product = make_product("Lamp", category=lamps, tags=[services.create_tag(name="Old")])
    kitchen = make_category("Kitchen")
    new = services.create_tag(name="New")

    services.update_product(
        product=product, category=kitchen, is_active=False, description="D", tags=[new]
    )

    stored = Product.objects.get(pk=product.pk)
    assert (stored.category, stored.is_active, stored.description) == (kitchen, False, "D")
    assert list(stored.tags.all()) == [new]


def test_update_product_refuses_unknown_fields(lamps):
    product = make_product("Lamp", category=lamps)

    with pytest.raises(TypeError, match="slug"):
        services.update_product(product=product, slug="other")

    assert Product.objects.get(pk=product.pk).slug == "lamp"


def test_delete_a_product_with_everything_that_hangs_off_it(lamps):
    product = make_product("Lamp", category=lamps, variants=[variant(), variant()])
    keep = make_product("Desk", category=lamps)
    services.create_discount(name="D", percent=Decimal(5), product=product)
    services.create_review(product=product, user=UserFactory.create(), rating=3)

    services.delete_product(product=product)

    assert list(Product.objects.all()) == [keep]
    assert ProductVariant.objects.filter(product_id=product.pk).count() == 0
    assert Discount.objects.count() == 0
    assert Review.objects.count() == 0


# --- Variants -------------------------------------------------------------------------------


def test_add_update_and_delete_a_variant(lamps):
    product = make_product("Lamp", category=lamps, variants=[variant("L-1"), variant("L-2")])

    added = services.add_variant(
        product=product, data=VariantInput(sku="L-3", price=Decimal("5.5"), currency="gbp")
    )
    assert (added.position, added.currency) == (2, "GBP")

    services.update_variant(variant=added, sku="L-3B", stock=9, price=Decimal(6))
    stored = ProductVariant.objects.get(pk=added.pk)
    assert (stored.sku, stored.stock, stored.price) == ("L-3B", 9, Decimal(6))
    services.update_variant(variant=stored, sku="L-3B")  # its own SKU is not "taken"

    services.delete_variant(variant=stored)
    assert list(product.variants.values_list("sku", flat=True)) == ["L-1", "L-2"]


def test_a_variant_cannot_take_another_variants_sku(lamps):
    product = make_product("Lamp", category=lamps, variants=[variant("L-1"), variant("L-2")])
    before = catalog_state()

    with pytest.raises(SkuTaken):
        services.add_variant(product=product, data=VariantInput(sku="L-2", price=Decimal(1)))
    with pytest.raises(SkuTaken):
        services.update_variant(variant=ProductVariant.objects.get(sku="L-1"), sku="L-2")
    with pytest.raises(TypeError, match="product"):
        services.update_variant(variant=ProductVariant.objects.get(sku="L-1"), product=None)

    assert catalog_state() == before


def test_a_changed_currency_is_stored_upper_case_as_on_creation(lamps):
    product = make_product("Lamp", category=lamps, variants=[variant("L-1")])

    services.update_variant(variant=product.variants.get(), currency="usd")

    assert ProductVariant.objects.get(sku="L-1").currency == "USD"


# --- Bulk updates ---------------------------------------------------------------------------


def test_bulk_update_sets_price_and_stock_by_sku(lamps):
    make_product(
        "Lamp",
        category=lamps,
        variants=[variant("A", price="1.00", stock=1), variant("B", price="2.00", stock=2)],
    )
    make_product("Desk", category=lamps, variants=[variant("C", price="3.00", stock=3)])
    make_product("Chair", category=lamps, variants=[variant("D", price="4.00", stock=4)])

    updated = services.bulk_update_variants(
        changes=[
            VariantChange(sku="C", price=Decimal("30.00")),
            VariantChange(sku="A", stock=0),
            VariantChange(sku="B", price=Decimal("20.00"), stock=20),
        ]
    )

    assert updated == 3
    rows = {v.sku: (v.price, v.stock) for v in ProductVariant.objects.all()}
    assert rows == {
        "A": (Decimal("1.00"), 0),
        "B": (Decimal("20.00"), 20),
        "C": (Decimal("30.00"), 3),
        "D": (Decimal("4.00"), 4),
    }


def test_bulk_update_records_when_each_variant_changed(lamps, time_machine):
    time_machine.move_to(T0, tick=False)
    make_product("Lamp", category=lamps, variants=[variant("A"), variant("B")])
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)

    services.bulk_update_variants(changes=[VariantChange(sku="A", stock=0)])

    changed = dict(ProductVariant.objects.values_list("sku", "updated_at"))
    assert changed == {"A": T0 + timedelta(hours=1), "B": T0}


def test_bulk_update_with_an_unknown_sku_changes_nothing(lamps):
    make_product("Lamp", category=lamps, variants=[variant("A"), variant("B")])
    before = catalog_state()

    with pytest.raises(UnknownSku) as raised:
        services.bulk_update_variants(
            changes=[
                VariantChange(sku="A", price=Decimal(1)),
                VariantChange(sku="Y", stock=1),
                VariantChange(sku="X", stock=1),
            ]
        )

    assert raised.value.errors == {"sku": ["Unknown SKU X.", "Unknown SKU Y."]}
    assert "X, Y" in raised.value.detail
    assert catalog_state() == before


def test_bulk_update_locks_its_rows_in_id_order_like_checkout(lamps):
    make_product("Lamp", category=lamps, variants=[variant("M"), variant("Z"), variant("A")])
    changes = [VariantChange(sku=sku, stock=1) for sku in ("Z", "A", "M")]

    with CaptureQueriesContext(connection) as queries:
        services.bulk_update_variants(changes=changes)

    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    [lock] = [sql for sql in selects if '"catalog_productvariant"."sku" IN' in sql]
    assert 'ORDER BY "catalog_productvariant"."id" ASC' in lock
    if connection.vendor == "postgresql":
        assert lock.rstrip().endswith("FOR UPDATE")


def test_bulk_update_invalidates_the_cache_once_committed(
    lamps, django_capture_on_commit_callbacks
):
    make_product("Lamp", category=lamps, variants=[variant("A")])
    version = get_catalog_version()
    assert version is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.bulk_update_variants(changes=[VariantChange(sku="A", stock=3)])
        assert get_catalog_version() == version  # not before the commit

    assert get_catalog_version() == version + 1


# --- Categories and tags --------------------------------------------------------------------


@pytest.fixture
def tree() -> dict[str, Category]:
    """Home > Lighting > Lamps; Garden."""
    home = make_category("Home")
    lighting = make_category("Lighting", parent=home)
    return {
        "home": home,
        "lighting": lighting,
        "lamps": make_category("Lamps", parent=lighting),
        "garden": make_category("Garden"),
    }


@pytest.mark.parametrize(
    ("moved", "parent"),
    [
        ("home", "home"),
        ("home", "lighting"),
        ("home", "lamps"),
        ("lighting", "lamps"),
        ("lamps", "lamps"),
    ],
)
def test_a_category_cannot_become_its_own_ancestor(tree, moved, parent):
    before = catalog_state()

    with pytest.raises(InvalidCategoryParent) as raised:
        services.update_category(category=tree[moved], parent=tree[parent])

    assert raised.value.errors
    assert "parent" in raised.value.errors
    assert catalog_state() == before


def test_a_category_moves_and_renames_keeping_its_slug(tree):
    services.update_category(category=tree["lamps"], parent=tree["garden"], name="Garden Lamps")
    services.update_category(category=tree["home"], parent=None)

    lamps = Category.objects.get(pk=tree["lamps"].pk)
    assert (lamps.parent, lamps.name, lamps.slug) == (tree["garden"], "Garden Lamps", "lamps")


def test_a_category_is_deleted_only_when_empty(tree):
    make_product("Lamp", category=tree["lamps"])
    before = catalog_state()

    with pytest.raises(CategoryInUse, match="1 product"):
        services.delete_category(category=tree["lamps"])
    with pytest.raises(CategoryInUse, match="1 sub-categor"):
        services.delete_category(category=tree["lighting"])
    assert catalog_state() == before

    services.delete_category(category=tree["garden"])
    assert not Category.objects.filter(slug="garden").exists()


def test_category_and_tag_slugs_are_numbered_on_collision():
    assert [make_category("Home").slug for _ in range(3)] == ["home", "home-2", "home-3"]
    assert [services.create_tag(name="Sale").slug for _ in range(2)] == ["sale", "sale-2"]


def test_rename_and_delete_a_tag():
    tag = services.create_tag(name="Sale")
    product = make_product("Lamp", category=make_category(), tags=[tag])

    services.update_tag(tag=tag, name="Clearance")
    assert Tag.objects.values_list("slug", "name").get() == ("sale", "Clearance")

    services.delete_tag(tag=tag)
    assert not Tag.objects.exists()
    assert list(product.tags.all()) == []


# --- Discounts ------------------------------------------------------------------------------


@pytest.mark.parametrize("percent", ["0.01", "1", "50", "90"])
def test_a_discount_percent_may_be_from_just_above_0_to_90(lamps, percent):
    discount = services.create_discount(name="D", percent=Decimal(percent), category=lamps)

    assert Discount.objects.get(pk=discount.pk).percent == Decimal(percent)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"percent": Decimal(0)}, {"percent"}),
        ({"percent": Decimal("-1")}, {"percent"}),
        ({"percent": Decimal("90.01")}, {"percent"}),
        ({"percent": Decimal(95)}, {"percent"}),
        ({"product": "lamp"}, {"non_field_errors"}),
        ({"category": None}, {"non_field_errors"}),
        ({"starts_at": T0, "ends_at": T0}, {"ends_at"}),
        ({"starts_at": T0, "ends_at": T0 - timedelta(seconds=1)}, {"ends_at"}),
        ({"percent": Decimal(0), "category": None}, {"percent", "non_field_errors"}),
    ],
    ids=[
        "zero",
        "negative",
        "just-over-90",
        "95",
        "both-targets",
        "no-target",
        "empty-window",
        "ends-before-start",
        "several",
    ],
)
def test_an_invalid_discount_is_refused_naming_its_fields(lamps, changes, fields):
    lamp = make_product("Lamp", category=lamps)
    data = {"name": "D", "percent": Decimal(10), "category": lamps, **changes}
    if data.get("product") == "lamp":
        data["product"] = lamp
    before = catalog_state()

    with pytest.raises(InvalidDiscount) as raised:
        services.create_discount(**data)

    assert raised.value.errors is not None
    assert set(raised.value.errors) == fields
    assert catalog_state() == before


def test_an_invalid_discount_change_is_refused_and_nothing_is_saved(lamps):
    lamp = make_product("Lamp", category=lamps)
    discount = services.create_discount(name="D", percent=Decimal(10), category=lamps, starts_at=T0)
    before = catalog_state()

    with pytest.raises(InvalidDiscount):
        services.update_discount(discount=discount, ends_at=T0 - timedelta(days=1))
    with pytest.raises(InvalidDiscount):
        services.update_discount(discount=Discount.objects.get(), product=lamp)

    assert catalog_state() == before


def test_a_discount_change_is_checked_as_a_whole(lamps):
    lamp = make_product("Lamp", category=lamps)
    discount = services.create_discount(name="D", percent=Decimal(10), category=lamps)

    services.update_discount(discount=discount, category=None, product=lamp, percent=Decimal(90))

    stored = Discount.objects.get(pk=discount.pk)
    assert (stored.category, stored.product, stored.percent) == (None, lamp, Decimal(90))


# --- Reviews --------------------------------------------------------------------------------


def test_a_customer_reviews_a_product_once(lamps):
    lamp, desk = make_product("Lamp", category=lamps), make_product("Desk", category=lamps)
    ada, bob = UserFactory.create(), UserFactory.create()

    services.create_review(product=lamp, user=ada, rating=5, title="Bright", body="Love it.")
    services.create_review(product=lamp, user=bob, rating=3)
    services.create_review(product=desk, user=ada, rating=4)
    before = catalog_state()

    with pytest.raises(ReviewExists):
        services.create_review(product=lamp, user=ada, rating=1)

    assert catalog_state() == before
    assert Review.objects.get(product=lamp, user=ada).title == "Bright"


def test_update_and_delete_a_review(lamps):
    review = services.create_review(
        product=make_product(category=lamps), user=UserFactory.create(), rating=2, title="Meh"
    )

    services.update_review(review=review, rating=4, body="Grew on me.")
    stored = Review.objects.get(pk=review.pk)
    assert (stored.rating, stored.title, stored.body) == (4, "Meh", "Grew on me.")

    services.delete_review(review=stored)
    assert not Review.objects.exists()


# --- Cache invalidation ---------------------------------------------------------------------


def test_every_service_write_invalidates_the_cache_once_committed(
    lamps, django_capture_on_commit_callbacks
):
    user = UserFactory.create()
    writes = [
        lambda: make_product("Lamp", category=lamps, variants=[variant("L-1")]),
        lambda: services.update_product(product=Product.objects.get(), name="Big Lamp"),
        lambda: services.add_variant(
            product=Product.objects.get(), data=VariantInput(sku="L-2", price=Decimal(2))
        ),
        lambda: services.update_variant(variant=ProductVariant.objects.get(sku="L-2"), stock=3),
        lambda: services.delete_variant(variant=ProductVariant.objects.get(sku="L-2")),
        lambda: services.create_tag(name="Sale"),
        lambda: services.update_product(product=Product.objects.get(), tags=Tag.objects.all()),
        lambda: services.update_tag(tag=Tag.objects.get(), name="Deals"),
        lambda: services.create_category(name="Desk", parent=lamps),
        lambda: services.update_category(category=lamps, name="Lights"),
        lambda: services.create_discount(name="D", percent=Decimal(5), category=lamps),
        lambda: services.update_discount(discount=Discount.objects.get(), percent=Decimal(6)),
        lambda: services.delete_discount(discount=Discount.objects.get()),
        lambda: services.create_review(product=Product.objects.get(), user=user, rating=4),
        lambda: services.update_review(review=Review.objects.get(), rating=5),
        lambda: services.delete_review(review=Review.objects.get()),
        lambda: services.delete_tag(tag=Tag.objects.get()),
        lambda: services.delete_product(product=Product.objects.get()),
        lambda: services.delete_category(category=Category.objects.get(slug="desk")),
    ]
    for number, write in enumerate(writes):
        version = get_catalog_version()
        assert version is not None
        with django_capture_on_commit_callbacks(execute=True):
            write()
        new_version = get_catalog_version()
        assert new_version is not None
        assert new_version > version, f"write #{number} did not invalidate the cache"
