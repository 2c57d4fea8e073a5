"""Returns (RMAs): customers ask to send shipped items back within the window, with a reason;
staff approve, reject, receive (restocking or not) and refund them; every step is audited.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from apps.catalog.models import ProductVariant
from apps.core.errors import InvalidTransition
from apps.core.permissions import SUPPORT
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.roles import staff_with_role
from apps.orders.errors import ReturnInvalid, ReturnNotAllowed
from apps.orders.models import Order, OrderEvent, OrderLine, ReturnRequest, ReturnStatus
from apps.orders.services import returns
from apps.orders.services.returns import ReturnItem, request_return
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.orders.tests.factories import order_url, staff_client
from apps.payments import services as payment_services
from apps.payments.models import Refund
from apps.payments.tests.test_line_refunds import paid_order
from apps.storefront.tests.helpers import browser_for
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]
T0 = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)


def line(order: Order, sku: str) -> OrderLine:
    return order.lines.get(sku=sku)


def returned(order: Order) -> dict[str, int]:
    return dict(order.lines.values_list("sku", "returned_quantity"))


def stock(sku: str) -> int:
    return ProductVariant.objects.get(sku=sku).stock


@pytest.fixture
def shipped(user: User, django_capture_on_commit_callbacks: Capture, time_machine: Any) -> Order:
    """A paid order (2 lamps, 1 shade, 5.00 shipping) whose lamps shipped at T0."""
    time_machine.move_to(T0, tick=False)
    order = paid_order(user, django_capture_on_commit_callbacks)
    create_shipment(order=order, items=[ShipmentItem(line(order, "LAMP").pk, 2)], actor=None)
    return order


def ask(order: Order, user: User | None = None, **quantities: int) -> ReturnRequest:
    return request_return(
        order=order,
        items=[ReturnItem(line(order, sku).pk, n) for sku, n in quantities.items()],
        reason="damaged",
        comment="Cracked",
        actor=user,
    )


# --- The service ----------------------------------------------------------------------------


def test_a_return_goes_from_request_to_refund_and_each_step_is_audited(shipped, user):
    request = ask(shipped, user, LAMP=1)
    assert (request.number, request.status, request.label) == (1, ReturnStatus.REQUESTED, "R1")
    assert returned(shipped) == {"LAMP": 1, "SHADE": 0}

    returns.approve_return(request=request, actor=None, note="Use the enclosed label")
    returns.receive_return(request=request, restock=True, actor=None)
    refund = payment_services.refund_return(request=request, actor=None)

    request.refresh_from_db()
    assert (request.status, request.restocked) == (ReturnStatus.REFUNDED, True)
    assert stock("LAMP") == 10 - 2 + 1  # sold two, one came back
    assert (refund.amount, refund.return_request) == (Decimal("30.00"), request)
    assert list(refund.lines.values_list("order_line__sku", "quantity")) == [("LAMP", 1)]
    notes = list(OrderEvent.objects.filter(order=shipped).values_list("note", flat=True))[-4:]
    assert notes == [
        "Return R1 requested: 1 x LAMP (Arrived damaged).",
        "Return R1 approved: Use the enclosed label.",
        "Return R1 received.",
        "Return R1 refunded: 30.00 EUR refunded.",
    ]


def test_items_returned_already_or_never_shipped_cannot_be_asked_back(shipped):
    ask(shipped, LAMP=2)

    with pytest.raises(ReturnNotAllowed) as again:
        ask(shipped, LAMP=1)
    assert "0 left to return, not 1" in str(again.value.errors)
    with pytest.raises(ReturnNotAllowed) as unshipped:
        ask(shipped, SHADE=1)
    assert "0 left to return, not 1" in str(unshipped.value.errors)
    assert ReturnRequest.objects.count() == 1


def test_a_rejected_return_gives_its_items_back_to_ask_again(shipped):
    request = ask(shipped, LAMP=2)

    returns.reject_return(request=request, actor=None, note="Photos needed")

    assert returned(shipped) == {"LAMP": 0, "SHADE": 0}
    assert ask(shipped, LAMP=2).number == 2


def test_the_window_closes_days_after_the_items_shipped(shipped, time_machine):
    window = timedelta(days=settings.RETURN_WINDOW_DAYS)
    time_machine.move_to(T0 + window - timedelta(seconds=1), tick=False)
    ask(shipped, LAMP=1)

    time_machine.move_to(T0 + window + timedelta(seconds=1), tick=False)
    with pytest.raises(ReturnNotAllowed) as closed:
        ask(shipped, LAMP=1)

    assert f"within {settings.RETURN_WINDOW_DAYS} days of shipping" in closed.value.detail
    assert "could be returned until 2031-03-31 09:00 UTC" in str(closed.value.errors)
    assert returned(shipped) == {"LAMP": 1, "SHADE": 0}


def test_an_order_not_shipped_has_nothing_to_return(user, django_capture_on_commit_callbacks):
    order = paid_order(user, django_capture_on_commit_callbacks)

    with pytest.raises(ReturnNotAllowed, match="only shipped items can be returned"):
        ask(order, LAMP=1)


@pytest.mark.parametrize("quantity", [0, -2])
def test_a_quantity_below_one_is_invalid(shipped, quantity):
    with pytest.raises(ReturnInvalid):
        ask(shipped, LAMP=quantity)
    assert returned(shipped) == {"LAMP": 0, "SHADE": 0}


def test_receiving_without_restocking_leaves_stock_alone(shipped):
    request = ask(shipped, LAMP=1)
    returns.approve_return(request=request, actor=None)

    returns.receive_return(request=request, restock=False, actor=None)

    assert stock("LAMP") == 8
    request.refresh_from_db()
    assert (request.status, request.restocked) == (ReturnStatus.RECEIVED, False)


def test_the_steps_keep_their_order(shipped):
    request = ask(shipped, LAMP=1)

    with pytest.raises(InvalidTransition, match="R1 is requested; it cannot become received"):
        returns.receive_return(request=request, restock=True, actor=None)
    with pytest.raises(InvalidTransition, match="only a received return is refunded"):
        payment_services.refund_return(request=request, actor=None)
    returns.reject_return(request=request, actor=None)
    with pytest.raises(InvalidTransition):
        returns.approve_return(request=request, actor=None)
    assert stock("LAMP") == 8
    assert not Refund.objects.exists()


# --- The customer API -----------------------------------------------------------------------


def returns_url(order: Order) -> str:
    return f"{order_url(order)}returns/"


def test_the_customer_asks_for_a_return_and_sees_it_on_the_order(shipped, user):
    client = client_for(user)
    lamp = line(shipped, "LAMP")

    response = client.post(
        returns_url(shipped),
        {"items": [{"line": lamp.pk, "quantity": 1}], "reason": "wrong_item"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["status"], body["reason"]) == (1, "requested", "wrong_item")
    assert body["items"] == [
        {"line": lamp.pk, "sku": "LAMP", "product_name": lamp.product_name, "quantity": 1}
    ]
    order_body = client.get(order_url(shipped)).json()
    assert [r["status"] for r in order_body["returns"]] == ["requested"]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"items": [], "reason": "damaged"}, 400, "validation_error", "items.non_field_errors"),
        ({"items": [{"line": 1, "quantity": 1}], "reason": "bored"}, 400, "validation_error",
         "reason"),
        ({"items": [{"line": 0, "quantity": 1}], "reason": "damaged"}, 400, "return_invalid",
         "items"),
        ({"items": [{"line": "SHADE", "quantity": 1}], "reason": "damaged"}, 409,
         "return_not_allowed", "items"),
        ({"items": [{"line": "LAMP", "quantity": 3}], "reason": "damaged"}, 409,
         "return_not_allowed", "items"),
    ],
)  # fmt: skip
def test_a_bad_return_request_gets_a_problem_and_changes_nothing(
    shipped, user, body, status, code, field
):
    items = [
        {**item, "line": line(shipped, item["line"]).pk} if isinstance(item["line"], str) else item
        for item in body["items"]
    ]

    response = client_for(user).post(returns_url(shipped), {**body, "items": items}, format="json")

    problem = assert_problem(response, status, code)
    assert field in [error["field"] for error in problem.get("errors", [])], problem
    assert not ReturnRequest.objects.exists()
    assert returned(shipped) == {"LAMP": 0, "SHADE": 0}


def test_a_return_outside_the_window_is_a_conflict(shipped, user, time_machine):
    time_machine.move_to(T0 + timedelta(days=settings.RETURN_WINDOW_DAYS + 1), tick=False)

    response = client_for(user).post(
        returns_url(shipped),
        {"items": [{"line": line(shipped, "LAMP").pk, "quantity": 1}], "reason": "damaged"},
        format="json",
    )

    body = assert_problem(response, 409, "return_not_allowed")
    assert "within 30 days of shipping" in body["detail"]
    assert not ReturnRequest.objects.exists()


def test_nobody_else_returns_a_customers_items(shipped, api_client):
    body = {"items": [{"line": line(shipped, "LAMP").pk, "quantity": 1}], "reason": "damaged"}

    stranger = client_for(UserFactory.create())
    assert_problem(stranger.post(returns_url(shipped), body, format="json"), 404, "not_found")
    assert_problem(
        api_client.post(returns_url(shipped), body, format="json"), 401, "not_authenticated"
    )
    assert not ReturnRequest.objects.exists()


# --- The staff API --------------------------------------------------------------------------


def step_url(request: ReturnRequest, step: str) -> str:
    return f"/api/v1/staff/returns/{request.pk}/{step}/"


def test_staff_approve_receive_and_refund_a_return_through_the_api(shipped):
    client, staff = staff_client()
    request = ask(shipped, LAMP=2)

    approved = client.post(step_url(request, "approve"), {"note": "Label sent"}, format="json")
    received = client.post(step_url(request, "receive"), {"restock": True}, format="json")
    refunded = client.post(step_url(request, "refund"), {"shipping": "5.00"}, format="json")

    assert approved.status_code == 200, approved.content
    assert (approved.json()["status"], approved.json()["staff_note"]) == ("approved", "Label sent")
    assert (received.json()["status"], received.json()["restocked"]) == ("received", True)
    assert refunded.status_code == 200, refunded.content
    [refund] = refunded.json()["refunds"]
    assert (refund["amount"], refund["shipping_amount"]) == ("65.00", "5.00")
    assert refunded.json()["returns"][0]["status"] == "refunded"
    assert stock("LAMP") == 10
    assert OrderEvent.objects.filter(order=shipped, actor=staff).count() == 3


def test_a_step_out_of_order_or_a_bad_step_body_is_refused(shipped):
    client, _ = staff_client()
    request = ask(shipped, LAMP=1)

    assert_problem(client.post(step_url(request, "receive"), {}, format="json"), 400,
                   "validation_error", field="restock")  # fmt: skip
    assert_problem(
        client.post(step_url(request, "receive"), {"restock": False}, format="json"),
        409,
        "invalid_transition",
    )
    assert_problem(client.post(step_url(request, "refund"), {}, format="json"), 409,
                   "invalid_transition")  # fmt: skip
    assert_problem(
        client.post("/api/v1/staff/returns/8f1c0d2e-0000-4000-8000-000000000000/approve/"),
        404,
        "not_found",
    )
    request.refresh_from_db()
    assert request.status == ReturnStatus.REQUESTED


def test_support_and_customers_cannot_move_returns(shipped, user):
    request = ask(shipped, LAMP=1)

    for client in (client_for(user), client_for(staff_with_role(SUPPORT))):
        response = client.post(step_url(request, "approve"), {}, format="json")
        assert_problem(response, 403, "permission_denied")
    request.refresh_from_db()
    assert request.status == ReturnStatus.REQUESTED


# --- The storefront -------------------------------------------------------------------------


def test_the_order_page_offers_a_return_form_for_shipped_items_and_lists_returns(shipped, user):
    browser = browser_for(user)
    page = browser.get(f"/account/orders/{shipped.pk}/").content.decode()
    lamp = line(shipped, "LAMP")
    assert 'id="return-items"' in page
    assert f'name="return_{lamp.pk}"' in page
    assert f'name="return_{line(shipped, "SHADE").pk}"' not in page  # not shipped

    response = browser.post(
        f"/account/orders/{shipped.pk}/returns/",
        {f"return_{lamp.pk}": "1", "reason": "defective", "comment": "Flickers"},
    )

    assert response.status_code == 302
    page = browser.get(response["Location"]).content.decode()
    assert "Return R1 requested" in page
    assert 'id="return-1"' in page
    assert "(does not work)" in page  # the reason, in the customer's words
    assert ReturnRequest.objects.get().comment == "Flickers"


def test_the_return_form_says_what_is_wrong(shipped, user):
    browser = browser_for(user)

    response = browser.post(f"/account/orders/{shipped.pk}/returns/", {"reason": "defective"})

    assert response.status_code == 400
    assert "Choose how many of which item to return." in response.content.decode()
    assert not ReturnRequest.objects.exists()
