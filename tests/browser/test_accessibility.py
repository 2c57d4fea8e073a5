"""An axe-core scan of the pages shoppers and staff use, at desktop and phone sizes.

Each page must have no violation that axe rates serious or critical (contrast, names of
controls, labels, landmarks, ARIA misuse, …). A failure lists each rule with the elements
that break it, so the report says what to fix.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Page, expect

from apps.cart.tests.factories import ShippingMethodFactory
from apps.catalog.tests.factories import (
    CategoryFactory,
    ProductVariantFactory,
    ReviewFactory,
    TagFactory,
    make_product,
)
from apps.orders.models import Order, OrderStatus, ReturnRequest
from apps.orders.services.returns import ReturnItem, request_return
from apps.orders.services.shipments import ShipmentItem, create_shipment
from apps.orders.tests.factories import OrderFactory, OrderLineFactory
from apps.users.services import sign_up_token
from apps.users.tests.factories import SuperUserFactory, UserFactory
from tests.browser.test_back_office import PASSWORD, admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = ("serious", "critical")
AXE = Axe()


def blocking_violations(page: Page) -> list[str]:
    """Return a line per serious or critical axe violation on `page`, naming its elements."""
    results: dict[str, Any] = AXE.run(page).response
    return [
        f"{page.url}: {rule['id']} ({rule['impact']}): {rule['help']} at "
        + ", ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        for rule in results["violations"]
        if rule["impact"] in BLOCKING
    ]


def scan(page: Page, paths: Iterable[str]) -> list[str]:
    """Open each path on `page` and return every blocking violation found."""
    found: list[str] = []
    for path in paths:
        response = page.goto(path)
        assert response is not None, path
        assert response.status < 500, path
        found += blocking_violations(page)
    return found


def sign_up_link(*, email: str) -> str:
    return f"/account/register/{sign_up_token(email=email, full_name='')}/"


@pytest.fixture
def shop() -> dict[str, Any]:
    """A category with a reviewed, tagged product in two sizes, and two ways to ship."""
    coffee = CategoryFactory.create(name="Coffee", slug="coffee")
    product = make_product(
        name="Espresso Beans", slug="espresso-beans", category=coffee, price=Decimal(14)
    )
    ProductVariantFactory.create(product=product, name="1 kg", price=Decimal(38))
    product.tags.add(TagFactory.create(name="Budget pick", slug="budget-pick"))
    for index in range(3):
        make_product(name=f"Blend {index}", category=coffee, price=Decimal(10 + index))
    customer = UserFactory.create(email="ada@example.com", password=PASSWORD)
    ReviewFactory.create(product=product, user=customer, rating=4)
    ShippingMethodFactory.create(name="Standard", price=Decimal("4.90"), free_above=Decimal(50))
    ShippingMethodFactory.create(name="Express", price=Decimal("12.90"))
    order = OrderFactory.create(user=customer, email=customer.email, status=OrderStatus.PAID)
    OrderLineFactory.create(order=order, quantity=3)
    return {"customer": customer, "order": order}


def ship_one_and_return_one(order: Order) -> ReturnRequest:
    """Two parcels of one unit each, one of them asked back: shipments, a return, and a
    return form for the unit left, all on the order's pages."""
    line = order.lines.get()
    for _ in range(2):
        create_shipment(order=order, items=[ShipmentItem(line.pk, 1)], actor=None, carrier="DHL",
                        tracking_number="0034")  # fmt: skip
    return request_return(order=order, items=[ReturnItem(line.pk, 1)], reason="damaged", actor=None)


def test_the_catalog_pages_cart_and_checkout_with_errors_pass_axe(
    sized_page: Page, shop: dict[str, Any]
) -> None:
    page = sized_page
    found = scan(page, ["/", "/c/coffee/", "/search/?q=espreso", "/p/espresso-beans/", "/nope/"])

    page.goto("/p/espresso-beans/")
    page.locator("#add-to-cart").click()
    expect(page.locator("#mini-cart")).to_be_visible()
    found += blocking_violations(page)
    found += scan(page, ["/cart/"])
    page.goto("/checkout/")
    page.locator("#place-order").click()
    expect(page.locator("#error-summary")).to_be_focused()
    found += blocking_violations(page)

    assert not found, "\n".join(found)


def test_the_account_pages_pass_axe(sized_page: Page, shop: dict[str, Any]) -> None:
    page = sized_page
    found = scan(page, ["/account/register/", "/account/password-reset/"])
    page.goto("/account/register/")
    page.locator("#register-button").click()
    expect(page.locator("#error-summary")).to_be_visible()
    found += blocking_violations(page)
    page.goto(sign_up_link(email="grace@example.com"))
    page.locator("#register-finish-button").click()
    expect(page.locator("#error-summary")).to_be_visible()
    found += blocking_violations(page)
    page.goto("/account/login/")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password").fill("not the password")
    page.locator("#login-button").click()
    found += blocking_violations(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("#login-button").click()
    expect(page).to_have_url(f"{page.url.split('/account/')[0]}/account/")

    order = shop["order"]
    ship_one_and_return_one(order)
    found += scan(
        page,
        [
            "/account/",
            f"/account/orders/{order.pk}/",
            "/account/addresses/",
            "/account/addresses/new/",
            "/account/wishlist/",
            "/p/espresso-beans/",
        ],
    )
    assert not found, "\n".join(found)


def test_the_back_office_order_pages_pass_axe(sized_page: Page, shop: dict[str, Any]) -> None:
    page = sized_page
    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)
    admin_login(page, staff.email, PASSWORD)
    base = f"/{settings.ADMIN_URL}orders/order/"
    order = shop["order"]
    found = scan(page, [f"{base}{order.pk}/fulfil/"])  # nothing shipped yet
    request = ship_one_and_return_one(order)
    returns_base = f"/{settings.ADMIN_URL}orders/returnrequest/"
    found += scan(
        page,
        [
            base,
            f"{base}{order.pk}/change/",
            f"{base}{order.pk}/fulfil/",
            f"{base}{order.pk}/refund/",
            f"/{settings.ADMIN_URL}orders/shipment/",
            returns_base,
            f"{returns_base}{request.pk}/change/",
        ],
    )
    assert not found, "\n".join(found)


def test_the_api_documentation_pages_pass_axe(page: Page) -> None:
    """Swagger UI (an operation opened, its responses shown) and Redoc, once each has drawn."""
    page.goto("/api/docs/")
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".responses-wrapper").first).to_be_visible()
    found = blocking_violations(page)
    page.goto("/api/redoc/")
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    found += blocking_violations(page)
    assert not found, "\n".join(found)
