"""Attribute filters of product lists: the attribute catalog, parsing `attr.*` parameters and
narrowing a product queryset by them.

A list may be narrowed by any filterable attribute: a choice or multi-choice attribute by one
or more of its values (any of them matches: `attr.colour=navy&attr.colour=black`), a number by
a range (`attr.weight.min=100&attr.weight.max=500`), a yes/no attribute by `true` or `false`.
Several attributes combine with AND, and they must hold for one and the same active variant
(or the product itself): "navy and size 42" means a variant that is navy and 42.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.catalog.cache import cached
from apps.catalog.errors import UnknownFilterValue
from apps.catalog.models import Attribute, AttributeAssignment, AttributeKind, ProductVariant

PARAM_PREFIX = "attr."
MAX_ATTRIBUTE_FILTERS = 10
MAX_VALUES_PER_ATTRIBUTE = 20
FILTERABLE_KINDS = frozenset(
    {AttributeKind.CHOICE, AttributeKind.MULTI_CHOICE, AttributeKind.NUMBER, AttributeKind.BOOLEAN}
)
BOOLEAN_VALUES = {"true": True, "false": False}
# Numbers are stored and filtered by below this (the column's 14 digits, 4 after the point).
MAX_NUMBER = Decimal("1e10")
QS = TypeVar("QS", bound=QuerySet[Any])


@dataclass(frozen=True)
class AttributeFilter:
    """One attribute's filter: value slugs (choices), "true"/"false" (yes/no) or a range."""

    slug: str
    values: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None


def attribute_catalog() -> dict[str, dict[str, Any]]:
    """Return every attribute by slug with its values in order, cached (one query cold)."""

    def compute() -> dict[str, dict[str, Any]]:
        catalog: dict[str, dict[str, Any]] = {}
        rows = Attribute.objects.order_by(
            "position", "name", "values__position", "values__name"
        ).values(
            "id",
            "slug",
            "name",
            "kind",
            "unit",
            "is_filterable",
            "position",
            "values__id",
            "values__slug",
            "values__name",
        )
        for row in rows:  # one row per value (or one with no value), attribute by attribute
            fields: dict[str, Any] = dict(row)
            value = {
                "id": fields.pop("values__id"),
                "slug": fields.pop("values__slug"),
                "name": fields.pop("values__name"),
            }
            entry = catalog.setdefault(fields["slug"], {**fields, "values": []})
            if value["id"] is not None:
                entry["values"].append(value)
        return catalog

    return cached("attributes", compute=compute)


def filterable_attributes() -> list[dict[str, Any]]:
    """Return the attributes offered as filters, in display order."""
    return [
        a
        for a in attribute_catalog().values()
        if a["is_filterable"] and a["kind"] in FILTERABLE_KINDS
    ]


def _problem(param: str, message: str) -> UnknownFilterValue:
    return UnknownFilterValue(message, errors={param: [message]})


def _decimal(param: str, raw: str) -> Decimal:
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        raise _problem(param, f"'{raw}' is not a number.") from None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise _problem(param, f"'{raw}' is not a number we can filter by.")
    return number


