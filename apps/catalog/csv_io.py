"""Import and export the catalog as CSV: one row per variant, upserted by product slug and SKU.

Columns (see COLUMNS): a product's fields repeat on each of its variants' rows. On import, a
column left out of the header leaves that field alone. A cell left empty leaves a field that
cannot be blank alone (name, category, flags, price, currency, stock) and blanks one that can
(description, tags, variant_name, options, compare_at_price). Tags are slugs separated by `|`;
an unknown tag is created. Every row is validated before anything of it is written.

Attributes: `product_type` is a product type's slug; `attributes` (the product's) and
`variant_attributes` (the variant's) are JSON objects of attribute slug to value, as the API's
`PUT /products/<slug>/attributes/` takes them ("Leather", "Red|Blue", "800", "yes"). Attributes
a cell does not name keep their values; `{"weight": ""}` clears one. An unknown choice value is
created, as an unknown tag is.
"""

import csv
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TextIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import DatabaseError, reset_queries, transaction
from django.db.models import Max
from django.utils.text import slugify

from apps.catalog.attributes import (
    attribute_values_by_product,
    check_product_type_change,
    set_attribute_values,
)
from apps.catalog.cache import bump_catalog_version_on_commit
from apps.catalog.errors import AttributeInUse, InvalidAttributeValue
from apps.catalog.models import Category, Product, ProductType, ProductVariant, Tag
from apps.catalog.services import RESERVED_SLUGS
from apps.core.money import default_currency

if TYPE_CHECKING:
    from _csv import _reader

    from _typeshed import SupportsWrite

COLUMNS = (
    "product_slug",
    "product_name",
    "description",
    "category_slug",
    "tags",
    "is_active",
    "is_featured",
    "sku",
    "variant_name",
    "options",
    "price",
    "compare_at_price",
    "currency",
    "stock",
    "variant_is_active",
    "product_type",
    "attributes",
    "variant_attributes",
)
REQUIRED_COLUMNS = ("product_slug", "sku")
# What the export reads: the product's cells, then each variant's.
EXPORT_PRODUCT_FIELDS = (
    "id",
    "slug",
    "name",
    "description",
    "category__slug",
    "is_active",
    "is_featured",
    "product_type__slug",
)
EXPORT_VARIANT_FIELDS = (
    "product_id",
    "sku",
    "name",
    "options",
    "price",
    "compare_at_price",
    "currency",
    "stock",
    "is_active",
    "position",
    "id",
)
TAG_SEPARATOR = "|"
CHUNK_SIZE = 500  # import: rows per look-up (and transaction); export: products per page

# The same limits as the staff API's input serializers.
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_OPTIONS, MAX_OPTION_NAME, MAX_OPTION_VALUE = 10, 30, 60
MAX_STOCK = 1_000_000_000
MAX_PRICE = Decimal("9999999999.99")  # 12 digits, 2 decimal places
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    """Why one line of the file was not imported (line 1 is the header)."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """Rows whose variant was created, rows that changed something, rows that changed nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # True when an atomic import met a bad row and wrote nothing.
    rolled_back: bool = False


