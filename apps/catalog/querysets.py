"""The catalog's query vocabulary; every method composes with the others."""

from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import (
    Avg,
    BigIntegerField,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Round

from apps.catalog.pricing import DiscountMap, effective_price_minor_sql

if TYPE_CHECKING:
    from apps.catalog.models import Product, ProductVariant, Review  # noqa: F401


class ProductQuerySet(models.QuerySet["Product"]):
    def active(self) -> "ProductQuerySet":
        """Products a customer may see: active, in an active category."""
        return self.filter(is_active=True, category__is_active=True)

    def featured(self) -> "ProductQuerySet":
        return self.filter(is_featured=True)

    def in_stock(self) -> "ProductQuerySet":
        """Products with at least one active variant in stock."""
        from apps.catalog.models import ProductVariant

        return self.filter(
            Exists(
                ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True, stock__gt=0)
            )
        )

    def in_categories(self, category_ids: list[int]) -> "ProductQuerySet":
        return self.filter(category_id__in=category_ids)

    def with_category(self) -> "ProductQuerySet":
        return self.select_related("category")

    def with_tags(self) -> "ProductQuerySet":
        from apps.catalog.models import Tag

        return self.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))

    def with_rating(self) -> "ProductQuerySet":
        """Annotate `average_rating` (None if unrated) and `review_count` of visible reviews."""
        from apps.catalog.models import Review

        visible = Review.objects.filter(product=OuterRef("pk"), is_visible=True).order_by()
        by_product = visible.values("product")
        return self.annotate(
            average_rating=Subquery(by_product.annotate(avg=Avg("rating")).values("avg")[:1]),
            review_count=Coalesce(
                Subquery(by_product.annotate(n=Count("pk")).values("n")[:1]), Value(0)
            ),
        )

    def with_discount(self, discounts: DiscountMap) -> "ProductQuerySet":
        """Annotate `discount_percent`: the best live discount on the product or its category."""
        return self.annotate(discount_percent=discounts.percent_sql())

    def with_effective_price(self, discounts: DiscountMap) -> "ProductQuerySet":
        """Annotate what a product card needs about price and availability, in this query.

        `min_price` (cheapest active variant's list price), `discount_percent`, `price_key` (the
        cheapest effective price in minor units: an exact integer to filter, order and
        paginate by, equal to the price the card shows) and `in_stock`.
        """
        from apps.catalog.models import ProductVariant

        variants = ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True).order_by()
        cheapest = variants.values("product").annotate(low=Min("price")).values("low")[:1]
        # A LIMIT 1 scalar subquery per row, not EXISTS: in a select list PostgreSQL may turn
        # EXISTS into a hashed subplan that reads every variant, even for a 24-row page.
        stocked = variants.filter(stock__gt=0).values("pk")[:1]
        return (
            self.with_discount(discounts)
            .annotate(min_price=Subquery(cheapest), stocked_variant=Subquery(stocked))
            .annotate(
                in_stock=ExpressionWrapper(
                    Q(stocked_variant__isnull=False), output_field=BooleanField()
                ),
                price_key=effective_price_minor_sql(F("min_price"), F("discount_percent")),
            )
        )

    def sellable(self) -> "ProductQuerySet":
        """Keep products that have at least one active variant."""
        from apps.catalog.models import ProductVariant

        return self.filter(
            Exists(ProductVariant.objects.filter(product=OuterRef("pk"), is_active=True))
        )

    def search(self, query: str) -> "ProductQuerySet":
        """Match `query` against name and description, annotating `search_rank`.

        PostgreSQL: full-text search (websearch syntax, English stemming) over the weighted,
        GIN-indexed `search_vector`, ranked. Elsewhere: case-insensitive substring match, with
        name matches ranked above description matches.
        """
        query = query.strip()
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank

            ts_query = SearchQuery(query, config="english", search_type="websearch")
            return self.filter(search_vector=ts_query).annotate(
                search_rank=SearchRank(F("search_vector"), ts_query)
            )
        return self.filter(Q(name__icontains=query) | Q(description__icontains=query)).annotate(
            search_rank=models.Case(
                models.When(name__icontains=query, then=Value(1.0)),
                default=Value(0.5),
                output_field=models.FloatField(),
            )
        )

    def with_sort_keys(self) -> "ProductQuerySet":
        """Annotate exact integer keys for orderings over computed values (rating, rank)."""
        annotations: dict[str, Any] = {}
        if "average_rating" in self.query.annotations:
            annotations["rating_key"] = Cast(
                Round(Coalesce(F("average_rating"), Value(0.0)) * 1000), BigIntegerField()
            )
        if "search_rank" in self.query.annotations:
            annotations["rank_key"] = Cast(Round(F("search_rank") * 1_000_000), BigIntegerField())
        return self.annotate(**annotations)

    def for_cards(self, discounts: DiscountMap) -> "ProductQuerySet":
        """Everything a list of product cards shows, in one query plus one for tags."""
        return (
            self.active()
            .defer("search_vector", "description")
            .with_category()
            .with_tags()
            .with_rating()
            .with_effective_price(discounts)
            .sellable()
        )


class VariantQuerySet(models.QuerySet["ProductVariant"]):
    def active(self) -> "VariantQuerySet":
        return self.filter(is_active=True)

    def in_stock(self) -> "VariantQuerySet":
        return self.filter(stock__gt=0)


class ReviewQuerySet(models.QuerySet["Review"]):
    def visible(self) -> "ReviewQuerySet":
        return self.filter(is_visible=True)
