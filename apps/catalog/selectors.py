"""Catalog reads, as plain data ready for the API, each in a fixed number of queries and cached.

Every answer is cached under the catalog version (see `apps.catalog.cache`), and expires no
later than the next discount start or end, so a cached price is never stale.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from apps.catalog.cache import cached
from apps.catalog.models import Category, Discount, Product, ProductVariant, Review, Tag
from apps.catalog.pricing import DiscountMap, compare_at_price, effective_price
from apps.catalog.querysets import ProductQuerySet
from apps.core.errors import DomainError, NotFound
from apps.core.keyset import KeysetOrder, paginate_keyset
from apps.core.money import format_money

Ordering = Literal[
    "created_at", "-created_at", "name", "-name", "price", "-price", "rating", "-rating"
]

ORDERINGS: dict[str, KeysetOrder] = {
    "created_at": KeysetOrder("created_at", descending=False, key_type="datetime"),
    "-created_at": KeysetOrder("created_at", descending=True, key_type="datetime"),
    "name": KeysetOrder("name", descending=False, key_type="str"),
    "-name": KeysetOrder("name", descending=True, key_type="str"),
    "price": KeysetOrder("price_key", descending=False, key_type="int"),
    "-price": KeysetOrder("price_key", descending=True, key_type="int"),
    "rating": KeysetOrder("rating_key", descending=False, key_type="int"),
    "-rating": KeysetOrder("rating_key", descending=True, key_type="int"),
}
RELEVANCE = KeysetOrder("rank_key", descending=True, key_type="int")


class UnknownFilterValue(DomainError):
    """A filter names a category or tag that does not exist."""

    code = "unknown_filter_value"
    title = "Unknown filter value"
    status = 400


@dataclass(frozen=True)
class ProductFilters:
    """What a product list may be narrowed by; None means "not filtered"."""

    category: str | None = None
    tag: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool | None = None
    featured: bool | None = None
    rating_min: Decimal | None = None
    search: str | None = None


# --- Discounts ------------------------------------------------------------------------------


def _children(rows: Iterable[dict[str, Any]]) -> dict[int | None, list[int]]:
    """Return each category id's direct children, from category rows."""
    children: dict[int | None, list[int]] = {}
    for row in rows:
        children.setdefault(row["parent_id"], []).append(row["id"])
    return children


def _subtree(root: int, children: dict[int | None, list[int]]) -> list[int]:
    """Return `root` and every category below it."""
    ids, stack = [], [root]
    while stack:
        current = stack.pop()
        ids.append(current)
        stack.extend(children.get(current, []))
    return ids


def _load_discount_map(at: datetime) -> DiscountMap:
    # One query: every active discount that has not ended; which are live now and when the
    # next one starts or ends is worked out here.
    candidates = Discount.objects.filter(is_active=True).exclude(ends_at__lte=at)
    discounts, boundaries = [], []
    for discount in candidates.values(
        "product_id", "category_id", "percent", "starts_at", "ends_at"
    ):
        starts_at, ends_at = discount["starts_at"], discount["ends_at"]
        if starts_at is not None and starts_at > at:
            boundaries.append(starts_at)
            continue
        discounts.append(discount)
        if ends_at is not None:
            boundaries.append(ends_at)
    children = _children(_category_rows())
    by_product: dict[Any, Decimal] = {}
    by_category: dict[int, Decimal] = {}
    for discount in discounts:
        percent = discount["percent"]
        if discount["product_id"]:
            pid = discount["product_id"]
            by_product[pid] = max(percent, by_product.get(pid, Decimal(0)))
            continue
        # A category discount covers its whole subtree.
        for category_id in _subtree(discount["category_id"], children):
            by_category[category_id] = max(percent, by_category.get(category_id, Decimal(0)))
    return DiscountMap(
        by_product=by_product,
        by_category=by_category,
        next_change=min(boundaries, default=None),
    )


