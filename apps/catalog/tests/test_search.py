"""Search that forgives typos, "did you mean", and search-as-you-type suggestions.

Most tests hold on both engines (PostgreSQL: full text and trigrams; elsewhere: substring
matching with spelling help); those about one engine's own behaviour say so and skip on the
other. Expected answers come from the products each test makes.
"""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog import selectors
from apps.catalog.models import Category, Product
from apps.catalog.tests.test_api_support import (
    PRODUCTS_URL,
    clear_cache,
    make_category,
    make_product,
    slugs,
    staff_client,
)
from apps.core.tests.concurrency import require_postgresql
from apps.core.tests.helpers import assert_problem

pytestmark = pytest.mark.django_db

SUGGESTIONS_URL = f"{PRODUCTS_URL}suggestions/"
only_without_postgresql = pytest.mark.skipif(
    connection.vendor == "postgresql", reason="the substring fallback's own behaviour"
)


@pytest.fixture
def shop() -> dict[str, Any]:
    """Two shoe categories under Shoes, headphones, a robot and socks that mention boots."""
    shoes = make_category("Shoes")
    boots = make_category("Boots", parent=shoes)
    sneakers = make_category("Sneakers", parent=shoes)
    headphones = make_category("Headphones")
    other = make_category("Things")
    return {
        "boots": boots,
        "chelsea": make_product(
            "Chelsea Boots", category=boots, description="Leather, resoled easily."
        ),
        "hiking": make_product("Hiking Boots", category=boots, description="Grippy soles."),
        "court": make_product("Court Sneakers", category=sneakers),
        "runners": make_product("Running Shoes", category=sneakers, description="Light."),
        "earbuds": make_product("Wireless Earbuds", category=headphones),
        "robot": make_product("Robot Kit", category=other, description="Build a robot."),
        "socks": make_product("Wool Socks", category=other, description="Warm in boots."),
        "jacket": make_product("Rain Jacket", category=other, description="Stays dry."),
    }


def searched(client, query: str, **params: Any) -> list[str]:
    return slugs(client.get(PRODUCTS_URL, {"search": query, **params}))


def ranks(products) -> list[tuple[str, float]]:
    return [(product.slug, product.search_rank) for product in products]


def suggested(client, query: str) -> list[tuple[str, str]]:
    response = client.get(SUGGESTIONS_URL, {"q": query})
    assert response.status_code == 200, response.content
    assert response.json()["query"] == query.strip()
    return [(s["kind"], s["text"]) for s in response.json()["suggestions"]]


# --- Matching and ranking (both engines) -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bots", {"chelsea-boots", "hiking-boots"}),
        ("Bots", {"chelsea-boots", "hiking-boots"}),
        ("chelsea bots", {"chelsea-boots"}),
        # The category is named too (with the typo): its products without the word in them.
        ("sneekers", {"court-sneakers", "running-shoes"}),
    ],
)
def test_a_misspelt_word_finds_what_it_meant_first(api_client, shop, query, expected):
    # Then, on the substring fallback, the socks, whose description has "boots" in it.
    found = searched(api_client, query)
    assert set(found[: len(expected)]) == expected
    assert set(found[len(expected) :]) <= {"wool-socks"}


def test_a_search_naming_a_category_lists_its_products_and_its_sub_categories(api_client, shop):
    assert searched(api_client, "headphones") == ["wireless-earbuds"]
    assert set(searched(api_client, "shoes")) == {
        "chelsea-boots", "hiking-boots", "court-sneakers", "running-shoes",
    }  # fmt: skip


def test_every_word_of_a_search_must_match(api_client, shop):
    assert searched(api_client, "leather boots") == ["chelsea-boots"]
    assert searched(api_client, "leather sneakers") == []


def test_names_rank_above_descriptions_and_a_named_category_above_both(api_client, shop):
    # Socks mention boots in their description only; boots are in the Boots category too.
    found = searched(api_client, "boots")
    assert set(found[:2]) == {"chelsea-boots", "hiking-boots"}
    assert found[2:] == ["wool-socks"]


