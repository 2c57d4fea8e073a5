"""The listing read model: every write that changes a card keeps its product's columns true."""

import logging
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.contrib.admin.sites import AdminSite
from django.db import connection
from django.db.models import F
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.cart import services as cart_services
from apps.cart.models import Cart
from apps.catalog import services, tasks
from apps.catalog.admin import ReviewAdmin
from apps.catalog.cache import bump_catalog_version
from apps.catalog.images import image_data
from apps.catalog.listing import listing_values, refresh_all_listings
from apps.catalog.models import Product, ProductImage, ProductVariant, Review
from apps.catalog.services import VariantChange, VariantInput
from apps.catalog.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductVariantFactory,
    ReviewFactory,
)
from apps.catalog.tests.pictures import picture_upload
from apps.core.tests.concurrency import require_postgresql, run_at_once
from apps.orders.services.checkout import ShippingAddress, place_order
from apps.orders.services.lifecycle import cancel_order
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

COLUMNS = sorted(Product.LISTING_FIELDS)
ADDRESS = ShippingAddress(name="Ada", line1="1 Road", city="London", postal_code="N1", country="GB")


def stored(product: Product) -> dict[str, Any]:
    return Product.objects.filter(pk=product.pk).values(*COLUMNS).get()


def computed(product: Product) -> dict[str, Any]:
    """The columns as the rows say they should be, computed afresh by the database."""
    fresh = {f"fresh_{name}": value for name, value in listing_values().items()}
    row = Product.objects.filter(pk=product.pk).annotate(**fresh).values(*fresh).get()
    return {name.removeprefix("fresh_"): value for name, value in row.items()}


def assert_fresh(product: Product, **expected: Any) -> None:
    numbers = stored(product)
    assert {name: numbers[name] for name in computed(product)} == computed(product)
    for name, value in expected.items():
        assert stored(product)[f"listing_{name}"] == value, name


@pytest.fixture
def lamp() -> Product:
    product = ProductFactory.create(name="Lamp")
    for sku, price, stock in (("LAMP-S", "10.00", 2), ("LAMP-L", "30.00", 0)):
        ProductVariantFactory.create(product=product, sku=sku, price=Decimal(price), stock=stock)
    return product


def test_a_product_made_by_the_service_is_listed_with_its_variants():
    product = services.create_product(
        name="Desk",
        category=CategoryFactory.create(),
        variants=[
            VariantInput(sku="DESK-1", price=Decimal("120.00"), stock=3),
            VariantInput(sku="DESK-2", price=Decimal("90.00"), stock=0),
        ],
    )
    assert_fresh(product, min_price=Decimal("90.00"), max_price=Decimal("120.00"))
    assert stored(product)["listing_stocked_variants"] == 1


def test_saving_and_deleting_variants_keeps_the_prices_and_stock(lamp):
    assert_fresh(lamp, min_price=Decimal("10.00"), max_price=Decimal("30.00"), stocked_variants=1)

    large = ProductVariant.objects.get(sku="LAMP-L")
    services.update_variant(variant=large, stock=5, price=Decimal("8.00"))
    assert_fresh(lamp, min_price=Decimal("8.00"), stocked_variants=2)

    large.is_active = False
    large.save()
    assert_fresh(lamp, min_price=Decimal("10.00"), max_price=Decimal("10.00"), stocked_variants=1)

    services.delete_variant(variant=ProductVariant.objects.get(sku="LAMP-S"))
    assert_fresh(lamp, min_price=None, max_price=None, stocked_variants=0)  # nothing for sale


def test_the_bulk_variant_update_keeps_them_too(lamp):
    services.bulk_update_variants(
        changes=[
            VariantChange(sku="LAMP-S", stock=0),
            VariantChange(sku="LAMP-L", price=Decimal("7.50")),
        ]
    )
    assert_fresh(lamp, min_price=Decimal("7.50"), stocked_variants=0)


def test_reviews_written_hidden_and_deleted_keep_the_rating(lamp, rf: RequestFactory):
    first = services.create_review(product=lamp, user=UserFactory.create(), rating=5)
    ReviewFactory.create(product=lamp, rating=2)
    assert_fresh(lamp, rating=3.5, review_count=2)

    admin = ReviewAdmin(Review, AdminSite())
    request = rf.post("/")
    request.user = UserFactory.create(is_staff=True)
    admin.message_user = lambda *args, **kwargs: None  # type: ignore[method-assign]
    admin.hide(request, Review.objects.filter(pk=first.pk))
    assert_fresh(lamp, rating=2.0, review_count=1)

    Review.objects.filter(product=lamp).delete()  # a queryset delete sends the signals
    assert_fresh(lamp, rating=None, review_count=0)


def test_saving_a_product_read_before_its_variants_changed_keeps_their_columns(lamp):
    stale = Product.objects.get(pk=lamp.pk)
    ProductVariantFactory.create(product=lamp, sku="LAMP-XS", price=Decimal("4.00"), stock=1)

    stale.name = "Reading lamp"
    stale.save()

    assert_fresh(lamp, min_price=Decimal("4.00"), stocked_variants=2)
    assert Product.objects.get(pk=lamp.pk).name == "Reading lamp"


def test_a_checkout_that_sells_out_a_variant_and_its_cancellation_move_the_count(lamp):
    user = UserFactory.create()
    cart = Cart.objects.create(user=user)
    cart_services.add_to_cart(cart=cart, sku="LAMP-S", quantity=2)

    order = place_order(cart=cart, user=user, email=user.email, address=ADDRESS)
    assert_fresh(lamp, stocked_variants=0)

    cancel_order(order=order, actor=user)
    assert_fresh(lamp, stocked_variants=1)


