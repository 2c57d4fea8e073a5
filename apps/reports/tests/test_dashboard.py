"""The sales dashboard in the admin, its selectors, and the server-side SVG charts."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from defusedxml import ElementTree as SafeElementTree
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog.tests.factories import ProductFactory, ProductVariantFactory
from apps.core.permissions import CATALOG_MANAGERS, ORDER_MANAGERS, SUPPORT
from apps.core.tests.roles import admin_client_for, staff_with_role
from apps.orders.models import OrderEvent, OrderStatus
from apps.reports import selectors
from apps.reports.charts import Point, bar_chart, nice_ceiling
from apps.reports.tests.helpers import at, order
from apps.users.tests.factories import SuperUserFactory

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2031, 3, 20, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def dashboard_url() -> str:
    return reverse("admin:sales-dashboard")


# --- Charts (no database) -------------------------------------------------------------------


def number(element: ElementTree.Element, name: str) -> float:
    value = element.get(name)
    assert value is not None, name
    return float(value)


def title_of(element: ElementTree.Element) -> str | None:
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text


def parse(svg: str) -> ElementTree.Element:
    element: ElementTree.Element = SafeElementTree.fromstring(svg)
    return element


def test_a_bar_chart_has_a_title_axes_labels_and_a_titled_bar_per_point():
    svg = parse(
        bar_chart(
            [Point("1 Mar", Decimal("12.50")), Point("2 Mar", 0), Point("3 Mar", 40)],
            title="Revenue per day",
            unit="EUR",
        )
    )

    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert title_of(svg) == "Revenue per day"
    bars = svg.findall(f"{SVG}rect")
    assert [title_of(bar) for bar in bars] == [
        "1 Mar: 12.50 EUR",
        "2 Mar: 0 EUR",
        "3 Mar: 40 EUR",
    ]
    heights = [number(bar, "height") for bar in bars]
    assert heights[1] == 0
    assert heights[2] == pytest.approx(heights[0] * 40 / 12.5, rel=0.01)
    assert len(svg.findall(f"{SVG}line[@class='axis']")) == 2
    y_labels = [t.text for t in svg.findall(f"{SVG}text[@class='y-label']")]
    assert y_labels == ["0", "25", "50"]  # 40 rounds up to a top of 50
    assert [t.text for t in svg.findall(f"{SVG}text[@class='x-label']")] == [
        "1 Mar",
        "2 Mar",
        "3 Mar",
    ]


def test_bars_grow_upwards_from_the_x_axis_and_stay_inside_the_chart():
    svg = parse(bar_chart([Point(str(n), n) for n in range(1, 31)], title="t", height=200))
    axis_y = number(svg.findall(f"{SVG}line[@class='axis']")[1], "y1")
    for bar in svg.findall(f"{SVG}rect"):
        top, height = number(bar, "y"), number(bar, "height")
        assert top >= 0
        assert top + height == pytest.approx(axis_y)


def test_labels_and_titles_are_escaped():
    svg = bar_chart([Point("<b>&", 1)], title='Sales "&" <script>')
    assert "<script>" not in svg
    assert "<b>" not in svg
    assert title_of(parse(svg)) == 'Sales "&" <script>'


def test_every_nth_x_label_is_drawn_for_long_series():
    svg = parse(bar_chart([Point(f"d{n}", n) for n in range(30)], title="t", label_every=5))
    labels = [t.text for t in svg.findall(f"{SVG}text[@class='x-label']")]
    assert labels == ["d0", "d5", "d10", "d15", "d20", "d25"]
    assert len(svg.findall(f"{SVG}rect")) == 30


def test_an_empty_or_all_zero_series_draws_without_dividing_by_zero():
    assert parse(bar_chart([], title="Nothing")).findall(f"{SVG}rect") == []
    bars = parse(bar_chart([Point("a", 0)], title="Zero")).findall(f"{SVG}rect")
    assert number(bars[0], "height") == 0


def test_negative_values_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        bar_chart([Point("a", -1)], title="t")


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (7, 10), (40, 50), (137, 200), (Decimal("0.3"), Decimal("0.5")), (2400, 2500)],
)
def test_the_axis_top_is_a_round_number_at_or_above_the_maximum(value, ceiling):
    assert nice_ceiling(value) == ceiling


# --- Selectors ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_low_stock_lists_active_variants_at_or_below_the_threshold_emptiest_first():
    product = ProductFactory.create(name="Lamp")
    ProductVariantFactory.create(product=product, sku="L-5", stock=5)
    ProductVariantFactory.create(product=product, sku="L-0", stock=0)
    ProductVariantFactory.create(product=product, sku="L-6", stock=6)
    ProductVariantFactory.create(product=product, sku="L-OFF", stock=1, is_active=False)
    hidden = ProductFactory.create(is_active=False)
    ProductVariantFactory.create(product=hidden, sku="H-1", stock=1)

    rows = selectors.low_stock_variants(threshold=5, limit=10)

    assert [(row["sku"], row["stock"], row["product_name"]) for row in rows] == [
        ("L-0", 0, "Lamp"),
        ("L-5", 5, "Lamp"),
    ]


@pytest.mark.django_db
def test_orders_needing_attention_are_old_unpaid_and_late_paid_ones():
    old_unpaid = order(NOW - timedelta(hours=2), status=OrderStatus.PENDING)
    order(NOW - timedelta(minutes=30), status=OrderStatus.PENDING)  # still within the hour
    late = order(NOW - timedelta(days=5), status=OrderStatus.PAID)
    OrderEvent.objects.filter(order=late).delete()
    paid_recently = order(NOW - timedelta(days=5), status=OrderStatus.PAID)
    event = OrderEvent.objects.create(order=paid_recently, from_status="pending", to_status="paid")
    OrderEvent.objects.filter(pk=event.pk).update(created_at=NOW - timedelta(hours=3))
    order(NOW - timedelta(days=9), status=OrderStatus.FULFILLED)

    rows = selectors.orders_needing_attention(
        now=NOW, unpaid_for=timedelta(hours=1), unfulfilled_for=timedelta(days=2), limit=10
    )

    assert [(row["number"], row["reason"]) for row in rows] == [
        (late.number, "Not shipped yet"),
        (old_unpaid.number, "Not paid yet"),
    ]


# --- The page -------------------------------------------------------------------------------


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def admin(client, frozen):
    """A superuser's client, logged in at the frozen moment (so the session is fresh then)."""
    client.force_login(SuperUserFactory.create())
    return client


