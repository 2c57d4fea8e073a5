"""Back office: attribute and product type pages, and the attribute fields of a product."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog import attributes as services
from apps.catalog.models import AttributeAssignment, AttributeKind, Product, ProductType
from apps.catalog.tests.factories import CategoryFactory, ProductFactory, ProductVariantFactory
from apps.catalog.tests.test_admin import product_form_data
from apps.core.permissions import CATALOG_MANAGERS
from apps.core.tests.roles import admin_client_for, staff_with_role

pytestmark = pytest.mark.django_db


def url(model: str, view: str = "changelist", *args: object) -> str:
    return reverse(f"admin:catalog_{model}_{view}", args=args)


@pytest.fixture
def manager():
    return admin_client_for(staff_with_role(CATALOG_MANAGERS))


@pytest.fixture
def shirts() -> ProductType:
    colour = services.create_attribute(
        name="Colour", kind=AttributeKind.CHOICE, values=["Navy", "White"]
    )
    fabric = services.create_attribute(
        name="Fabric", kind=AttributeKind.MULTI_CHOICE, values=["Linen", "Cotton"]
    )
    weight = services.create_attribute(name="Weight", kind=AttributeKind.NUMBER, unit="g")
    return services.create_product_type(
        name="Shirts",
        attributes=[
            services.TypeAttribute(colour, variant_defining=True),
            services.TypeAttribute(fabric),
            services.TypeAttribute(weight),
        ],
    )


@pytest.fixture
def shirt(shirts: ProductType) -> Product:
    product = ProductFactory.create(slug="linen-shirt", product_type=shirts)
    ProductVariantFactory.create(product=product, sku="LIN-1")
    return product


def change_data(product: Product, **overrides: str | list[str]) -> dict:
    variant = product.variants.get()
    data = product_form_data(
        product.category,
        **{
            "name": product.name,
            "slug": product.slug,
            "product_type": str(product.product_type_id),
            "variants-INITIAL_FORMS": "1",
            "variants-0-id": str(variant.pk),
            "variants-0-product": str(product.pk),
            "variants-0-sku": variant.sku,
        },
    )
    return data | overrides


def test_a_typed_product_s_page_has_a_field_per_attribute(manager, shirt: Product) -> None:
    response = manager.get(url("product", "change", shirt.pk))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert {"attr__fabric", "attr__weight"} <= set(form.fields)
    assert "attr__colour" not in form.fields  # set per variant
    variants = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "variants"
    )
    assert "attr__colour" in variants.formset.forms[0].fields
    assert "Weight (g)" in response.content.decode()


def test_saving_the_page_saves_the_product_s_and_variants_values(manager, shirt: Product) -> None:
    data = change_data(
        shirt,
        attr__fabric=["Linen", "Cotton"],
        attr__weight="180",
        **{"variants-0-attr__colour": "Navy"},
    )
    response = manager.post(url("product", "change", shirt.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert services.attribute_values_of(shirt) == {
        "product": {"fabric": "Linen|Cotton", "weight": "180"},
        "variants": {"LIN-1": {"colour": "Navy"}},
    }
    page = manager.get(url("product", "change", shirt.pk))
    assert page.context["adminform"].form.initial["attr__weight"] == 180


def test_two_variants_with_the_same_values_are_a_form_error(manager, shirt: Product) -> None:
    data = change_data(
        shirt,
        **{
            "variants-TOTAL_FORMS": "2",
            "variants-0-attr__colour": "Navy",
            "variants-1-sku": "LIN-2",
            "variants-1-name": "Another",
            "variants-1-options": "{}",
            "variants-1-price": "49.90",
            "variants-1-currency": "EUR",
            "variants-1-stock": "1",
            "variants-1-is_active": "on",
            "variants-1-position": "1",
            "variants-1-attr__colour": "Navy",
        },
    )
    response = manager.post(url("product", "change", shirt.pk), data)
    assert response.status_code == 200
    assert "same attribute values" in response.content.decode()
    assert not AttributeAssignment.objects.exists()
    assert shirt.variants.count() == 1


def test_a_type_that_drops_attributes_in_use_is_a_form_error(manager, shirt: Product) -> None:
    services.set_attribute_values(product=shirt, values={"weight": "180"})
    bare = services.create_product_type(name="Bare")
    response = manager.post(
        url("product", "change", shirt.pk), change_data(shirt, product_type=str(bare.pk))
    )
    assert response.status_code == 200
    assert "Weight" in str(response.context["adminform"].form.errors["product_type"])
    shirt.refresh_from_db()
    assert shirt.product_type_id != bare.pk


def test_a_new_product_s_add_page_works_without_a_type(manager) -> None:
    category = CategoryFactory.create()
    response = manager.post(url("product", "add"), product_form_data(category))
    assert response.status_code == 302
    assert Product.objects.get(slug="linen-shirt").product_type is None


def test_attribute_and_product_type_pages(manager, shirts: ProductType, shirt: Product) -> None:
    listed = manager.get(url("attribute"))
    assert listed.status_code == 200
    assert [a.slug for a in listed.context["cl"].result_list] == ["colour", "fabric", "weight"]
    colour = shirts.type_attributes.get(attribute__slug="colour")
    change = manager.get(url("attribute", "change", colour.attribute_id))
    assert change.status_code == 200
    assert "kind" not in change.context["adminform"].form.fields  # read-only once made
    types = manager.get(url("producttype"))
    assert types.status_code == 200
    row = types.context["cl"].result_list[0]
    assert (row.attribute_count, row.product_count) == (3, 1)
    added = manager.post(
        url("attribute", "add"),
        {
            "name": "Sleeve",
            "slug": "sleeve",
            "kind": "choice",
            "unit": "",
            "is_filterable": "on",
            "position": "0",
            "values-TOTAL_FORMS": "2",
            "values-INITIAL_FORMS": "0",
            "values-0-name": "Short",
            "values-0-slug": "short",
            "values-0-position": "0",
            "values-1-name": "Long",
            "values-1-slug": "long",
            "values-1-position": "1",
        },
    )
    assert added.status_code == 302
    assert (
        services.add_attribute_values(
            attribute=listed.context["cl"].model.objects.get(slug="sleeve"), names=["Long"]
        )[0].slug
        == "long"
    )


def test_the_attribute_changelist_runs_a_fixed_number_of_queries(manager, shirts) -> None:
    manager.get(url("attribute"))
    with CaptureQueriesContext(connection) as few:
        manager.get(url("attribute"))
    for n in range(10):
        services.create_attribute(name=f"Extra {n}", kind=AttributeKind.CHOICE, values=["A", "B"])
    with CaptureQueriesContext(connection) as many:
        manager.get(url("attribute"))
    assert len(many) == len(few)