def parse_attribute_filters(
    query: Mapping[str, Iterable[str]],
) -> tuple[AttributeFilter, ...]:
    """Return the attribute filters named by `attr.*` keys of `query` (key → list of values).

    Blank values are ignored, so an untouched form field filters nothing.

    Raises:
        UnknownFilterValue: an unknown attribute or value, a bad number or range, too many.
    """
    if not any(key.startswith(PARAM_PREFIX) for key in query):
        return ()
    catalog = attribute_catalog()
    found: dict[str, dict[str, Any]] = {}
    for key, raw_values in query.items():
        if not key.startswith(PARAM_PREFIX):
            continue
        values = [v.strip() for v in raw_values if v and v.strip()]
        if not values:
            continue
        slug, _, bound = key[len(PARAM_PREFIX) :].partition(".")
        attribute = catalog.get(slug)
        if attribute is None or not attribute["is_filterable"]:
            raise _problem(key, f"No attribute '{slug}' to filter by.")
        kind = attribute["kind"]
        entry = found.setdefault(slug, {"values": [], "minimum": None, "maximum": None})
        if kind == AttributeKind.NUMBER:
            if bound not in ("min", "max") or len(values) > 1:
                raise _problem(key, f"Filter '{slug}' by {key}.min and/or {key}.max, once each.")
            entry["minimum" if bound == "min" else "maximum"] = _decimal(key, values[0])
            continue
        if bound:
            raise _problem(key, f"Attribute '{slug}' has no '{bound}' filter.")
        if kind == AttributeKind.BOOLEAN:
            if len(values) > 1 or values[0] not in BOOLEAN_VALUES:
                raise _problem(key, f"Filter '{slug}' by 'true' or 'false'.")
        else:
            known = {v["slug"] for v in attribute["values"]}
            unknown = [v for v in values if v not in known]
            if unknown:
                raise _problem(key, f"Attribute '{slug}' has no value '{unknown[0]}'.")
            if len(values) > MAX_VALUES_PER_ATTRIBUTE:
                raise _problem(key, f"At most {MAX_VALUES_PER_ATTRIBUTE} values per attribute.")
        entry["values"] = sorted(set(entry["values"]) | set(values))
    if len(found) > MAX_ATTRIBUTE_FILTERS:
        raise _problem("attr", f"At most {MAX_ATTRIBUTE_FILTERS} attributes at once.")
    filters = []
    for slug in sorted(found):
        entry = found[slug]
        low, high = entry["minimum"], entry["maximum"]
        if low is not None and high is not None and low > high:
            param = f"{PARAM_PREFIX}{slug}.max"
            raise _problem(param, f"{param} must not be lower than {PARAM_PREFIX}{slug}.min.")
        filters.append(
            AttributeFilter(slug=slug, values=tuple(entry["values"]), minimum=low, maximum=high)
        )
    return tuple(filters)


def attribute_query(filters: Iterable[AttributeFilter]) -> dict[str, list[str]]:
    """Return the `attr.*` query parameters that `parse_attribute_filters` reads back."""
    query: dict[str, list[str]] = {}
    for item in filters:
        if item.values:
            query[f"{PARAM_PREFIX}{item.slug}"] = list(item.values)
        if item.minimum is not None:
            query[f"{PARAM_PREFIX}{item.slug}.min"] = [str(item.minimum)]
        if item.maximum is not None:
            query[f"{PARAM_PREFIX}{item.slug}.max"] = [str(item.maximum)]
    return query


def _matches(item: AttributeFilter, attribute: dict[str, Any]) -> Q:
    """Return the condition an assignment row meets when it satisfies `item`."""
    condition = Q(attribute_id=attribute["id"])
    if attribute["kind"] == AttributeKind.NUMBER:
        if item.minimum is not None:
            condition &= Q(number__gte=item.minimum)
        if item.maximum is not None:
            condition &= Q(number__lte=item.maximum)
        return condition
    if attribute["kind"] == AttributeKind.BOOLEAN:
        return condition & Q(boolean=BOOLEAN_VALUES[item.values[0]])
    ids = [v["id"] for v in attribute["values"] if v["slug"] in item.values]
    return condition & Q(value_id__in=ids)


def _held(
    matching: QuerySet[AttributeAssignment], *, variant: OuterRef, product: OuterRef
) -> Exists:
    """Whether the outer query's variant, or its product, has one of the `matching` rows."""
    return Exists(matching.filter(Q(variant=variant) | Q(variant__isnull=True, product=product)))