def test_a_checkout_that_leaves_stock_writes_no_product_row(lamp):
    ProductVariant.objects.filter(sku="LAMP-S").update(stock=5)
    Product.objects.filter(pk=lamp.pk).update(listing_stocked_variants=1)
    user = UserFactory.create()
    cart = Cart.objects.create(user=user)
    cart_services.add_to_cart(cart=cart, sku="LAMP-S", quantity=2)
    before = Product.objects.get(pk=lamp.pk).updated_at

    with CaptureQueriesContext(connection) as statements:
        place_order(cart=cart, user=user, email=user.email, address=ADDRESS)

    # update() leaves updated_at alone, so the statements themselves are what tells.
    products = connection.ops.quote_name(Product._meta.db_table)
    touching = [q["sql"] for q in statements.captured_queries if products in q["sql"]]
    assert not [sql for sql in touching if not sql.lstrip().upper().startswith("SELECT")]
    assert Product.objects.get(pk=lamp.pk).updated_at == before
    assert_fresh(lamp, stocked_variants=1)


def test_the_nightly_refresh_repairs_only_what_drifted_and_says_so(lamp, caplog):
    other = ProductFactory.create()
    ProductVariantFactory.create(product=other, price=Decimal("5.00"), stock=1)
    # A write outside the code: raw SQL leaves the columns behind.
    ProductVariant.objects.filter(product=lamp).update(price=F("price") + 1)
    assert stored(lamp) != computed(lamp)

    with caplog.at_level(logging.WARNING, logger="apps.catalog.tasks"):
        assert tasks.refresh_listings() == 1
    assert_fresh(lamp, min_price=Decimal("11.00"))
    assert_fresh(other)
    assert "1 products were out of date" in caplog.text
    assert refresh_all_listings() == 0  # nothing left to repair


@pytest.mark.django_db(transaction=True)
def test_two_checkouts_selling_out_two_variants_of_one_product_at_once_count_both():
    """Each checkout decrements the count under the product's lock, so neither is lost."""
    require_postgresql()
    product = ProductFactory.create(name="Scarf")
    for sku in ("SCARF-RED", "SCARF-BLUE"):
        ProductVariantFactory.create(product=product, sku=sku, price=Decimal("20.00"), stock=1)
    buyers = []
    for sku in ("SCARF-RED", "SCARF-BLUE"):
        user = UserFactory.create()
        cart = Cart.objects.create(user=user)
        cart_services.add_to_cart(cart=cart, sku=sku, quantity=1)
        buyers.append((user, cart))
    assert stored(product)["listing_stocked_variants"] == 2

    orders = run_at_once(
        [
            partial(place_order, cart=cart, user=user, email=user.email, address=ADDRESS)
            for user, cart in buyers
        ]
    )

    assert len({order.pk for order in orders}) == 2
    assert_fresh(product, stocked_variants=0)


# --- Tags and the first image ------------------------------------------------------------------


def tag_slugs(product: Product) -> list[str]:
    return [tag["slug"] for tag in stored(product)["listing_tags"]]


def first_image_id(product: Product) -> int | None:
    image = stored(product)["listing_image"]
    return None if image is None else image["id"]


def test_the_tags_follow_every_way_they_change(lamp):
    sale, eco = services.create_tag(name="Sale"), services.create_tag(name="Eco")
    lamp.tags.set([sale, eco])
    assert tag_slugs(lamp) == ["eco", "sale"]  # by name

    services.update_tag(tag=eco, name="Zero waste")
    assert stored(lamp)["listing_tags"] == [
        {"slug": "sale", "name": "Sale"},
        {"slug": eco.slug, "name": "Zero waste"},
    ]
    sale.products.clear()  # from the tag's side
    assert tag_slugs(lamp) == [eco.slug]
    sale.products.add(lamp)
    assert tag_slugs(lamp) == ["sale", eco.slug]
    services.delete_tag(tag=sale)
    assert tag_slugs(lamp) == [eco.slug]


def test_the_first_image_follows_uploads_reorders_deletes_and_thumbnails(lamp, media):
    assert first_image_id(lamp) is None
    front = services.add_product_image(product=lamp, upload=picture_upload(), alt_text="Front")
    back = services.add_product_image(product=lamp, upload=picture_upload(), alt_text="Back")
    assert first_image_id(lamp) == front.pk
    assert stored(lamp)["listing_image"]["alt_text"] == "Front"

    services.reorder_product_images(product=lamp, image_ids=[back.pk, front.pk])
    assert first_image_id(lamp) == back.pk

    assert tasks.make_image_renditions(back.pk)
    assert (
        stored(lamp)["listing_image"]["renditions"]
        == ProductImage.objects.get(pk=back.pk).renditions
    )

    services.delete_product_image(image=ProductImage.objects.get(pk=back.pk))
    assert first_image_id(lamp) == front.pk


def test_a_card_shows_what_the_rows_say(api_client, lamp, media):
    image = services.add_product_image(product=lamp, upload=picture_upload(), alt_text="Lit")
    lamp.tags.set([services.create_tag(name="Sale")])
    bump_catalog_version()

    [card] = api_client.get("/api/v1/products/").json()["results"]

    assert card["tags"] == ["sale"]
    assert card["image"] == image_data(ProductImage.objects.get(pk=image.pk))
    assert (card["price"], card["in_stock"], card["price_varies"]) == ("10.00", True, True)
