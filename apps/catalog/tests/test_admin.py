"""The catalog back office: lists, search, filters, forms, bulk actions and protected deletes."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.catalog.admin import INDENT, DiscountAdmin, category_depths
from apps.catalog.cache import get_catalog_version
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.core.permissions import CATALOG_MANAGERS, ORDER_MANAGERS, SUPPORT
from apps.core.tests.roles import admin_client_for, staff_with_role
from apps.users.tests.factories import SuperUserFactory, UserFactory

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def url(model: str, view: str = "changelist", *args) -> str:
    return reverse(f"admin:catalog_{model}_{view}", args=args)


def make_category(name: str | None = None, **fields) -> Category:
    n = next(_serial)
    name = name or f"Category {n}"
    return Category.objects.create(name=name, slug=f"category-{n}", **fields)


def make_product(
    name: str | None = None,
    *,
    category: Category,
    variants: list[dict] | None = None,
    **fields,
) -> Product:
    """Create a product and its variants (each a dict of overrides: sku, price, stock, …)."""
    n = next(_serial)
    product = Product.objects.create(
        name=name or f"Product {n}", slug=f"product-{n}", category=category, **fields
    )
    for position, overrides in enumerate(variants or []):
        data = {"sku": f"SKU-{n}-{position}", "price": Decimal("10.00"), "stock": 10}
        ProductVariant.objects.create(product=product, position=position, **data | overrides)
    return product


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def listed_names(response) -> set[str]:
    return {str(obj.name) for obj in listed(response)}


def catalog_version() -> int:
    version = get_catalog_version()
    assert version is not None, "the test cache is unreachable"
    return version


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def superuser():
    return SuperUserFactory.create(email="boss@example.com")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def shop():
    """A little catalog: two categories, products in every stock situation."""
    clothing = make_category("Clothing")
    books = make_category("Books", position=1)
    products = {
        "plenty": make_product("Plenty Tee", category=clothing, variants=[{"stock": 50}]),
        "low": make_product(
            "Low Hoodie",
            category=clothing,
            is_featured=True,
            variants=[{"stock": 3}, {"stock": 40}],
        ),
        "sold-out": make_product("Sold Out Socks", category=clothing, variants=[{"stock": 0}]),
        "inactive-variant": make_product(
            "Archived Cap", category=clothing, variants=[{"stock": 100, "is_active": False}]
        ),
        "no-variants": make_product("Draft Scarf", category=books, is_active=False),
        "novel": make_product(
            "Novel", category=books, is_featured=True, variants=[{"stock": 5}, {"stock": 9}]
        ),
    }
    return {"clothing": clothing, "books": books, **products}


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["product", "category", "tag", "discount", "review"])
def test_back_office_is_closed_to_customers(client, model):
    client.force_login(UserFactory.create())

    response = client.get(url(model))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", ["product", "category", "tag", "discount", "review"])
def test_back_office_is_closed_to_anonymous_visitors(client, model):
    response = client.get(url(model))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- Query counts ---------------------------------------------------------------------------


def populate(count: int) -> None:
    """Add `count` rows to every catalog table, with the relations each list page shows."""
    parent = make_category()
    for i in range(count):
        category = make_category(parent=parent if i % 2 else None)
        tag = Tag.objects.create(name=f"Tag {next(_serial)}", slug=f"tag-{next(_serial)}")
        product = make_product(
            category=category, variants=[{"stock": i % 4}, {"price": Decimal("4.50")}]
        )
        product.tags.add(tag)
        Discount.objects.create(
            name=f"Sale {i}",
            percent=Decimal("10"),
            product=product if i % 2 else None,
            category=None if i % 2 else category,
            starts_at=timezone.now() - timedelta(days=1),
        )
        Review.objects.create(product=product, user=UserFactory.create(), rating=1 + i % 5)


def changelist_queries(client, page: str, params: dict) -> tuple[int, int]:
    """Return (queries run, rows listed) for one changelist request."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page, params)
    return len(queries), len(listed(response))


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("product", {}),
        ("product", {"q": "SKU"}),
        ("product", {"stock": "low", "is_active__exact": "1"}),
        ("product", {"o": "-5"}),  # ordered by an annotation: total stock
        ("category", {}),
        ("category", {"q": "category"}),
        ("tag", {}),
        ("discount", {}),
        ("discount", {"target": "product"}),
        ("review", {}),
        ("review", {"q": "example.com"}),
    ],
)
def test_changelist_runs_a_fixed_number_of_queries(admin_client, model, params):
    populate(3)
    admin_client.get(url(model), params)  # warm up once-per-session work (last seen, …)
    small, small_rows = changelist_queries(admin_client, url(model), params)

    populate(27)
    large, large_rows = changelist_queries(admin_client, url(model), params)

    assert large_rows > small_rows > 0
    assert large == small


