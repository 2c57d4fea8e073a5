"""The wishlist API: authentication, its contract, whose items are whose, errors, query counts."""

from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.core.tests.helpers import assert_problem, client_for
from apps.users.models import User
from apps.users.tests.factories import UserFactory
from apps.wishlist import services
from apps.wishlist.models import WishlistItem
from apps.wishlist.tests.helpers import deactivate, for_sale, saved_slugs

pytestmark = pytest.mark.django_db

WISHLIST_URL = "/api/v1/wishlist/"
CARD_FIELDS = {
    "id",
    "slug",
    "name",
    "category",
    "tags",
    "is_featured",
    "price",
    "price_varies",
    "list_price",
    "compare_at_price",
    "discount_percent",
    "currency",
    "in_stock",
    "average_rating",
    "review_count",
    "created_at",
    "image",
}
# GET with warm caches: the JWT's user, the wishlist's items, their product cards.
WISHLIST_QUERIES = 3


def item_url(slug: str) -> str:
    return f"{WISHLIST_URL}{slug}/"


def save(client: APIClient, slug: Any) -> Any:
    return client.post(WISHLIST_URL, {"product": slug}, format="json")


def listed(client: APIClient) -> list[str]:
    response = client.get(WISHLIST_URL)
    assert response.status_code == 200, response.content
    return [item["product"]["slug"] for item in response.json()["results"]]


# --- Authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", WISHLIST_URL, None),
        ("post", WISHLIST_URL, {"product": "desk-lamp"}),
        ("delete", item_url("desk-lamp"), None),
    ],
    ids=["list", "save", "remove"],
)
def test_anonymous_callers_are_asked_to_authenticate_and_change_nothing(
    api_client: APIClient, user: User, method: str, url: str, body: Any
) -> None:
    for_sale(slug="desk-lamp")
    services.save_for_later(user=user, slug="desk-lamp")

    response = getattr(api_client, method)(url, body, format="json")

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert WishlistItem.objects.count() == 1


def test_a_bad_token_is_refused(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get(WISHLIST_URL)

    assert response.status_code == 401
    assert response.json()["status"] == 401


# --- Saving and the shapes ------------------------------------------------------------------


def test_saving_answers_201_with_the_card_then_200_with_the_same_save(
    auth_client: APIClient, user: User
) -> None:
    lamp = for_sale(slug="desk-lamp", name="Desk lamp", is_featured=True)

    created = save(auth_client, "desk-lamp")

    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"product", "saved_at"}
    card = body["product"]
    assert set(card) == CARD_FIELDS
    assert card["id"] == str(lamp.pk)
    assert card["slug"] == "desk-lamp"
    assert card["name"] == "Desk lamp"
    assert card["category"] == {"slug": lamp.category.slug, "name": lamp.category.name}
    assert card["price"] == "19.99"
    assert card["list_price"] == "19.99"
    assert card["currency"] == "EUR"
    assert card["in_stock"] is True
    assert card["is_featured"] is True
    item = WishlistItem.objects.get(user=user)
    assert item.product_id == lamp.pk
    assert datetime.fromisoformat(body["saved_at"]) == item.saved_at

    again = save(auth_client, "desk-lamp")

    assert again.status_code == 200, again.content
    assert again.json() == body
    assert WishlistItem.objects.count() == 1


def test_the_list_answers_count_and_cards_newest_first(auth_client: APIClient, user: User) -> None:
    for slug in ["one", "two", "three"]:
        for_sale(slug=slug, name=f"Product {slug}")
    saved = [save(auth_client, slug).json() for slug in ["one", "two", "three"]]

    response = auth_client.get(WISHLIST_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"count", "results"}
    assert body["count"] == 3
    assert body["results"] == saved[::-1]
    assert all(set(item["product"]) == CARD_FIELDS for item in body["results"])


def test_an_empty_wishlist_is_an_empty_list(auth_client: APIClient) -> None:
    response = auth_client.get(WISHLIST_URL)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "results": []}


def test_a_product_hidden_after_saving_is_left_out_and_not_counted(
    auth_client: APIClient, user: User
) -> None:
    lamp = for_sale(slug="desk-lamp")
    for_sale(slug="chair")
    save(auth_client, "desk-lamp")
    save(auth_client, "chair")

    deactivate(lamp)

    body = auth_client.get(WISHLIST_URL).json()
    assert body["count"] == 1
    assert [item["product"]["slug"] for item in body["results"]] == ["chair"]
    # Still stored, and the customer can still take it off.
    assert auth_client.delete(item_url("desk-lamp")).status_code == 204
    assert saved_slugs(user) == {"chair"}


# --- Whose items ----------------------------------------------------------------------------


def test_each_customer_sees_and_removes_only_their_own_items() -> None:
    for slug in ["lamp-of-a", "chair-of-b"]:
        for_sale(slug=slug)
    ada, bob = UserFactory.create(), UserFactory.create()
    as_ada, as_bob = client_for(ada), client_for(bob)
    assert save(as_ada, "lamp-of-a").status_code == 201
    assert save(as_bob, "chair-of-b").status_code == 201

    assert listed(as_ada) == ["lamp-of-a"]
    assert listed(as_bob) == ["chair-of-b"]

    response = as_bob.delete(item_url("lamp-of-a"))

    assert_problem(response, 404, "not_in_wishlist")
    assert saved_slugs(ada) == {"lamp-of-a"}
    assert listed(as_ada) == ["lamp-of-a"]