def filter_by_attributes(products: QS, filters: Iterable[AttributeFilter]) -> QS:
    """Keep the products with one active variant that meets every filter (by its own value or
    its product's)."""
    filters = list(filters)
    if not filters:
        return products
    catalog = attribute_catalog()
    variants = ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True)
    for item in filters:
        matching = AttributeAssignment.objects.filter(_matches(item, catalog[item.slug]))
        # A necessary condition the planner can start from (an index scan of the matching
        # values): without it, it walks every product's variants to test the one below.
        products = products.filter(pk__in=matching.values("product_id"))
        variants = variants.filter(
            _held(matching, variant=OuterRef("pk"), product=OuterRef("product_id"))
        )
    return products.filter(Exists(variants))


def counted_rows(filters: Iterable[AttributeFilter]) -> Q:
    """Return which assignment rows of the listed products count towards facet values.

    A product's own values always count; a variant's only when that variant is active and
    meets every filter, so with "black" chosen, size 43 counts the products with a black 43,
    the list that choosing 43 would give.
    """
    catalog = attribute_catalog()
    variant = Q(variant__is_active=True)
    for item in filters:
        matching = AttributeAssignment.objects.filter(_matches(item, catalog[item.slug]))
        variant &= Q(
            _held(matching, variant=OuterRef("variant_id"), product=OuterRef("product_id"))
        )
    return Q(variant__isnull=True) | variant


def value_text(
    row: AttributeAssignment, *, unit: str = "", yes_no: tuple[str, str] = ("Yes", "No")
) -> str:
    """Return an assignment's value as text: a choice's name, a number (with `unit`), yes or
    no, or the text (`value` loaded for a choice)."""
    if row.value_id is not None:
        return row.value.name  # type: ignore[union-attr]
    if row.number is not None:
        number = f"{row.number.normalize():f}"
        return f"{number} {unit}" if unit else number
    if row.boolean is not None:
        return yes_no[0] if row.boolean else yes_no[1]
    return row.text


def describe_attributes(
    rows: Iterable[AttributeAssignment], variant_ids: Iterable[int]
) -> dict[str, Any]:
    """Return a product's attributes as its page shows them, from its assignment rows (with
    `attribute` and `value` loaded) and the ids of its active variants, in order.

    `attributes`: the product's own values, for the specification table. `variant_attributes`:
    the attributes its active variants differ by, with the values they have, for the picker.
    `by_variant`: each active variant's {attribute slug: value slug}.
    """
    active = list(variant_ids)
    own: dict[int, dict[str, Any]] = {}
    picker: dict[int, dict[str, Any]] = {}
    by_variant: dict[int, dict[str, str]] = {pk: {} for pk in active}
    ordered = sorted(rows, key=lambda r: (r.attribute.position, r.attribute.name, r.pk))
    for row in ordered:
        attribute = row.attribute
        if row.variant_id is None:
            entry = own.setdefault(
                attribute.pk,
                {
                    "slug": attribute.slug,
                    "name": attribute.name,
                    "kind": attribute.kind,
                    "values": [],
                },
            )
            entry["values"].append(value_text(row, unit=attribute.unit))
            continue
        if row.variant_id not in by_variant or row.value_id is None:
            continue  # inactive variants are not offered; the picker chooses among choices
        value = row.value
        by_variant[row.variant_id][attribute.slug] = value.slug  # type: ignore[union-attr]
        entry = picker.setdefault(
            attribute.pk, {"slug": attribute.slug, "name": attribute.name, "values": {}}
        )
        entry["values"][value.pk] = value  # type: ignore[union-attr]
    return {
        "attributes": [{**e, "value": ", ".join(e["values"])} for e in own.values()],
        "variant_attributes": [
            {
                "slug": e["slug"],
                "name": e["name"],
                "values": [
                    {"slug": v.slug, "name": v.name}
                    for v in sorted(e["values"].values(), key=lambda v: (v.position, v.name))
                ],
            }
            for e in picker.values()
        ],
        "by_variant": by_variant,
    }
