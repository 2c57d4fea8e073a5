"""Catalog tables: categories, tags, products, their variants (SKUs), discounts and reviews."""

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

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


class Product(PublicModel):
    """What a customer browses; what is sold and stocked are its variants."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
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

    objects: ClassVar[ProductQuerySet] = ProductQuerySet.as_manager()  # type: ignore[assignment]

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