def test_a_plain_search_answers_as_before(api_client, shop):
    assert searched(api_client, "robot") == ["robot-kit"]
    assert searched(api_client, "  kettle  ") == []
    assert searched(api_client, "dry") == ["rain-jacket"]


def test_hidden_products_and_categories_are_never_found_or_suggested(api_client, shop):
    Category.objects.filter(pk=shop["boots"].pk).update(is_active=False)
    shop["court"].is_active = False
    shop["court"].save()
    clear_cache()

    assert searched(api_client, "hiking") == []
    assert searched(api_client, "sneakers") == ["running-shoes"]  # still in its category
    assert suggested(api_client, "boo") == []
    assert suggested(api_client, "sneak") == [("category", "Sneakers")]


# --- Engine-specific behaviour ---------------------------------------------------------------


def test_postgresql_matches_typos_by_trigrams_and_honours_websearch_operators(api_client, shop):
    require_postgresql()
    # Strict word similarity: "hikin" is 0.67 from "Hiking", above the 0.5 threshold.
    assert searched(api_client, "hikin bots") == ["hiking-boots"]
    # Operators mean exactly what they say: no typo matching then.
    assert searched(api_client, '"chelsea boots"') == ["chelsea-boots"]
    assert set(searched(api_client, "boots -leather")) == {"hiking-boots", "wool-socks"}
    assert searched(api_client, '"chelsea bots"') == []


