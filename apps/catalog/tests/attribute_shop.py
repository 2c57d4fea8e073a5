"""A small shoe shop with attributes, shared by the facet, storefront and browser tests."""

from decimal import Decimal
from typing import Any

from apps.catalog.cache import bump_catalog_version
from apps.catalog.models import (
    Attribute,
    AttributeAssignment,
    AttributeKind,
    AttributeValue,
    Product,
    ProductVariant,
)
from apps.catalog.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductVariantFactory,
    ReviewFactory,
    TagFactory,
)


class Shop:
    """Shoes (Boots, Sneakers) with colour and size per variant, weight and waterproof per
    product.

    boots-a:  black/42 (in stock), tan/43 (sold out); 800 g; waterproof; rated 5
    boots-b:  black/43; 1200 g; not waterproof; rated 2
    sneaker:  white/42, and navy/44 (inactive); 300 g
    """

    def __init__(self) -> None:
        self.shoes = CategoryFactory.create(name="Shoes", slug="shoes")
        self.boots = CategoryFactory.create(name="Boots", slug="boots", parent=self.shoes)
        self.sneakers = CategoryFactory.create(name="Sneakers", slug="sneakers", parent=self.shoes)
        self.colour = Attribute.objects.create(
            name="Colour", slug="colour", kind=AttributeKind.CHOICE, position=1
        )
        self.size = Attribute.objects.create(
            name="Size", slug="size", kind=AttributeKind.CHOICE, position=2
        )
        self.weight = Attribute.objects.create(
            name="Weight", slug="weight", kind=AttributeKind.NUMBER, unit="g", position=3
        )
        self.waterproof = Attribute.objects.create(
            name="Waterproof", slug="waterproof", kind=AttributeKind.BOOLEAN, position=4
        )
        self.values: dict[str, AttributeValue] = {}
        for attribute, names in ((self.colour, "black tan white navy"), (self.size, "42 43 44")):
            for position, name in enumerate(names.split()):
                self.values[name] = AttributeValue.objects.create(
                    attribute=attribute, name=name.title(), slug=name, position=position
                )
        self.sale = TagFactory.create(name="Sale", slug="sale")
        self.boots_a = self.product("boots-a", self.boots, [("black", "42", 5), ("tan", "43", 0)])
        self.boots_b = self.product("boots-b", self.boots, [("black", "43", 3)])
        self.sneaker = self.product("sneaker", self.sneakers, [("white", "42", 9)])
        hidden = ProductVariantFactory.create(product=self.sneaker, is_active=False, stock=4)
        self.assign(self.sneaker, hidden, "navy", "44")
        self.own(self.boots_a, weight="800", waterproof=True)
        self.own(self.boots_b, weight="1200", waterproof=False)
        self.own(self.sneaker, weight="300")
        self.boots_a.tags.add(self.sale)
        ReviewFactory.create(product=self.boots_a, rating=5)
        ReviewFactory.create(product=self.boots_b, rating=2)
        bump_catalog_version()

    def product(self, slug: str, category: Any, variants: list[tuple[str, str, int]]) -> Product:
        product = ProductFactory.create(slug=slug, name=slug.title(), category=category)
        for colour, size, stock in variants:
            variant = ProductVariantFactory.create(
                product=product, stock=stock, price=Decimal("50.00")
            )
            self.assign(product, variant, colour, size)
        return product

    def assign(self, product: Product, variant: ProductVariant, colour: str, size: str) -> None:
        for attribute, value in ((self.colour, colour), (self.size, size)):
            AttributeAssignment.objects.create(
                product=product, variant=variant, attribute=attribute, value=self.values[value]
            )

    def own(self, product: Product, *, weight: str, waterproof: bool | None = None) -> None:
        AttributeAssignment.objects.create(
            product=product, attribute=self.weight, number=Decimal(weight)
        )
        if waterproof is not None:
            AttributeAssignment.objects.create(
                product=product, attribute=self.waterproof, boolean=waterproof
            )
