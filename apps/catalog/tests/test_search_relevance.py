"""Search relevance over the demo catalog: precision@5 and MRR of a fixed set of queries.

Each query comes with what a shopper typing it wants, said in terms of the demo catalog's
meaning (`apps.catalog.demo.CATALOG`): "bots" wants the products of the Boots category,
"waterproof" the products whose name says Waterproof. Those judgements are worked out from
each product's category and name, never from what a search engine returned. The figures go
to the terminal report ("search relevance") and the test fails below floors measured on both
engines: PostgreSQL (full text and trigrams) and the substring fallback with spelling help.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from statistics import mean

import pytest
from django.db import connection

from apps.catalog import selectors
from apps.catalog.demo import seed_demo_catalog
from apps.catalog.models import Product

pytestmark = pytest.mark.django_db

PRODUCTS = 1_000  # about 35 products per leaf category: quick, and most queries have 5+ answers
K = 5
# (precision@5, MRR) floors. Measured over these 45 queries on 1,000 products (seed 42): 0.984
# and 1.000 on both PostgreSQL and SQLite. The floors leave room for small changes of ranking,
# not for a lost feature: without typo tolerance a dozen queries here would find nothing.
FLOORS = {"postgresql": (0.95, 0.95), "sqlite": (0.95, 0.95)}


@dataclass(frozen=True)
class Shown:
    """What a judgement may look at: a listed product's name and its category."""

    name: str
    category: str


Judgement = Callable[[Shown], bool]


def in_category(name: str) -> Judgement:
    return lambda product: product.category == name


def named(*words: str) -> Judgement:
    """The product's name has all these words (whole words, any case)."""
    patterns = [re.compile(rf"(^|\W){re.escape(word)}($|\W)", re.IGNORECASE) for word in words]
    return lambda product: all(pattern.search(product.name) for pattern in patterns)


def both(*judgements: Judgement) -> Judgement:
    return lambda product: all(judge(product) for judge in judgements)


# query → which products answer it. Grouped by what the query exercises.
QUERIES: dict[str, Judgement] = {
    # Exact words.
    "boots": in_category("Boots"),
    "sneakers": in_category("Sneakers"),
    "laptop": in_category("Laptops"),
    "tent": named("Tent"),
    "shampoo": named("Shampoo"),
    "jacket": in_category("Jackets"),
    "kettlebell": named("Kettlebell"),
    # Plural and singular.
    "boot": in_category("Boots"),
    "sneaker": in_category("Sneakers"),
    "shirts": in_category("Shirts"),
    "lamps": named("Lamp"),
    "sandal": in_category("Sandals"),
    "cameras": in_category("Cameras"),
    # Typos.
    "bots": in_category("Boots"),
    "sneekers": in_category("Sneakers"),
    "hedphones": in_category("Headphones"),
    "laptp": in_category("Laptops"),
    "kettlebel": named("Kettlebell"),
    "cashmire": named("Cashmere"),
    "sunscren": named("Sunscreen"),
    "shampo": named("Shampoo"),
    "backpak": named("Backpack"),
    # Prefixes.
    "sneak": in_category("Sneakers"),
    "chels": named("Chelsea"),
    "backpa": named("Backpack"),
    "headph": in_category("Headphones"),
    # Several words.
    "leather boots": both(in_category("Boots"), named("Leather")),
    "cotton shirt": both(in_category("Shirts"), named("Cotton")),
    "wireless headphones": both(in_category("Headphones"), named("Wireless")),
    "hiking boots": named("Hiking", "Boots"),
    "yoga mat": named("Yoga", "Mat"),
    "cast iron": named("Cast-Iron"),
    "lether bots": both(in_category("Boots"), named("Leather")),
    # Category words.
    "headphones": in_category("Headphones"),
    "furniture": in_category("Furniture"),
    "bedding": in_category("Bedding"),
    "skincare": in_category("Skincare"),
    "fragrance": in_category("Fragrance"),
    "puzzle": in_category("Puzzles"),
    # Descriptors without a brand.
    "waterproof": named("Waterproof"),
    "noise cancelling": named("Noise-Cancelling"),
    "merino": named("Merino"),
    "linen": named("Linen"),
    "stainless steel": named("Stainless Steel"),
    "organic cotton": named("Organic Cotton"),
}


def listed(**filters: object) -> list[Shown]:
    """Return the products the list shows, in its order (every page)."""
    shown, cursor = [], None
    while True:
        page = selectors.list_products(
            filters=selectors.ProductFilters(**filters),  # type: ignore[arg-type]
            ordering=None,
            cursor=cursor,
            page_size=100,
        )
        shown += [Shown(card["name"], card["category"]["name"]) for card in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None or filters.get("search"):
            return shown


@dataclass(frozen=True)
class Score:
    query: str
    relevant: int
    precision: float  # relevant among the first K, over min(K, relevant)
    reciprocal_rank: float  # 1 / rank of the first relevant result (0: none in the first page)
    first: str


def score(query: str, judge: Judgement, catalog: list[Shown]) -> Score:
    relevant = sum(judge(product) for product in catalog)
    found = listed(search=query)
    hits = [judge(product) for product in found]
    first_hit = next((rank for rank, hit in enumerate(hits, start=1) if hit), None)
    return Score(
        query=query,
        relevant=relevant,
        precision=sum(hits[:K]) / min(K, relevant),
        reciprocal_rank=1 / first_hit if first_hit else 0.0,
        first=found[0].name if found else "—",
    )


def test_search_relevance_stays_above_the_measured_floor(relevance_report, record_property):
    seed_demo_catalog(products=PRODUCTS)
    assert Product.objects.count() == PRODUCTS
    catalog = listed()

    # Every query has an answer in this catalog, or its precision would mean nothing.
    unanswerable = [query for query, judge in QUERIES.items() if not any(map(judge, catalog))]
    assert not unanswerable, f"nothing in the catalog answers {unanswerable}"

    scores = [score(query, judge, catalog) for query, judge in QUERIES.items()]

    assert len(scores) >= 30
    precision = mean(s.precision for s in scores)
    mrr = mean(s.reciprocal_rank for s in scores)
    record_property("search_precision_at_5", round(precision, 3))
    record_property("search_mrr", round(mrr, 3))
    relevance_report.append(
        f"{connection.vendor}: {len(scores)} queries over {PRODUCTS} demo products, "
        f"precision@{K} {precision:.3f}, MRR {mrr:.3f}"
    )
    relevance_report.extend(
        f"  {s.query!r:24} P@{K} {s.precision:.2f}  RR {s.reciprocal_rank:.2f}  "
        f"({s.relevant} relevant; first: {s.first})"
        for s in scores
        if s.precision < 1 or s.reciprocal_rank < 1
    )
    floor_precision, floor_mrr = FLOORS[connection.vendor]
    assert precision >= floor_precision
    assert mrr >= floor_mrr
