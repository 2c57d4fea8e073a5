"""Attribute filters and facet counts of product lists: semantics, API, errors, query budget."""

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.catalog import selectors, tasks
from apps.catalog.cache import bump_catalog_version
from apps.catalog.errors import UnknownFilterValue
from apps.catalog.facets import AttributeFilter, attribute_query, parse_attribute_filters
from apps.catalog.models import Attribute, ProductVariant
from apps.catalog.tests.attribute_shop import Shop
from apps.catalog.tests.factories import TagFactory
from apps.catalog.tests.test_api_support import PRODUCTS_URL, clear_cache

pytestmark = pytest.mark.django_db

FACETS_URL = f"{PRODUCTS_URL}facets/"


@pytest.fixture
def shop() -> Shop:
    shop = Shop()
    clear_cache()
    return shop


def slugs(**query: Any) -> set[str]:
    filters = parse_attribute_filters({k: v for k, v in query.items() if k.startswith("attr.")})
    plain = {k: v for k, v in query.items() if not k.startswith("attr.")}
    page = selectors.list_products(
        filters=selectors.ProductFilters(attributes=filters, **plain),
        ordering=None,
        cursor=None,
        page_size=50,
    )
    return {card["slug"] for card in page["results"]}


def facets(**query: Any) -> dict[str, Any]:
    filters = parse_attribute_filters({k: v for k, v in query.items() if k.startswith("attr.")})
    plain = {k: v for k, v in query.items() if not k.startswith("attr.")}
    return selectors.product_facets(filters=selectors.ProductFilters(attributes=filters, **plain))


def values_of(result: dict[str, Any], slug: str) -> dict[str, int]:
    facet = next(f for f in result["attributes"] if f["slug"] == slug)
    return {value["slug"]: value["count"] for value in facet["values"]}


# --- Filtering ------------------------------------------------------------------------------


def test_values_of_one_attribute_match_any_of_them(shop: Shop) -> None:
    assert slugs(**{"attr.colour": ["black"]}) == {"boots-a", "boots-b"}
    assert slugs(**{"attr.colour": ["tan", "white"]}) == {"boots-a", "sneaker"}


def test_attributes_must_hold_for_one_and_the_same_variant(shop: Shop) -> None:
    assert slugs(**{"attr.colour": ["black"], "attr.size": ["42"]}) == {"boots-a"}
    # boots-a has a tan variant and a size-42 variant, but no tan 42.
    assert slugs(**{"attr.colour": ["tan"], "attr.size": ["42"]}) == set()


def test_an_inactive_variant_does_not_make_its_product_match(shop: Shop) -> None:
    assert slugs(**{"attr.colour": ["navy"]}) == set()


def test_product_level_values_filter_by_range_and_yes_no(shop: Shop) -> None:
    assert slugs(**{"attr.weight.min": ["500"]}) == {"boots-a", "boots-b"}
    assert slugs(**{"attr.weight.min": ["500"], "attr.weight.max": ["1000"]}) == {"boots-a"}
    assert slugs(**{"attr.waterproof": ["false"]}) == {"boots-b"}
    # A product value combines with a variant value of the same variant's product.
    assert slugs(**{"attr.waterproof": ["true"], "attr.size": ["43"]}) == {"boots-a"}


def test_attribute_filters_combine_with_the_other_filters(shop: Shop) -> None:
    assert slugs(**{"attr.size": ["42"], "category": "boots"}) == {"boots-a"}
    assert slugs(**{"attr.size": ["43"], "tag": "sale"}) == {"boots-a"}


