"""The staff report endpoints: contracts, bad input as problems, CSV through negotiation."""

import csv
import io
from datetime import date, timedelta

import pytest

from apps.catalog.tests.factories import ProductFactory
from apps.orders.models import OrderStatus
from apps.orders.tests.factories import client_for, staff_client
from apps.reports.tests.helpers import SALES_URL, TOP_PRODUCTS_URL, at, order

pytestmark = pytest.mark.django_db

D = date(2031, 3, 3)


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("url", [SALES_URL, TOP_PRODUCTS_URL])
def test_anonymous_is_401_and_customers_403(url, api_client, user):
    query = {"from": "2031-03-03", "to": "2031-03-04"}

    anonymous = api_client.get(url, query)
    customer = client_for(user).get(url, query)

    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    assert customer.status_code == 403
    assert customer.json()["code"] == "permission_denied"


def test_sales_by_day():
    client, _ = staff_client()
    order(at(D), "10.00")
    order(at(D), "5.25", status=OrderStatus.FULFILLED)
    order(at(D + timedelta(days=2)), "4.00", status=OrderStatus.REFUNDED)
    order(at(D + timedelta(days=2)), "100.00", status=OrderStatus.PENDING)

    response = client.get(SALES_URL, {"from": "2031-03-03", "to": "2031-03-05"})

    assert response.status_code == 200
    assert response.json() == {
        "from": "2031-03-03",
        "to": "2031-03-05",
        "interval": "day",
        "rows": [
            {
                "period": "2031-03-03",
                "orders": 2,
                "revenue": "15.25",
                "average_order_value": "7.63",
                "refunds": "0.00",
            },
            {
                "period": "2031-03-04",
                "orders": 0,
                "revenue": "0.00",
                "average_order_value": "0.00",
                "refunds": "0.00",
            },
            {
                "period": "2031-03-05",
                "orders": 0,
                "revenue": "0.00",
                "average_order_value": "0.00",
                "refunds": "4.00",
            },
        ],
        "totals": {
            "orders": 2,
            "revenue": "15.25",
            "average_order_value": "7.63",
            "refunds": "4.00",
        },
    }


def test_sales_by_month():
    client, _ = staff_client()
    order(at(date(2031, 1, 10)), "10.00")
    order(at(date(2031, 3, 10)), "20.00")

    response = client.get(
        SALES_URL, {"from": "2031-01-01", "to": "2031-03-31", "interval": "month"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["interval"] == "month"
    assert [(r["period"], r["revenue"]) for r in body["rows"]] == [
        ("2031-01-01", "10.00"),
        ("2031-02-01", "0.00"),
        ("2031-03-01", "20.00"),
    ]
    assert body["totals"]["revenue"] == "30.00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2031-03-03"}, "from"),
        ({"from": "2031-03-03"}, "to"),
        ({"from": "yesterday", "to": "2031-03-03"}, "from"),
        ({"from": "2031-03-03", "to": "2031-02-30"}, "to"),
        ({"from": "2031-03-04", "to": "2031-03-03"}, "from"),
        ({"from": "2031-01-01", "to": "2032-01-02", "interval": "day"}, "to"),
        ({"from": "2031-01-01", "to": "2031-01-02", "interval": "year"}, "interval"),
    ],
)
def test_sales_bad_input_is_a_400_problem_naming_the_parameter(query, field):
    client, _ = staff_client()

    response = client.get(SALES_URL, query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["field"] for error in body["errors"]] == [field]


def test_a_year_by_day_and_years_by_month_are_allowed():
    client, _ = staff_client()

    by_day = client.get(SALES_URL, {"from": "2032-01-01", "to": "2032-12-31"})  # 366 days
    by_month = client.get(
        SALES_URL, {"from": "2030-01-01", "to": "2032-12-31", "interval": "month"}
    )

    assert (by_day.status_code, len(by_day.json()["rows"])) == (200, 366)
    assert (by_month.status_code, len(by_month.json()["rows"])) == (200, 36)