def test_saving_a_product_another_customer_saved_is_new_for_this_one() -> None:
    for_sale(slug="desk-lamp")
    ada, bob = UserFactory.create(), UserFactory.create()
    assert save(client_for(ada), "desk-lamp").status_code == 201

    assert save(client_for(bob), "desk-lamp").status_code == 201
    assert saved_slugs(ada) == saved_slugs(bob) == {"desk-lamp"}


# --- Errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, {"product": ""}, {"product": "not a slug!"}, {"product": None}, {"product": ["a", "b"]}],
    ids=["missing", "empty", "not-a-slug", "null", "list"],
)
def test_saving_without_a_valid_slug_is_a_validation_problem(
    auth_client: APIClient, body: dict[str, Any]
) -> None:
    for_sale(slug="desk-lamp")

    response = auth_client.post(WISHLIST_URL, body, format="json")

    problem = assert_problem(response, 400, "validation_error", field="product")
    assert problem["errors"][0]["detail"]
    assert not WishlistItem.objects.exists()


def test_saving_an_unknown_product_is_not_found(auth_client: APIClient) -> None:
    for_sale(slug="desk-lamp")

    problem = assert_problem(save(auth_client, "no-such-lamp"), 404, "not_found")

    assert "no-such-lamp" in problem["detail"]
    assert not WishlistItem.objects.exists()


def test_saving_a_hidden_product_is_not_found(auth_client: APIClient) -> None:
    deactivate(for_sale(slug="desk-lamp"))

    assert_problem(save(auth_client, "desk-lamp"), 404, "not_found")
    assert not WishlistItem.objects.exists()


def test_a_full_wishlist_is_a_409_and_keeps_what_it_holds(
    auth_client: APIClient, user: User, settings: Any
) -> None:
    settings.WISHLIST_MAX_ITEMS = 2
    for slug in ["one", "two", "three"]:
        for_sale(slug=slug)
    assert save(auth_client, "one").status_code == 201
    assert save(auth_client, "two").status_code == 201

    problem = assert_problem(save(auth_client, "three"), 409, "wishlist_full")

    assert "2" in problem["detail"]
    assert saved_slugs(user) == {"one", "two"}
    # A product saved already is still answered, full or not.
    assert save(auth_client, "one").status_code == 200


def test_removing_answers_204_then_not_in_wishlist(auth_client: APIClient, user: User) -> None:
    for_sale(slug="desk-lamp")
    for_sale(slug="chair")
    save(auth_client, "desk-lamp")
    save(auth_client, "chair")

    removed = auth_client.delete(item_url("desk-lamp"))

    assert removed.status_code == 204
    assert removed.content == b""
    assert saved_slugs(user) == {"chair"}
    assert listed(auth_client) == ["chair"]

    again = assert_problem(auth_client.delete(item_url("desk-lamp")), 404, "not_in_wishlist")
    assert "desk-lamp" in again["detail"]
    assert_problem(auth_client.delete(item_url("no-such-lamp")), 404, "not_in_wishlist")
    assert saved_slugs(user) == {"chair"}


@pytest.mark.parametrize(
    ("method", "url"),
    [("put", WISHLIST_URL), ("patch", WISHLIST_URL), ("get", item_url("desk-lamp"))],
)
def test_other_methods_are_not_allowed(auth_client: APIClient, method: str, url: str) -> None:
    for_sale(slug="desk-lamp")

    response = getattr(auth_client, method)(url, {"product": "desk-lamp"}, format="json")

    assert_problem(response, 405, "method_not_allowed")
    assert not WishlistItem.objects.exists()


# --- Query counts ---------------------------------------------------------------------------


def count_queries(client: APIClient, *, expected_items: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(WISHLIST_URL)
    assert response.status_code == 200, response.content
    assert response.json()["count"] == expected_items
    return len(queries)


def test_listing_runs_the_same_few_queries_for_1_or_5_items(
    auth_client: APIClient, user: User
) -> None:
    # Every product exists before the caches are warm: a new category would bump the catalog.
    slugs = [f"product-{n}" for n in range(5)]
    for slug in slugs:
        for_sale(slug=slug)
    services.save_for_later(user=user, slug=slugs[0])
    auth_client.get(WISHLIST_URL)  # warms the discounts and visible categories

    one = count_queries(auth_client, expected_items=1)
    for slug in slugs[1:]:
        services.save_for_later(user=user, slug=slug)
    five = count_queries(auth_client, expected_items=5)

    assert one == five == WISHLIST_QUERIES


# --- Documentation --------------------------------------------------------------------------


def test_the_schema_documents_the_wishlist(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert set(schema["paths"]["/api/v1/wishlist/"]) >= {"get", "post"}
    assert "delete" in schema["paths"]["/api/v1/wishlist/{slug}/"]
    save_operation = schema["paths"]["/api/v1/wishlist/"]["post"]
    assert {"200", "201"} <= set(save_operation["responses"])
    assert "WishlistItem" in schema["components"]["schemas"]