def test_blank_values_filter_nothing_and_the_query_round_trips(shop: Shop) -> None:
    assert parse_attribute_filters({"attr.colour": ["", " "], "attr.weight.min": [""]}) == ()
    parsed = parse_attribute_filters(
        {"attr.size": ["43", "42"], "attr.weight.max": ["900.5"], "q": ["x"]}
    )
    assert parsed == (
        AttributeFilter(slug="size", values=("42", "43")),
        AttributeFilter(slug="weight", maximum=Decimal("900.5")),
    )
    assert parse_attribute_filters(attribute_query(parsed)) == parsed


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ({"attr.shade": ["dark"]}, "attr.shade", "No attribute 'shade'"),
        ({"attr.colour": ["pink"]}, "attr.colour", "no value 'pink'"),
        ({"attr.colour.min": ["1"]}, "attr.colour.min", "has no 'min' filter"),
        ({"attr.weight": ["800"]}, "attr.weight", "attr.weight.min and/or"),
        ({"attr.weight.min": ["heavy"]}, "attr.weight.min", "'heavy' is not a number"),
        ({"attr.weight.min": ["NaN"]}, "attr.weight.min", "not a number we can filter by"),
        (
            {"attr.weight.min": ["900"], "attr.weight.max": ["100"]},
            "attr.weight.max",
            "must not be lower",
        ),
        ({"attr.waterproof": ["maybe"]}, "attr.waterproof", "'true' or 'false'"),
    ],
)
def test_bad_attribute_filters_are_refused_with_the_parameter_named(
    shop: Shop, query: dict[str, list[str]], param: str, message: str
) -> None:
    with pytest.raises(UnknownFilterValue) as caught:
        parse_attribute_filters(query)
    assert caught.value.errors is not None
    assert list(caught.value.errors) == [param]
    assert message in caught.value.errors[param][0]


def test_an_attribute_that_is_not_filterable_cannot_be_filtered_by(shop: Shop) -> None:
    Attribute.objects.filter(pk=shop.size.pk).update(is_filterable=False)
    clear_cache()
    with pytest.raises(UnknownFilterValue):
        parse_attribute_filters({"attr.size": ["42"]})
    assert "size" not in {f["slug"] for f in facets()["attributes"]}


# --- Facet counts ---------------------------------------------------------------------------


def test_facets_count_products_per_value_in_the_list(shop: Shop) -> None:
    result = facets(category="shoes")
    assert result["total"] == 3
    assert values_of(result, "colour") == {"black": 2, "tan": 1, "white": 1}  # no navy
    assert values_of(result, "size") == {"42": 2, "43": 2}
    assert values_of(result, "waterproof") == {"true": 1, "false": 1}
    weight = next(f for f in result["attributes"] if f["slug"] == "weight")
    assert weight["range"] == {"min": "300", "max": "1200", "count": 3}
    assert weight["unit"] == "g"
    assert result["categories"] == [
        {"slug": "boots", "name": "Boots", "count": 2},
        {"slug": "sneakers", "name": "Sneakers", "count": 1},
    ]
    assert result["tags"] == [{"slug": "sale", "name": "Sale", "count": 1, "selected": False}]
    assert result["in_stock"] == 3
    assert {r["min"]: r["count"] for r in result["ratings"]} == {4: 1, 3: 1, 2: 2, 1: 2}
    assert result["price"] == {"min": "50.00", "max": "50.00", "currency": "EUR"}


def test_each_facet_count_equals_the_list_that_choosing_it_gives(shop: Shop) -> None:
    result = facets(category="shoes")
    for facet in result["attributes"]:
        for value in facet["values"]:
            chosen = slugs(category="shoes", **{f"attr.{facet['slug']}": [value["slug"]]})
            assert len(chosen) == value["count"], (facet["slug"], value["slug"])


@pytest.mark.parametrize(
    "chosen",
    [{"attr.colour": ["black"]}, {"attr.size": ["43"]}, {"attr.colour": ["black", "white"]}],
)
def test_with_a_variant_attribute_chosen_each_other_count_equals_its_list(
    shop: Shop, chosen: dict[str, list[str]]
) -> None:
    result = facets(category="shoes", **chosen)
    checked = 0
    for facet in result["attributes"]:
        if f"attr.{facet['slug']}" in chosen:
            continue
        for value in facet["values"]:
            narrowed = {**chosen, f"attr.{facet['slug']}": [value["slug"]]}
            assert len(slugs(category="shoes", **narrowed)) == value["count"], (
                facet["slug"],
                value["slug"],
            )
            checked += 1
    assert checked >= 2