def get_discount_map() -> DiscountMap:
    """Return the discounts live now, cached until the next one starts or ends."""
    return cached(
        "discounts",
        compute=lambda: _load_discount_map(timezone.now()),
        expires_at=lambda discounts: discounts.next_change,
    )


# --- Categories -----------------------------------------------------------------------------


def _category_rows() -> list[dict[str, Any]]:
    """Return every category as a plain row (all of them: the tree is small)."""
    return cached(
        "category-rows",
        compute=lambda: [
            dict(row)
            for row in Category.objects.order_by("position", "name").values(
                "id", "slug", "name", "description", "parent_id", "is_active", "position"
            )
        ],
    )


def _visible_categories() -> dict[int, dict[str, Any]]:
    """Return active categories whose ancestors are all active, by id."""
    rows = {row["id"]: row for row in _category_rows()}
    visible: dict[int, dict[str, Any]] = {}

    def is_visible(row: dict[str, Any]) -> bool:
        seen: set[int] = set()
        while row is not None and row["id"] not in seen:
            if not row["is_active"]:
                return False
            seen.add(row["id"])
            row = rows.get(row["parent_id"])  # type: ignore[assignment]
        return True

    for category_id, row in rows.items():
        if is_visible(row):
            visible[category_id] = row
    return visible


def visible_category_ids() -> set[int]:
    """Return the ids of categories customers can see (active, under active parents)."""
    return set(_visible_categories())


