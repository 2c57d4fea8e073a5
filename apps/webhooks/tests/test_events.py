"""The shop's events: each business change publishes its event, with a small stable payload,
in its own transaction (a refused change publishes nothing)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.catalog import services as catalog_services
from apps.catalog.models import Category, Product
from apps.core.errors import OutOfStock
from apps.orders.models import OrderStatus
from apps.orders.services.lifecycle import cancel_order, mark_order_paid
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.orders.tests.factories import buy, make_variant
from apps.payments import services as payment_services
from apps.payments.gateways import sandbox
from apps.payments.models import PaymentStatus
from apps.payments.tests.helpers import SUCCEEDING_CARD
from apps.payments.tests.test_line_refunds import paid_order
from apps.users.tests.factories import SuperUserFactory, UserFactory
from apps.webhooks.models import EventType, OutboxEvent

pytestmark = pytest.mark.django_db


def events_of(kind: str) -> list[dict]:
    return [
        event.data for event in OutboxEvent.objects.filter(type=kind).order_by("created_at", "pk")
    ]


def test_placing_an_order_publishes_order_created(settings):
    settings.LOW_STOCK_THRESHOLD = 2
    user = UserFactory.create()
    variant = make_variant(price="12.50", stock=10)

    order = buy({variant: 2}, user=user)

    [data] = events_of(EventType.ORDER_CREATED)
    assert data == {
        "id": str(order.pk),
        "number": order.number,
        "status": "pending",
        "currency": order.currency,
        "total": str(order.total),
        "subtotal": "25.00",
        "shipping_total": str(order.shipping_total),
        "tax_total": str(order.tax_total),
        "user_id": str(user.pk),
        "created_at": order.created_at.isoformat(),
        "lines": [
            {
                "sku": variant.sku,
                "product_id": str(variant.product_id),
                "quantity": 2,
                "unit_price": "12.50",
            }
        ],
    }
    assert events_of(EventType.STOCK_LOW) == []  # 8 left, above the threshold


def test_stock_low_is_published_once_per_crossing_of_the_threshold(settings):
    settings.LOW_STOCK_THRESHOLD = 5
    variant = make_variant(stock=7)

    buy({variant: 1})  # 6 left: above
    assert events_of(EventType.STOCK_LOW) == []
    buy({variant: 1})  # 5 left: crosses
    buy({variant: 2})  # 3 left: already low, no second event

    assert events_of(EventType.STOCK_LOW) == [
        {
            "product_id": str(variant.product_id),
            "variant_id": variant.pk,
            "sku": variant.sku,
            "stock": 5,
            "threshold": 5,
        }
    ]

    restocked = buy({variant: 1})
    cancel_order(order=restocked, actor=None)  # back to 3: still low
    variant.refresh_from_db()
    catalog_services.update_variant(variant=variant, stock=20)  # restocked above
    buy({variant: 16})  # 4 left: a new crossing
    assert [data["stock"] for data in events_of(EventType.STOCK_LOW)] == [5, 4]


def test_a_refused_checkout_publishes_nothing():
    variant, sold_out = make_variant(stock=1), make_variant(stock=0)
    before = OutboxEvent.objects.count()

    with pytest.raises(OutOfStock):
        buy({variant: 1, sold_out: 1})

    assert OutboxEvent.objects.count() == before


def test_an_order_becoming_paid_publishes_order_paid():
    order = buy({make_variant(price="30.00"): 1})

    mark_order_paid(order=order, actor=None)

    [data] = events_of(EventType.ORDER_PAID)
    assert data == {
        "id": str(order.pk),
        "number": order.number,
        "status": OrderStatus.PAID,
        "currency": order.currency,
        "total": str(order.total),
        "user_id": None,
    }
    cancelled = buy({make_variant(): 1})
    cancel_order(order=cancelled, actor=None)
    assert len(events_of(EventType.ORDER_PAID)) == 1  # other transitions publish nothing


def test_a_refund_of_items_and_shipping_names_them(django_capture_on_commit_callbacks, user):
    order = paid_order(user, django_capture_on_commit_callbacks)
    lamp = order.lines.get(sku="LAMP")

    payment_services.refund_payment(
        order=order,
        items=[payment_services.RefundItem(lamp.pk, 2)],
        shipping=Decimal("5.00"),
        reason="",
        actor=None,
    )

    [data] = events_of(EventType.REFUND_CREATED)
    assert (data["amount"], data["shipping_amount"]) == ("65.00", "5.00")
    assert data["items"] == [{"line": lamp.pk, "quantity": 2, "amount": "60.00"}]


def test_a_shipment_publishes_shipment_created(django_capture_on_commit_callbacks, user):
    order = paid_order(user, django_capture_on_commit_callbacks)
    lamp = order.lines.get(sku="LAMP")

    shipment = create_shipment(
        order=order, items=[ShipmentItem(lamp.pk, 1)], actor=None, carrier="UPS",
        tracking_number="1Z999",
    )  # fmt: skip

    [data] = events_of(EventType.SHIPMENT_CREATED)
    assert data == {
        "id": str(shipment.pk),
        "order_id": str(order.pk),
        "order_number": order.number,
        "order_status": "partially_fulfilled",
        "number": 1,
        "carrier": "UPS",
        "tracking_number": "1Z999",
        "tracking_url": "https://www.ups.com/track?tracknum=1Z999",
        "items": [{"line": lamp.pk, "sku": "LAMP", "quantity": 1}],
        "created_at": shipment.created_at.isoformat(),
    }


def test_a_refund_publishes_refund_created(django_capture_on_commit_callbacks):
    order = buy({make_variant(price="40.00"): 1})
    payment = payment_services.start_payment(order=order)
    with django_capture_on_commit_callbacks(execute=True):  # the sandbox's webhook pays it
        sandbox.sandbox_pay(
            intent_id=payment.provider_id,
            client_secret=payment.client_secret,
            card_number=SUCCEEDING_CARD,
        )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED

    refund = payment_services.refund_payment(
        order=order, amount=Decimal("15.00"), reason="Scratched", actor=None
    )

    [data] = events_of(EventType.REFUND_CREATED)
    assert data == {
        "id": str(refund.pk),
        "order_id": str(order.pk),
        "order_number": order.number,
        "payment_id": str(payment.pk),
        "amount": "15.00",
        "shipping_amount": "0.00",
        "currency": order.currency,
        "items": [],  # a free amount names no items
        "created_at": refund.created_at.isoformat(),
    }


def test_products_created_and_changed_through_the_services_publish_product_updated():
    category = Category.objects.create(name="Lamps", slug="lamps")
    product = catalog_services.create_product(
        name="Desk lamp",
        category=category,
        variants=[catalog_services.VariantInput(sku="LAMP-1", price=Decimal("25.00"), stock=3)],
    )
    catalog_services.update_product(product=product, name="Desk lamp II", is_active=False)

    created, changed = events_of(EventType.PRODUCT_UPDATED)
    assert (created["id"], created["name"], created["created"]) == (
        str(product.pk),
        "Desk lamp",
        True,
    )
    assert changed == {
        "id": str(product.pk),
        "slug": product.slug,
        "name": "Desk lamp II",
        "is_active": False,
        "created": False,
        "updated_at": product.updated_at.isoformat(),
    }


def test_a_product_saved_or_deactivated_in_the_admin_publishes_product_updated(client):
    from apps.catalog.tests.test_admin import make_category, make_product, product_form_data

    client.force_login(SuperUserFactory.create())
    category = make_category("Shirts")
    product = make_product("Linen Shirt", category=category)
    other = make_product("Wool Shirt", category=category)
    OutboxEvent.objects.all().delete()

    data = product_form_data(category, name="Linen Shirt XL", slug=product.slug)
    data["variants-TOTAL_FORMS"] = "0"
    response = client.post(reverse("admin:catalog_product_change", args=[product.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [e["name"] for e in events_of(EventType.PRODUCT_UPDATED)] == ["Linen Shirt XL"]

    response = client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "deactivate", "index": "0", "_selected_action": [product.pk, other.pk]},
    )
    assert response.status_code == 302
    published = events_of(EventType.PRODUCT_UPDATED)[1:]
    assert sorted((e["id"], e["is_active"]) for e in published) == sorted(
        [(str(product.pk), False), (str(other.pk), False)]
    )
    assert Product.objects.filter(is_active=False).count() == 2
