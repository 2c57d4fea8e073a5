"""Catalog tables: categories, tags, product types and attributes, products, their variants
(SKUs), images, discounts, reviews, and the "bought together" associations."""

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.catalog.querysets import ProductQuerySet, ReviewQuerySet, VariantQuerySet
from apps.core.models import PublicModel, TimeStampedModel
from apps.core.money import default_currency


class Category(TimeStampedModel):
    """A node of the category tree; products belong to exactly one category."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0, help_text="Order among its siblings.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="catalog_category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AttributeKind(models.TextChoices):
    CHOICE = "choice", "One value from a list"
    MULTI_CHOICE = "multi_choice", "Several values from a list"
    NUMBER = "number", "A number (with a unit)"
    BOOLEAN = "boolean", "Yes or no"
    TEXT = "text", "Free text"


CHOICE_KINDS = frozenset({AttributeKind.CHOICE, AttributeKind.MULTI_CHOICE})


class Attribute(models.Model):
    """A property products or variants can have, such as colour, size or weight."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=AttributeKind.choices)
    unit = models.CharField(max_length=16, blank=True, help_text="For numbers, e.g. 'g' or 'cm'.")
    is_filterable = models.BooleanField(
        default=True, help_text="Offered as a filter, with counts, on list pages."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AttributeKind.values), name="catalog_attribute_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


class AttributeValue(models.Model):
    """One of the values a choice attribute offers, e.g. "Navy" for colour."""

    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="values")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attribute_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["attribute", "slug"], name="catalog_attribute_value_unique_slug"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProductType(TimeStampedModel):
    """A kind of product ("Shoes", "Laptops"): the attributes its products and variants carry."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    attributes: "models.ManyToManyField[Attribute, ProductTypeAttribute]" = models.ManyToManyField(
        Attribute, through="ProductTypeAttribute", related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductTypeAttribute(models.Model):
    """An attribute of a product type, carried by the product or, if variant-defining, by
    each variant (the variant picker offers those)."""

    product_type = models.ForeignKey(
        ProductType, on_delete=models.CASCADE, related_name="type_attributes"
    )
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    variant_defining = models.BooleanField(
        default=False, help_text="Each variant has its own value; shoppers pick by it."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_type", "attribute"], name="catalog_type_attribute_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_type_id}: {self.attribute_id}"


class Product(PublicModel):
    """What a customer browses; what is sold and stocked are its variants."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
    product_type = models.ForeignKey(
        "ProductType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        help_text="Decides which attributes the product and its variants carry.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Weighted name (A) + description (B) document, kept by a database trigger on PostgreSQL
    # (migration 0002) and GIN-indexed there; unused on SQLite, where search falls back to LIKE.
    search_vector = SearchVectorField(null=True, editable=False)
    # The listing read model: what a product card shows of the variants and reviews, kept by
    # `apps.catalog.listing` in the transaction of every write that changes it, so a list is
    # read from these columns instead of computed per product.
    listing_min_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        editable=False,
        help_text="The cheapest active variant's price; empty when nothing is for sale.",
    )
    listing_max_price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, editable=False
    )
    listing_stocked_variants = models.PositiveIntegerField(
        default=0, editable=False, help_text="Active variants with stock."
    )
    listing_rating = models.FloatField(
        null=True, editable=False, help_text="Average rating of the visible reviews."
    )
    listing_review_count = models.PositiveIntegerField(default=0, editable=False)
    listing_tags = models.JSONField(
        default=list, editable=False, help_text="The tags' slugs and names, by name."
    )
    listing_image = models.JSONField(
        null=True, editable=False, help_text="The first image of the gallery: its row's fields."
    )

    objects: ClassVar[ProductQuerySet] = ProductQuerySet.as_manager()  # type: ignore[assignment]

    LISTING_FIELDS = frozenset(
        {
            "listing_min_price",
            "listing_max_price",
            "listing_stocked_variants",
            "listing_rating",
            "listing_review_count",
            "listing_tags",
            "listing_image",
        }
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at", "id"], name="catalog_product_recent_idx"),
            models.Index(fields=["category", "is_active"], name="catalog_product_cat_active_idx"),
            # The storefront only ever lists active products, newest first.
            models.Index(
                fields=["-created_at", "id"],
                name="catalog_product_active_idx",
                condition=Q(is_active=True),
            ),
            models.Index(
                fields=["-created_at", "id"],
                name="catalog_product_featured_idx",
                condition=Q(is_active=True, is_featured=True),
            ),
            models.Index(fields=["name", "id"], name="catalog_product_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save the product's own fields: an update never writes the listing columns.

        They are the variants' and reviews' to keep (`apps.catalog.listing`); an instance
        loaded before a variant changed would otherwise write back what it read.
        """
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.LISTING_FIELDS
            ]
        super().save(*args, **kwargs)


class ProductVariant(TimeStampedModel):
    """A sellable, stocked unit of a product (one per size/colour combination)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=120, blank=True, help_text="e.g. 'Large / Blue'.")
    options = models.JSONField(default=dict, blank=True, help_text='e.g. {"size": "L"}.')
    price = models.DecimalField(max_digits=12, decimal_places=2)
    compare_at_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default=default_currency)
    stock = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    objects: ClassVar[VariantQuerySet] = VariantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=Decimal("0")), name="catalog_variant_price_gte_0"
            ),
            models.CheckConstraint(condition=Q(stock__gte=0), name="catalog_variant_stock_gte_0"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gte=Decimal("0")),
                name="catalog_variant_compare_at_gte_0",
            ),
        ]
        indexes = [
            # Card annotations: the cheapest active variant and whether any is in stock.
            models.Index(
                fields=["product", "price"],
                name="catalog_variant_active_price",
                condition=Q(is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} ({self.product_id})"


class AttributeAssignment(models.Model):
    """A value a product (variant is NULL) or one of its variants has for an attribute.

    Choice attributes point at an `AttributeValue` (several rows for multi-choice); numbers,
    booleans and text are stored in their own typed column. Exactly one of them is set.
    `product` is kept on variant rows too, so facet counts read one table.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attribute_values")
    variant = models.ForeignKey(
        ProductVariant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attribute_values",
    )
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    value = models.ForeignKey(
        AttributeValue, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    boolean = models.BooleanField(null=True, blank=True)
    text = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["attribute_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(value__isnull=False, number__isnull=True, boolean__isnull=True, text="")
                    | Q(value__isnull=True, number__isnull=False, boolean__isnull=True, text="")
                    | Q(value__isnull=True, number__isnull=True, boolean__isnull=False, text="")
                    | (
                        Q(value__isnull=True, number__isnull=True, boolean__isnull=True)
                        & ~Q(text="")
                    )
                ),
                name="catalog_assignment_one_value",
                violation_error_message="An attribute value is a choice, a number, a yes/no "
                "or a text: exactly one.",
            ),
            models.UniqueConstraint(
                fields=["product", "attribute", "value"],
                condition=Q(variant__isnull=True),
                name="catalog_assignment_product_value_once",
            ),
            # Variant-defining attributes take one value per variant.
            models.UniqueConstraint(
                fields=["variant", "attribute"],
                condition=Q(variant__isnull=False),
                name="catalog_assignment_variant_once",
            ),
        ]
        indexes = [
            # Facet counts: products per value, within the filtered products.
            models.Index(fields=["value", "product"], name="catalog_assignment_value_idx"),
            models.Index(
                fields=["attribute", "number"],
                name="catalog_assignment_number_idx",
                condition=Q(number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id}={self.value_id or self.number or self.boolean or self.text}"


def product_image_path(instance: "ProductImage", filename: str) -> str:
    """Return where an uploaded image is stored: a fresh name under its product's folder.

    The uploaded name is never used (it may be anything); only its checked extension is.
    """
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"products/{instance.product_id}/{uuid.uuid4().hex}{suffix}"


class ProductImage(TimeStampedModel):
    """A picture of a product (or of one variant), in gallery order, with its thumbnails."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    variant = models.ForeignKey(
        ProductVariant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="images",
        help_text="Shown first when this variant is picked.",
    )
    image = models.ImageField(
        upload_to=product_image_path, width_field="width", height_field="height", max_length=255
    )
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    alt_text = models.CharField(
        max_length=200, blank=True, help_text="Describes the picture for screen readers."
    )
    position = models.PositiveIntegerField(default=0)
    # Thumbnails made after upload: {"webp": {"320": "<storage name>", ...}, "jpeg": {...}}.
    renditions: "models.JSONField[dict[str, Any], dict[str, Any]]" = models.JSONField(
        default=dict, blank=True, editable=False
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["product", "position", "id"], name="catalog_image_order_idx"),
        ]

    def __str__(self) -> str:
        return self.alt_text or self.image.name