def test_postgresql_search_is_served_by_its_indexes(shop):
    require_postgresql()
    words = ["Lamp", "Chair", "Kettle", "Scarf", "Mug", "Rug", "Vase", "Clock"]
    Product.objects.bulk_create(
        Product(
            name=f"{words[n % len(words)]} {n}",
            slug=f"item-{n}",
            # As long as real descriptions, so the table has as many pages as a real one.
            description=f"A plain {words[(n + 3) % len(words)].lower()}, number {n}. " * 12,
            category=shop["boots"].parent,
        )
        for n in range(5_000)
    )
    with connection.cursor() as cursor:
        # What autovacuum does to a table in use: merge the GIN indexes' pending lists, which
        # the planner would otherwise price as read in full.
        for index in ("catalog_product_name_trgm", "catalog_product_search_gin"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE catalog_product")
        searched_products = Product.objects.search("bots", categories=[shop["boots"].pk])
        sql, params = searched_products.values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # Each way to match is an index scan of its own: full text, trigrams, the category.
    assert "Bitmap Index Scan on catalog_product_search_gin" in plan, plan
    assert "Bitmap Index Scan on catalog_product_name_trgm" in plan, plan
    assert "Seq Scan on catalog_product" not in plan, plan


def test_postgresql_never_asks_for_spellings(shop):
    require_postgresql()

    def spellings(word: str) -> list[str]:
        raise AssertionError("PostgreSQL needs no vocabulary")

    assert {p.slug for p in Product.objects.search("bots", spellings=spellings)} == {
        "chelsea-boots", "hiking-boots",
    }  # fmt: skip


@only_without_postgresql
def test_the_substring_fallback_matches_the_spellings_of_unknown_words_only(shop):
    asked: list[str] = []

    def spellings(word: str) -> list[str]:
        asked.append(word)
        return {"bots": ["boots"]}.get(word, [])

    found = Product.objects.search("Wool BOTS", spellings=spellings)

    assert [p.slug for p in found] == ["wool-socks"]  # "boots" in its description
    assert asked == ["wool", "bots"]
    ranked = Product.objects.search("boot").order_by("-search_rank", "slug")
    # "boot" is in the names of boots (1.0), the description of socks (0.5).
    assert ranks(ranked) == [
        ("chelsea-boots", 1.0), ("hiking-boots", 1.0), ("wool-socks", 0.5),
    ]  # fmt: skip


@only_without_postgresql
def test_the_substring_fallback_matches_singulars_and_ranks_typed_words_first(shop):
    assert [p.slug for p in Product.objects.search("sneakers")] == ["court-sneakers"]
    # "jackets" is no substring of "Rain Jacket"; its singular is, ranked below the word as typed.
    assert ranks(Product.objects.search("jackets")) == [("rain-jacket", 0.75)]


# --- Did you mean ----------------------------------------------------------------------------


def test_a_list_without_search_or_with_results_has_no_did_you_mean(api_client, shop):
    body = api_client.get(PRODUCTS_URL).json()
    assert set(body) == {"results", "next", "previous", "did_you_mean"}
    assert body["did_you_mean"] is None
    assert api_client.get(PRODUCTS_URL, {"search": "bots"}).json()["did_you_mean"] is None


def test_a_misspelt_search_finds_the_products_or_says_what_was_meant(api_client, shop):
    """PostgreSQL's trigrams miss "jaket" (0.44 from "Jacket"): it says what was meant. The
    substring fallback corrects the word itself and lists the jacket."""
    body = api_client.get(PRODUCTS_URL, {"search": "rain jaket"}).json()
    if connection.vendor == "postgresql":
        assert (body["results"], body["did_you_mean"]) == ([], "rain jacket")
        assert searched(api_client, body["did_you_mean"]) == ["rain-jacket"]
    else:
        assert ([card["slug"] for card in body["results"]], body["did_you_mean"]) == (
            ["rain-jacket"],
            None,
        )


def test_did_you_mean_keeps_the_filters_and_never_leads_to_an_empty_page(api_client, shop):
    # A jacket exists, but not among the boots: no suggestion.
    body = api_client.get(PRODUCTS_URL, {"search": "jaket", "category": "boots"}).json()
    assert (body["results"], body["did_you_mean"]) == ([], None)
    # Nothing close to the word at all.
    body = api_client.get(PRODUCTS_URL, {"search": "qwxzv"}).json()
    assert (body["results"], body["did_you_mean"]) == ([], None)


def test_did_you_mean_is_a_selector_answer_cached_with_the_page(django_assert_num_queries, shop):
    require_postgresql()
    filters = selectors.ProductFilters(search="jaket")

    page = selectors.list_products(filters=filters, ordering=None, cursor=None, page_size=5)

    assert page["did_you_mean"] == "jacket"
    with django_assert_num_queries(0):
        again = selectors.list_products(filters=filters, ordering=None, cursor=None, page_size=5)
    assert again == page


# --- Query counts ----------------------------------------------------------------------------


def cold_queries(client, url: str, params: dict[str, Any]) -> int:
    clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries)


# Beyond what an empty page of cards reads (as `price_min` above every price lists it).
EMPTY_PAGE = (PRODUCTS_URL, {"price_min": "99999"})


@pytest.mark.parametrize(
    ("url", "params", "extra"),
    [
        # The search vocabulary.
        (PRODUCTS_URL, {"search": "qwxzv"}, 1),
        # And whether the corrected search ("jacket") finds anything among the boots.
        (PRODUCTS_URL, {"search": "jaket", "category": "boots"}, 2),
    ],
)
def test_a_search_that_finds_nothing_runs_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, shop, url, params, extra
):
    empty_page = cold_queries(api_client, *EMPTY_PAGE)
    few = cold_queries(api_client, url, params)
    category = make_category("More")
    for number in range(40):
        make_product(f"Boot Jacket {number}", category=category, description="Sneakers? Boots!")
    many = cold_queries(api_client, url, params)

    assert few == many == empty_page + extra
    with django_assert_num_queries(0):
        api_client.get(url, params)


