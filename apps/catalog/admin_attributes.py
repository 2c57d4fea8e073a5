"""Back-office editing of attributes: the attribute and product type pages, and the attribute
fields the product page and its variant rows grow from the product's type.

A product's form gets one field per attribute its type gives the product ("Material",
"Weight (g)"), each variant row one per variant-defining attribute ("Colour", "Size"). Values
are checked and written by `apps.catalog.attributes`, as the API writes them.
"""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count

from apps.catalog import attributes as attribute_services
from apps.catalog.errors import AttributeInUse, InvalidAttributeValue
from apps.catalog.models import (
    Attribute,
    AttributeAssignment,
    AttributeKind,
    AttributeValue,
    Product,
    ProductType,
    ProductTypeAttribute,
    ProductVariant,
)

FIELD_PREFIX = "attr__"
VARIANT_FIELDS = (
    "sku",
    "name",
    "options",
    "price",
    "compare_at_price",
    "currency",
    "stock",
    "is_active",
    "position",
)


def _links(product_type_id: int | None, *, variant_defining: bool) -> list[ProductTypeAttribute]:
    if product_type_id is None:
        return []
    return list(
        ProductTypeAttribute.objects.filter(
            product_type_id=product_type_id, variant_defining=variant_defining
        )
        .select_related("attribute")
        .prefetch_related("attribute__values")
        .order_by("position", "id")
    )


def _field(attribute: Attribute) -> forms.Field:
    label = f"{attribute.name} ({attribute.unit})" if attribute.unit else attribute.name
    values = [(v.name, v.name) for v in attribute.values.all()]
    common: dict[str, Any] = {"label": label, "required": False}
    match attribute.kind:
        case AttributeKind.CHOICE:
            return forms.ChoiceField(choices=[("", "—"), *values], **common)
        case AttributeKind.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=values, widget=forms.CheckboxSelectMultiple, **common
            )
        case AttributeKind.NUMBER:
            return forms.DecimalField(max_digits=14, decimal_places=4, **common)
        case AttributeKind.BOOLEAN:
            return forms.NullBooleanField(widget=forms.NullBooleanSelect, **common)
    return forms.CharField(max_length=255, **common)


def _initial(rows: Sequence[AttributeAssignment], attribute: Attribute) -> Any:
    mine = [row for row in rows if row.attribute_id == attribute.pk]
    if not mine:
        return None
    if attribute.kind == AttributeKind.MULTI_CHOICE:
        return [row.value.name for row in mine if row.value is not None]
    row = mine[0]
    if row.value is not None:
        return row.value.name
    if row.number is not None:
        return row.number.normalize()
    return row.boolean if row.boolean is not None else row.text


class AttributeFieldsMixin:
    """Form fields for the attributes `links` names (declared by `_declared`), filled from
    `rows`, checked on clean."""

    links: Sequence[ProductTypeAttribute] = ()

    def fill_attribute_fields(self, rows: Sequence[AttributeAssignment]) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        for link in self.links:
            form.initial.setdefault(
                FIELD_PREFIX + link.attribute.slug, _initial(rows, link.attribute)
            )

    def attribute_values(self) -> dict[str, Any]:
        """Return the attribute values typed into the form, by attribute slug."""
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {
            link.attribute.slug: data.get(FIELD_PREFIX + link.attribute.slug) for link in self.links
        }

    def clean_attribute_fields(self) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        for link in self.links:
            name = FIELD_PREFIX + link.attribute.slug
            value = form.cleaned_data.get(name)
            try:
                attribute_services.parse_attribute_value(link.attribute, value)
            except InvalidAttributeValue as error:
                form.add_error(name, error.detail)


def _declared(form_class: type, links: Sequence[ProductTypeAttribute]) -> Any:
    """Return `form_class` with the attribute fields declared as class attributes: the admin's
    form factory only accepts model fields and declared ones in its fieldsets."""
    fields = {FIELD_PREFIX + link.attribute.slug: _field(link.attribute) for link in links}
    return type(form_class.__name__, (form_class,), fields)


def attribute_field_names(product: Product | None, *, variant_defining: bool) -> list[str]:
    """Return the names of the attribute fields a product's (or its variants') form has."""
    type_id = product.product_type_id if product is not None else None
    return [
        FIELD_PREFIX + link.attribute.slug
        for link in _links(type_id, variant_defining=variant_defining)
    ]


