"""The catalog's query vocabulary; every method composes with the others."""

import operator
import re
from collections.abc import Callable, Sequence
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import (
    BigIntegerField,
    BooleanField,
    ExpressionWrapper,
    F,
    Q,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Round

from apps.catalog import spelling
from apps.catalog.pricing import DiscountMap, effective_price_minor_sql

if TYPE_CHECKING:
    from apps.catalog.models import Product, ProductVariant, Review  # noqa: F401

# How much higher a product of a category the query names ranks ("headphones": Earbuds too).
CATEGORY_MATCH_RANK = 0.5
# Quotes, `-word` and `or`: a shopper who writes these means exactly what they typed.
_WEBSEARCH_OPERATOR = re.compile(r'"|(^|\s)-\w|(^|\s)or(\s|$)', re.IGNORECASE)


def _alternatives(word: str, spellings: Callable[[str], Sequence[str]] | None) -> list[str]:
    """Return what may stand for a query word in a substring match besides itself: its
    singular (less a plural "s") and its close spellings."""
    found = []
    if len(word) > 4 and word.endswith("s"):  # not "bots" → "bot", which is in "robot"
        found.append(word[:-1])
    if spellings is not None:
        found.extend(spellings(word))
    return [alternative for alternative in dict.fromkeys(found) if alternative != word]


def _contains_any(field: str, words: Sequence[str]) -> Q:
    return reduce(operator.or_, (Q(**{f"{field}__icontains": word}) for word in words))


def _any_of(conditions: Sequence[Q]) -> Q:
    """Return a condition that holds when one of `conditions` does.

    On PostgreSQL several become `id IN (SELECT id … UNION ALL SELECT id …)`, so that each is
    an index scan of its own (full text, trigrams, category). Given their OR, the planner
    chose a sequential scan computing trigram similarity for every row as soon as it expected
    a few percent of the rows: 40-60 ms instead of about 5 ms on 10,000 products.
    """
    if len(conditions) == 1 or connection.vendor != "postgresql":
        return reduce(operator.or_, conditions)
    from apps.catalog.models import Product

    ids = [Product.objects.order_by().filter(condition).values("pk") for condition in conditions]
    return Q(pk__in=ids[0].union(*ids[1:], all=True))


def word_start_regex(beginnings: Sequence[str]) -> str:
    """Return a case-insensitive regular expression for "a word starts with one of these"
    that PostgreSQL and Python (Django's SQLite REGEXP) read alike; `beginnings` must be
    letters and digits only."""
    return r"(^|\W)(" + "|".join(beginnings) + ")"


class ProductQuerySet(models.QuerySet["Product"]):
    def active(self) -> "ProductQuerySet":
        """Products a customer may see: active, in an active category."""
        return self.filter(is_active=True, category__is_active=True)

    def featured(self) -> "ProductQuerySet":
        return self.filter(is_featured=True)

    def in_stock(self) -> "ProductQuerySet":
        """Products with at least one active variant in stock (the listing column)."""
        return self.filter(listing_stocked_variants__gt=0)

    def in_categories(self, category_ids: list[int]) -> "ProductQuerySet":
        return self.filter(category_id__in=category_ids)

    def with_category(self) -> "ProductQuerySet":
        return self.select_related("category")

    def with_rating(self) -> "ProductQuerySet":
        """Annotate `average_rating` (None if unrated) and `review_count` of visible reviews.

        From the listing read model (`apps.catalog.listing`), kept with every review write.
        """
        return self.annotate(
            average_rating=F("listing_rating"), review_count=F("listing_review_count")
        )

    def with_discount(self, discounts: DiscountMap) -> "ProductQuerySet":
        """Annotate `discount_percent`: the best live discount on the product or its category."""
        return self.annotate(discount_percent=discounts.percent_sql())

    def with_effective_price(self, discounts: DiscountMap) -> "ProductQuerySet":
        """Annotate what a product card needs about price and availability, in this query.

        `min_price` (cheapest active variant's list price), `discount_percent`, `price_key` (the
        cheapest effective price in minor units: an exact integer to filter, order and
        paginate by, equal to the price the card shows), `in_stock`, and `price_varies`
        (active variants' prices differ, so the card's price is a "from" price; a discount
        takes the same percentage off every variant, so list prices tell). All from the
        listing read model's columns but the discount, which depends on the hour.
        """
        return (
            self.with_discount(discounts)
            .annotate(min_price=F("listing_min_price"), max_price=F("listing_max_price"))
            .annotate(
                in_stock=ExpressionWrapper(
                    Q(listing_stocked_variants__gt=0), output_field=BooleanField()
                ),
                price_varies=ExpressionWrapper(
                    Q(listing_max_price__gt=F("listing_min_price")), output_field=BooleanField()
                ),
                price_key=effective_price_minor_sql(F("listing_min_price"), F("discount_percent")),
            )
        )

    def sellable(self) -> "ProductQuerySet":
        """Keep products that have at least one active variant (a price, in the listing)."""
        return self.filter(listing_min_price__isnull=False)

    def search(
        self,
        query: str,
        *,
        spellings: Callable[[str], Sequence[str]] | None = None,
        categories: Sequence[int] = (),
    ) -> "ProductQuerySet":
        """Match `query` against name and description, annotating `search_rank` (best highest).

        PostgreSQL: a product matches by full-text search (websearch syntax, English stemming)
        over the weighted, GIN-indexed `search_vector` (name A, description B), or, to forgive
        typos, when every word of the query is like a word of its name: strict word similarity
        (pg_trgm's `<<%` at its threshold, 0.5 by default; "bots" is 0.57 from "Chelsea
        Boots"), served by the trigram index on the name. The rank is the full-text rank plus
        the words' mean similarity to the name. A query with websearch operators (quotes,
        `-word`, `or`), or shorter than three characters, is matched by full text only.

        Elsewhere: every word of the query must be a case-insensitive substring of the name or
        the description, or one of its alternatives must: the word less a plural "s", and
        `spellings(word)` (close words of the catalog's vocabulary, for a misspelt word; only
        this fallback calls it). A word's rank is 1 when the name has it as typed, 0.75 when the
        name has an alternative, 0.5 for the description only; the rank is their mean.

        On both, the products of `categories` (those the query names, "headphones") match
        too, and rank CATEGORY_MATCH_RANK higher.
        """
        query = query.strip()
        if connection.vendor == "postgresql":
            matches, rank = self._full_text_match(query)
        else:
            matches, rank = self._substring_match(query, spellings)
        if categories:
            in_category = Q(category_id__in=categories)
            matches.append(in_category)
            rank = rank + models.Case(
                models.When(in_category, then=Value(CATEGORY_MATCH_RANK)),
                default=Value(0.0),
                output_field=models.FloatField(),
            )
        return self.filter(_any_of(matches)).annotate(search_rank=rank)

    @staticmethod
    def _full_text_match(query: str) -> tuple[list[Q], Any]:
        from django.contrib.postgres.lookups import TrigramStrictWordSimilar
        from django.contrib.postgres.search import (
            SearchQuery,
            SearchRank,
            TrigramStrictWordSimilarity,
        )

        ts_query = SearchQuery(query, config="english", search_type="websearch")
        matches = [Q(search_vector=ts_query)]
        rank: Any = SearchRank(F("search_vector"), ts_query)
        words = spelling.words(query)
        if words and len(query) >= spelling.MIN_LENGTH and not _WEBSEARCH_OPERATOR.search(query):
            # Every word like a word of the name: "leather bots" is not "Leather Sandals".
            matches.append(
                reduce(
                    operator.and_,
                    (Q(TrigramStrictWordSimilar(F("name"), word)) for word in words),
                )
            )
            similarities = [TrigramStrictWordSimilarity(word, F("name")) for word in words]
            rank = rank + reduce(operator.add, similarities) / Value(float(len(words)))
        return matches, rank

    @staticmethod
    def _substring_match(
        query: str, spellings: Callable[[str], Sequence[str]] | None
    ) -> tuple[list[Q], Any]:
        matches, word_ranks = Q(), []
        for word in spelling.words(query) or [query]:
            alternatives = _alternatives(word, spellings)
            in_name = _contains_any("name", [word, *alternatives])
            in_description = _contains_any("description", [word, *alternatives])
            matches &= in_name | in_description
            word_ranks.append(
                models.Case(
                    models.When(Q(name__icontains=word), then=Value(1.0)),
                    models.When(in_name, then=Value(0.75)),
                    models.When(in_description, then=Value(0.5)),
                    default=Value(0.0),  # found through its category only
                    output_field=models.FloatField(),
                )
            )
        return [matches], reduce(operator.add, word_ranks) / Value(float(len(word_ranks)))

    def with_name_words_starting(self, beginnings: Sequence[Sequence[str]]) -> "ProductQuerySet":
        """Keep products whose name has, for each group, a word starting with one of its items.

        Items are words as `spelling.words` makes them (letters and digits only). On PostgreSQL
        the trigram index on the name serves the regular expressions (3+ characters).
        """
        products = self
        for group in beginnings:
            products = products.filter(name__iregex=word_start_regex(group))
        return products

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
        """Everything a list of product cards shows, in one query (the listing read model)."""
        return (
            self.active()
            .defer("search_vector", "description")
            .with_category()
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