@pytest.fixture
def sales(frozen):
    lamp = ProductFactory.create(name="Brass lamp")
    chair = ProductFactory.create(name="Oak chair")
    order(at(TODAY), "120.00", lines=[(lamp, 2, "60.00")])
    order(at(TODAY - timedelta(days=3)), "45.00", lines=[(chair, 1, "45.00")])
    order(at(date(2030, 6, 10)), "300.00", lines=[(chair, 4, "75.00")])
    order(NOW - timedelta(hours=3), "10.00", status=OrderStatus.PENDING)
    ProductVariantFactory.create(product=lamp, sku="LAMP-LOW", stock=2)
    return {"lamp": lamp, "chair": chair}


@pytest.mark.django_db
def test_the_dashboard_shows_charts_totals_top_products_stock_and_attention(admin, sales):
    response = admin.get(dashboard_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 4
    assert not re.findall(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)
    assert "Revenue per day, last 30 days" in page
    currency = settings.DEFAULT_CURRENCY
    assert f"<title>20 Mar: 120 {currency}</title>" in page
    assert "<title>17 Mar: 1 orders</title>" in page
    assert f"<title>Jun 2030: 300 {currency}</title>" in page
    context = response.context
    assert context["daily_totals"]["orders"] == 2
    assert context["daily_totals"]["revenue"] == Decimal("165.00")
    assert context["monthly_totals"]["revenue"] == Decimal("465.00")
    assert [row["product_name"] for row in context["top_products"]] == ["Brass lamp", "Oak chair"]
    assert "LAMP-LOW" in page
    # Paid 3 days and 9 months ago and never shipped, then the pending one of 3 hours.
    assert [row["reason"] for row in context["attention"]] == [
        "Not shipped yet",
        "Not shipped yet",
        "Not paid yet",
    ]


@pytest.mark.django_db
def test_the_dashboard_runs_a_fixed_number_of_queries(admin, sales, django_assert_num_queries):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get(dashboard_url()).status_code == 200
        return len(queries)

    count()  # the first request also fills per-process caches
    few = count()
    for day in range(25):
        order(at(TODAY - timedelta(days=day)), "10.00", lines=[(sales["lamp"], 1, "10.00")])
        order(NOW - timedelta(days=3 + day), status=OrderStatus.PENDING)
        ProductVariantFactory.create(product=sales["chair"], stock=1)

    with django_assert_num_queries(few):
        assert admin.get(dashboard_url()).status_code == 200


@pytest.mark.django_db
def test_the_admin_index_links_to_the_dashboard_for_those_who_may_see_it(admin, frozen):
    assert dashboard_url() in admin.get(reverse("admin:index")).content.decode()

    support = admin_client_for(staff_with_role(SUPPORT))
    assert dashboard_url() not in support.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"), [(ORDER_MANAGERS, 200), (SUPPORT, 403), (CATALOG_MANAGERS, 403)]
)
def test_the_dashboard_is_for_roles_with_the_sales_figures(frozen, role, status):
    client = admin_client_for(staff_with_role(role))
    assert client.get(dashboard_url()).status_code == status


@pytest.mark.django_db
def test_the_dashboard_is_not_for_anonymous_visitors(client):
    response = client.get(dashboard_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