# --- Products -------------------------------------------------------------------------------


def test_product_changelist_shows_variant_totals(admin_client, shop):
    response = admin_client.get(url("product"))

    by_name = {product.name: product for product in listed(response)}
    low = by_name["Low Hoodie"]
    assert (low.variant_count, low.total_stock, low.cheapest_price) == (2, 43, Decimal("10.00"))
    archived = by_name["Archived Cap"]  # inactive variants are counted but not sold
    assert (archived.variant_count, archived.total_stock, archived.cheapest_price) == (1, 0, None)
    draft = by_name["Draft Scarf"]
    assert (draft.variant_count, draft.total_stock, draft.cheapest_price) == (0, 0, None)
    assert b"Low Hoodie" in response.content


def test_product_totals_ignore_other_variants_and_pick_the_cheapest(admin_client, shop):
    make_product(
        "Mixed Jacket",
        category=shop["clothing"],
        variants=[
            {"price": Decimal("80.00"), "stock": 2},
            {"price": Decimal("65.50"), "stock": 1},
            {"price": Decimal("9.99"), "stock": 7, "is_active": False},
        ],
    )

    response = admin_client.get(url("product"), {"q": "Mixed"})

    [jacket] = listed(response)
    assert (jacket.variant_count, jacket.total_stock, jacket.cheapest_price) == (
        3,
        3,
        Decimal("65.50"),
    )


def test_search_by_sku_lists_the_product_once(admin_client, shop):
    tee = make_product(
        "Striped Tee",
        category=shop["clothing"],
        variants=[{"sku": "TEE-STR-S"}, {"sku": "TEE-STR-M"}, {"sku": "TEE-STR-L"}],
    )

    response = admin_client.get(url("product"), {"q": "tee-str"})

    assert [product.pk for product in listed(response)] == [tee.pk]
    assert response.context["cl"].result_count == 1
    # The totals are not multiplied by the variants the search matched.
    assert listed(response)[0].variant_count == 3
    assert listed(response)[0].total_stock == 30


ALL_PRODUCTS = {
    "Plenty Tee",
    "Low Hoodie",
    "Sold Out Socks",
    "Archived Cap",
    "Draft Scarf",
    "Novel",
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hoodie", {"Low Hoodie"}),
        ("product-", ALL_PRODUCTS),  # every slug starts so
        ("nothing-matches", set()),
    ],
)
def test_search_matches_name_and_slug(admin_client, shop, query, expected):
    response = admin_client.get(url("product"), {"q": query})

    assert listed_names(response) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stock": "in"}, {"Plenty Tee", "Low Hoodie", "Novel"}),
        ({"stock": "out"}, {"Sold Out Socks", "Archived Cap", "Draft Scarf"}),
        ({"stock": "low"}, {"Low Hoodie", "Sold Out Socks", "Novel"}),
        ({"is_active__exact": "0"}, {"Draft Scarf"}),
        ({"is_featured__exact": "1"}, {"Low Hoodie", "Novel"}),
        ({"is_featured__exact": "1", "stock": "low", "q": "novel"}, {"Novel"}),
    ],
)
def test_product_filters(admin_client, shop, params, expected):
    response = admin_client.get(url("product"), params)

    assert listed_names(response) == expected