def import_products_csv(
    *, file: TextIO, atomic: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Upsert products and variants from a CSV file; report what changed and every bad row.

    By default each row is written in its own savepoint: good rows are imported, bad rows
    reported, and no row is half-written. With `atomic=True` the whole file is one
    transaction and any bad row means nothing is imported (every bad row is still reported).
    A bad header imports nothing. `progress(done, total)` is called as rows are processed
    (total is 0 when the file cannot be read twice, e.g. a pipe).
    """
    total = _count_rows(file) if progress is not None else 0
    reader = csv.reader(file)
    try:
        header = next(reader)
    except StopIteration:
        return ImportReport(errors=[RowError(1, "the file is empty; expected a header row")])
    except (csv.Error, UnicodeError) as exc:
        return ImportReport(errors=[RowError(1, f"unreadable CSV: {exc}")])
    columns, problem = _read_header(header)
    if problem:
        return ImportReport(errors=[RowError(1, problem)])
    importer = _Importer(columns)
    chunks = _chunks(_records(reader, importer), CHUNK_SIZE)
    if not atomic:
        for chunk in chunks:
            with transaction.atomic():
                importer.import_chunk(chunk)
            _report_progress(progress, importer, total)
        return importer.report
    with transaction.atomic():
        for chunk in chunks:
            importer.import_chunk(chunk)
            _report_progress(progress, importer, total)
        if importer.report.errors:
            transaction.set_rollback(True)
            return ImportReport(errors=importer.report.errors, rolled_back=True)
    return importer.report


def export_products_csv(*, out: "SupportsWrite[str]", progress: Progress | None = None) -> int:
    """Write every variant as a CSV row (by product slug, then variant position); return rows.

    The output imports back with no changes. Products without variants are not written.
    """
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    total = ProductVariant.objects.count() if progress is not None else 0
    rows = 0
    for page in _product_pages():
        ids = [product["id"] for product in page]
        # Sorted here rather than in SQL, where an ORDER BY can lead the planner away from
        # the product_id indexes.
        variants = _by_product(
            ProductVariant.objects.filter(product_id__in=ids).values(*EXPORT_VARIANT_FIELDS)
        )
        tags = _by_product(
            Product.tags.through.objects.filter(product_id__in=ids).values(
                "product_id", "tag__slug"
            )
        )
        values = attribute_values_by_product(ids)
        for product in page:
            tag_slugs = sorted(tag["tag__slug"] for tag in tags[product["id"]])
            product_cells = _product_cells(product, tag_slugs)
            own = values.get(product["id"], {"product": {}, "variants": {}})
            for variant in sorted(variants[product["id"]], key=itemgetter("position", "id")):
                writer.writerow(
                    product_cells
                    + _variant_cells(variant)
                    + _attribute_cells(product, own, variant["sku"])
                )
                rows += 1
        reset_queries()  # with DEBUG on, Django would keep every query's SQL
        if progress is not None:
            progress(rows, total)
    return rows


def _by_product(rows: Iterable[Mapping[str, Any]]) -> dict[Any, list[Mapping[str, Any]]]:
    grouped: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["product_id"]].append(row)
    return grouped


def _product_cells(product: Mapping[str, Any], tag_slugs: list[str]) -> list[str]:
    return [
        product["slug"],
        product["name"],
        product["description"],
        product["category__slug"],
        TAG_SEPARATOR.join(tag_slugs),
        _bool_text(product["is_active"]),
        _bool_text(product["is_featured"]),
    ]


def _variant_cells(variant: Mapping[str, Any]) -> list[str]:
    compare_at = variant["compare_at_price"]
    return [
        variant["sku"],
        variant["name"],
        json.dumps(variant["options"], ensure_ascii=False),
        str(variant["price"]),
        "" if compare_at is None else str(compare_at),
        variant["currency"],
        str(variant["stock"]),
        _bool_text(variant["is_active"]),
    ]


def _json(values: Mapping[str, str]) -> str:
    return json.dumps(values, ensure_ascii=False) if values else ""


def _attribute_cells(product: Mapping[str, Any], values: Mapping[str, Any], sku: str) -> list[str]:
    return [
        product["product_type__slug"] or "",
        _json(values["product"]),
        _json(values["variants"].get(sku, {})),
    ]


def _product_pages() -> Iterator[list[dict[str, Any]]]:
    """Yield products by slug, CHUNK_SIZE at a time (keyset pages: no long-lived cursor)."""
    products = Product.objects.order_by("slug").values(*EXPORT_PRODUCT_FIELDS)
    page = list(products[:CHUNK_SIZE])
    while page:
        yield page
        page = list(products.filter(slug__gt=page[-1]["slug"])[:CHUNK_SIZE])


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


# --- Reading the file ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    line: int
    values: dict[str, str]


def _count_rows(file: TextIO) -> int:
    """Return the number of data rows, reading the file once more, or 0 if it cannot."""
    try:
        if not file.seekable():
            return 0
        start = file.tell()
    except OSError:
        return 0
    try:
        rows = sum(1 for row in csv.reader(file) if row) - 1
    except (csv.Error, UnicodeError):
        rows = 0  # the import reports it, at its line
    finally:
        file.seek(start)
    return max(rows, 0)


def _read_header(header: list[str]) -> tuple[list[str], str]:
    """Return the header's column names and what is wrong with it ("" when nothing)."""
    columns = [name.strip().lstrip("\ufeff").lower() for name in header]
    problems = []
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(repr(n) for n in unknown)} "
            f"(the columns are: {', '.join(COLUMNS)})"
        )
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        problems.append(f"column(s) {', '.join(duplicated)} appear more than once")
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    if problems:
        return columns, "bad header: " + "; ".join(problems) + "; nothing was imported"
    return columns, ""


