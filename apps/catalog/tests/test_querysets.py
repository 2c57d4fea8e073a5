"""The catalog's query vocabulary: each method alone, and composed with the others."""

from decimal import Decimal

import pytest

from apps.catalog import services
from apps.catalog.models import Product, ProductVariant, Review
from apps.catalog.pricing import DiscountMap
from apps.catalog.tests.test_api_support import make_category, make_product, rate, variant

pytestmark = pytest.mark.django_db

NO_DISCOUNTS = DiscountMap()


def slugs(queryset) -> list[str]:
    return sorted(queryset.values_list("slug", flat=True))


def annotations(queryset, *names: str) -> dict[str, tuple]:
    """Return each product's annotations `names`, by slug."""
    return {p.slug: tuple(getattr(p, name) for name in names) for p in queryset}


@pytest.fixture
def shop() -> dict[str, Product]:
    """Products covering each way a product can be (in)visible, (un)stocked and rated."""
    lamps = make_category("Lamps")
    closed = make_category("Closed", is_active=False)
    return {
        "lamp": make_product(
            "Lamp",
            category=lamps,
            is_featured=True,
            description="A warm light.",
            variants=[variant(price="30.00", stock=0), variant(price="25.00", stock=3)],
        ),
        "sold-out": make_product(
            "Sold Out Lamp",
            category=lamps,
            variants=[
                variant(price="9.00", stock=0),
                variant(price="8.00", stock=5, is_active=False),
            ],
        ),
        "hidden": make_product("Hidden Lamp", category=lamps, is_active=False, is_featured=True),
        "closed": make_product("Closed Lamp", category=closed, is_featured=True),
        "bare": make_product(
            "Bare Desk", category=lamps, variants=[variant(price="1.00", is_active=False)]
        ),
        "desk": make_product("Desk", category=lamps, description="Holds a lamp.", price="99.00"),
    }


def test_active_means_active_in_an_active_category(shop):
    assert slugs(Product.objects.active()) == ["bare-desk", "desk", "lamp", "sold-out-lamp"]


def test_in_stock_means_an_active_variant_with_stock(shop):
    assert slugs(Product.objects.in_stock()) == ["closed-lamp", "desk", "hidden-lamp", "lamp"]


def test_featured(shop):
    assert slugs(Product.objects.featured()) == ["closed-lamp", "hidden-lamp", "lamp"]


def test_vocabulary_composes_in_any_order(shop):
    expected = ["lamp"]
    assert slugs(Product.objects.active().featured().in_stock()) == expected
    assert slugs(Product.objects.in_stock().featured().active()) == expected
    assert slugs(Product.objects.featured().active().with_rating().in_stock()) == expected


def test_with_rating_ignores_hidden_reviews(shop):
    rate(shop["lamp"], 5, 4)
    rate(shop["lamp"], 1, 1, is_visible=False)
    rate(shop["desk"], 2, is_visible=False)
    rate(shop["sold-out"], 3, 3, 4)

    rated = annotations(Product.objects.with_rating(), "average_rating", "review_count")

    assert rated["lamp"] == (pytest.approx(4.5), 2)
    assert rated["desk"] == (None, 0)
    assert rated["sold-out-lamp"][0] == pytest.approx(10 / 3)
    assert rated["sold-out-lamp"][1] == 3
    assert rated["bare-desk"] == (None, 0)
    assert Review.objects.visible().count() == 5


def test_with_effective_price_uses_active_variants_only(shop):
    priced = annotations(
        Product.objects.with_effective_price(NO_DISCOUNTS),
        "min_price",
        "in_stock",
        "discount_percent",
        "price_key",
    )

    assert priced["lamp"] == (Decimal("25.00"), True, Decimal(0), 2500)
    # The cheaper 8.00 variant (in stock) is inactive: it neither sets the price nor the stock.
    assert priced["sold-out-lamp"] == (Decimal("9.00"), False, Decimal(0), 900)
    assert priced["bare-desk"][:2] == (None, False)
    assert slugs(Product.objects.with_effective_price(NO_DISCOUNTS).sellable()) == [
        "closed-lamp",
        "desk",
        "hidden-lamp",
        "lamp",
        "sold-out-lamp",
    ]


def test_with_effective_price_applies_the_best_discount(shop):
    lamp, desk = shop["lamp"], shop["desk"]
    discounts = DiscountMap(
        by_product={lamp.pk: Decimal(20), desk.pk: Decimal(5)},
        by_category={lamp.category_id: Decimal(10)},
    )

    priced = annotations(
        Product.objects.with_effective_price(discounts).filter(pk__in=[lamp.pk, desk.pk]),
        "discount_percent",
        "price_key",
    )

    assert priced == {
        "lamp": (Decimal(20), 2000),  # 25.00 less 20%, in cents
        "desk": (Decimal(10), 8910),  # 99.00 less 10% (the category's, better than 5%)
    }


def test_search_matches_name_and_description_and_ranks_names_higher(shop):
    found = annotations(Product.objects.active().search("lamp"), "search_rank")

    # The desk mentions a lamp in its description only.
    assert set(found) == {"lamp", "sold-out-lamp", "desk"}
    assert found["lamp"] > found["desk"]
    assert found["sold-out-lamp"] > found["desk"]
    assert slugs(Product.objects.search("  warm  ")) == ["lamp"]
    assert slugs(Product.objects.search("nothing-like-this")) == []


def test_for_cards_composes_everything_a_card_needs(shop):
    rate(shop["lamp"], 4)
    services.create_discount(name="D", percent=Decimal(50), product=shop["lamp"])
    discounts = DiscountMap(by_product={shop["lamp"].pk: Decimal(50)})

    cards = Product.objects.for_cards(discounts).search("lamp").featured().with_sort_keys()

    names = (
        "min_price",
        "discount_percent",
        "price_key",
        "average_rating",
        "review_count",
        "rating_key",
        "rank_key",
    )
    [(slug, values)] = annotations(cards, *names).items()
    assert slug == "lamp"
    # 25.00 less 50% is 1250 cents; a 4-star average is rating key 4000.
    assert values[:6] == (Decimal("25.00"), Decimal(50), 1250, 4, 1, 4000)
    assert values[6] > 0
    assert [tag.slug for tag in cards.get().tags.all()] == []
    assert slugs(Product.objects.for_cards(NO_DISCOUNTS)) == ["desk", "lamp", "sold-out-lamp"]


def test_variant_and_review_vocabulary(shop):
    skus_of_lamp = ProductVariant.objects.filter(product=shop["lamp"])
    assert skus_of_lamp.active().count() == 2
    assert skus_of_lamp.active().in_stock().count() == 1
    assert ProductVariant.objects.filter(product=shop["sold-out"]).active().in_stock().count() == 0
