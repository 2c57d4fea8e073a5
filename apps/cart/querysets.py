"""The cart's query vocabulary."""

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, FilteredRelation, Q, QuerySet

from apps.cart.models import Cart, CartLine
from apps.catalog.models import ProductVariant

_LINE_FIELDS = ("id", "quantity", "created_at", "updated_at")


def cart_lines(cart: Cart) -> QuerySet[CartLine]:
    """Return the cart's lines with their variants and products, in the order they were added."""
    return (
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product")
        .order_by("created_at", "id")
    )


def cart_lines_and_variant(cart: Cart, wanted: Q) -> tuple[list[CartLine], ProductVariant | None]:
    """Return the cart's lines as `cart_lines` does, and the variant `wanted` picks, in one query.

    The variant comes with its product whether or not the cart holds it (None if there is no
    such variant); the lines are built from the same rows, each variant joined to its line.
    """
    rows = (
        ProductVariant.objects.select_related("product")
        .annotate(line=FilteredRelation("cart_lines", condition=Q(cart_lines__cart=cart)))
        # One IN over a union, not `line IS NOT NULL OR wanted`: an OR across the join would
        # be checked on every variant, the union finds each row by an index.
        .filter(
            pk__in=_cart_variant_ids(cart).union(
                ProductVariant.objects.filter(wanted).order_by().values("pk")
            )
        )
        .annotate(
            is_wanted=ExpressionWrapper(wanted, output_field=BooleanField()),
            **{f"line_{name}": F(f"line__{name}") for name in _LINE_FIELDS},
        )
        .order_by(F("line__created_at").asc(nulls_last=True), "line__id")
    )
    lines, picked = [], None
    for variant in rows:
        if variant.line_id is not None:  # type: ignore[attr-defined]  # the cart holds it
            lines.append(_line_of(cart, variant))
        if variant.is_wanted:  # type: ignore[attr-defined]
            picked = variant
    return lines, picked


def _cart_variant_ids(cart: Cart) -> "QuerySet[CartLine, Any]":
    return CartLine.objects.filter(cart=cart).order_by().values("variant_id")


def _line_of(cart: Cart, variant: ProductVariant) -> CartLine:
    """Return the cart's line of `variant`, from the `line_*` values annotated on it."""
    known = {"cart_id": cart.pk, "variant_id": variant.pk}
    known.update({name: getattr(variant, f"line_{name}") for name in _LINE_FIELDS})
    fields = [field.attname for field in CartLine._meta.concrete_fields]
    line = CartLine.from_db(variant._state.db, fields, [known[name] for name in fields])
    line.cart, line.variant = cart, variant
    return line