def test_a_variant_value_counts_only_where_its_variant_meets_the_chosen_ones(shop: Shop) -> None:
    # boots-a is black in 42 and tan in 43, boots-b black in 43: black and 43 is boots-b only.
    assert values_of(facets(**{"attr.colour": ["black"]}), "size") == {"42": 1, "43": 1}
    assert values_of(facets(**{"attr.size": ["43"]}), "colour") == {"black": 1, "tan": 1}


def test_a_chosen_attribute_counts_its_values_without_its_own_filter(shop: Shop) -> None:
    result = facets(**{"attr.colour": ["black"]})
    assert result["total"] == 2
    # Colour counts as if no colour were chosen: what adding "white" would bring.
    assert values_of(result, "colour") == {"black": 2, "tan": 1, "white": 1}
    black = next(f for f in result["attributes"] if f["slug"] == "colour")["values"][0]
    assert black["selected"] is True
    # The other attributes count within the black products.
    assert values_of(result, "waterproof") == {"true": 1, "false": 1}


def test_a_chosen_value_with_no_product_left_is_still_shown_with_zero(shop: Shop) -> None:
    result = facets(**{"attr.colour": ["tan"], "attr.waterproof": ["false"]})
    assert result["total"] == 0
    assert values_of(result, "colour")["tan"] == 0
    assert values_of(result, "waterproof") == {"true": 1, "false": 0}


def test_price_rating_and_stock_counts_apply_the_other_two(shop: Shop) -> None:
    for variant in ProductVariant.objects.filter(product=shop.boots_b):
        variant.stock = 0
        variant.save()
    clear_cache()
    result = facets(rating_min=Decimal(4))
    assert result["total"] == 1
    assert result["in_stock"] == 1  # boots-a, the only one rated 4 and up
    assert {r["min"]: r["count"] for r in result["ratings"]} == {4: 1, 3: 1, 2: 2, 1: 2}
    only_stocked = facets(in_stock=True)
    assert only_stocked["total"] == 2
    assert {r["min"]: r["count"] for r in only_stocked["ratings"]}[2] == 1


def test_tag_counts_ignore_the_chosen_tag(shop: Shop) -> None:
    TagFactory.create(name="New", slug="new").products.add(shop.sneaker)
    clear_cache()
    result = facets(tag="sale")
    assert result["total"] == 1
    assert {t["slug"]: (t["count"], t["selected"]) for t in result["tags"]} == {
        "new": (1, False),
        "sale": (1, True),
    }


# --- API ------------------------------------------------------------------------------------


def test_the_list_api_filters_by_attributes(shop: Shop) -> None:
    response = APIClient().get(PRODUCTS_URL, {"attr.colour": ["black", "tan"], "attr.size": "43"})
    assert response.status_code == 200
    assert {c["slug"] for c in response.json()["results"]} == {"boots-a", "boots-b"}
    narrower = APIClient().get(PRODUCTS_URL, {"attr.colour": "black", "attr.size": "43"})
    assert {c["slug"] for c in narrower.json()["results"]} == {"boots-b"}


