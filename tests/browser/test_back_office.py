"""Staff in the back office, in a real browser."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from apps.orders.models import Order, OrderStatus
from apps.orders.tests.factories import buy, make_variant
from apps.users.tests.factories import SuperUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def admin_login(page: Page, email: str, password: str) -> None:
    page.goto(f"/{settings.ADMIN_URL}login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_admin_refuses_a_wrong_password_and_admits_staff(page: Page) -> None:
    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)

    admin_login(page, staff.email, "not the password")
    expect(page.locator(".errornote")).to_contain_text("correct e-mail address and password")

    admin_login(page, staff.email, PASSWORD)
    expect(page.get_by_role("heading", name="Back office", exact=True)).to_be_visible()


def test_staff_act_on_an_order_from_its_own_page_and_are_told_what_its_state_forbids(
    page: Page,
) -> None:
    """On a pending order: shipping is refused with a message saying why; cancelling asks
    first, then cancels and gives the stock back."""
    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)
    variant = make_variant(sku="MUG-1", stock=3)
    order = buy({variant: 2})
    admin_login(page, staff.email, PASSWORD)
    page.goto(f"/{settings.ADMIN_URL}orders/order/{order.pk}/change/")

    page.get_by_role("link", name="Ship items…").click()
    expect(page.locator(".messagelist")).to_have_text(
        f"Order {order.number} is pending payment: only a paid order can be shipped."
    )

    page.get_by_role("link", name="Cancel order…").click()
    expect(page.locator("#confirm-question")).to_contain_text("Cancel this order?")
    page.get_by_role("button", name="Cancel the order").click()
    expect(page.locator(".messagelist")).to_have_text(f"Order {order.number} cancelled.")
    order.refresh_from_db()
    variant.refresh_from_db()
    assert (order.status, variant.stock) == (OrderStatus.CANCELLED, 3)


def test_the_order_pages_of_the_back_office_break_no_content_security_rule(page: Page) -> None:
    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)
    order = buy({make_variant(sku="MUG-2", stock=3): 1})
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    admin_login(page, staff.email, PASSWORD)
    base = f"/{settings.ADMIN_URL}orders/order/"

    for path in ("", f"{order.pk}/change/", f"{order.pk}/cancel/", f"{order.pk}/refund/"):
        page.goto(base + path)
        page.wait_for_load_state("load")
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
    page.goto(f"{base}{order.pk}/fulfil/")
    page.wait_for_load_state("load")
    # The fulfil action's own note page, from the list.
    page.goto(base)
    page.locator(f"input[name='_selected_action'][value='{order.pk}']").check()
    page.locator("select[name='action']").select_option("fulfil_orders")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#fulfil-orders")).to_contain_text(order.number)

    assert blocked == []
    # The watch sees what the policy blocks: an inline style put into the page is reported.
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
        )


def test_the_orders_list_stays_light_and_exports_orders_and_lines_as_csv(page: Page) -> None:
    """The list loads none of the slug-field scripts (xregexp, urlify, prepopulate); both
    exports download, with ISO 8601 times and one row per line, SKU and tax included."""
    staff = SuperUserFactory.create(email="boss@example.com", password=PASSWORD)
    order = buy({make_variant(sku="=MUG-3", stock=3): 2})  # a formula-like SKU
    admin_login(page, staff.email, PASSWORD)
    page.wait_for_load_state("load")  # the index page, before the list is watched
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))

    page.goto(f"/{settings.ADMIN_URL}orders/order/")
    page.wait_for_load_state("load")
    scripts = [url for url in loaded if url.endswith(".js")]
    assert scripts
    assert not [url for url in scripts if re.search(r"xregexp|urlify|prepopulate", url)]
    assert len(loaded) <= 26, loaded

    with page.expect_download() as orders_csv:
        page.locator("#export-csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(orders_csv.value.path()).read_text())))
    assert [row["number"] for row in rows] == [order.number]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", rows[0]["placed_at"])

    with page.expect_download() as lines_csv:
        page.locator("#export-lines-csv").click()
    [line] = csv.DictReader(io.StringIO(Path(lines_csv.value.path()).read_text()))
    assert (line["number"], line["sku"], line["quantity"]) == (order.number, "'=MUG-3", "2")
    assert line["line_tax"] != ""
