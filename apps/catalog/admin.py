"""Back-office pages for the catalog: the category tree, tags, products with their variants,
images and discounts, review moderation; every list page runs a fixed number of queries.
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
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import Count, Exists, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django_stubs_ext import StrOrPromise

from apps.catalog.admin_attributes import (
    VARIANT_FIELDS,
    VariantAttributeFormSet,
    attribute_field_names,
    product_form_class,
    variant_form_class,
)
from apps.catalog.attributes import set_attribute_values
from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.errors import ImageRefused, InvalidCategoryParent
from apps.catalog.images import PreparedImage, image_data, prepare_upload
from apps.catalog.listing import refresh_listing
from apps.catalog.models import (
    Category,
    Discount,
    Product,
    ProductImage,
    ProductVariant,
    Review,
    Tag,
)
from apps.catalog.services import (
    add_product_image,
    check_category_parent,
    delete_product_image,
    reorder_product_images,
    update_product_image,
)
from apps.users.models import User
from apps.webhooks import events as webhook_events

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

    update() sends no signals, so the cache bump (and, for reviews, the listing refresh; for
    products, their `product.updated` events) that saves get from them is done here.
    """
    differing = queryset.exclude(**{field: value})
    reviewed = (
        list(differing.values_list("product_id", flat=True)) if queryset.model is Review else []
    )
    products = list(differing.values_list("pk", flat=True)) if queryset.model is Product else []
    changed = differing.update(**{field: value, "updated_at": timezone.now()})
    refresh_listing(reviewed)
    if products:
        webhook_events.publish_products_updated(products=Product.objects.filter(pk__in=products))
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
    fields = VARIANT_FIELDS
    extra = 1
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 24})},
    }

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """Add a column per variant-defining attribute of the product's type."""
        names = attribute_field_names(obj, variant_defining=True)
        return [(None, {"fields": [*self.fields, *names]})]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("form", variant_form_class(obj))
        kwargs.setdefault("formset", VariantAttributeFormSet)
        return super().get_formset(request, obj, **kwargs)


class ProductDiscountInline(admin.TabularInline[Discount, Product]):
    """Discounts on this product alone (category-wide ones live on the discount pages)."""

    model = Discount
    fk_name = "product"
    fields = ("name", "percent", "starts_at", "ends_at", "is_active")
    extra = 0
    verbose_name = "product discount"


class ProductImageForm(forms.ModelForm[ProductImage]):
    """An image row: a new file is checked like an API upload (a bad one is a form error)."""

    image = forms.FileField(
        label="Image",
        help_text="JPEG, PNG or WebP. To change the picture, delete the row and add a new one.",
    )

    class Meta:
        model = ProductImage
        fields = ("image", "alt_text", "variant", "position")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: PreparedImage | None = None
        position = self.fields["position"]
        position.required = False
        position.help_text = "Place in the gallery (0 first); empty for a new image: last."
        if self.instance.pk:
            self.fields["image"].disabled = True  # a stored file is never replaced in place
        else:
            self.initial["position"] = None

    def clean_image(self) -> Any:
        upload = self.cleaned_data.get("image")
        if self.instance.pk or not isinstance(upload, UploadedFile):
            return upload
        try:
            self.prepared = prepare_upload(upload)
        except ImageRefused as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from exc
        return upload


class ProductImageFormSet(forms.BaseInlineFormSet[ProductImage, Product, ProductImageForm]):
    """Saves through the image services: new files are stored cleaned and get thumbnails,
    deleted rows take their files along, and the positions entered order the gallery."""

    instance: Product

    def add_fields(self, form: ProductImageForm, index: int | None) -> None:
        super().add_fields(form, index)
        # Only this product's variants (not every variant of the shop in one select).
        variants = ProductVariant.objects.filter(product_id=self.instance.pk).order_by("position")
        form.fields["variant"].queryset = (  # type: ignore[attr-defined]
            variants if self.instance.pk else ProductVariant.objects.none()
        )

    def save_new(self, form: ProductImageForm, commit: bool = True) -> ProductImage:
        if form.prepared is None:  # clean_image() checks every new row's file
            raise RuntimeError("A new image row reached save_new() without a checked upload.")
        form.instance = add_product_image(
            product=self.instance,
            upload=form.prepared,
            alt_text=form.cleaned_data.get("alt_text", ""),
            variant=form.cleaned_data.get("variant"),
        )
        return form.instance

    def save_existing(
        self, form: ProductImageForm, obj: ProductImage, commit: bool = True
    ) -> ProductImage:
        changes = {
            name: form.cleaned_data.get(name)
            for name in ("alt_text", "variant")
            if name in form.changed_data
        }
        return update_product_image(image=obj, **changes) if changes else obj

    def delete_existing(self, obj: ProductImage, commit: bool = True) -> None:
        if commit:
            delete_product_image(image=obj)

    def save(self, commit: bool = True) -> list[ProductImage]:
        saved = super().save(commit)
        deleted = set(self.deleted_forms) if self.can_delete else set()
        kept = [f for f in self.forms if f.instance.pk and f not in deleted]
        if commit and any("position" in f.changed_data for f in kept):
            # The gallery in the order of the positions entered; ties and new images without
            # one keep the order they have.
            entered = {f.instance.pk: f.cleaned_data.get("position") for f in kept}

            def place(image: ProductImage) -> tuple[float, int]:
                wanted = entered.get(image.pk)
                return (image.position if wanted is None else wanted, image.position)

            gallery = sorted(self.instance.images.order_by("position", "id"), key=place)
            reorder_product_images(product=self.instance, image_ids=[i.pk for i in gallery])
        return saved


class ProductImageInline(admin.TabularInline[ProductImage, Product]):
    """The product's pictures: a preview, alt text, variant and position (edit it to reorder).

    Managing pictures is changing the product, so the product's permissions apply.
    """

    model = ProductImage
    form = ProductImageForm
    formset = ProductImageFormSet  # type: ignore[assignment]  # its forms are ProductImageForm
    fields = ("preview", "image", "alt_text", "variant", "position")
    readonly_fields = ("preview",)
    extra = 0
    ordering = ("position", "id")

    @admin.display(description="preview")
    def preview(self, obj: ProductImage) -> str:
        if not obj.pk:
            return "—"
        data = image_data(obj)
        small = next(iter(data["urls"].values()), data["src"])
        return format_html(
            '<img src="{}" alt="" width="80" height="{}" loading="lazy">',
            small,
            round(80 * (obj.height or 1) / (obj.width or 1)),
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("catalog.view_product")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("catalog.change_product")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("catalog.change_product")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("catalog.change_product")


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
        (None, {"fields": ("name", "slug", "category", "product_type", "description")}),
        ("Merchandising", {"fields": ("is_active", "is_featured", "tags")}),
        ("History", {"fields": ("created_by", "created_at", "updated_at")}),
    )
    inlines = (VariantInline, ProductDiscountInline, ProductImageInline)
    actions = ("activate", "deactivate")

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None) -> Any:
        """Add the attributes its type gives the product (a new product has no type yet)."""
        names = attribute_field_names(obj, variant_defining=False)
        if not names:
            return self.fieldsets
        described = "Variant-defining attributes (colour, size…) are set per variant below."
        attributes = ("Attributes", {"fields": names, "description": described})
        return (*self.fieldsets[:1], attributes, *self.fieldsets[1:])

    def get_form(
        self, request: HttpRequest, obj: Product | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("form", product_form_class(self.form, obj))
        return super().get_form(request, obj, change, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if getattr(form, "links", None):
            set_attribute_values(product=form.instance, values=form.attribute_values())

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
