"""Back-office pages for the catalog: the category tree, tags, products with their variants,
discounts and review moderation; every list page runs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import Count, Exists, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django_stubs_ext import StrOrPromise

from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.errors import InvalidCategoryParent
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.catalog.services import check_category_parent
from apps.users.models import User

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

LOW_STOCK_THRESHOLD = 5
INDENT = "\u2003"  # an em space: HTML does not collapse it, so the tree keeps its shape


# --- Shared helpers -------------------------------------------------------------------------


def _per_row(rows: QuerySet[Any], *, by: str, aggregate: models.Aggregate) -> Subquery:
    """Return `aggregate` over the `rows` whose `by` points at the outer row, as a subquery.

    A correlated subquery rather than a join, so joins added by searches or filters can
    never multiply the numbers.
    """
    grouped = rows.filter(**{by: OuterRef("pk")}).order_by().values(by)
    return Subquery(grouped.annotate(value=aggregate).values("value")[:1])


def _count_of(rows: QuerySet[Any], *, by: str) -> Coalesce:
    """Return how many `rows` point at the outer row through `by` (0 when none)."""
    return Coalesce(_per_row(rows, by=by, aggregate=Count("pk")), 0)


def _set_flag(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    field: str,
    value: bool,
    done: str,
) -> None:
    """Set a boolean on the selected rows that differ, invalidate the catalog cache, report.

    update() sends no signals, so the cache bump that saves get from them is done here.
    """
    changed = queryset.exclude(**{field: value}).update(
        **{field: value, "updated_at": timezone.now()}
    )
    if changed:
        bump_catalog_version_on_commit()
    model_admin.message_user(
        request, f"{changed} {model_ngettext(model_admin.opts, changed)} {done}.", messages.SUCCESS
    )


# --- Categories -----------------------------------------------------------------------------


def category_depths(parents: dict[int, int | None]) -> dict[int, int]:
    """Return each category's depth in the tree (roots are 0) from its id -> parent id map.

    A node on a cycle (which no form allows, but the database does not forbid) counts as a
    root rather than looping forever.
    """
    depths: dict[int, int] = {}
    for start in parents:
        path: list[int] = []
        node: int | None = start
        while node is not None and node not in depths and node not in path:
            path.append(node)
            node = parents.get(node)
        depth = depths[node] if node is not None and node in depths else -1
        for pk in reversed(path):
            depth += 1
            depths[pk] = depth
    return depths


def _category_parents() -> dict[int, int | None]:
    return dict(Category.objects.order_by().values_list("id", "parent_id"))


class CategoryChangeList(ChangeList):
    """The category list, with each listed category's depth worked out in one extra query."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        depths = category_depths(_category_parents())
        for category in self.result_list:
            category.depth = depths.get(category.pk, 0)


class CategoryAdminForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = ("name", "slug", "parent", "description", "is_active", "position")

    def clean_parent(self) -> Category | None:
        """Refuse a parent that is the category itself or one of its sub-categories."""
        parent: Category | None = self.cleaned_data.get("parent")
        try:
            check_category_parent(category=self.instance, parent=parent)
        except InvalidCategoryParent as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from exc
        return parent