def test_the_facets_api_answers_with_counts_and_is_cached(shop: Shop) -> None:
    client = APIClient()
    response = client.get(FACETS_URL, {"category": "shoes", "attr.colour": "black"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert values_of(body, "colour") == {"black": 2, "tan": 1, "white": 1}
    with CaptureQueriesContext(connection) as warm:
        again = client.get(FACETS_URL, {"category": "shoes", "attr.colour": "black"})
    assert again.json() == body
    assert len(warm.captured_queries) == 0


@pytest.mark.parametrize("url", [PRODUCTS_URL, FACETS_URL])
def test_a_bad_attribute_filter_is_a_problem(shop: Shop, url: str) -> None:
    response = APIClient().get(url, {"attr.colour": "pink"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "unknown_filter_value"
    assert body["errors"] == [
        {
            "field": "attr.colour",
            "code": "invalid",
            "detail": "Attribute 'colour' has no value 'pink'.",
        }
    ]


def test_the_product_detail_shows_attributes_and_the_variant_picker(shop: Shop) -> None:
    body = APIClient().get(f"{PRODUCTS_URL}boots-a/").json()
    assert body["attributes"] == [
        {
            "slug": "weight",
            "name": "Weight",
            "kind": "number",
            "values": ["800 g"],
            "value": "800 g",
        },
        {
            "slug": "waterproof",
            "name": "Waterproof",
            "kind": "boolean",
            "values": ["Yes"],
            "value": "Yes",
        },
    ]
    picker = [(a["slug"], [v["slug"] for v in a["values"]]) for a in body["variant_attributes"]]
    assert picker == [("colour", ["black", "tan"]), ("size", ["42", "43"])]
    assert body["variant_attributes"][0]["values"][0] == {"slug": "black", "name": "Black"}
    assert [v["attributes"] for v in body["variants"]] == [
        {"colour": "black", "size": "42"},
        {"colour": "tan", "size": "43"},
    ]


def test_an_inactive_variant_s_values_are_not_offered(shop: Shop) -> None:
    body = APIClient().get(f"{PRODUCTS_URL}sneaker/").json()
    assert body["variant_attributes"][0]["values"] == [{"slug": "white", "name": "White"}]
    assert len(body["variants"]) == 1


# --- Query budget ---------------------------------------------------------------------------


def cold_facet_queries(query: dict[str, Any]) -> int:
    clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get(FACETS_URL, query)
    assert response.status_code == 200
    return len(queries.captured_queries)


def grow(shop: Shop, count: int) -> None:
    for n in range(count):
        product = shop.product(f"more-{n}", shop.boots, [("black", "44", 2), ("white", "43", 1)])
        shop.own(product, weight=str(400 + n), waterproof=n % 2 == 0)


def test_after_a_write_the_old_counts_are_served_until_the_task_refreshes_them(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueued: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks.refresh_product_facets, "delay", enqueued.append)
    query = {"category": "shoes", "attr.colour": ["black"]}
    before = facets(**query)
    assert values_of(before, "size") == {"42": 1, "43": 1}
    assert enqueued == []

    ProductVariant.objects.filter(product=shop.boots_b).update(is_active=False)
    bump_catalog_version()  # what the write's signal does on commit

    assert facets(**query) == before  # nobody waits for the new counts
    assert facets(**query) == before
    assert len(enqueued) == 1  # one refresh for every request
    filters = selectors.filters_from_payload(enqueued[0])
    assert filters.category == "shoes"
    assert filters.attributes == (AttributeFilter(slug="colour", values=("black",)),)

    assert tasks.refresh_product_facets.run(enqueued[0]) is True  # the worker's run
    after = facets(**query)
    assert values_of(after, "size") == {"42": 1}  # boots-a's black variant
    assert after["total"] == 1
    assert len(enqueued) == 1


def test_the_refresh_task_skips_filters_that_name_nothing_any_more(shop: Shop) -> None:
    payload = selectors.filters_payload(selectors.ProductFilters(category="gone"))

    assert tasks.refresh_product_facets.run(payload) is False


def test_filters_survive_the_trip_through_a_task_message() -> None:
    filters = selectors.ProductFilters(
        category="shoes",
        tag="sale",
        price_min=Decimal("9.90"),
        price_max=Decimal("120"),
        in_stock=True,
        rating_min=Decimal("3"),
        search="boots",
        attributes=(
            AttributeFilter(slug="colour", values=("black", "tan")),
            AttributeFilter(slug="weight", minimum=Decimal("100"), maximum=Decimal("800.5")),
        ),
    )
    payload = selectors.filters_payload(filters)

    assert json.loads(json.dumps(payload)) == payload
    assert selectors.filters_from_payload(payload) == filters
    assert selectors.filters_from_payload(
        selectors.filters_payload(selectors.ProductFilters())
    ) == (selectors.ProductFilters())


def test_facet_queries_do_not_grow_with_products_or_values(shop: Shop) -> None:
    plain = cold_facet_queries({"category": "shoes"})
    chosen = cold_facet_queries({"category": "shoes", "attr.colour": "black", "attr.size": "42"})
    grow(shop, 20)
    assert cold_facet_queries({"category": "shoes"}) == plain
    # One more query per attribute chosen (its values are counted without its own filter).
    assert chosen == plain + 2
    assert (
        cold_facet_queries({"category": "shoes", "attr.colour": ["black", "white", "tan"],
                            "attr.size": "42"})
        == chosen
    )  # fmt: skip
