"""Where orders reach back into the catalog: verified reviews and products kept for history."""

import pytest

from apps.catalog import services as catalog_services
from apps.catalog.models import Product, Review
from apps.orders.models import OrderLine
from apps.orders.services.lifecycle import mark_order_paid
from apps.orders.tests.factories import buy, make_variant, staff_client
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def review(user, product) -> Review:
    return catalog_services.create_review(product=product, user=user, rating=5)


def test_a_review_after_a_paid_order_is_a_verified_purchase():
    customer, stranger = UserFactory.create(), UserFactory.create()
    lamp = make_variant(stock=5)
    order = buy({lamp: 1}, user=customer)
    mark_order_paid(order=order, actor=None)

    assert review(customer, lamp.product).verified_purchase is True
    assert review(stranger, lamp.product).verified_purchase is False


def test_an_unpaid_order_does_not_verify_until_it_is_paid():
    customer = UserFactory.create()
    lamp, bulb = make_variant(stock=5), make_variant(stock=5)
    order = buy({lamp: 1}, user=customer)
    lamp_review = review(customer, lamp.product)
    bulb_review = review(customer, bulb.product)
    assert lamp_review.verified_purchase is False

    mark_order_paid(order=order, actor=None)

    lamp_review.refresh_from_db()
    bulb_review.refresh_from_db()
    assert lamp_review.verified_purchase is True
    assert bulb_review.verified_purchase is False  # not in that order


def test_deleting_an_ordered_product_only_deactivates_it():
    lamp, bulb = make_variant(stock=5), make_variant(stock=5)
    buy({lamp: 1})
    client, _ = staff_client()

    assert client.delete(f"/api/v1/products/{lamp.product.slug}/").status_code == 204
    assert client.delete(f"/api/v1/products/{bulb.product.slug}/").status_code == 204

    kept = Product.objects.get(pk=lamp.product.pk)
    assert kept.is_active is False
    assert OrderLine.objects.filter(product=kept).count() == 1
    assert not Product.objects.filter(pk=bulb.product.pk).exists()
