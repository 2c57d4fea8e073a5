"""Factories for the catalog: categories, tags, products, variants, discounts and reviews."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.core.money import default_currency
from apps.users.tests.factories import UserFactory


class CategoryFactory(DjangoModelFactory[Category]):
    """A top-level category; pass `parent=` for a sub-category."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None
    description = ""
    is_active = True
    position = 0


class TagFactory(DjangoModelFactory[Tag]):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ProductFactory(DjangoModelFactory[Product]):
    """A product without variants: add them with ProductVariantFactory, or use make_product.

    `ProductFactory.create(tags=[tag, ...])` sets its tags.
    """

    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = factory.Faker("sentence")
    category = factory.SubFactory(CategoryFactory)
    is_active = True
    is_featured = False

    @factory.post_generation
    def tags(self, create: bool, extracted: Iterable[Tag] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.tags.set(extracted)


class ProductVariantFactory(DjangoModelFactory[ProductVariant]):
    class Meta:
        model = ProductVariant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = ""
    options = factory.LazyFunction(dict)
    price = Decimal("19.99")
    compare_at_price = None
    currency = factory.LazyFunction(default_currency)
    stock = 10
    is_active = True
    position = 1


class DiscountFactory(DjangoModelFactory[Discount]):
    """A live product discount; `DiscountFactory.create(on_category=True)` for a category one."""

    class Meta:
        model = Discount

    class Params:
        on_category = factory.Trait(product=None, category=factory.SubFactory(CategoryFactory))

    name = factory.Sequence(lambda n: f"Discount {n}")
    percent = Decimal("10.00")
    product = factory.SubFactory(ProductFactory)
    category = None
    starts_at = None
    ends_at = None
    is_active = True


class ReviewFactory(DjangoModelFactory[Review]):
    class Meta:
        model = Review

    product = factory.SubFactory(ProductFactory)
    user = factory.SubFactory(UserFactory)
    rating = 5
    title = factory.Faker("sentence", nb_words=4)
    body = factory.Faker("paragraph")
    verified_purchase = False
    is_visible = True


def make_product(
    *,
    price: Decimal = Decimal("19.99"),
    stock: int = 10,
    sku: str | None = None,
    compare_at_price: Decimal | None = None,
    **product_fields: Any,
) -> Product:
    """Create a product with one plain variant (options {}): the usual test product."""
    product = ProductFactory.create(**product_fields)
    variant: dict[str, Any] = {"price": price, "stock": stock, "compare_at_price": compare_at_price}
    if sku is not None:
        variant["sku"] = sku
    ProductVariantFactory.create(product=product, **variant)
    return product
