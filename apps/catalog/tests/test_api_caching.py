"""The catalog cache and HTTP caching: warm reads, invalidation by every kind of write, discount
windows that expire cached answers on their own, ETag/304, and a cache outage.

Catalog writes bump the cache version when their transaction commits. Tests run inside a
transaction that never commits, so every write here (through the API or the ORM) is wrapped in
`django_capture_on_commit_callbacks(execute=True)`, which runs the commit callbacks.
"""

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from redis.client import Pipeline
from rest_framework.test import APIClient

from apps.catalog import services
from apps.catalog.cache import VERSION_KEY, process_responses, response_key
from apps.catalog.models import Category, Product, ProductVariant, Tag
from apps.catalog.tests.test_api_support import (
    BULK_URL,
    CATEGORIES_URL,
    DISCOUNTS_URL,
    FEATURED_URL,
    PRODUCTS_URL,
    TAGS_URL,
    UNREACHABLE_REDIS,
    category_url,
    client_for,
    customer_client,
    make_category,
    make_product,
    product_url,
    rate,
    reviews_url,
    staff_client,
    tag_url,
    variant,
    variant_url,
    variants_url,
)
from apps.catalog.views import CatalogView
from apps.core import throttling
from apps.core.tests.helpers import assert_problem
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def shop(db) -> dict[str, Any]:
    home = make_category("Home")
    lighting = make_category("Lighting", parent=home)
    warm = services.create_tag(name="Warm")
    lamp = make_product(
        "Lamp",
        category=lighting,
        variants=[variant("LAMP-1", price="20.00"), variant("LAMP-2", price="30.00")],
        tags=[warm],
        is_featured=True,
    )
    rate(lamp, 4)
    return {"home": home, "lighting": lighting, "warm": warm, "lamp": lamp}


def find_card(client, slug: str = "lamp") -> dict[str, Any] | None:
    """Return the product's card from the first page of the product list, if it is there."""
    response = client.get(PRODUCTS_URL)
    assert response.status_code == 200
    return next((c for c in response.json()["results"] if c["slug"] == slug), None)


def card(client, slug: str = "lamp") -> dict[str, Any]:
    found = find_card(client, slug)
    assert found is not None
    return found


# --- Warm reads and invalidation ------------------------------------------------------------


def test_a_warm_read_is_served_from_the_cache_until_a_write_commits(
    api_client, shop, django_assert_num_queries, django_capture_on_commit_callbacks
):
    assert card(api_client)["name"] == "Lamp"
    with django_assert_num_queries(0):
        assert card(api_client)["name"] == "Lamp"

    # A raw UPDATE sends no signal and bumps nothing: the cached answer stands...
    Product.objects.filter(slug="lamp").update(name="Desk lamp")
    assert card(api_client)["name"] == "Lamp"
    # ...until a write commits, whatever it touched.
    with django_capture_on_commit_callbacks(execute=True):
        services.create_tag(name="Unrelated")
    assert card(api_client)["name"] == "Desk lamp"


