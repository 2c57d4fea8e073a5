"""Product types and attributes of the demo catalog.

Each leaf category gets a product type. Its variant options (size, colour, storage…) become
variant-defining choice attributes; each product also gets a material or feature (from the
words of its name), a weight in grams and, for clothing and shoes, a "Recycled materials"
yes/no. Values are drawn from a generator of the product's own, so product n carries the same
attributes on every run.
"""

import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.text import slugify

from apps.catalog.models import (
    Attribute,
    AttributeAssignment,
    AttributeKind,
    AttributeValue,
    ProductType,
    ProductTypeAttribute,
    ProductVariant,
)

# Which product-level choice attribute a top category's "quality" words are.
QUALITY_ATTRIBUTE = {"Clothing": "Material", "Shoes": "Material", "Home & Kitchen": "Material"}
DEFAULT_QUALITY_ATTRIBUTE = "Feature"
RECYCLED_TOPS = frozenset({"Clothing", "Shoes"})
# Weight ranges in grams per top category (a product's weight is drawn within its range).
WEIGHT_GRAMS = {
    "Clothing": (150, 1200),
    "Shoes": (250, 1400),
    "Electronics": (40, 2500),
    "Home & Kitchen": (200, 12000),
    "Sports & Outdoors": (80, 4000),
}
DEFAULT_WEIGHT_GRAMS = (50, 1500)


@dataclass
class AttributePlan:
    """The demo's attributes, values and product types, by the names the seeder knows."""

    attribute_ids: dict[str, int] = field(default_factory=dict)  # by attribute name
    value_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (attribute, slug)
    type_ids: dict[str, int] = field(default_factory=dict)  # by leaf category name


def _title(key: str) -> str:
    return key.replace("_", " ").capitalize()


def seed_attributes(leaves: list[tuple[Any, Any, Any]]) -> AttributePlan:
    """Create the demo's missing attributes, values and product types; return their ids."""
    choice_values: dict[str, list[str]] = {}
    for top, leaf, _ in leaves:
        for key, values in leaf.options:
            choice_values.setdefault(_title(key), []).extend(values)
        quality = QUALITY_ATTRIBUTE.get(top.name, DEFAULT_QUALITY_ATTRIBUTE)
        choice_values.setdefault(quality, []).extend(leaf.qualities)
    attributes = [
        Attribute(name=name, slug=slugify(name), kind=AttributeKind.CHOICE, position=position)
        for position, name in enumerate(choice_values)
    ]
    attributes.append(
        Attribute(name="Weight", slug="weight", kind=AttributeKind.NUMBER, unit="g", position=90)
    )
    attributes.append(
        Attribute(
            name="Recycled materials",
            slug="recycled-materials",
            kind=AttributeKind.BOOLEAN,
            position=91,
        )
    )
    Attribute.objects.bulk_create(attributes, ignore_conflicts=True)
    plan = AttributePlan()
    by_slug = {a.slug: a for a in Attribute.objects.filter(slug__in=[a.slug for a in attributes])}
    for attribute in attributes:
        plan.attribute_ids[attribute.name] = by_slug[attribute.slug].pk
    values = []
    for name, names in choice_values.items():
        seen: dict[str, str] = {}
        for value in names:
            seen.setdefault(slugify(value), value)
        values.extend(
            AttributeValue(
                attribute_id=plan.attribute_ids[name], name=value, slug=slug, position=position
            )
            for position, (slug, value) in enumerate(seen.items())
        )
    AttributeValue.objects.bulk_create(values, ignore_conflicts=True)
    names_by_id = {pk: name for name, pk in plan.attribute_ids.items()}
    for row in AttributeValue.objects.filter(attribute_id__in=names_by_id).values(
        "id", "attribute_id", "slug"
    ):
        plan.value_ids[(names_by_id[row["attribute_id"]], row["slug"])] = row["id"]
    _seed_types(leaves, plan)
    return plan


def _seed_types(leaves: list[tuple[Any, Any, Any]], plan: AttributePlan) -> None:
    ProductType.objects.bulk_create(
        [ProductType(name=leaf.name, slug=category.slug) for _, leaf, category in leaves],
        ignore_conflicts=True,
    )
    slugs = {category.slug: leaf.name for _, leaf, category in leaves}
    for slug, pk in ProductType.objects.filter(slug__in=slugs).values_list("slug", "id"):
        plan.type_ids[slugs[slug]] = pk
    links = []
    for top, leaf, _ in leaves:
        type_id = plan.type_ids[leaf.name]
        names = [_title(key) for key, _ in leaf.options]
        links += [
            ProductTypeAttribute(
                product_type_id=type_id,
                attribute_id=plan.attribute_ids[name],
                variant_defining=True,
                position=position,
            )
            for position, name in enumerate(names)
        ]
        own = [QUALITY_ATTRIBUTE.get(top.name, DEFAULT_QUALITY_ATTRIBUTE), "Weight"]
        if top.name in RECYCLED_TOPS:
            own.append("Recycled materials")
        links += [
            ProductTypeAttribute(
                product_type_id=type_id,
                attribute_id=plan.attribute_ids[name],
                position=len(names) + position,
            )
            for position, name in enumerate(own)
        ]
    ProductTypeAttribute.objects.bulk_create(links, ignore_conflicts=True)


def product_assignments(
    plan: AttributePlan,
    *,
    top: Any,
    leaf: Any,
    product_id: Any,
    name: str,
    variants: list[ProductVariant],
    seed: str,
) -> list[AttributeAssignment]:
    """Return the attribute rows of one demo product and its (saved) variants."""
    rng = random.Random(zlib.crc32(seed.encode()))  # noqa: S311  (demo data, not secrets)
    quality_attribute = QUALITY_ATTRIBUTE.get(top.name, DEFAULT_QUALITY_ATTRIBUTE)
    quality = next((q for q in leaf.qualities if q in name), rng.choice(leaf.qualities))
    rows = [
        AttributeAssignment(
            product_id=product_id,
            attribute_id=plan.attribute_ids[quality_attribute],
            value_id=plan.value_ids[(quality_attribute, slugify(quality))],
        ),
        AttributeAssignment(
            product_id=product_id,
            attribute_id=plan.attribute_ids["Weight"],
            number=Decimal(rng.randint(*WEIGHT_GRAMS.get(top.name, DEFAULT_WEIGHT_GRAMS))),
        ),
    ]
    if top.name in RECYCLED_TOPS:
        rows.append(
            AttributeAssignment(
                product_id=product_id,
                attribute_id=plan.attribute_ids["Recycled materials"],
                boolean=rng.random() < 0.3,
            )
        )
    for variant in variants:
        for key, value in variant.options.items():
            attribute = _title(key)
            rows.append(
                AttributeAssignment(
                    product_id=product_id,
                    variant_id=variant.pk,
                    attribute_id=plan.attribute_ids[attribute],
                    value_id=plan.value_ids[(attribute, slugify(value))],
                )
            )
    return rows
