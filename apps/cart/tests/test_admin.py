"""The vouchers and shipping methods back office: lists with usage counts, search, filters."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.cart.models import ShippingMethod, Voucher
from apps.cart.tests.factories import (
    PlacedOrderFactory,
    ShippingMethodFactory,
    VoucherFactory,
    VoucherUsageFactory,
)
from apps.core.permissions import CATALOG_MANAGERS, SUPPORT
from apps.core.tests.roles import admin_client_for, staff_with_role
from apps.users.tests.factories import SuperUserFactory

pytestmark = pytest.mark.django_db

VOUCHERS = "admin:cart_voucher_changelist"
SHIPPING = "admin:cart_shippingmethod_changelist"


@pytest.fixture
def admin(client):
    client.force_login(SuperUserFactory.create())
    return client


def listed(response) -> dict[str, int]:
    """Return each listed row's name or code and its usage count."""
    assert response.status_code == 200
    changelist = response.context["cl"]
    count = "usage_count" if changelist.model is Voucher else "order_count"
    return {str(row): getattr(row, count) for row in changelist.result_list}


def test_vouchers_list_how_often_each_was_used(admin):
    summer = VoucherFactory.create(code="SUMMER")
    VoucherUsageFactory.create_batch(3, voucher=summer)
    VoucherFactory.create(code="UNUSED")

    response = admin.get(reverse(VOUCHERS))

    assert listed(response) == {"SUMMER": 3, "UNUSED": 0}
    assert "SUMMER" in response.content.decode()


def test_vouchers_search_and_filter(admin):
    VoucherFactory.create(code="SUMMER10")
    VoucherFactory.create(code="WINTER5", kind=Voucher.Kind.FIXED, value=Decimal(5))
    VoucherFactory.create(code="OLD", is_active=False)

    assert set(listed(admin.get(reverse(VOUCHERS), {"q": "summer"}))) == {"SUMMER10"}
    assert set(listed(admin.get(reverse(VOUCHERS), {"kind__exact": "fixed"}))) == {"WINTER5"}
    assert set(listed(admin.get(reverse(VOUCHERS), {"is_active__exact": "0"}))) == {"OLD"}


def test_shipping_methods_list_the_orders_that_used_them(admin):
    standard = ShippingMethodFactory.create(name="Standard")
    ShippingMethodFactory.create(name="Express", is_active=False)
    PlacedOrderFactory.create_batch(2, shipping_method=standard)

    assert listed(admin.get(reverse(SHIPPING))) == {"Standard": 2, "Express": 0}
    assert set(listed(admin.get(reverse(SHIPPING), {"is_active__exact": "0"}))) == {"Express"}
    assert set(listed(admin.get(reverse(SHIPPING), {"q": "stand"}))) == {"Standard"}


@pytest.mark.parametrize("page", [VOUCHERS, SHIPPING])
def test_the_lists_run_the_same_queries_for_many_rows(admin, page, django_assert_num_queries):
    def grow() -> None:
        voucher = VoucherFactory.create()
        VoucherUsageFactory.create_batch(2, voucher=voucher)
        PlacedOrderFactory.create_batch(2, shipping_method=ShippingMethodFactory.create())

    grow()
    admin.get(reverse(page))  # the first request also fills per-process caches
    with CaptureQueriesContext(connection) as few:
        assert admin.get(reverse(page)).status_code == 200
    for _ in range(15):
        grow()

    with django_assert_num_queries(len(few)):
        assert admin.get(reverse(page)).status_code == 200


def test_the_used_count_is_read_only(admin):
    voucher = VoucherFactory.create(code="SUMMER")
    page = admin.get(reverse("admin:cart_voucher_change", args=[voucher.pk]))
    assert 'name="used_count"' not in page.content.decode()


def test_catalog_managers_run_vouchers_and_shipping_support_does_not():
    manager = admin_client_for(staff_with_role(CATALOG_MANAGERS))
    response = manager.post(
        reverse("admin:cart_voucher_add"),
        {"code": "NEW10", "kind": "percent", "value": "10", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()
    assert Voucher.objects.filter(code="NEW10").exists()
    assert manager.get(reverse(SHIPPING)).status_code == 200

    support = admin_client_for(staff_with_role(SUPPORT))
    assert support.get(reverse(VOUCHERS)).status_code == 403
    assert support.get(reverse(SHIPPING)).status_code == 403
    assert not ShippingMethod.objects.exists()