def product_form_class(base: type[forms.ModelForm[Any]], product: Product | None) -> type:
    """Return the product form with a field per product-level attribute of its type."""
    links = _links(product.product_type_id if product else None, variant_defining=False)

    class ProductAttributeForm(AttributeFieldsMixin, base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.links = links
            rows = []
            if self.instance.pk:
                rows = list(
                    AttributeAssignment.objects.filter(
                        product=self.instance, variant__isnull=True
                    ).select_related("value")
                )
            self.fill_attribute_fields(rows)

        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            self.clean_attribute_fields()
            new_type = cleaned.get("product_type")
            if self.instance.pk and "product_type" in self.changed_data:
                try:
                    attribute_services.check_product_type_change(self.instance, new_type)
                except AttributeInUse as error:
                    self.add_error("product_type", error.detail)
            return cleaned

    return _declared(ProductAttributeForm, links)


def variant_form_class(product: Product | None) -> type[forms.ModelForm[ProductVariant]]:
    """Return the variant row form with a field per variant-defining attribute."""
    links = _links(product.product_type_id if product else None, variant_defining=True)

    class VariantAttributeForm(AttributeFieldsMixin, forms.ModelForm[ProductVariant]):
        class Meta:
            model = ProductVariant
            fields = VARIANT_FIELDS

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.links = links
            rows = []
            if self.instance.pk:
                rows = list(
                    AttributeAssignment.objects.filter(variant=self.instance).select_related(
                        "value"
                    )
                )
            self.fill_attribute_fields(rows)

        def clean(self) -> dict[str, Any]:
            cleaned = super().clean() or {}
            self.clean_attribute_fields()
            return cleaned

        def save(self, commit: bool = True) -> ProductVariant:
            variant = super().save(commit=commit)
            if commit and links:
                attribute_services.set_attribute_values(
                    product=variant.product, variant=variant, values=self.attribute_values()
                )
            return variant

    return _declared(VariantAttributeForm, links)


class VariantAttributeFormSet(forms.BaseInlineFormSet[ProductVariant, Product, Any]):
    """Refuse two variant rows with the same variant-defining values (the picker could not
    tell them apart)."""

    def clean(self) -> None:
        super().clean()
        seen: dict[tuple[Any, ...], str] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            values = form.attribute_values() if hasattr(form, "attribute_values") else {}
            combination = tuple(
                sorted((k, str(v)) for k, v in values.items() if v not in ("", None))
            )
            if not combination or not form.cleaned_data.get("is_active", True):
                continue
            if combination in seen:
                raise ValidationError(
                    f"Variants {seen[combination]} and {form.cleaned_data.get('sku')} have the "
                    "same attribute values; each variant must differ in at least one."
                )
            seen[combination] = str(form.cleaned_data.get("sku"))


# --- Attribute and product type pages ------------------------------------------------------


class AttributeValueInline(admin.TabularInline[AttributeValue, Attribute]):
    model = AttributeValue
    fields = ("name", "slug", "position")
    prepopulated_fields = {"slug": ("name",)}
    extra = 1


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin[Attribute]):
    list_display = ("name", "slug", "kind", "unit", "is_filterable", "value_count", "position")
    list_editable = ("is_filterable", "position")
    list_filter = ("kind", "is_filterable")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (AttributeValueInline,)

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).annotate(value_count=Count("values"))

    @admin.display(description="values", ordering="value_count")
    def value_count(self, attribute: Attribute) -> int:
        return attribute.value_count  # type: ignore[attr-defined]

    def get_readonly_fields(self, request: Any, obj: Attribute | None = None) -> Any:
        # Stored values are of the attribute's kind: it is chosen once.
        return ("kind",) if obj is not None else ()


class ProductTypeAttributeInline(admin.TabularInline[ProductTypeAttribute, ProductType]):
    model = ProductTypeAttribute
    fields = ("attribute", "variant_defining", "position")
    autocomplete_fields = ("attribute",)
    extra = 1


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin[ProductType]):
    list_display = ("name", "slug", "attribute_count", "product_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ProductTypeAttributeInline,)

    def get_queryset(self, request: Any) -> Any:
        return (
            super()
            .get_queryset(request)
            .annotate(
                attribute_count=Count("type_attributes", distinct=True),
                product_count=Count("products", distinct=True),
            )
        )

    @admin.display(description="attributes", ordering="attribute_count")
    def attribute_count(self, product_type: ProductType) -> int:
        return product_type.attribute_count  # type: ignore[attr-defined]

    @admin.display(description="products", ordering="product_count")
    def product_count(self, product_type: ProductType) -> int:
        return product_type.product_count  # type: ignore[attr-defined]