@pytest.mark.parametrize("query", ["b", "bo", "sneek", "hik bo"])
def test_suggestions_run_a_fixed_number_of_queries(
    api_client, django_assert_num_queries, shop, query
):
    few = cold_queries(api_client, SUGGESTIONS_URL, {"q": query})
    category = make_category("More")
    for number in range(40):
        make_product(f"Boot Sneaker {number}", category=category)
    many = cold_queries(api_client, SUGGESTIONS_URL, {"q": query})

    # Categories, the search vocabulary, product names; discounts (when the answer expires).
    assert few == many == 4
    with django_assert_num_queries(0):
        api_client.get(SUGGESTIONS_URL, {"q": query})


# --- Suggestions -----------------------------------------------------------------------------


def test_suggestions_complete_word_beginnings_categories_first(api_client, shop):
    assert suggested(api_client, "boo") == [
        ("category", "Boots"),
        ("product", "Hiking Boots"),
        ("product", "Chelsea Boots"),
    ]
    # Names that start with the word come first, then shorter names.
    assert suggested(api_client, "s") == [
        ("category", "Shoes"),
        ("category", "Sneakers"),
        ("product", "Wool Socks"),
        ("product", "Running Shoes"),
        ("product", "Court Sneakers"),
    ]


def test_suggestions_need_every_word_and_forgive_typos(api_client, shop):
    assert suggested(api_client, "hik bo") == [("product", "Hiking Boots")]
    assert suggested(api_client, "  Chelsea   B ") == [("product", "Chelsea Boots")]
    assert suggested(api_client, "sneek") == [
        ("category", "Sneakers"),
        ("product", "Court Sneakers"),
    ]
    assert suggested(api_client, "bots") == [
        ("category", "Boots"),
        ("product", "Hiking Boots"),
        ("product", "Chelsea Boots"),
    ]
    assert suggested(api_client, "qwxz") == []
    assert suggested(api_client, "!!") == []


def test_a_suggestion_carries_a_slug_to_link_to(api_client, shop):
    response = api_client.get(SUGGESTIONS_URL, {"q": "chelsea"})
    assert response.json()["suggestions"] == [
        {"text": "Chelsea Boots", "kind": "product", "slug": "chelsea-boots"}
    ]
    response = api_client.get(SUGGESTIONS_URL, {"q": "boots"})
    assert response.json()["suggestions"][0] == {
        "text": "Boots",
        "kind": "category",
        "slug": shop["boots"].slug,
    }


def test_at_most_eight_suggestions_one_per_name(api_client, db):
    category = make_category("Lamps")
    for number in range(12):
        make_product(f"Lamp {number:02d}", category=category)
        make_product(f"Lamp {number:02d}", category=category)  # the same name twice

    found = suggested(api_client, "lamp")

    assert found == [("category", "Lamps")] + [
        ("product", f"Lamp {number:02d}") for number in range(7)
    ]


def test_suggestions_are_public_cached_and_follow_catalog_writes(
    api_client, shop, django_capture_on_commit_callbacks
):
    response = api_client.get(SUGGESTIONS_URL, {"q": "trench"})
    assert response.json()["suggestions"] == []
    assert "public" in response["Cache-Control"]

    with django_capture_on_commit_callbacks(execute=True):  # the write bumps the version
        make_product("Trench Coat", category=shop["boots"])

    assert suggested(api_client, "trench") == [("product", "Trench Coat")]


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "   "}, "q"), ({"q": "b" * 101}, "q")],
    ids=["missing", "empty", "blank", "too long"],
)
def test_a_missing_empty_or_too_long_query_is_a_400_problem(api_client, db, params, field):
    assert_problem(api_client.get(SUGGESTIONS_URL, params), 400, "validation_error", field=field)


def test_suggestions_are_read_only(api_client, db):
    assert api_client.post(SUGGESTIONS_URL, {"q": "boo"}).status_code == 401
    assert staff_client().post(SUGGESTIONS_URL, {"q": "boo"}).status_code == 405


def test_the_search_list_documents_did_you_mean_and_the_suggestions(api_client, db):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    page = schema["components"]["schemas"]["ProductPage"]
    assert page["properties"]["did_you_mean"]["nullable"] is True
    operation = schema["paths"]["/api/v1/products/suggestions/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["q"]