@pytest.mark.parametrize("path", [PRODUCTS_URL, f"{PRODUCTS_URL}?ordering=price", "lamp"])
def test_a_repeated_read_is_the_stored_rendered_answer_until_a_write_commits(
    api_client, shop, path, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = product_url(path) if path == "lamp" else path
    first = api_client.get(url)
    with django_assert_num_queries(0):
        again = api_client.get(url)

    assert again.status_code == first.status_code == 200
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again.content == first.content
    with django_capture_on_commit_callbacks(execute=True):
        services.update_product(product=shop["lamp"], name="Desk Lamp")
    assert b"Desk Lamp" in api_client.get(url).content


def test_a_refused_read_is_not_stored(api_client, shop):
    for _ in range(2):
        assert api_client.get(f"{PRODUCTS_URL}?ordering=colour").status_code == 400
        assert api_client.get(product_url("no-such-lamp")).status_code == 404
    assert not [key for key in _catalog_ttls() if ":response:" in key]


def test_made_up_parameters_are_answered_but_not_stored(api_client, shop):
    for n in range(2):
        response = api_client.get(f"{PRODUCTS_URL}?utm_source=mail-{n}")
        assert response.status_code == 200
        assert [c["slug"] for c in response.json()["results"]] == ["lamp"]
    assert not [key for key in _catalog_ttls() if ":response:" in key]


def _api(method: str, url: str, body: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    def write(shop: dict[str, Any]) -> Any:
        response = getattr(staff_client(), method)(url, body, format="json")
        assert response.status_code < 300, response.content
        return response

    return write


def _review(shop: dict[str, Any]) -> None:
    response = customer_client().post(reviews_url("lamp"), {"rating": 1}, format="json")
    assert response.status_code == 201, response.content


def _orm_rename(shop: dict[str, Any]) -> None:
    lamp = Product.objects.get(slug="lamp")
    lamp.name = "Table Lamp"
    lamp.save()


def _orm_price(shop: dict[str, Any]) -> None:
    lamp_1 = ProductVariant.objects.get(sku="LAMP-1")
    lamp_1.price = Decimal("15.00")
    lamp_1.save()


def _orm_deactivate_category(shop: dict[str, Any]) -> None:
    home = Category.objects.get(slug="home")
    home.is_active = False
    home.save()


def _orm_tag(shop: dict[str, Any]) -> None:
    shop["lamp"].tags.add(Tag.objects.create(name="Bright", slug="bright"))


def _orm_delete(shop: dict[str, Any]) -> None:
    Product.objects.get(slug="lamp").delete()


def _orm_hide_review(shop: dict[str, Any]) -> None:
    review = shop["lamp"].reviews.get()
    review.is_visible = False
    review.save()


def _read_card(field: str) -> Callable[[Any], Any]:
    def read(client: Any) -> Any:
        found = find_card(client)
        return found and found[field]

    return read


def _read_detail(field: str) -> Callable[[Any], Any]:
    def read(client: Any) -> Any:
        response = client.get(product_url("lamp"))
        return response.json()[field] if response.status_code == 200 else response.status_code

    return read


def _read_list(url: str, field: str = "name") -> Callable[[Any], Any]:
    def read(client: Any) -> Any:
        body = client.get(url).json()
        items = body["results"] if isinstance(body, dict) else body
        return [item[field] for item in items]

    return read


# name → (write, read, answer before, answer after)
WRITES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any], Any, Any]] = {
    "product renamed over the API": (
        _api("patch", product_url("lamp"), {"name": "Desk Lamp"}),
        _read_card("name"),
        "Lamp",
        "Desk Lamp",
    ),
    "product hidden over the API": (
        _api("patch", product_url("lamp"), {"is_active": False}),
        _read_detail("name"),
        "Lamp",
        404,
    ),
    "product deleted over the API": (
        _api("delete", product_url("lamp")),
        _read_list(FEATURED_URL, "slug"),
        ["lamp"],
        [],
    ),
    "variant price changed over the API": (
        _api("patch", variant_url("lamp", "LAMP-1"), {"price": "12.50"}),
        _read_card("price"),
        "20.00",
        "12.50",
    ),
    "variant added over the API": (
        _api("post", variants_url("lamp"), {"sku": "LAMP-0", "price": "9.99"}),
        _read_detail("price"),
        "20.00",
        "9.99",
    ),
    "variant deleted over the API": (
        _api("delete", variant_url("lamp", "LAMP-1")),
        _read_card("price"),
        "20.00",
        "30.00",
    ),
    "bulk update": (
        _api("post", BULK_URL, {"changes": [{"sku": "LAMP-1", "price": "25.00", "stock": 0}]}),
        _read_detail("variants"),
        [("LAMP-1", "20.00", True), ("LAMP-2", "30.00", True)],
        [("LAMP-1", "25.00", False), ("LAMP-2", "30.00", True)],
    ),
    "discount created": (
        _api("post", DISCOUNTS_URL, {"name": "Sale", "percent": "50", "category": "home"}),
        _read_card("price"),
        "20.00",
        "10.00",
    ),
    "review created": (_review, _read_card("review_count"), 1, 2),
    "tag renamed": (
        _api("patch", tag_url("warm"), {"name": "Cosy"}),
        _read_list(TAGS_URL),
        ["Warm"],
        ["Cosy"],
    ),
    "tag created": (
        _api("post", TAGS_URL, {"name": "Cosy"}),
        _read_list(TAGS_URL),
        ["Warm"],
        ["Cosy", "Warm"],
    ),
    "category renamed": (
        _api("patch", category_url("lighting"), {"name": "Lights"}),
        _read_detail("breadcrumbs"),
        [{"slug": "home", "name": "Home"}, {"slug": "lighting", "name": "Lighting"}],
        [{"slug": "home", "name": "Home"}, {"slug": "lighting", "name": "Lights"}],
    ),
    "category created": (
        _api("post", CATEGORIES_URL, {"name": "Garden"}),
        _read_list(CATEGORIES_URL, "slug"),
        ["home", "lighting"],
        ["garden", "home", "lighting"],
    ),
    "category hidden": (
        _api("patch", category_url("lighting"), {"is_active": False}),
        _read_card("slug"),
        "lamp",
        None,
    ),
    "product renamed with the ORM": (_orm_rename, _read_detail("name"), "Lamp", "Table Lamp"),
    "variant price saved with the ORM": (_orm_price, _read_card("price"), "20.00", "15.00"),
    "parent category hidden with the ORM": (
        _orm_deactivate_category,
        _read_list(CATEGORIES_URL, "slug"),
        ["home", "lighting"],
        [],
    ),
    "tag added with the ORM": (_orm_tag, _read_card("tags"), ["warm"], ["bright", "warm"]),
    "product deleted with the ORM": (_orm_delete, _read_card("slug"), "lamp", None),
    "review hidden with the ORM": (_orm_hide_review, _read_card("average_rating"), 4.0, None),
}