def _records(reader: "_reader", importer: "_Importer") -> Iterator[_Record]:
    """Yield the data rows with the line each starts on; count bad shapes as row errors."""
    columns = importer.columns
    while True:
        start = reader.line_num + 1  # line_num: the last line of the previous record
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeError) as exc:
            # The reader cannot go on after a malformed record or undecodable text.
            importer.fail(start, f"unreadable CSV, stopped reading here: {exc}")
            return
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if len(row) != len(columns):
            importer.fail(
                start, f"expected {len(columns)} fields as in the header, found {len(row)}"
            )
            continue
        yield _Record(start, dict(zip(columns, row, strict=True)))


def _chunks(records: Iterable[_Record], size: int) -> Iterator[list[_Record]]:
    chunk: list[_Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _report_progress(progress: Progress | None, importer: "_Importer", total: int) -> None:
    reset_queries()  # with DEBUG on, Django would keep every query's SQL
    if progress is not None:
        progress(importer.rows_seen, total)


# --- Parsing cells --------------------------------------------------------------------------


class _Invalid(Exception):
    """A cell's value is unusable; the message says which and why."""


def _text(values: dict[str, str], column: str, *, max_length: int) -> str | None:
    if column not in values:
        return None
    value = values[column].strip()
    if len(value) > max_length:
        raise _Invalid(f"{column} is longer than {max_length} characters")
    return value


def _bool(values: dict[str, str], column: str) -> bool | None:
    raw = values.get(column, "").strip()
    if not raw:
        return None
    word = raw.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _Invalid(f"{column} {raw!r} is not true or false")


def _money(values: dict[str, str], column: str) -> Decimal | None:
    raw = values.get(column, "").strip()
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise _Invalid(f"{column} {raw!r} is not a decimal number") from None
    if not amount.is_finite():
        raise _Invalid(f"{column} {raw!r} is not a decimal number")
    if amount < 0:
        raise _Invalid(f"{column} {raw!r} is negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise _Invalid(f"{column} {raw!r} has more than 2 decimal places")
    if amount > MAX_PRICE:
        raise _Invalid(f"{column} {raw!r} is too large")
    return amount


def _stock(values: dict[str, str]) -> int | None:
    raw = values.get("stock", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not raw.isascii() or int(raw) > MAX_STOCK:
        raise _Invalid(f"stock {raw!r} is not a non-negative integer (at most {MAX_STOCK:,})")
    return int(raw)


def _currency(values: dict[str, str]) -> str | None:
    raw = values.get("currency", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[A-Za-z]{3}", raw):
        raise _Invalid(f"currency {raw!r} is not a 3-letter ISO 4217 code")
    return raw.upper()


def _options(values: dict[str, str]) -> dict[str, str] | None:
    if "options" not in values:
        return None
    raw = values["options"].strip()
    if not raw:
        return {}
    try:
        options = json.loads(raw)
    except ValueError as exc:
        raise _Invalid(f"options is not valid JSON ({exc})") from None
    if not isinstance(options, dict):
        raise _Invalid('options must be a JSON object, e.g. {"size": "M"}')
    if len(options) > MAX_OPTIONS or not all(
        isinstance(value, str) and len(value) <= MAX_OPTION_VALUE and len(key) <= MAX_OPTION_NAME
        for key, value in options.items()
    ):
        raise _Invalid(
            f"options must map at most {MAX_OPTIONS} names (up to {MAX_OPTION_NAME} characters) "
            f"to text values (up to {MAX_OPTION_VALUE} characters)"
        )
    return options


def _attribute_map(values: dict[str, str], column: str) -> dict[str, Any] | None:
    """Return a JSON object cell of attribute values, or None when not given."""
    raw = values.get(column, "").strip()
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise _Invalid(f"{column} is not valid JSON ({exc})") from None
    if not isinstance(parsed, dict) or not all(
        isinstance(v, str | int | float | bool | list) or v is None for v in parsed.values()
    ):
        raise _Invalid(f'{column} must be a JSON object, e.g. {{"material": "Leather"}}')
    return parsed


def _slug(values: dict[str, str]) -> str:
    slug = values["product_slug"].strip()
    if not slug:
        raise _Invalid("product_slug is required")
    try:
        validate_slug(slug)
    except ValidationError:
        raise _Invalid(
            f"product_slug {slug!r} is not a slug (letters, digits, '-' and '_' only)"
        ) from None
    if len(slug) > 220:
        raise _Invalid("product_slug is longer than 220 characters")
    if slug in RESERVED_SLUGS:
        raise _Invalid(f"product_slug {slug!r} is reserved")
    return slug


def _sku(values: dict[str, str]) -> str:
    sku = values["sku"].strip()
    if not sku:
        raise _Invalid("sku is required")
    if not SKU_PATTERN.fullmatch(sku):
        raise _Invalid(
            f"sku {sku!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return sku


def _tags(values: dict[str, str]) -> list[str] | None:
    """Return the row's tags as written, or None without the column."""
    if "tags" not in values:
        return None
    tags = []
    for raw in values["tags"].split(TAG_SEPARATOR):
        written = raw.strip()
        if not written:
            continue
        if not slugify(written):
            raise _Invalid(f"tag {written!r} has no letters or digits")
        if len(written) > 60:
            raise _Invalid(f"tag {written!r} is longer than 60 characters")
        tags.append(written)
    return tags


@dataclass
class _Cells:
    """A row's parsed cells; None means "not given" (no column, or empty where that means so)."""

    product_slug: str
    sku: str
    product_name: str | None
    description: str | None
    category_slug: str | None
    tags: list[str] | None
    is_active: bool | None
    is_featured: bool | None
    variant_name: str | None
    options: dict[str, str] | None
    price: Decimal | None
    compare_at_price: Decimal | None
    has_compare_at_price: bool
    currency: str | None
    stock: int | None
    variant_is_active: bool | None
    product_type_slug: str | None = None
    attributes: dict[str, Any] | None = None
    variant_attributes: dict[str, Any] | None = None


def _parse(values: dict[str, str]) -> tuple[_Cells | None, list[str]]:
    """Parse every cell of a row; return the cells, or None and every problem found."""
    problems: list[str] = []

    def cell(parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except _Invalid as exc:
            problems.append(str(exc))
            return None

    cells = _Cells(
        product_slug=cell(lambda: _slug(values)),
        sku=cell(lambda: _sku(values)),
        product_name=cell(lambda: _text(values, "product_name", max_length=200) or None),
        description=values.get("description"),
        category_slug=cell(lambda: _text(values, "category_slug", max_length=140) or None),
        tags=cell(lambda: _tags(values)),
        is_active=cell(lambda: _bool(values, "is_active")),
        is_featured=cell(lambda: _bool(values, "is_featured")),
        variant_name=cell(lambda: _text(values, "variant_name", max_length=120)),
        options=cell(lambda: _options(values)),
        price=cell(lambda: _money(values, "price")),
        compare_at_price=cell(lambda: _money(values, "compare_at_price")),
        has_compare_at_price="compare_at_price" in values,
        currency=cell(lambda: _currency(values)),
        stock=cell(lambda: _stock(values)),
        variant_is_active=cell(lambda: _bool(values, "variant_is_active")),
        product_type_slug=cell(lambda: _text(values, "product_type", max_length=140) or None),
        attributes=cell(lambda: _attribute_map(values, "attributes")),
        variant_attributes=cell(lambda: _attribute_map(values, "variant_attributes")),
    )
    return (None, problems) if problems else (cells, [])


# --- Writing --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What one valid row will write."""

    product: Product | None  # None: create it
    product_fields: dict[str, Any]
    tags: list[tuple[str, str]] | None  # the product's tags after the row, when they change
    variant: ProductVariant | None  # None: create it
    variant_fields: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)  # only those that change
    variant_attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.product is None
            or self.variant is None
            or self.product_fields
            or self.tags is not None
            or self.variant_fields
            or self.attributes
            or self.variant_attributes
        )


class _Importer:
    """Validate and write rows, remembering the file's SKUs and the rows it has loaded."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.report = ImportReport()
        self.rows_seen = 0
        self.categories = {c.slug: c for c in Category.objects.all()}
        self.product_types = {t.slug: t for t in ProductType.objects.all()}
        self.attribute_values: dict[Any, dict[str, Any]] = {}  # product id -> its values
        self.tags = {t.slug: t for t in Tag.objects.all()}
        self.sku_lines: dict[str, int] = {}
        self.products: dict[str, Product | None] = {}
        self.product_tags: dict[str, set[str]] = {}  # product slug -> its tag slugs
        self.variants: dict[str, ProductVariant | None] = {}
        self.next_position: dict[str, int] = {}  # product slug -> position of a new variant

    def fail(self, line: int, reason: str) -> None:
        self.rows_seen += 1
        self.report.errors.append(RowError(line, reason))

    def import_chunk(self, records: list[_Record]) -> None:
        self._load(records)
        wrote = False
        for record in records:
            self.rows_seen += 1
            wrote |= self._import_row(record)
        if wrote:
            bump_catalog_version_on_commit()

    def _load(self, records: list[_Record]) -> None:
        """Fetch the chunk's products, their tags and its variants, in three queries.

        What earlier chunks loaded is dropped first, so memory stays flat on long files.
        """
        for cache in (
            self.products,
            self.product_tags,
            self.variants,
            self.next_position,
            self.attribute_values,
        ):
            cache.clear()
        slugs = {r.values["product_slug"].strip() for r in records}
        skus = {r.values["sku"].strip() for r in records}
        self.products.update(dict.fromkeys(slugs))
        slug_of = {}
        for product in Product.objects.filter(slug__in=slugs).defer("search_vector"):
            self.products[product.slug] = product
            self.product_tags[product.slug] = set()
            slug_of[product.pk] = product.slug
        for product_id, tag in Product.tags.through.objects.filter(
            product_id__in=slug_of
        ).values_list("product_id", "tag__slug"):
            self.product_tags[slug_of[product_id]].add(tag)
        self.variants.update(dict.fromkeys(skus))
        self.variants.update({v.sku: v for v in ProductVariant.objects.filter(sku__in=skus)})
        if {"attributes", "variant_attributes"} & set(self.columns):
            self.attribute_values.update(attribute_values_by_product(slug_of))

    def _import_row(self, record: _Record) -> bool:
        """Import one row; return whether it wrote anything."""
        cells, problems = _parse(record.values)
        sku = record.values["sku"].strip()
        first = self.sku_lines.setdefault(sku, record.line) if sku else record.line
        if first != record.line:
            problems.insert(0, f"sku {sku!r} is also on line {first}; a SKU may appear once")
        if cells is None or problems:
            return self._reject(record, problems)
        plan = self._plan(cells, problems)
        if problems:
            return self._reject(record, problems)
        if not plan.changes_anything:
            self.report.unchanged += 1
            return False
        try:
            with transaction.atomic():
                self._write(plan, cells)
        except InvalidAttributeValue as exc:
            self._forget(cells)
            return self._reject(record, [_attribute_problem(exc)])
        except DatabaseError as exc:
            self._forget(cells)
            return self._reject(record, [f"the database refused the row: {exc}"])
        if plan.variant is None:
            self.report.created += 1
        else:
            self.report.updated += 1
        return True

    def _reject(self, record: _Record, problems: list[str]) -> bool:
        self.report.errors.append(RowError(record.line, "; ".join(problems)))
        return False

    def _lookup_product(self, slug: str) -> Product | None:
        if slug not in self.products:  # forgotten after a failed row
            product = Product.objects.defer("search_vector").filter(slug=slug).first()
            self.products[slug] = product
            if product is not None:
                self.product_tags[slug] = set(product.tags.values_list("slug", flat=True))
        return self.products[slug]

    def _lookup_variant(self, sku: str) -> ProductVariant | None:
        if sku not in self.variants:
            self.variants[sku] = ProductVariant.objects.filter(sku=sku).first()
        return self.variants[sku]

    def _plan(self, cells: _Cells, problems: list[str]) -> _Plan:
        """Resolve the row against the catalog; append to `problems` what makes it unusable."""
        product = self._lookup_product(cells.product_slug)
        variant = self._lookup_variant(cells.sku)
        category = None
        if cells.category_slug is not None:
            category = self.categories.get(cells.category_slug)
            if category is None:
                problems.append(f"unknown category {cells.category_slug!r}")
        if product is None:
            if cells.product_name is None:
                problems.append("product_name is required for a new product")
            if cells.category_slug is None:
                problems.append("category_slug is required for a new product")
        if variant is not None and (product is None or variant.product_id != product.pk):
            owner = Product.objects.filter(pk=variant.product_id).values_list("slug", flat=True)
            problems.append(f"sku {cells.sku!r} already belongs to product {owner.first()!r}")
        if variant is None and cells.price is None:
            problems.append("price is required for a new variant")
        product_type = None
        if cells.product_type_slug is not None:
            product_type = self.product_types.get(cells.product_type_slug)
            if product_type is None:
                problems.append(f"unknown product_type {cells.product_type_slug!r}")
            elif product is not None and product.product_type_id != product_type.pk:
                try:
                    check_product_type_change(product, product_type)
                except AttributeInUse as exc:
                    problems.append(exc.detail)
        wanted_product = {
            "name": cells.product_name,
            "description": cells.description,
            "category_id": category.pk if category is not None else None,
            "is_active": cells.is_active,
            "is_featured": cells.is_featured,
            "product_type_id": product_type.pk if product_type is not None else None,
        }
        wanted_variant = {
            "name": cells.variant_name,
            "options": cells.options,
            "price": cells.price,
            "currency": cells.currency,
            "stock": cells.stock,
            "is_active": cells.variant_is_active,
        }
        if cells.has_compare_at_price:
            wanted_variant["compare_at_price"] = cells.compare_at_price
        tags = None if cells.tags is None else self._tag_slugs(cells.tags)
        if tags is not None and product is not None:
            if {slug for slug, _ in tags} == self.product_tags.get(product.slug, set()):
                tags = None
        elif tags == []:
            tags = None  # a new product has no tags anyway
        current = self.attribute_values.get(product.pk if product else None)
        current = current or {"product": {}, "variants": {}}
        return _Plan(
            product=product,
            product_fields=_changed(product, wanted_product),
            tags=tags,
            variant=variant,
            variant_fields=_changed(variant, wanted_variant),
            attributes=_changed_values(cells.attributes, current["product"]),
            variant_attributes=_changed_values(
                cells.variant_attributes, current["variants"].get(cells.sku, {})
            ),
        )

    def _write(self, plan: _Plan, cells: _Cells) -> None:
        product = plan.product
        if product is None:
            product = Product(slug=cells.product_slug, **plan.product_fields)
            product.save()
            self.product_tags[product.slug] = set()
            self.next_position[product.slug] = 1
        elif plan.product_fields:
            for name, value in plan.product_fields.items():
                setattr(product, name, value)
            product.save(update_fields=[*plan.product_fields, "updated_at"])
        self.products[product.slug] = product
        if plan.tags is not None:
            product.tags.set([self._tag(slug, name) for slug, name in plan.tags])
            self.product_tags[product.slug] = {slug for slug, _ in plan.tags}
        variant = plan.variant
        if variant is None:
            variant = ProductVariant(
                product=product,
                sku=cells.sku,
                position=self._next_position(product),
                **{"currency": default_currency(), **plan.variant_fields},
            )
            variant.save()
        elif plan.variant_fields:
            for name, value in plan.variant_fields.items():
                setattr(variant, name, value)
            variant.save(update_fields=[*plan.variant_fields, "updated_at"])
        self.variants[variant.sku] = variant
        if plan.attributes:
            set_attribute_values(
                product=product, values=plan.attributes, create_missing_choices=True
            )
        if plan.variant_attributes:
            set_attribute_values(
                product=product,
                variant=variant,
                values=plan.variant_attributes,
                create_missing_choices=True,
            )
        if plan.attributes or plan.variant_attributes:
            self.attribute_values.pop(product.pk, None)  # read again when next needed

    def _tag_slugs(self, written: list[str]) -> list[tuple[str, str]]:
        """Return (slug, name as written) for each tag: an existing tag's slug, or a new one."""
        tags: dict[str, str] = {}
        for name in written:
            tags.setdefault(name if name in self.tags else slugify(name), name)
        return list(tags.items())

    def _tag(self, slug: str, name: str) -> Tag:
        tag = self.tags.get(slug)
        if tag is None:
            tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
            self.tags[slug] = tag
        return tag

    def _next_position(self, product: Product) -> int:
        if product.slug not in self.next_position:
            last = product.variants.aggregate(last=Max("position"))["last"]
            self.next_position[product.slug] = (last or 0) + 1
        position = self.next_position[product.slug]
        self.next_position[product.slug] = position + 1
        return position

    def _forget(self, cells: _Cells) -> None:
        """Drop what a rolled-back row may have left in memory; it is fetched again if needed."""
        self.products.pop(cells.product_slug, None)
        self.product_tags.pop(cells.product_slug, None)
        self.variants.pop(cells.sku, None)
        self.next_position.pop(cells.product_slug, None)
        self.tags = {t.slug: t for t in Tag.objects.all()}


def _attribute_problem(error: InvalidAttributeValue) -> str:
    for name, messages in (error.errors or {}).items():
        return f"attribute {name!r}: {messages[0]}"
    return error.detail


def _changed_values(wanted: dict[str, Any] | None, current: Mapping[str, str]) -> dict[str, Any]:
    """Return the attribute values of a cell that differ from those stored (as exported)."""
    if not wanted:
        return {}

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return "|".join(str(item) for item in value)
        return "" if value is None else str(value).strip()

    return {slug: value for slug, value in wanted.items() if text(value) != current.get(slug, "")}


def _changed(instance: Product | ProductVariant | None, wanted: dict[str, Any]) -> dict[str, Any]:
    """Return the given fields (not None) that differ from `instance` (all of them if None)."""
    given = {name: value for name, value in wanted.items() if value is not None}
    if "compare_at_price" in wanted:  # None is a value here: "no compare-at price"
        given["compare_at_price"] = wanted["compare_at_price"]
    if instance is None:
        return given
    return {name: value for name, value in given.items() if getattr(instance, name) != value}