def test_product_category_filter_offers_used_categories_only(admin_client, shop):
    make_category("Empty Shelf")

    response = admin_client.get(url("product"), {"category__id__exact": shop["books"].pk})

    assert listed_names(response) == {"Draft Scarf", "Novel"}
    category_filter = response.context["cl"].filter_specs[0]
    assert {label for _, label in category_filter.lookup_choices} == {"Clothing", "Books"}


def product_form_data(category: Category, **overrides) -> dict:
    data = {
        "name": "Linen Shirt",
        "slug": "linen-shirt",
        "description": "Cool in summer.",
        "category": str(category.pk),
        "is_active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-sku": "LIN-M",
        "variants-0-name": "Medium",
        "variants-0-options": '{"size": "M"}',
        "variants-0-price": "49.90",
        "variants-0-compare_at_price": "",
        "variants-0-currency": "EUR",
        "variants-0-stock": "12",
        "variants-0-is_active": "on",
        "variants-0-position": "0",
        "discounts-TOTAL_FORMS": "0",
        "discounts-INITIAL_FORMS": "0",
        "discounts-MIN_NUM_FORMS": "0",
        "discounts-MAX_NUM_FORMS": "1000",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    return data | overrides


def test_add_form_renders_with_inlines(admin_client):
    response = admin_client.get(url("product", "add"))

    assert response.status_code == 200
    assert {formset.formset.prefix for formset in response.context["inline_admin_formsets"]} == {
        "variants",
        "discounts",
        "images",
    }
    content = response.content.decode()
    assert "selectfilter" in content.lower()  # tags use the two-box filter widget
    assert "admin-autocomplete" in content  # the category is picked by autocomplete


def test_add_form_creates_product_with_variant_and_author(admin_client, superuser, shop):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    data = product_form_data(
        shop["clothing"],
        **{
            "tags": [str(Tag.objects.create(name="Summer", slug="summer").pk)],
            "discounts-TOTAL_FORMS": "1",
            "discounts-0-name": "Launch",
            "discounts-0-percent": "15",
            "discounts-0-starts_at_0": start.date().isoformat(),
            "discounts-0-starts_at_1": start.time().isoformat(),
            "discounts-0-is_active": "on",
        },
    )

    response = admin_client.post(url("product", "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(slug="linen-shirt")
    assert product.created_by == superuser
    assert product.category == shop["clothing"]
    assert [tag.slug for tag in product.tags.all()] == ["summer"]
    variant = product.variants.get()
    assert (variant.sku, variant.name, variant.options) == ("LIN-M", "Medium", {"size": "M"})
    assert (variant.price, variant.stock, variant.currency) == (Decimal("49.90"), 12, "EUR")
    discount = product.discounts.get()
    assert (discount.name, discount.percent, discount.category) == ("Launch", Decimal(15), None)
    assert response["Location"] == url("product", "changelist")


def test_change_form_keeps_the_original_author(admin_client, shop):
    author = UserFactory.create(is_staff=True)
    product = make_product("Kept Author", category=shop["clothing"], created_by=author)
    variant = product.variants.create(sku="KEPT-1", price=Decimal("5.00"))
    data = product_form_data(
        shop["clothing"],
        name="Renamed",
        slug=product.slug,
        **{
            "variants-INITIAL_FORMS": "1",
            "variants-0-id": str(variant.pk),
            "variants-0-product": str(product.pk),
            "variants-0-sku": "KEPT-1",
        },
    )

    response = admin_client.post(url("product", "change", product.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.name == "Renamed"
    assert product.created_by == author
    variant.refresh_from_db()
    assert variant.price == Decimal("49.90")


def test_change_form_shows_history_read_only(admin_client, superuser, shop):
    shop["plenty"].created_by = superuser
    shop["plenty"].save()

    response = admin_client.get(url("product", "change", shop["plenty"].pk))

    assert response.status_code == 200
    form_fields = set(response.context["adminform"].form.fields)
    assert {"created_by", "created_at", "updated_at"}.isdisjoint(form_fields)
    assert "boss@example.com" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "formset", "error"),
    [
        ({"variants-0-sku": "SKU-TAKEN"}, "variants", "SKU already exists"),
        ({"variants-0-price": "-1"}, "variants", "catalog_variant_price_gte_0"),
        (
            {
                "discounts-TOTAL_FORMS": "1",
                "discounts-0-name": "Backwards",
                "discounts-0-percent": "10",
                "discounts-0-starts_at_0": "2030-01-02",
                "discounts-0-starts_at_1": "00:00:00",
                "discounts-0-ends_at_0": "2030-01-01",
                "discounts-0-ends_at_1": "00:00:00",
                "discounts-0-is_active": "on",
            },
            "discounts",
            "A discount must end after it starts.",
        ),
    ],
    ids=["duplicate-sku", "negative-price", "discount-window"],
)
def test_add_form_refuses_invalid_inlines(admin_client, shop, overrides, formset, error):
    make_product("Taken", category=shop["books"], variants=[{"sku": "SKU-TAKEN"}])
    before = (Product.objects.count(), ProductVariant.objects.count(), Discount.objects.count())

    response = admin_client.post(
        url("product", "add"), product_form_data(shop["books"], **overrides)
    )

    assert response.status_code == 200
    [inline] = [
        admin_formset.formset
        for admin_formset in response.context["inline_admin_formsets"]
        if admin_formset.formset.prefix == formset
    ]
    assert error in str(inline.errors)
    after = (Product.objects.count(), ProductVariant.objects.count(), Discount.objects.count())
    assert after == before


def post_action(client, model: str, action: str, objects) -> HttpResponse:
    return client.post(
        url(model),
        {"action": action, "index": "0", "_selected_action": [str(obj.pk) for obj in objects]},
    )


def test_activate_action_activates_and_bumps_the_catalog_version(
    admin_client, shop, django_capture_on_commit_callbacks
):
    draft = shop["no-variants"]
    archived = make_product("Archived", category=shop["books"], is_active=False)
    version = catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(
            admin_client, "product", "activate", [draft, archived, shop["novel"]]
        )

    assert response.status_code == 302
    assert set(Product.objects.filter(is_active=False).values_list("name", flat=True)) == set()
    assert catalog_version() > version
    assert messages_of(response) == ["2 products activated."]


def test_deactivate_action_deactivates_only_the_selection(
    admin_client, shop, django_capture_on_commit_callbacks
):
    version = catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(admin_client, "product", "deactivate", [shop["plenty"], shop["low"]])

    assert response.status_code == 302
    assert set(Product.objects.filter(is_active=False).values_list("name", flat=True)) == {
        "Plenty Tee",
        "Low Hoodie",
        "Draft Scarf",
    }
    assert catalog_version() > version
    assert messages_of(response) == ["2 products deactivated."]
    shop["plenty"].refresh_from_db()
    assert shop["plenty"].updated_at > shop["plenty"].created_at


def test_action_that_changes_nothing_leaves_the_cache_alone(
    admin_client, shop, django_capture_on_commit_callbacks
):
    version = catalog_version()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_action(admin_client, "product", "activate", [shop["plenty"]])

    assert callbacks == []
    assert catalog_version() == version
    assert messages_of(response) == ["0 products activated."]


def test_actions_work_on_a_filtered_and_searched_selection(
    admin_client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url("product") + "?q=SKU&stock=low",
            {
                "action": "deactivate",
                "index": "0",
                "select_across": "1",
                # The browser sends the ticked rows on the page as well as "select all".
                "_selected_action": [str(shop["novel"].pk)],
            },
        )

    assert response.status_code == 302
    assert set(Product.objects.filter(is_active=False).values_list("name", flat=True)) == {
        "Low Hoodie",
        "Sold Out Socks",
        "Novel",
        "Draft Scarf",
    }


def test_product_autocomplete_finds_a_product_once_by_sku(admin_client, shop):
    make_product(
        "Wool Socks", category=shop["clothing"], variants=[{"sku": "SOCK-A"}, {"sku": "SOCK-B"}]
    )

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "catalog",
            "model_name": "discount",
            "field_name": "product",
            "term": "sock-",
        },
    )

    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Wool Socks"]


# --- Categories -----------------------------------------------------------------------------


@pytest.fixture
def tree(shop):
    """Clothing > Shoes > Boots, plus Books (from `shop`)."""
    shoes = make_category("Shoes", parent=shop["clothing"])
    boots = make_category("Boots", parent=shoes)
    make_product("Hiking Boot", category=boots)
    return {"clothing": shop["clothing"], "shoes": shoes, "boots": boots, "books": shop["books"]}


def test_category_depths_handle_roots_chains_and_cycles():
    assert category_depths({1: None, 2: 1, 3: 2, 4: None, 5: 3}) == {1: 0, 2: 1, 3: 2, 4: 0, 5: 3}
    # A cycle (the database does not forbid one) must not loop forever.
    assert set(category_depths({1: 2, 2: 1, 3: 1})) == {1, 2, 3}


def test_category_changelist_indents_by_depth_and_counts_products(admin_client, tree):
    response = admin_client.get(url("category"))

    rows = {category.name: category for category in listed(response)}
    assert {name: rows[name].depth for name in rows} == {
        "Clothing": 0,
        "Shoes": 1,
        "Boots": 2,
        "Books": 0,
    }
    assert {name: rows[name].product_count for name in rows} == {
        "Clothing": 4,
        "Shoes": 0,
        "Boots": 1,
        "Books": 2,
    }
    content = response.content.decode()
    assert f"{INDENT * 4}└ Boots" in content
    assert f"{INDENT * 2}└ Shoes" in content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "sho"}, {"Shoes"}),
        ({"q": "category-"}, {"Clothing", "Shoes", "Boots", "Books", "Hidden"}),
        ({"is_active__exact": "0"}, {"Hidden"}),
        ({"is_active__exact": "1", "q": "bo"}, {"Boots", "Books"}),
    ],
)
def test_category_search_and_filter(admin_client, tree, params, expected):
    make_category("Hidden", is_active=False)

    response = admin_client.get(url("category"), params)

    assert listed_names(response) == expected