def _comparable(answer: Any) -> Any:
    if isinstance(answer, list) and answer and isinstance(answer[0], dict) and "sku" in answer[0]:
        return [(v["sku"], v["price"], v["in_stock"]) for v in answer]
    return answer


@pytest.mark.parametrize("name", WRITES)
def test_the_next_read_after_a_write_shows_it(
    api_client, shop, django_assert_num_queries, django_capture_on_commit_callbacks, name
):
    write, read, before, after = WRITES[name]
    assert _comparable(read(api_client)) == before
    with django_assert_num_queries(0):
        assert _comparable(read(api_client)) == before  # cached

    with django_capture_on_commit_callbacks(execute=True):
        write(shop)

    assert _comparable(read(api_client)) == after


def test_a_refused_write_does_not_invalidate_the_cache(
    api_client, shop, django_assert_num_queries, django_capture_on_commit_callbacks
):
    card(api_client)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff_client().post(BULK_URL, {"changes": [{"sku": "NOPE", "stock": 1}]})
    assert_problem(response, 400, "unknown_sku")

    assert callbacks == []
    with django_assert_num_queries(0):
        card(api_client)


# --- Discount windows -----------------------------------------------------------------------


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def test_a_cached_price_changes_when_a_discount_starts_and_ends_without_any_write(
    api_client, shop, settings, frozen, django_assert_num_queries
):
    # Local memory, whose entries expire on the (frozen) clock the test moves.
    settings.CACHES = LOCAL_MEMORY
    services.create_discount(
        name="Flash",
        percent=Decimal(25),
        product=shop["lamp"],
        starts_at=T0 + timedelta(minutes=2),
        ends_at=T0 + timedelta(minutes=5),
    )

    def prices() -> tuple[str, str, str]:
        detail = api_client.get(product_url("lamp")).json()
        featured = api_client.get(FEATURED_URL).json()[0]
        return card(api_client)["price"], detail["variants"][0]["price"], featured["price"]

    assert prices() == ("20.00", "20.00", "20.00")
    frozen.move_to(T0 + timedelta(minutes=1, seconds=59), tick=False)
    with django_assert_num_queries(0):
        assert prices() == ("20.00", "20.00", "20.00")
    frozen.move_to(T0 + timedelta(minutes=2), tick=False)
    assert prices() == ("15.00", "15.00", "15.00")
    frozen.move_to(T0 + timedelta(minutes=4, seconds=59), tick=False)
    with django_assert_num_queries(0):
        assert prices() == ("15.00", "15.00", "15.00")
    frozen.move_to(T0 + timedelta(minutes=5), tick=False)
    assert prices() == ("20.00", "20.00", "20.00")


def _catalog_ttls() -> dict[str, float]:
    """Return the seconds each stored catalog answer has left to live, by key."""
    if hasattr(cache, "ttl"):  # django-redis
        keys = [
            key
            for pattern in ("catalog:v*", "catalog:response:*")
            for key in cache.keys(pattern)  # type: ignore[attr-defined]
            if key != VERSION_KEY
        ]
        return {key: cache.ttl(key) for key in keys}
    expiries = cache._expire_info  # type: ignore[attr-defined]  # local memory
    return {
        key: at - time.time()
        for key, at in expiries.items()
        if (":catalog:v" in key or ":catalog:response:" in key) and not key.endswith(VERSION_KEY)
    }


