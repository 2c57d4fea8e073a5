"""Writes of product types, attributes and the values that products and variants carry.

A product's type lists its attributes; a variant-defining one takes a value per variant (the
picker chooses by it), any other a value on the product. `set_attribute_values` is the one
way values are written (staff API, CSV import, admin), so the same rules hold everywhere.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.errors import AttributeInUse, InvalidAttributeValue
from apps.catalog.facets import MAX_NUMBER, value_text
from apps.catalog.models import (
    CHOICE_KINDS,
    Attribute,
    AttributeAssignment,
    AttributeKind,
    AttributeValue,
    Product,
    ProductType,
    ProductTypeAttribute,
    ProductVariant,
)

TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})
MULTI_SEPARATOR = "|"


@dataclass(frozen=True)
class TypeAttribute:
    """An attribute of a product type, and whether each variant has its own value of it."""

    attribute: Attribute
    variant_defining: bool = False


def _problem(field: str, message: str) -> InvalidAttributeValue:
    return InvalidAttributeValue(message, errors={field: [message]})


def _unique_slug(model: type[Any], name: str, **scope: Any) -> str:
    base = slugify(name)[:70] or "attribute"
    slug, n = base, 2
    while model.objects.filter(slug=slug, **scope).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- Attributes and their values ------------------------------------------------------------


@transaction.atomic
def create_attribute(
    *,
    name: str,
    kind: str,
    unit: str = "",
    is_filterable: bool = True,
    position: int = 0,
    values: Sequence[str] = (),
) -> Attribute:
    """Create an attribute (its slug from the name) with the given choice values in order.

    Raises:
        InvalidAttributeValue: an unknown kind, or values for an attribute that is no choice.
    """
    if kind not in AttributeKind.values:
        raise _problem("kind", f"'{kind}' is not an attribute kind: {', '.join(AttributeKind)}.")
    if values and kind not in CHOICE_KINDS:
        raise _problem("values", "Only choice attributes have a list of values.")
    attribute = Attribute.objects.create(
        name=name,
        slug=_unique_slug(Attribute, name),
        kind=kind,
        unit=unit,
        is_filterable=is_filterable,
        position=position,
    )
    add_attribute_values(attribute=attribute, names=values)
    return attribute


def update_attribute(*, attribute: Attribute, **changes: Any) -> Attribute:
    """Change an attribute's name, unit, filterability or position (its kind stays: values
    already stored are of that kind)."""
    allowed = {"name", "unit", "is_filterable", "position"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"update_attribute() got unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(attribute, name, value)
    if changes:
        attribute.save(update_fields=list(changes))
    return attribute


@transaction.atomic
def add_attribute_values(*, attribute: Attribute, names: Iterable[str]) -> list[AttributeValue]:
    """Return the attribute's values of these names, creating those it lacks (after the others).

    Raises:
        InvalidAttributeValue: the attribute is not a choice, or a name makes no slug.
    """
    names = [name.strip() for name in names if name.strip()]
    if not names:
        return []
    if attribute.kind not in CHOICE_KINDS:
        raise _problem("values", f"'{attribute.name}' is not a choice attribute.")
    existing = {v.slug: v for v in AttributeValue.objects.filter(attribute=attribute)}
    position = max((v.position for v in existing.values()), default=-1) + 1
    found: list[AttributeValue] = []
    for name in names:
        slug = slugify(name)[:100]
        if not slug:
            raise _problem("values", f"'{name}' cannot be a value: it has no letters or digits.")
        if slug not in existing:
            existing[slug] = AttributeValue.objects.create(
                attribute=attribute, name=name, slug=slug, position=position
            )
            position += 1
        found.append(existing[slug])
    return found


def delete_attribute(*, attribute: Attribute) -> None:
    """Delete an attribute no product type and no product uses.

    Raises:
        AttributeInUse: a product type lists it, or a product or variant has a value of it.
    """
    if ProductTypeAttribute.objects.filter(attribute=attribute).exists():
        raise AttributeInUse(f"Product types still list '{attribute.name}'; remove it there first.")
    if AttributeAssignment.objects.filter(attribute=attribute).exists():
        raise AttributeInUse(f"Products still have a '{attribute.name}'; clear those values first.")
    attribute.delete()


# --- Product types --------------------------------------------------------------------------


def _set_type_attributes(product_type: ProductType, attributes: Sequence[TypeAttribute]) -> None:
    slugs = [item.attribute.slug for item in attributes]
    if len(set(slugs)) != len(slugs):
        raise _problem("attributes", "An attribute may be listed once per product type.")
    keep = {item.attribute.pk for item in attributes}
    dropped = ProductTypeAttribute.objects.filter(product_type=product_type).exclude(
        attribute_id__in=keep
    )
    in_use = AttributeAssignment.objects.filter(
        product__product_type=product_type, attribute_id__in=dropped.values("attribute_id")
    )
    if in_use.exists():
        raise AttributeInUse(
            "Products of this type still have values of an attribute left out; clear them first."
        )
    dropped.delete()
    for position, item in enumerate(attributes):
        ProductTypeAttribute.objects.update_or_create(
            product_type=product_type,
            attribute=item.attribute,
            defaults={"variant_defining": item.variant_defining, "position": position},
        )


@transaction.atomic
def create_product_type(*, name: str, attributes: Sequence[TypeAttribute] = ()) -> ProductType:
    """Create a product type listing `attributes` in order.

    Raises:
        InvalidAttributeValue: an attribute is listed twice.
    """
    product_type = ProductType.objects.create(name=name, slug=_unique_slug(ProductType, name))
    _set_type_attributes(product_type, attributes)
    bump_catalog_version_on_commit()
    return product_type


@transaction.atomic
def update_product_type(
    *,
    product_type: ProductType,
    name: str | None = None,
    attributes: Sequence[TypeAttribute] | None = None,
) -> ProductType:
    """Rename a product type and/or replace its list of attributes.

    Raises:
        InvalidAttributeValue: an attribute is listed twice.
        AttributeInUse: an attribute left out still has values on products of this type.
    """
    if name is not None:
        product_type.name = name
        product_type.save(update_fields=["name", "updated_at"])
    if attributes is not None:
        _set_type_attributes(product_type, attributes)
        bump_catalog_version_on_commit()
    return product_type


def check_product_type_change(product: Product, product_type: ProductType | None) -> None:
    """Refuse a new product type that lacks an attribute the product has values of.

    Raises:
        AttributeInUse: naming those attributes.
    """
    values = AttributeAssignment.objects.filter(product=product)
    if product_type is not None:
        values = values.exclude(
            attribute_id__in=ProductTypeAttribute.objects.filter(product_type=product_type).values(
                "attribute_id"
            )
        )
    names = sorted(set(values.values_list("attribute__name", flat=True)))
    if names:
        raise AttributeInUse(
            f"The product has values of {', '.join(names)}, which the new type does not list; "
            "clear them first."
        )


def delete_product_type(*, product_type: ProductType) -> None:
    """Delete a product type no product has.

    Raises:
        AttributeInUse: products are still of this type.
    """
    if Product.objects.filter(product_type=product_type).exists():
        raise AttributeInUse(f"Products are still of type '{product_type.name}'.")
    product_type.delete()


# --- Values of products and variants --------------------------------------------------------


def _words(raw: Any) -> list[str]:
    if isinstance(raw, list | tuple):
        items = [str(item) for item in raw]
    else:
        items = str(raw).split(MULTI_SEPARATOR)
    return [item.strip() for item in items if item.strip()]


def _choices(attribute: Attribute, raw: Any, *, create_missing: bool) -> list[dict[str, Any]]:
    words = _words(raw)
    if attribute.kind == AttributeKind.CHOICE and len(words) > 1:
        raise _problem(attribute.slug, f"'{attribute.name}' takes one value, not {len(words)}.")
    known = {v.slug: v for v in AttributeValue.objects.filter(attribute=attribute)}
    chosen: list[AttributeValue] = []
    for word in words:
        value = known.get(slugify(word))
        if value is None and create_missing:
            value = add_attribute_values(attribute=attribute, names=[word])[0]
            known[value.slug] = value
        if value is None:
            offered = ", ".join(v.name for v in known.values()) or "none yet"
            raise _problem(
                attribute.slug, f"'{word}' is not a value of '{attribute.name}' ({offered})."
            )
        if value not in chosen:
            chosen.append(value)
    return [{"value": value} for value in chosen]


def parse_attribute_value(
    attribute: Attribute, raw: Any, *, create_missing: bool = False
) -> list[dict[str, Any]]:
    """Return the assignment columns that `raw` stands for (none: the value is cleared).

    Choices are given by name or slug (several, for multi-choice, as a list or "a|b"); numbers
    as a number or text; yes/no as a boolean or yes/no/true/false/1/0; text as text.

    Raises:
        InvalidAttributeValue: the value does not fit the attribute's kind or choices.
    """
    if raw is None or raw == "" or raw == []:
        return []
    kind = attribute.kind
    if kind in CHOICE_KINDS:
        return _choices(attribute, raw, create_missing=create_missing)
    if kind == AttributeKind.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise _problem(attribute.slug, f"'{raw}' is not a number.") from None
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            raise _problem(attribute.slug, f"'{raw}' is not a number we can store.")
        return [{"number": number.quantize(Decimal("0.0001"))}]
    if kind == AttributeKind.BOOLEAN:
        word = str(raw).strip().lower()
        if isinstance(raw, bool) or word in TRUE_WORDS | FALSE_WORDS:
            return [{"boolean": raw if isinstance(raw, bool) else word in TRUE_WORDS}]
        raise _problem(attribute.slug, f"'{raw}' is not yes or no.")
    text = str(raw).strip()
    if len(text) > 255:
        raise _problem(attribute.slug, "A text value may have at most 255 characters.")
    return [{"text": text}] if text else []


def _type_attributes(product: Product) -> dict[str, ProductTypeAttribute]:
    if product.product_type_id is None:
        raise _problem("product_type", f"'{product.name}' has no product type: give it one first.")
    links = ProductTypeAttribute.objects.filter(product_type_id=product.product_type_id)
    return {link.attribute.slug: link for link in links.select_related("attribute")}


def _check_combination_free(variant: ProductVariant) -> None:
    """Refuse a variant whose variant-defining values another active variant already has."""
    mine = set(
        AttributeAssignment.objects.filter(variant=variant).values_list("attribute_id", "value_id")
    )
    if not mine:
        return
    others: dict[int, set[tuple[int, int | None]]] = {}
    rows = AttributeAssignment.objects.filter(
        product_id=variant.product_id, variant__is_active=True
    ).exclude(variant=variant)
    for variant_id, attribute_id, value_id in rows.values_list(
        "variant_id", "attribute_id", "value_id"
    ):
        others.setdefault(variant_id, set()).add((attribute_id, value_id))
    if mine in others.values():
        raise _problem(
            "variant",
            f"Another variant of this product already has these values; {variant.sku} "
            "must differ from it in at least one.",
        )


@transaction.atomic
def set_attribute_values(
    *,
    product: Product,
    values: Mapping[str, Any],
    variant: ProductVariant | None = None,
    create_missing_choices: bool = False,
) -> None:
    """Set (or, with an empty value, clear) the product's or one variant's attribute values.

    `values` maps attribute slugs to values as `parse_attribute_value` reads them; attributes
    not named keep their values. A variant takes the variant-defining attributes of the
    product's type; the product takes the others.

    Raises:
        InvalidAttributeValue: no product type, an attribute the type does not list or not at
            this level, a value that does not fit, or a variant that would have the same
            values as another.
    """
    if variant is not None and variant.product_id != product.pk:
        raise _problem("variant", f"{variant.sku} is not a variant of '{product.name}'.")
    links = _type_attributes(product)
    for slug, raw in values.items():
        link = links.get(slug)
        if link is None:
            listed = ", ".join(links) or "none"
            raise _problem(
                slug, f"Products of this type have no attribute '{slug}' (they have: {listed})."
            )
        if link.variant_defining != (variant is not None):
            where = "each variant" if link.variant_defining else "the product, not a variant"
            raise _problem(slug, f"'{link.attribute.name}' is set on {where}.")
        rows = parse_attribute_value(link.attribute, raw, create_missing=create_missing_choices)
        if link.variant_defining and rows and "value" not in rows[0]:
            raise _problem(slug, "A variant-defining attribute must be a choice attribute.")
        AttributeAssignment.objects.filter(
            product=product, variant=variant, attribute=link.attribute
        ).delete()
        AttributeAssignment.objects.bulk_create(
            [
                AttributeAssignment(
                    product=product, variant=variant, attribute=link.attribute, **columns
                )
                for columns in rows
            ]
        )
    if variant is not None:
        _check_combination_free(variant)
    bump_catalog_version_on_commit()  # bulk_create sends no signals


def attribute_values_of(product: Product) -> dict[str, Any]:
    """Return a product's values as `set_attribute_values` takes them: {"product": {slug:
    value}, "variants": {sku: {slug: value}}} (choices by name, several joined by "|")."""
    return attribute_values_by_product([product.pk]).get(
        product.pk, {"product": {}, "variants": {}}
    )


def attribute_values_by_product(product_ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
    """Return `attribute_values_of` for each of these products that has values, in one query."""
    rows = (
        AttributeAssignment.objects.filter(product_id__in=list(product_ids))
        .select_related("attribute", "value", "variant")
        .order_by("attribute__position", "attribute__name", "id")
    )
    found: dict[Any, dict[str, dict[str, list[str]]]] = {}
    for row in rows:
        product = found.setdefault(row.product_id, {"product": {}})
        key = "product" if row.variant is None else row.variant.sku
        product.setdefault(key, {}).setdefault(row.attribute.slug, []).append(
            value_text(row, yes_no=("yes", "no"))  # as `parse_attribute_value` reads it
        )
    return {
        pk: {
            "product": _joined(values.pop("product")),
            "variants": {sku: _joined(v) for sku, v in values.items()},
        }
        for pk, values in found.items()
    }


def _joined(values: Mapping[str, list[str]]) -> dict[str, str]:
    return {slug: MULTI_SEPARATOR.join(items) for slug, items in values.items()}