def test_category_autocomplete_serves_the_product_form(admin_client, tree):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "catalog", "model_name": "product", "field_name": "category", "term": "bo"},
    )

    assert response.status_code == 200
    assert {row["text"] for row in response.json()["results"]} == {"Boots", "Books"}


def test_category_add_form_creates_a_child(admin_client, tree):
    response = admin_client.post(
        url("category", "add"),
        {
            "name": "Sandals",
            "slug": "sandals",
            "parent": tree["shoes"].pk,
            "position": "2",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    sandals = Category.objects.get(slug="sandals")
    assert (sandals.parent, sandals.position, sandals.is_active) == (tree["shoes"], 2, True)


@pytest.mark.parametrize("new_parent", ["clothing", "boots"], ids=["itself", "descendant"])
def test_category_cannot_move_under_itself(admin_client, tree, new_parent):
    clothing = tree["clothing"]

    response = admin_client.post(
        url("category", "change", clothing.pk),
        {
            "name": "Clothing",
            "slug": clothing.slug,
            "parent": tree[new_parent].pk,
            "position": "0",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "itself or one of its sub-categories" in str(
        response.context["adminform"].form.errors["parent"]
    )
    clothing.refresh_from_db()
    assert clothing.parent is None


@pytest.mark.parametrize(
    "category",
    ["books", "shoes"],
    ids=["has-products", "has-children"],
)
def test_deleting_a_category_in_use_shows_what_protects_it(admin_client, tree, category):
    target = tree[category]
    page = url("category", "delete", target.pk)

    shown = admin_client.get(page)
    posted = admin_client.post(page, {"post": "yes"})

    for response in (shown, posted):
        assert response.status_code == 200
        assert response.context["title"] == "Cannot delete category"
        assert "protected related objects" in response.content.decode()
    assert response.context["protected"]
    assert Category.objects.filter(pk=target.pk).exists()
    assert Category.objects.count() == 4
    assert Product.objects.count() == 7


def test_bulk_deleting_categories_in_use_deletes_nothing(admin_client, tree):
    response = admin_client.post(
        url("category"),
        {
            "action": "delete_selected",
            "index": "0",
            "post": "yes",
            "_selected_action": [str(tree["books"].pk), str(tree["boots"].pk)],
        },
    )

    assert response.status_code == 200
    assert response.context["title"] == "Cannot delete categories"
    assert Category.objects.count() == 4


def test_deleting_an_empty_category_works(admin_client, tree):
    empty = make_category("Empty")

    response = admin_client.post(url("category", "delete", empty.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Category.objects.filter(pk=empty.pk).exists()


# --- Tags -----------------------------------------------------------------------------------


def test_tag_changelist_counts_products_and_searches(admin_client, shop):
    summer = Tag.objects.create(name="Summer", slug="summer")
    Tag.objects.create(name="Winter", slug="winter")
    summer.products.add(shop["plenty"], shop["low"])

    response = admin_client.get(url("tag"))
    searched = admin_client.get(url("tag"), {"q": "summ"})

    assert {tag.name: tag.product_count for tag in listed(response)} == {"Summer": 2, "Winter": 0}
    assert listed_names(searched) == {"Summer"}


def test_tag_add_form_creates_a_tag(admin_client):
    response = admin_client.post(url("tag", "add"), {"name": "Eco", "slug": "eco"})

    assert response.status_code == 302
    assert Tag.objects.filter(slug="eco", name="Eco").exists()


# --- Discounts ------------------------------------------------------------------------------


@pytest.fixture
def discounts(shop):
    now = timezone.now()
    return {
        "live": Discount.objects.create(name="Live", percent=10, product=shop["plenty"]),
        "future": Discount.objects.create(
            name="Future", percent=20, category=shop["books"], starts_at=now + timedelta(days=2)
        ),
        "over": Discount.objects.create(
            name="Over",
            percent=30,
            category=shop["clothing"],
            starts_at=now - timedelta(days=9),
            ends_at=now - timedelta(days=2),
        ),
        "off": Discount.objects.create(
            name="Off", percent=40, product=shop["low"], is_active=False
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"Live", "Future", "Over", "Off"}),
        ({"target": "product"}, {"Live", "Off"}),
        ({"target": "category"}, {"Future", "Over"}),
        ({"is_active__exact": "0"}, {"Off"}),
        ({"q": "books"}, {"Future"}),
    ],
)
def test_discount_changelist_filters(admin_client, discounts, params, expected):
    response = admin_client.get(url("discount"), params)

    assert listed_names(response) == expected


def test_discount_changelist_shows_target_window_and_live_state(admin_client, discounts):
    response = admin_client.get(url("discount"))

    content = response.content.decode()
    assert "Product: Plenty Tee" in content
    assert "Category: Books" in content
    assert "always" in content
    discount_admin = DiscountAdmin(Discount, admin.site)
    assert {name: discount_admin.live_now(d) for name, d in discounts.items()} == {
        "live": True,
        "future": False,
        "over": False,
        "off": False,
    }
    assert discount_admin.window(discounts["future"]).startswith("from ")


def discount_form_data(**overrides) -> dict:
    return {
        "name": "Spring sale",
        "percent": "15",
        "is_active": "on",
        "product": "",
        "category": "",
        "starts_at_0": "2030-03-01",
        "starts_at_1": "00:00:00",
        "ends_at_0": "2030-03-31",
        "ends_at_1": "00:00:00",
    } | overrides


def test_discount_add_form_saves_a_valid_discount(admin_client, shop):
    data = discount_form_data(category=str(shop["books"].pk))

    response = admin_client.post(url("discount", "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    discount = Discount.objects.get()
    assert (discount.category, discount.product, discount.percent) == (
        shop["books"],
        None,
        Decimal(15),
    )


@pytest.mark.parametrize(
    ("target", "overrides", "field", "message"),
    [
        ("both", {}, "__all__", "A discount applies to a product or a category, not both."),
        ("neither", {}, "__all__", "A discount applies to a product or a category, not both."),
        (
            "category",
            {"ends_at_0": "2030-02-01"},
            "__all__",
            "A discount must end after it starts.",
        ),
        ("product", {"percent": "95"}, "percent", "less than or equal to 90"),
        ("product", {"percent": "0"}, "percent", "greater than or equal to 0.01"),
    ],
    ids=["both-targets", "no-target", "ends-before-start", "percent-95", "percent-0"],
)
def test_discount_form_shows_constraint_errors(
    admin_client, shop, target, overrides, field, message
):
    targets = {
        "both": {"product": str(shop["plenty"].pk), "category": str(shop["books"].pk)},
        "neither": {},
        "category": {"category": str(shop["books"].pk)},
        "product": {"product": str(shop["plenty"].pk)},
    }[target]

    response = admin_client.post(url("discount", "add"), discount_form_data(**targets, **overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, []))
    assert not Discount.objects.exists()


# --- Reviews --------------------------------------------------------------------------------


@pytest.fixture
def reviews(shop):
    ada = UserFactory.create(email="ada@example.com")
    bob = UserFactory.create(email="bob@shop.example")
    return {
        "praise": Review.objects.create(
            product=shop["plenty"], user=ada, rating=5, verified_purchase=True
        ),
        "rant": Review.objects.create(product=shop["plenty"], user=bob, rating=1),
        "meh": Review.objects.create(product=shop["novel"], user=ada, rating=3, is_visible=False),
    }


def listed_reviews(response) -> set[str]:
    return {f"{review.product.name}/{review.user.email}" for review in listed(response)}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"rating": "5"}, {"Plenty Tee/ada@example.com"}),
        ({"is_visible__exact": "0"}, {"Novel/ada@example.com"}),
        ({"verified_purchase__exact": "1"}, {"Plenty Tee/ada@example.com"}),
        ({"q": "novel"}, {"Novel/ada@example.com"}),
        ({"q": "shop.example"}, {"Plenty Tee/bob@shop.example"}),
    ],
)
def test_review_changelist_filters_and_searches(admin_client, reviews, params, expected):
    response = admin_client.get(url("review"), params)

    assert listed_reviews(response) == expected


def test_hide_and_show_actions_moderate_reviews(
    admin_client, reviews, django_capture_on_commit_callbacks
):
    version = catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        hidden = post_action(admin_client, "review", "hide", [reviews["rant"], reviews["praise"]])
    after_hide = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        shown = post_action(admin_client, "review", "show", [reviews["meh"]])

    assert hidden.status_code == shown.status_code == 302
    assert set(Review.objects.filter(is_visible=True)) == {reviews["meh"]}
    assert messages_of(hidden) == ["2 reviews hidden."]
    assert messages_of(shown)[-1] == "1 review shown."
    assert version < after_hide < catalog_version()


# --- Staff roles ----------------------------------------------------------------------------


def test_a_catalog_manager_moderates_reviews(reviews):
    client = admin_client_for(staff_with_role(CATALOG_MANAGERS))

    assert client.get(url("review"), {"is_visible__exact": "1"}).status_code == 200
    response = post_action(client, "review", "hide", [reviews["praise"]])

    assert response.status_code == 302
    assert messages_of(response) == ["1 review hidden."]
    reviews["praise"].refresh_from_db()
    assert not reviews["praise"].is_visible


@pytest.mark.parametrize("role", [SUPPORT, ORDER_MANAGERS])
def test_other_roles_cannot_open_the_catalog_pages(reviews, role):
    client = admin_client_for(staff_with_role(role))

    for model in ("review", "product", "discount", "category"):
        assert client.get(url(model)).status_code == 403, model
    post_action(client, "review", "hide", [reviews["praise"]])
    reviews["praise"].refresh_from_db()
    assert reviews["praise"].is_visible