def test_sales_as_csv_by_format_parameter():
    client, _ = staff_client()
    order(at(D), "10.00")
    order(at(D), "5.25")

    response = client.get(SALES_URL, {"from": "2031-03-03", "to": "2031-03-04", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sales-2031-03-03-2031-03-04.csv"' in response["Content-Disposition"]
    assert rows_of(response) == [
        ["period", "orders", "revenue", "average_order_value", "refunds"],
        ["2031-03-03", "2", "15.25", "7.63", "0.00"],
        ["2031-03-04", "0", "0.00", "0.00", "0.00"],
    ]


def test_sales_as_csv_by_accept_header():
    client, _ = staff_client()

    response = client.get(
        SALES_URL, {"from": "2031-03-03", "to": "2031-03-03"}, HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert rows_of(response)[1] == ["2031-03-03", "0", "0.00", "0.00", "0.00"]


def test_csv_errors_are_still_json_problems(api_client):
    client, _ = staff_client()

    bad = client.get(SALES_URL, {"from": "2031-03-04", "to": "2031-03-03", "format": "csv"})
    anonymous = api_client.get(SALES_URL, {"format": "csv"})

    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "from"
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"


def test_top_products():
    client, _ = staff_client()
    mug, tee, hat = (ProductFactory.create(name=name) for name in ("Mug", "Tee", "Hat"))
    order(at(D), lines=[(mug, 2, "10.00"), (tee, 1, "25.00")])
    order(at(D + timedelta(days=1)), lines=[(hat, 1, "5.00"), (mug, 1, "10.00")])
    order(at(D), status=OrderStatus.CANCELLED, lines=[(hat, 50, "5.00")])

    response = client.get(
        TOP_PRODUCTS_URL, {"from": "2031-03-03", "to": "2031-03-04", "limit": "2"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "from": "2031-03-03",
        "to": "2031-03-04",
        "limit": 2,
        "rows": [
            {"product_id": str(mug.pk), "product_name": "Mug", "units": 3, "revenue": "30.00"},
            {"product_id": str(tee.pk), "product_name": "Tee", "units": 1, "revenue": "25.00"},
        ],
    }


def test_top_products_as_csv():
    client, _ = staff_client()
    mug = ProductFactory.create(name='Mug "XL", blue')
    order(at(D), lines=[(mug, 2, "10.00")])

    response = client.get(
        TOP_PRODUCTS_URL,
        {"from": "2031-03-03", "to": "2031-03-03"},
        format=None,
        HTTP_ACCEPT="text/csv",
    )
    by_param = client.get(
        TOP_PRODUCTS_URL, {"from": "2031-03-03", "to": "2031-03-03", "format": "csv"}
    )

    assert response.status_code == by_param.status_code == 200
    assert response.content == by_param.content
    assert rows_of(response) == [
        ["product_id", "product_name", "units", "revenue"],
        [str(mug.pk), 'Mug "XL", blue', "2", "20.00"],
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2031-03-03", "to": "2031-03-03", "limit": 0}, "limit"),
        ({"from": "2031-03-03", "to": "2031-03-03", "limit": 101}, "limit"),
        ({"from": "2031-03-03", "to": "2031-03-03", "limit": "many"}, "limit"),
        ({"from": "2031-03-05", "to": "2031-03-03"}, "from"),
        ({"from": "2031-13-01", "to": "2031-03-03"}, "from"),
    ],
)
def test_top_products_bad_input(query, field):
    client, _ = staff_client()

    response = client.get(TOP_PRODUCTS_URL, query)

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize("count", [1, 15])
def test_the_endpoints_do_not_grow_queries_with_orders(count, django_assert_num_queries):
    client, _ = staff_client()
    for index in range(count):
        order(at(D + timedelta(days=index % 3)), lines=[(ProductFactory.create(), 1, "2.00")])
    client.get(SALES_URL, {"from": "2031-03-01", "to": "2031-03-01"})  # records "last seen"

    # The staff user's authentication, then the report's one query.
    with django_assert_num_queries(2):
        sales = client.get(SALES_URL, {"from": "2031-03-01", "to": "2031-03-31"})
    with django_assert_num_queries(2):
        top = client.get(TOP_PRODUCTS_URL, {"from": "2031-03-01", "to": "2031-03-31"})

    assert sales.json()["totals"]["orders"] == count
    assert len(top.json()["rows"]) == min(count, 10)