class CategoryTotals(TypedDict):
    product_count: int


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    form = CategoryAdminForm
    list_display = ("tree_name", "parent", "is_active", "position", "product_count")
    list_display_links = ("tree_name",)
    list_filter = ("is_active",)
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    ordering = ("position", "name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    readonly_fields = ("created_at", "updated_at")
    fields = (
        "name",
        "slug",
        "parent",
        "description",
        "is_active",
        "position",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return (
            super()
            .get_queryset(request)
            .annotate(product_count=_count_of(Product.objects.all(), by="category"))
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CategoryChangeList

    @admin.display(description="name", ordering="name")
    def tree_name(self, obj: Category) -> str:
        depth: int = getattr(obj, "depth", 0)
        return f"{INDENT * 2 * depth}└ {obj.name}" if depth else obj.name

    @admin.display(description="products", ordering="product_count")
    def product_count(self, obj: WithAnnotations[Category, CategoryTotals]) -> int:
        return obj.product_count


# --- Tags -----------------------------------------------------------------------------------


class TagTotals(TypedDict):
    product_count: int


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ("name", "slug", "product_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        tagged = Product.tags.through.objects.all()
        return super().get_queryset(request).annotate(product_count=_count_of(tagged, by="tag"))

    @admin.display(description="products", ordering="product_count")
    def product_count(self, obj: WithAnnotations[Tag, TagTotals]) -> int:
        return obj.product_count


# --- Products -------------------------------------------------------------------------------


class StockStatusFilter(admin.SimpleListFilter):
    """Filter products by the stock of their active variants."""

    title = "stock status"
    parameter_name = "stock"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return (
            ("in", "In stock"),
            ("out", "Out of stock"),
            ("low", f"Low stock (≤ {LOW_STOCK_THRESHOLD} on a variant)"),
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        active = ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True)
        in_stock = Exists(active.filter(stock__gt=0))
        match self.value():
            case "in":
                return queryset.filter(in_stock)
            case "out":
                return queryset.filter(~in_stock)
            case "low":
                return queryset.filter(Exists(active.filter(stock__lte=LOW_STOCK_THRESHOLD)))
        return queryset


class VariantInline(admin.TabularInline[ProductVariant, Product]):
    model = ProductVariant
    fields = (
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
    extra = 1
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 24})},
    }


class ProductDiscountInline(admin.TabularInline[Discount, Product]):
    """Discounts on this product alone (category-wide ones live on the discount pages)."""

    model = Discount
    fk_name = "product"
    fields = ("name", "percent", "starts_at", "ends_at", "is_active")
    extra = 0
    verbose_name = "product discount"


class ProductTotals(TypedDict):
    variant_count: int
    total_stock: int
    cheapest_price: Decimal | None


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    list_display = (
        "name",
        "category",
        "is_active",
        "is_featured",
        "variant_count",
        "total_stock",
        "cheapest_price",
        "created_at",
    )
    list_select_related = ("category",)
    list_filter = (
        ("category", admin.RelatedOnlyFieldListFilter),
        "is_active",
        "is_featured",
        StockStatusFilter,
    )
    search_fields = ("name", "slug", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    filter_horizontal = ("tags",)
    readonly_fields = ("created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "description")}),
        ("Merchandising", {"fields": ("is_active", "is_featured", "tags")}),
        ("History", {"fields": ("created_by", "created_at", "updated_at")}),
    )
    inlines = (VariantInline, ProductDiscountInline)
    actions = ("activate", "deactivate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        variants = ProductVariant.objects.all()
        active = variants.filter(is_active=True)
        # search_vector is kept by a database trigger and never shown here.
        return (
            super()
            .get_queryset(request)
            .defer("search_vector")
            .annotate(
                variant_count=_count_of(variants, by="product"),
                total_stock=Coalesce(_per_row(active, by="product", aggregate=Sum("stock")), 0),
                cheapest_price=_per_row(active, by="product", aggregate=Min("price")),
            )
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Product], search_term: str
    ) -> tuple[QuerySet[Product], bool]:
        """Search name, slug and variant SKUs, listing each product once.

        A SKU match joins the variants; keeping that join inside `pk IN (…)` returns each
        product once without a DISTINCT over every column.
        """
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if may_have_duplicates:
            results = queryset.filter(pk__in=results.values("pk"))
        return results, False

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        if not change and isinstance(request.user, User):
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="variants", ordering="variant_count")
    def variant_count(self, obj: WithAnnotations[Product, ProductTotals]) -> int:
        return obj.variant_count

    @admin.display(description="stock", ordering="total_stock")
    def total_stock(self, obj: WithAnnotations[Product, ProductTotals]) -> int:
        """Units in stock over the active variants."""
        return obj.total_stock

    @admin.display(description="from", ordering="cheapest_price", empty_value="—")
    def cheapest_price(self, obj: WithAnnotations[Product, ProductTotals]) -> Decimal | None:
        """The lowest list price among the active variants."""
        return obj.cheapest_price

    @admin.action(description="Activate selected products")
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        _set_flag(self, request, queryset, field="is_active", value=True, done="activated")

    @admin.action(description="Deactivate selected products")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        _set_flag(self, request, queryset, field="is_active", value=False, done="deactivated")


# --- Discounts ------------------------------------------------------------------------------


class DiscountTargetFilter(admin.SimpleListFilter):
    title = "target"
    parameter_name = "target"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> Iterable[tuple[str, StrOrPromise]]:
        return (("product", "A product"), ("category", "A category"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        match self.value():
            case "product":
                return queryset.filter(product__isnull=False)
            case "category":
                return queryset.filter(category__isnull=False)
        return queryset


def _moment(at: datetime) -> str:
    return date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")


@admin.register(Discount)
class DiscountAdmin(admin.ModelAdmin[Discount]):
    list_display = ("name", "percent", "target", "window", "is_active", "live_now")
    list_filter = ("is_active", DiscountTargetFilter)
    list_select_related = ("product", "category")
    search_fields = ("name", "product__name", "category__name")
    autocomplete_fields = ("product", "category")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "percent", "is_active")}),
        (
            "Applies to",
            {"fields": ("product", "category"), "description": "A product or a category."},
        ),
        ("Window", {"fields": ("starts_at", "ends_at")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="target")
    def target(self, obj: Discount) -> str:
        if obj.product is not None:
            return f"Product: {obj.product}"
        if obj.category is not None:
            return f"Category: {obj.category}"
        return "—"

    @admin.display(description="window")
    def window(self, obj: Discount) -> str:
        if obj.starts_at and obj.ends_at:
            return f"{_moment(obj.starts_at)} → {_moment(obj.ends_at)}"
        if obj.starts_at:
            return f"from {_moment(obj.starts_at)}"
        if obj.ends_at:
            return f"until {_moment(obj.ends_at)}"
        return "always"

    @admin.display(description="live now", boolean=True)
    def live_now(self, obj: Discount) -> bool:
        return obj.is_live()


# --- Reviews --------------------------------------------------------------------------------


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin[Review]):
    list_display = ("product", "user", "rating", "verified_purchase", "is_visible", "created_at")
    list_filter = ("rating", "is_visible", "verified_purchase")
    list_select_related = ("product", "user")
    search_fields = ("product__name", "user__email")
    autocomplete_fields = ("product", "user")
    readonly_fields = ("created_at", "updated_at")
    actions = ("hide", "show")

    @admin.action(description="Hide selected reviews")
    def hide(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        _set_flag(self, request, queryset, field="is_visible", value=False, done="hidden")

    @admin.action(description="Show selected reviews")
    def show(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        _set_flag(self, request, queryset, field="is_visible", value=True, done="shown")