class ProductAssociation(models.Model):
    """ "Customers also bought": how often `related` was ordered together with `product`."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="associations")
    related = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveIntegerField(help_text="Orders that held both products.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-score", "related_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "related"], name="catalog_association_once"),
            models.CheckConstraint(
                condition=~Q(related=models.F("product")), name="catalog_association_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-score"], name="catalog_association_top_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ~ {self.related_id} ({self.score})"


class Discount(TimeStampedModel):
    """A percentage off a product or a whole category, optionally within a time window."""

    name = models.CharField(max_length=120)
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("90"))],
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="discounts"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="discounts"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gt=Decimal("0")) & Q(percent__lte=Decimal("90")),
                name="catalog_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(product__isnull=False, category__isnull=True)
                | Q(product__isnull=True, category__isnull=False),
                name="catalog_discount_one_target",
                violation_error_message="A discount applies to a product or a category, not both.",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="catalog_discount_window",
                violation_error_message="A discount must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (-{self.percent}%)"

    def is_live(self, at: datetime | None = None) -> bool:
        """Return True when the discount applies at `at` (default: now)."""
        at = at or timezone.now()
        return (
            self.is_active
            and (self.starts_at is None or self.starts_at <= at)
            and (self.ends_at is None or at < self.ends_at)
        )


class Review(PublicModel):
    """A customer's rating and words about a product; one per customer and product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    title = models.CharField(max_length=120, blank=True)
    body = models.TextField(blank=True)
    verified_purchase = models.BooleanField(default=False)
    is_visible = models.BooleanField(default=True, help_text="Hidden reviews are not shown.")

    objects: ClassVar[ReviewQuerySet] = ReviewQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "user"], name="catalog_review_one_per_user"),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="catalog_review_rating_1_5"
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "-created_at"],
                name="catalog_review_visible_idx",
                condition=Q(is_visible=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.product_id} by {self.user_id}"