def _public_category(row: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> dict[str, Any]:
    parent = by_id.get(row["parent_id"])
    return {
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "parent": parent["slug"] if parent else None,
    }


def list_categories() -> list[dict[str, Any]]:
    """Return the visible categories as a flat list, each naming its parent's slug."""
    by_id = _visible_categories()
    return [_public_category(row, by_id) for row in by_id.values()]


def category_tree() -> list[dict[str, Any]]:
    """Return the visible categories as a tree of nested `children`."""
    by_id = _visible_categories()
    nodes = {cid: {**_public_category(row, by_id), "children": []} for cid, row in by_id.items()}
    roots: list[dict[str, Any]] = []
    for cid, row in by_id.items():
        parent = nodes.get(row["parent_id"])
        (parent["children"] if parent else roots).append(nodes[cid])
    return roots


def get_category(slug: str) -> dict[str, Any]:
    """Return one visible category with its breadcrumbs and direct children.

    Raises:
        NotFound: no visible category has this slug.
    """
    by_id = _visible_categories()
    row = next((r for r in by_id.values() if r["slug"] == slug), None)
    if row is None:
        raise NotFound(f"No category '{slug}'.")
    breadcrumbs: list[dict[str, str]] = []
    ancestor = by_id.get(row["parent_id"])
    while ancestor is not None:
        breadcrumbs.insert(0, {"slug": ancestor["slug"], "name": ancestor["name"]})
        ancestor = by_id.get(ancestor["parent_id"])
    children = [
        {"slug": r["slug"], "name": r["name"]}
        for r in by_id.values()
        if r["parent_id"] == row["id"]
    ]
    return {**_public_category(row, by_id), "breadcrumbs": breadcrumbs, "children": children}


def category_subtree_ids(slug: str) -> list[int] | None:
    """Return the ids of a visible category and all its visible descendants (None: unknown)."""
    by_id = _visible_categories()
    root = next((cid for cid, r in by_id.items() if r["slug"] == slug), None)
    if root is None:
        return None
    return _subtree(root, _children(by_id.values()))


def _breadcrumbs(category_id: int) -> list[dict[str, str]]:
    by_id = {row["id"]: row for row in _category_rows()}
    trail: list[dict[str, str]] = []
    row = by_id.get(category_id)
    while row is not None:
        trail.insert(0, {"slug": row["slug"], "name": row["name"]})
        row = by_id.get(row["parent_id"])
    return trail


# --- Tags -----------------------------------------------------------------------------------


def list_tags() -> list[dict[str, Any]]:
    """Return every tag (they are few) as {id, slug, name}."""
    return cached(
        "tags",
        compute=lambda: [
            dict(row) for row in Tag.objects.order_by("name").values("id", "slug", "name")
        ],
    )


# --- Products -------------------------------------------------------------------------------


def _money(amount: Decimal | None, currency: str) -> str | None:
    return None if amount is None else format_money(amount, currency)


def _rating(average: Any) -> float | None:
    return None if average is None else round(float(average), 2)


def _card(product: Product) -> dict[str, Any]:
    currency = settings.DEFAULT_CURRENCY
    percent: Decimal = product.discount_percent  # type: ignore[attr-defined]
    list_price: Decimal = product.min_price  # type: ignore[attr-defined]
    return {
        "id": str(product.pk),
        "slug": product.slug,
        "name": product.name,
        "category": {"slug": product.category.slug, "name": product.category.name},
        "tags": [tag.slug for tag in product.tags.all()],
        "is_featured": product.is_featured,
        "price": _money(effective_price(list_price, percent, currency), currency),
        "list_price": _money(list_price, currency),
        "compare_at_price": _money(compare_at_price(list_price, None, percent), currency),
        "discount_percent": f"{percent:.2f}" if percent else None,
        "currency": currency,
        "in_stock": product.in_stock,  # type: ignore[attr-defined]
        "average_rating": _rating(product.average_rating),  # type: ignore[attr-defined]
        "review_count": product.review_count,  # type: ignore[attr-defined]
        "created_at": product.created_at.isoformat().replace("+00:00", "Z"),
    }


def _cards(discounts: DiscountMap) -> ProductQuerySet:
    """Return visible, sellable products annotated for cards (hidden category trees excluded)."""
    return Product.objects.for_cards(discounts).in_categories(list(_visible_categories()))


def _filtered_cards(filters: ProductFilters, discounts: DiscountMap) -> ProductQuerySet:
    products = _cards(discounts)
    if filters.category is not None:
        category_ids = category_subtree_ids(filters.category)
        if category_ids is None:
            raise UnknownFilterValue(
                f"No category '{filters.category}'.",
                errors={"category": [f"No category '{filters.category}'."]},
            )
        products = products.in_categories(category_ids)
    if filters.tag is not None:
        tag_id = next((t["id"] for t in list_tags() if t["slug"] == filters.tag), None)
        if tag_id is None:
            raise UnknownFilterValue(
                f"No tag '{filters.tag}'.", errors={"tag": [f"No tag '{filters.tag}'."]}
            )
        through = Product.tags.through.objects.filter(product_id=OuterRef("pk"), tag_id=tag_id)
        products = products.filter(Exists(through))
    if filters.price_min is not None:
        products = products.filter(Q(price_key__gte=int(filters.price_min * 100)))
    if filters.price_max is not None:
        products = products.filter(Q(price_key__lte=int(filters.price_max * 100)))
    if filters.in_stock is not None:
        products = products.filter(Q(in_stock=filters.in_stock))
    if filters.featured is not None:
        products = products.filter(is_featured=filters.featured)
    if filters.rating_min is not None:
        products = products.filter(Q(average_rating__gte=filters.rating_min))
    if filters.search:
        products = products.search(filters.search)
    return products.with_sort_keys()


def list_products(
    *,
    filters: ProductFilters,
    ordering: str | None,
    cursor: str | None,
    page_size: int,
) -> dict[str, Any]:
    """Return one page of product cards: {results, next_cursor, previous_cursor}.

    Ordering defaults to relevance when searching and to newest first otherwise.

    Raises:
        UnknownFilterValue: the category or tag filter names nothing.
        InvalidCursor: the cursor is not one of this listing's.
    """
    order = (
        ORDERINGS[ordering]
        if ordering
        else (RELEVANCE if filters.search else ORDERINGS["-created_at"])
    )
    discounts = get_discount_map()

    def compute() -> dict[str, Any]:
        page = paginate_keyset(
            _filtered_cards(filters, discounts), order=order, cursor=cursor, page_size=page_size
        )
        return {
            "results": [_card(product) for product in page.items],
            "next_cursor": page.next_cursor,
            "previous_cursor": page.previous_cursor,
        }

    return cached(
        "products",
        asdict(filters),
        order.key,
        order.descending,
        cursor,
        page_size,
        compute=compute,
        expires_at=discounts.next_change,
    )


def featured_products(*, limit: int) -> list[dict[str, Any]]:
    """Return up to `limit` featured product cards, newest first."""
    discounts = get_discount_map()

    def compute() -> list[dict[str, Any]]:
        products = _cards(discounts).featured().order_by("-created_at", "-pk")
        return [_card(product) for product in products[:limit]]

    return cached("featured", limit, compute=compute, expires_at=discounts.next_change)


def _variant(variant: ProductVariant, percent: Decimal) -> dict[str, Any]:
    return {
        "sku": variant.sku,
        "name": variant.name,
        "options": variant.options,
        "price": _money(
            effective_price(variant.price, percent, variant.currency), variant.currency
        ),
        "list_price": _money(variant.price, variant.currency),
        "compare_at_price": _money(
            compare_at_price(variant.price, variant.compare_at_price, percent), variant.currency
        ),
        "currency": variant.currency,
        "in_stock": variant.stock > 0,
    }


def get_product(slug: str) -> dict[str, Any]:
    """Return everything the product page shows: card data, description, variants, breadcrumbs.

    Raises:
        NotFound: no visible product has this slug.
    """
    discounts = get_discount_map()

    def compute() -> dict[str, Any]:
        product = (
            _cards(discounts)
            .defer(None)
            .defer("search_vector")
            .prefetch_related(
                Prefetch(
                    "variants", queryset=ProductVariant.objects.active().order_by("position", "id")
                )
            )
            .filter(slug=slug)
            .first()
        )
        if product is None:
            raise NotFound(f"No product '{slug}'.")
        percent: Decimal = product.discount_percent  # type: ignore[attr-defined]
        return {
            **_card(product),
            "description": product.description,
            "breadcrumbs": _breadcrumbs(product.category_id),
            "variants": [_variant(v, percent) for v in product.variants.all()],
        }

    return cached("product", slug, compute=compute, expires_at=discounts.next_change)


def get_product_id(slug: str) -> Any:
    """Return the primary key of a product customers can see (for reviews, keyed by slug).

    Raises:
        NotFound: no visible product has this slug.
    """
    pk = (
        Product.objects.active()
        .sellable()
        .in_categories(list(_visible_categories()))
        .filter(slug=slug)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise NotFound(f"No product '{slug}'.")
    return pk


# --- Reviews --------------------------------------------------------------------------------


def _author(full_name: str, email: str) -> str:
    parts = full_name.split()
    if not parts:
        return email.split("@", 1)[0][:1].upper() + "."
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def review_data(review: Review) -> dict[str, Any]:
    """Return a review as the API shows it (the author by first name and initial only)."""
    return {
        "id": str(review.pk),
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "verified_purchase": review.verified_purchase,
        "author": _author(review.user.full_name, review.user.email),
        "created_at": review.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": review.updated_at.isoformat().replace("+00:00", "Z"),
    }


REVIEW_ORDER = KeysetOrder("created_at", descending=True, key_type="datetime")


def list_reviews(*, slug: str, cursor: str | None, page_size: int) -> dict[str, Any]:
    """Return one page of a product's visible reviews, newest first.

    Raises:
        NotFound: no visible product has this slug.
        InvalidCursor: the cursor is not one of this listing's.
    """

    def compute() -> dict[str, Any]:
        product_id = get_product_id(slug)
        reviews = Review.objects.visible().filter(product_id=product_id).select_related("user")
        page = paginate_keyset(reviews, order=REVIEW_ORDER, cursor=cursor, page_size=page_size)
        return {
            "results": [review_data(review) for review in page.items],
            "next_cursor": page.next_cursor,
            "previous_cursor": page.previous_cursor,
        }

    return cached("reviews", slug, cursor, page_size, compute=compute)
