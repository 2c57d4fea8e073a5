"""Staff roles: the groups the migration makes, what each may do in the staff API, and the
payments admin. The admin side of the other apps is tested with their admin tests.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.permissions import CATALOG_MANAGERS, ORDER_MANAGERS, ROLES, SUPPORT
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.roles import admin_client_for, staff_with_role
from apps.orders.models import OrderEvent, OrderStatus
from apps.orders.tests.factories import (
    STAFF_ORDERS_URL,
    OrderFactory,
    OrderLineFactory,
    staff_order_url,
    transition_url,
)
from apps.payments.models import Payment, PaymentStatus
from apps.reports.tests.helpers import SALES_URL
from apps.users.tests.factories import StaffUserFactory, SuperUserFactory, UserFactory

pytestmark = pytest.mark.django_db

DISCOUNTS_URL = "/api/v1/discounts/"
TAGS_URL = "/api/v1/tags/"
SALES_RANGE = {"from": "2031-03-03", "to": "2031-03-05"}


def refund_url(order) -> str:
    return f"{STAFF_ORDERS_URL}{order.pk}/refund/"


def test_the_migration_creates_each_role_with_exactly_its_permissions():
    for name, perms in ROLES.items():
        group = Group.objects.get(name=name)
        held = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == set(perms), name


def test_support_holds_no_permission_that_moves_money_or_changes_anything():
    for perm in ROLES[SUPPORT]:
        assert perm.split(".")[1].startswith("view_"), perm


# --- Support: reads orders, changes nothing -------------------------------------------------


def test_support_reads_orders_in_the_staff_api():
    order = OrderFactory.create()
    client = client_for(staff_with_role(SUPPORT))

    assert client.get(STAFF_ORDERS_URL).status_code == 200
    response = client.get(staff_order_url(order))
    assert response.status_code == 200
    assert response.json()["number"] == order.number


@pytest.mark.parametrize(
    ("status", "to"),
    [
        (OrderStatus.PENDING, OrderStatus.CANCELLED),
        (OrderStatus.PAID, OrderStatus.FULFILLED),
        (OrderStatus.PAID, OrderStatus.REFUNDED),
        (OrderStatus.PENDING, OrderStatus.PAID),
    ],
)
def test_support_may_not_move_an_order(status, to):
    order = OrderFactory.create(status=status)
    client = client_for(staff_with_role(SUPPORT))

    response = client.post(transition_url(order), {"to": to}, format="json")

    assert_problem(response, 403, "permission_denied")
    order.refresh_from_db()
    assert order.status == status
    assert not OrderEvent.objects.filter(order=order).exists()


def test_support_may_not_refund():
    order = OrderFactory.create(status=OrderStatus.PAID)
    client = client_for(staff_with_role(SUPPORT))

    response = client.post(refund_url(order), {"reason": "Asked for"}, format="json")

    assert_problem(response, 403, "permission_denied")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_support_sees_no_sales_report():
    assert_problem(
        client_for(staff_with_role(SUPPORT)).get(SALES_URL, SALES_RANGE), 403, "permission_denied"
    )


# --- Order managers: move orders on ---------------------------------------------------------


def test_an_order_manager_fulfils_an_order_in_the_api():
    order = OrderLineFactory.create(order__status=OrderStatus.PAID).order
    manager = staff_with_role(ORDER_MANAGERS)

    response = client_for(manager).post(
        transition_url(order), {"to": "fulfilled", "note": "DHL 123"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "fulfilled"
    event = OrderEvent.objects.get(order=order)
    assert (event.actor, event.to_status, event.note) == (
        manager,
        "fulfilled",
        "Shipment 1: 1 item. DHL 123.",
    )


def test_an_order_manager_cancels_a_pending_order_and_reads_sales():
    order = OrderFactory.create(status=OrderStatus.PENDING)
    client = client_for(staff_with_role(ORDER_MANAGERS))

    response = client.post(transition_url(order), {"to": "cancelled"}, format="json")

    assert response.status_code == 200, response.content
    assert client.get(SALES_URL, SALES_RANGE).status_code == 200


def test_an_order_manager_may_not_mark_an_order_paid_by_hand():
    order = OrderFactory.create(status=OrderStatus.PENDING)
    client = client_for(staff_with_role(ORDER_MANAGERS))

    response = client.post(transition_url(order), {"to": "paid"}, format="json")

    assert_problem(response, 403, "permission_denied")


def test_an_order_manager_may_not_write_the_catalog():
    client = client_for(staff_with_role(ORDER_MANAGERS))
    assert_problem(client.post(TAGS_URL, {"name": "Sale"}), 403, "permission_denied")
    assert_problem(client.get(DISCOUNTS_URL), 403, "permission_denied")


# --- Catalog managers: the catalog, not orders ----------------------------------------------


def test_a_catalog_manager_writes_the_catalog_but_cannot_see_orders():
    client = client_for(staff_with_role(CATALOG_MANAGERS))

    assert client.post(TAGS_URL, {"name": "Sale"}, format="json").status_code == 201
    assert client.get(DISCOUNTS_URL).status_code == 200
    assert_problem(client.get(STAFF_ORDERS_URL), 403, "permission_denied")
    assert_problem(client.get(SALES_URL, SALES_RANGE), 403, "permission_denied")


# --- Everyone else --------------------------------------------------------------------------


def test_staff_without_a_role_get_a_403_problem_and_superusers_pass():
    order = OrderLineFactory.create(
        order__status=OrderStatus.PAID, order__total=Decimal("19.99")
    ).order
    plain = client_for(StaffUserFactory.create())
    assert_problem(plain.get(staff_order_url(order)), 403, "permission_denied")
    assert_problem(plain.post(TAGS_URL, {"name": "Sale"}), 403, "permission_denied")

    superuser = client_for(SuperUserFactory.create())
    assert superuser.get(staff_order_url(order)).status_code == 200
    response = superuser.post(transition_url(order), {"to": "fulfilled"}, format="json")
    assert response.status_code == 200


def test_customers_and_anonymous_callers_are_refused():
    order = OrderFactory.create()
    customer = client_for(UserFactory.create())
    assert_problem(customer.get(staff_order_url(order)), 403, "permission_denied")
    assert_problem(APIClient().get(staff_order_url(order)), 401, "not_authenticated")


def test_public_catalog_reads_stay_public():
    assert client_for(UserFactory.create()).get(TAGS_URL).status_code == 200


# --- The payments admin ---------------------------------------------------------------------


def test_support_sees_payments_but_no_refund_action_and_a_posted_refund_does_nothing():
    order = OrderFactory.create(status=OrderStatus.PAID)
    payment = Payment.objects.create(
        order=order, provider="sandbox", provider_id="pi_1", amount=order.total,
        currency=order.currency, status=PaymentStatus.SUCCEEDED,
    )  # fmt: skip
    client = admin_client_for(staff_with_role(SUPPORT))
    changelist = reverse("admin:payments_payment_changelist")

    listing = client.get(changelist)
    assert listing.status_code == 200
    assert listing.context["action_form"] is None
    client.post(
        changelist, {"action": "refund_in_full", "index": "0", "_selected_action": [payment.pk]}
    )

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.SUCCEEDED, Decimal(0))
    assert not payment.refunds.exists()


def test_an_order_manager_is_offered_the_refund_action():
    OrderFactory.create()
    client = admin_client_for(staff_with_role(ORDER_MANAGERS))

    listing = client.get(reverse("admin:payments_payment_changelist"))

    choices = {value for value, _ in listing.context["action_form"].fields["action"].choices}
    assert "refund_in_full" in choices
