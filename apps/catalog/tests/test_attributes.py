"""Product types, attributes and their values: the services' rules and the staff API."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.catalog import attributes as services
from apps.catalog import selectors
from apps.catalog.errors import AttributeInUse, InvalidAttributeValue
from apps.catalog.models import (
    AttributeAssignment,
    AttributeKind,
    AttributeValue,
    Product,
)
from apps.catalog.services import update_product
from apps.catalog.tests.factories import ProductFactory, ProductVariantFactory
from apps.catalog.tests.test_api_support import PRODUCTS_URL, clear_cache, customer_client
from apps.core.permissions import CATALOG_MANAGERS
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.roles import staff_with_role

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture
def shoe_type() -> dict:
    colour = services.create_attribute(
        name="Colour", kind=AttributeKind.CHOICE, values=["Black", "Tan"]
    )
    size = services.create_attribute(name="Size", kind=AttributeKind.CHOICE, values=["42", "43"])
    material = services.create_attribute(name="Material", kind=AttributeKind.MULTI_CHOICE)
    weight = services.create_attribute(name="Weight", kind=AttributeKind.NUMBER, unit="g")
    waterproof = services.create_attribute(name="Waterproof", kind=AttributeKind.BOOLEAN)
    care = services.create_attribute(name="Care", kind=AttributeKind.TEXT, is_filterable=False)
    shoes = services.create_product_type(
        name="Shoes",
        attributes=[
            services.TypeAttribute(colour, variant_defining=True),
            services.TypeAttribute(size, variant_defining=True),
            services.TypeAttribute(material),
            services.TypeAttribute(weight),
            services.TypeAttribute(waterproof),
            services.TypeAttribute(care),
        ],
    )
    product = ProductFactory.create(slug="chelsea", product_type=shoes)
    first = ProductVariantFactory.create(product=product, sku="CH-1")
    second = ProductVariantFactory.create(product=product, sku="CH-2")
    return {"type": shoes, "product": product, "first": first, "second": second}


def values_of(product: Product) -> dict:
    return services.attribute_values_of(product)


# --- Services -------------------------------------------------------------------------------


def test_values_of_every_kind_are_stored_in_their_own_column(shoe_type: dict) -> None:
    product = shoe_type["product"]
    services.set_attribute_values(
        product=product,
        values={
            "material": "Leather|suede",
            "weight": "812.5",
            "waterproof": "yes",
            "care": "  Wipe clean. ",
        },
        create_missing_choices=True,
    )
    services.set_attribute_values(
        product=product, variant=shoe_type["first"], values={"colour": "black", "size": "42"}
    )
    assert values_of(product) == {
        "product": {
            "material": "Leather|suede",
            "weight": "812.5",
            "waterproof": "yes",
            "care": "Wipe clean.",
        },
        "variants": {"CH-1": {"colour": "Black", "size": "42"}},
    }
    assert AttributeAssignment.objects.get(attribute__slug="weight").number == Decimal("812.5")
    # Missing choices were created on request, in the order given.
    assert list(
        AttributeValue.objects.filter(attribute__slug="material").values_list("slug", flat=True)
    ) == ["leather", "suede"]


def test_setting_a_value_replaces_it_and_an_empty_one_clears_it(shoe_type: dict) -> None:
    product = shoe_type["product"]
    services.set_attribute_values(product=product, values={"weight": 800, "waterproof": True})
    services.set_attribute_values(product=product, values={"weight": "900", "waterproof": None})
    assert values_of(product)["product"] == {"weight": "900"}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"colour": "Black"}, "colour", "is set on each variant"),
        ({"shoe-width": "wide"}, "shoe-width", "have no attribute 'shoe-width'"),
        ({"weight": "heavy"}, "weight", "'heavy' is not a number"),
        ({"weight": "Infinity"}, "weight", "not a number we can store"),
        ({"waterproof": "perhaps"}, "waterproof", "not yes or no"),
        ({"material": "Wood"}, "material", "'Wood' is not a value of 'Material'"),
        ({"care": "x" * 256}, "care", "at most 255"),
    ],
)
def test_values_that_do_not_fit_are_refused_and_nothing_changes(
    shoe_type: dict, values: dict, field: str, message: str
) -> None:
    product = shoe_type["product"]
    services.set_attribute_values(product=product, values={"weight": "800"})
    with pytest.raises(InvalidAttributeValue) as caught:
        services.set_attribute_values(product=product, values={"weight": "100", **values})
    assert caught.value.errors is not None
    assert message in caught.value.errors[field][0]
    assert values_of(product)["product"] == {"weight": "800"}


def test_a_single_choice_takes_one_value_and_a_variant_only_its_own(shoe_type: dict) -> None:
    product, first = shoe_type["product"], shoe_type["first"]
    with pytest.raises(InvalidAttributeValue, match="takes one value"):
        services.set_attribute_values(
            product=product, variant=first, values={"colour": "Black|Tan"}
        )
    with pytest.raises(InvalidAttributeValue, match="is set on the product"):
        services.set_attribute_values(product=product, variant=first, values={"weight": "1"})
    other = ProductVariantFactory.create()
    with pytest.raises(InvalidAttributeValue, match="is not a variant of"):
        services.set_attribute_values(product=product, variant=other, values={"colour": "Tan"})


def test_two_variants_may_not_have_the_same_values(shoe_type: dict) -> None:
    product = shoe_type["product"]
    same = {"colour": "Black", "size": "42"}
    services.set_attribute_values(product=product, variant=shoe_type["first"], values=same)
    with pytest.raises(InvalidAttributeValue, match="must differ"):
        services.set_attribute_values(product=product, variant=shoe_type["second"], values=same)
    assert values_of(product)["variants"] == {"CH-1": {"colour": "Black", "size": "42"}}


def test_a_product_without_a_type_takes_no_values() -> None:
    product = ProductFactory.create(product_type=None)
    with pytest.raises(InvalidAttributeValue, match="has no product type"):
        services.set_attribute_values(product=product, values={"weight": "1"})


def test_attributes_and_types_in_use_are_kept(shoe_type: dict) -> None:
    product = shoe_type["product"]
    services.set_attribute_values(product=product, values={"weight": "800"})
    weight = AttributeAssignment.objects.get().attribute
    with pytest.raises(AttributeInUse):
        services.delete_attribute(attribute=weight)
    with pytest.raises(AttributeInUse):
        services.delete_product_type(product_type=shoe_type["type"])
    with pytest.raises(AttributeInUse):
        services.update_product_type(product_type=shoe_type["type"], attributes=[])
    with pytest.raises(AttributeInUse, match="Weight"):
        update_product(product=product, product_type=None)
    product.refresh_from_db()
    assert product.product_type == shoe_type["type"]


def test_the_product_page_data_follows_attribute_writes(
    shoe_type: dict, django_capture_on_commit_callbacks
) -> None:
    product = shoe_type["product"]
    clear_cache()
    assert selectors.get_product(product.slug)["attributes"] == []
    with django_capture_on_commit_callbacks(execute=True):
        services.set_attribute_values(product=product, values={"weight": "800"})
    attributes = selectors.get_product(product.slug)["attributes"]
    assert [a["value"] for a in attributes] == ["800 g"]


# --- Staff API ------------------------------------------------------------------------------


def test_staff_create_an_attribute_and_a_product_type_and_set_values() -> None:
    manager = client_for(staff_with_role(CATALOG_MANAGERS))
    created = manager.post(
        f"{API}attributes/",
        {"name": "Colour", "kind": "choice", "values": ["Navy", "Sand"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["values"] == [
        {"slug": "navy", "name": "Navy"},
        {"slug": "sand", "name": "Sand"},
    ]
    added = manager.patch(f"{API}attributes/colour/", {"values": ["Olive"]}, format="json")
    assert [v["slug"] for v in added.json()["values"]] == ["navy", "sand", "olive"]
    kind = manager.post(f"{API}attributes/", {"name": "Fit", "kind": "text"}, format="json")
    assert kind.status_code == 201
    shirt = manager.post(
        f"{API}product-types/",
        {
            "name": "Shirts",
            "attributes": [{"attribute": "colour", "variant_defining": True}, {"attribute": "fit"}],
        },
        format="json",
    )
    assert shirt.status_code == 201, shirt.content
    assert shirt.json()["attributes"][0] == {"attribute": "colour", "variant_defining": True}
    product = ProductFactory.create(slug="oxford", product_type=None)
    ProductVariantFactory.create(product=product, sku="OX-1")
    typed = manager.patch(f"{PRODUCTS_URL}oxford/", {"product_type": "shirts"}, format="json")
    assert typed.status_code == 200, typed.content
    assert typed.json()["product_type"] == "shirts"
    put = manager.put(
        f"{PRODUCTS_URL}oxford/attributes/",
        {"product": {"fit": "Slim"}, "variants": {"OX-1": {"colour": "sand"}}},
        format="json",
    )
    assert put.status_code == 200, put.content
    assert put.json() == {"product": {"fit": "Slim"}, "variants": {"OX-1": {"colour": "Sand"}}}
    clear_cache()  # the writes' transactions never commit in this test
    public = APIClient().get(f"{PRODUCTS_URL}oxford/").json()
    assert public["variants"][0]["attributes"] == {"colour": "sand"}
    assert public["attributes"][0]["value"] == "Slim"


def test_a_bad_value_through_the_api_is_a_problem_and_changes_nothing(shoe_type: dict) -> None:
    manager = client_for(staff_with_role(CATALOG_MANAGERS))
    url = f"{PRODUCTS_URL}chelsea/attributes/"
    assert manager.put(url, {"product": {"weight": "800"}}, format="json").status_code == 200
    response = manager.put(
        url,
        {"product": {"weight": "900"}, "variants": {"CH-1": {"colour": "Pink"}}},
        format="json",
    )
    assert_problem(response, 400, "invalid_attribute_value", field="colour")
    unknown = manager.put(url, {"variants": {"NOPE": {"colour": "Tan"}}}, format="json")
    assert_problem(unknown, 400, "unknown_sku", field="variants")
    assert manager.get(url).json() == {"product": {"weight": "800"}, "variants": {}}


def test_attribute_writes_are_for_staff_with_the_role(shoe_type: dict) -> None:
    assert APIClient().get(f"{API}attributes/").status_code == 200
    assert APIClient().post(f"{API}attributes/", {}, format="json").status_code == 401
    customer = customer_client()
    assert customer.post(f"{API}product-types/", {"name": "X"}, format="json").status_code == 403
    assert customer.get(f"{PRODUCTS_URL}chelsea/attributes/").status_code == 403
    put = customer.put(f"{PRODUCTS_URL}chelsea/attributes/", {"product": {}}, format="json")
    assert put.status_code == 403


def test_deleting_an_attribute_in_use_is_a_conflict(shoe_type: dict) -> None:
    manager = client_for(staff_with_role(CATALOG_MANAGERS))
    assert_problem(manager.delete(f"{API}attributes/colour/"), 409, "attribute_in_use")
    assert_problem(manager.delete(f"{API}product-types/shoes/"), 409, "attribute_in_use")
    bad = manager.post(
        f"{API}product-types/",
        {"name": "Bags", "attributes": [{"attribute": "nope"}]},
        format="json",
    )
    assert_problem(bad, 400, "invalid_attribute_value", field="attributes")
    wrong_kind = manager.post(f"{API}attributes/", {"name": "X", "kind": "colour"}, format="json")
    assert_problem(wrong_kind, 400, "validation_error", field="kind")