def test_cached_answers_expire_no_later_than_the_next_discount_boundary(api_client, shop, frozen):
    services.create_discount(
        name="Soon",
        percent=Decimal(10),
        category=shop["home"],
        starts_at=T0 + timedelta(seconds=90),
    )

    api_client.get(PRODUCTS_URL)
    api_client.get(product_url("lamp"))
    api_client.get(FEATURED_URL)
    api_client.get(TAGS_URL)

    ttls = _catalog_ttls()
    tags_answer = response_key("json", f"http://testserver{TAGS_URL}", "application/json")
    unpriced_keys = (":category-rows:", ":tags:", tags_answer)
    priced = {k: ttl for k, ttl in ttls.items() if not any(u in k for u in unpriced_keys)}
    # discounts, products, product, featured, and the products, product and featured answers
    assert len(priced) == 7
    assert all(0 < ttl <= 90 for ttl in priced.values()), priced
    # the category rows, the tags and the tags answer
    unpriced = [ttl for key, ttl in ttls.items() if key not in priced]
    assert len(unpriced) == 3
    assert all(90 < ttl <= 600 for ttl in unpriced), ttls


# --- HTTP caching ---------------------------------------------------------------------------


PUBLIC_PATHS = [
    CATEGORIES_URL,
    category_url("home"),
    TAGS_URL,
    PRODUCTS_URL,
    FEATURED_URL,
    product_url("lamp"),
    reviews_url("lamp"),
]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_an_anonymous_read_may_be_kept_by_shared_caches_and_revalidated(api_client, shop, path):
    response = api_client.get(path)

    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=60"}
    assert {"Authorization", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    etag = response["ETag"]
    assert etag

    again = api_client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    other = api_client.get(path, HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200
    assert other.content == response.content


def test_the_etag_changes_with_the_answer(api_client, shop, django_capture_on_commit_callbacks):
    first = api_client.get(PRODUCTS_URL)

    with django_capture_on_commit_callbacks(execute=True):
        services.update_product(product=shop["lamp"], name="Desk Lamp")

    changed = api_client.get(PRODUCTS_URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert changed.json()["results"][0]["name"] == "Desk Lamp"


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_a_signed_in_read_is_private(shop, path):
    response = client_for(UserFactory.create()).get(path)

    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "private" in directives
    assert "public" not in directives
    assert not any(d.startswith("max-age") and d != "max-age=0" for d in directives)


def test_errors_and_writes_are_not_marked_publicly_cacheable(api_client, shop):
    missing = api_client.get(product_url("nothing"))
    refused = api_client.post(PRODUCTS_URL, {})
    written = staff_client().post(TAGS_URL, {"name": "New"})

    for response in (missing, refused, written):
        assert "public" not in response.get("Cache-Control", "")


# --- Anonymous answers served before DRF ---------------------------------------------------


def _anon_rate(settings: Any, value: str) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": value}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def _count_drf_runs(monkeypatch) -> list[str]:
    """Record each request that reaches DRF's `initial` (authentication, throttles, ...)."""
    runs: list[str] = []
    initial = CatalogView.initial

    def recording(self: CatalogView, request: Any, *args: Any, **kwargs: Any) -> None:
        runs.append(request.path)
        initial(self, request, *args, **kwargs)

    monkeypatch.setattr(CatalogView, "initial", recording)
    return runs


@pytest.mark.parametrize("path", [PRODUCTS_URL, "lamp", FEATURED_URL, TAGS_URL, CATEGORIES_URL])
def test_an_anonymous_repeat_is_answered_before_drf_with_the_same_headers(
    api_client, shop, path, monkeypatch, django_assert_num_queries
):
    url = product_url(path) if path == "lamp" else path
    first = api_client.get(url)
    runs = _count_drf_runs(monkeypatch)

    with django_assert_num_queries(0):
        again = api_client.get(url)

    assert runs == []
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    for header in ("Content-Type", "Allow", "Cache-Control", "Vary", "ETag"):
        assert again[header] == first[header], header
    assert api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def _redis_trips(monkeypatch) -> list[str]:
    """Record each round trip to Redis: a pipeline (with its size) or a single command."""
    client = throttling._redis_client()
    if client is None:
        pytest.skip("the cache is not Redis here; CI runs this on Redis")
    trips: list[str] = []
    execute, command = Pipeline.execute, type(client).execute_command

    def counting_execute(pipe: Pipeline, *args: Any, **kwargs: Any) -> Any:
        trips.append(f"pipeline of {len(pipe.command_stack)}")
        return execute(pipe, *args, **kwargs)

    def single(redis: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(f"command {args[0]}")
        return command(redis, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counting_execute)
    monkeypatch.setattr(type(client), "execute_command", single)
    return trips


def test_on_redis_an_anonymous_repeat_is_one_round_trip(api_client, shop, monkeypatch):
    api_client.get(PRODUCTS_URL)
    trips = _redis_trips(monkeypatch)

    answer = api_client.get(PRODUCTS_URL)

    assert answer.status_code == 200
    # The throttle's INCR, EXPIRE and GET, and the catalog version: the answer itself is the
    # copy this process kept, current since the version is the one it was made under.
    assert trips == ["pipeline of 4"]


def test_another_process_reads_the_stored_answer_in_the_same_round_trip(
    api_client, shop, monkeypatch, django_assert_num_queries
):
    first = api_client.get(PRODUCTS_URL)
    process_responses.clear()  # as a worker that has not served it yet
    trips = _redis_trips(monkeypatch)

    with django_assert_num_queries(0):
        again = api_client.get(PRODUCTS_URL)

    assert again.content == first.content
    assert trips == ["pipeline of 5"]  # ... and the stored answer


def test_a_copy_held_in_the_process_is_not_served_after_a_write_or_a_cache_flush(
    api_client, shop, django_capture_on_commit_callbacks
):
    assert card(api_client)["name"] == "Lamp"

    with django_capture_on_commit_callbacks(execute=True):
        services.update_product(product=shop["lamp"], name="Desk lamp")
    assert card(api_client)["name"] == "Desk lamp"

    # A flush (Redis keeps nothing on disk) starts the version again: never at an old number.
    Product.objects.filter(slug="lamp").update(name="Floor lamp")  # no signal, no bump
    cache.clear()
    assert card(api_client)["name"] == "Floor lamp"


def test_with_no_copies_kept_each_repeat_reads_the_stored_answer(
    api_client, shop, settings, monkeypatch
):
    settings.CATALOG_LOCAL_RESPONSES = 0
    first = api_client.get(PRODUCTS_URL)
    trips = _redis_trips(monkeypatch)

    again = api_client.get(PRODUCTS_URL)

    assert again.content == first.content
    assert trips == ["pipeline of 5"]


def test_answers_served_before_drf_are_throttled_and_counted_once(api_client, shop, settings):
    _anon_rate(settings, "3/min")

    answers = [api_client.get(PRODUCTS_URL) for _ in range(4)]

    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert_problem(answers[3], 429, "throttled")
    assert 1 <= int(answers[3]["Retry-After"]) <= 60
    assert "public" not in answers[3].get("Cache-Control", "")


def test_signed_in_clients_sessions_and_other_media_types_go_through_drf(
    api_client, shop, monkeypatch, settings
):
    plain = api_client.get(PRODUCTS_URL)  # stored
    runs = _count_drf_runs(monkeypatch)

    signed_in = client_for(UserFactory.create()).get(PRODUCTS_URL)
    with_session = APIClient()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
    from_session = with_session.get(PRODUCTS_URL)
    indented = api_client.get(PRODUCTS_URL, HTTP_ACCEPT="application/json; indent=4")

    assert len(runs) == 3
    assert signed_in.content == from_session.content == plain.content
    assert "private" in signed_in["Cache-Control"]
    assert indented.status_code == 200
    assert indented.content != plain.content
    assert json.loads(indented.content) == plain.json()
    assert b'\n    "' in indented.content


# --- A cache outage -------------------------------------------------------------------------


def test_reads_and_writes_still_work_when_the_cache_is_unreachable(
    api_client, shop, settings, django_capture_on_commit_callbacks
):
    expected = {path: api_client.get(path).json() for path in PUBLIC_PATHS}
    filtered = api_client.get(PRODUCTS_URL, {"category": "home", "tag": "warm"}).json()

    settings.CACHES = UNREACHABLE_REDIS
    assert cache.get("catalog:version") is None  # really unreachable

    for path in PUBLIC_PATHS:
        response = api_client.get(path)
        assert response.status_code == 200, (path, response.content)
        assert response.json() == expected[path]
    assert api_client.get(PRODUCTS_URL, {"category": "home", "tag": "warm"}).json() == filtered
    # Signed-in reads (last-seen stamps and user throttles use the cache too) and writes.
    assert client_for(UserFactory.create()).get(PRODUCTS_URL).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        created = staff_client().post(
            PRODUCTS_URL, {"name": "Bulb", "category": "home", "sku": "BULB", "price": "3.00"}
        )
    assert created.status_code == 201, created.content
    # With no cache, the next read comes straight from the database.
    assert "bulb" in [c["slug"] for c in api_client.get(PRODUCTS_URL).json()["results"]]
    assert api_client.get(product_url("bulb")).json()["price"] == "3.00"
