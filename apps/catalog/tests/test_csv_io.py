"""CSV import and export of products and variants, and the import/export commands."""

import csv
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from apps.catalog import attributes
from apps.catalog.attributes import attribute_values_of
from apps.catalog.cache import get_catalog_version
from apps.catalog.csv_io import (
    COLUMNS,
    ImportReport,
    RowError,
    export_products_csv,
    import_products_csv,
)
from apps.catalog.demo import seed_demo_catalog
from apps.catalog.models import Product, ProductVariant, Tag
from apps.catalog.tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductVariantFactory,
    TagFactory,
    make_product,
)

pytestmark = pytest.mark.django_db


def row(**cells: str) -> dict[str, str]:
    """Return a valid row for a new product and variant, with `cells` changed."""
    return {
        "product_slug": "linen-shirt",
        "product_name": "Linen Shirt",
        "description": "Cool in summer.",
        "category_slug": "shirts",
        "tags": "summer",
        "is_active": "true",
        "is_featured": "false",
        "sku": "LS-M",
        "variant_name": "M",
        "options": '{"size": "M"}',
        "price": "49.00",
        "compare_at_price": "",
        "currency": "EUR",
        "stock": "5",
        "variant_is_active": "true",
        "product_type": "",
        "attributes": "",
        "variant_attributes": "",
        **cells,
    }


def csv_text(*rows: dict[str, str], columns: tuple[str, ...] | list[str] = COLUMNS) -> str:
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([[r[c] for c in columns] for r in rows])
    return out.getvalue()


def import_csv(text: str, **options) -> ImportReport:
    return import_products_csv(file=StringIO(text), **options)


def export_csv() -> str:
    out = StringIO()
    export_products_csv(out=out)
    return out.getvalue()


def catalog_state() -> list[tuple]:
    variants = ProductVariant.objects.select_related("product__category").order_by("sku")
    return [
        (
            v.product.slug,
            v.product.name,
            v.product.description,
            v.product.category.slug,
            sorted(v.product.tags.values_list("slug", flat=True)),
            v.product.is_active,
            v.product.is_featured,
            v.sku,
            v.name,
            v.options,
            v.price,
            v.compare_at_price,
            v.currency,
            v.stock,
            v.is_active,
            v.position,
        )
        for v in variants
    ]


@pytest.fixture
def shirts():
    return CategoryFactory.create(name="Shirts", slug="shirts")


# --- Importing ------------------------------------------------------------------------------


def test_imports_new_products_variants_and_tags(shirts):
    summer = TagFactory.create(name="Summer", slug="summer")
    text = csv_text(
        row(tags="summer|Eco Friendly"),
        row(
            tags="summer|Eco Friendly",  # product cells repeat on each of its variants' rows
            sku="LS-L",
            variant_name="L",
            options='{"size": "L"}',
            price="52.50",
            stock="0",
        ),
        row(
            product_slug="oxford-shirt",
            product_name="Oxford Shirt",
            description="",
            tags="",
            is_featured="yes",
            sku="OX-1",
            variant_name="",
            options="",
            price="39.90",
            compare_at_price="59.00",
            currency="usd",
        ),
    )

    report = import_csv(text)

    assert report == ImportReport(created=3)
    linen = Product.objects.get(slug="linen-shirt")
    assert (linen.name, linen.description, linen.category, linen.is_active) == (
        "Linen Shirt",
        "Cool in summer.",
        shirts,
        True,
    )
    eco = Tag.objects.get(slug="eco-friendly")
    assert eco.name == "Eco Friendly"
    assert set(linen.tags.all()) == {summer, eco}
    assert [
        (v.sku, v.name, v.options, v.price, v.stock, v.position) for v in linen.variants.all()
    ] == [
        ("LS-M", "M", {"size": "M"}, Decimal("49.00"), 5, 1),
        ("LS-L", "L", {"size": "L"}, Decimal("52.50"), 0, 2),
    ]
    oxford = Product.objects.get(slug="oxford-shirt")
    assert oxford.is_featured
    assert not oxford.tags.exists()
    assert oxford.description == ""
    variant = oxford.variants.get()
    assert (variant.options, variant.compare_at_price, variant.currency) == (
        {},
        Decimal("59.00"),
        "USD",
    )


def test_updates_existing_rows_and_counts_only_rows_that_changed(shirts):
    import_csv(csv_text(row(), row(sku="LS-L", variant_name="L")))
    old_tag = Tag.objects.get(slug="summer")

    report = import_csv(
        csv_text(
            row(price="45.00", stock="12"),  # variant change
            row(sku="LS-L", variant_name="L"),  # as it is
            row(sku="LS-S", variant_name="S", options='{"size": "S"}'),  # new variant
        )
    )

    assert report == ImportReport(created=1, updated=1, unchanged=1)
    variant = ProductVariant.objects.get(sku="LS-M")
    assert (variant.price, variant.stock) == (Decimal("45.00"), 12)
    assert ProductVariant.objects.get(sku="LS-S").position == 3

    report = import_csv(csv_text(row(product_name="Linen Shirt II", tags="")))

    assert report == ImportReport(updated=1)
    product = Product.objects.get(slug="linen-shirt")
    assert product.name == "Linen Shirt II"
    assert not product.tags.exists()
    assert Tag.objects.filter(pk=old_tag.pk).exists()  # untagged, not deleted


def test_moves_a_product_to_another_category(shirts):
    make_product(slug="linen-shirt", sku="LS-M", category=CategoryFactory.create(slug="old"))

    report = import_csv(csv_text(row(), columns=["product_slug", "sku", "category_slug"]))

    assert report == ImportReport(updated=1)
    assert Product.objects.get(slug="linen-shirt").category == shirts


def test_columns_left_out_and_empty_cells_keep_what_is_there():
    product = make_product(
        slug="kept", name="Kept", sku="K-1", price=Decimal("10.00"), stock=3, is_featured=True
    )
    variant = product.variants.get()

    stock_only = import_csv("product_slug,sku,stock\nkept,K-1,7\n")
    empties = import_csv(
        csv_text(
            row(
                product_slug="kept",
                sku="K-1",
                product_name="",
                category_slug="",
                is_active="",
                is_featured="",
                price="",
                currency="",
                stock="",
                variant_is_active="",
            ),
            columns=[
                "product_slug",
                "sku",
                "product_name",
                "category_slug",
                "is_active",
                "is_featured",
                "price",
                "currency",
                "stock",
                "variant_is_active",
            ],
        )
    )

    assert stock_only == ImportReport(updated=1)
    assert empties == ImportReport(unchanged=1)
    product.refresh_from_db()
    variant.refresh_from_db()
    assert (product.name, product.is_featured, product.category_id) == (
        "Kept",
        True,
        product.category_id,
    )
    assert (variant.price, variant.stock, variant.currency) == (Decimal("10.00"), 7, "EUR")


BAD_CELLS = {
    "no-slug": ({"product_slug": ""}, "product_slug is required"),
    "bad-slug": ({"product_slug": "Not A Slug"}, "product_slug 'Not A Slug' is not a slug"),
    "reserved-slug": ({"product_slug": "featured"}, "product_slug 'featured' is reserved"),
    "no-sku": ({"sku": ""}, "sku is required"),
    "bad-sku": ({"sku": "BAD SKU"}, "sku 'BAD SKU' must be 1-64 letters"),
    "no-name": ({"product_name": ""}, "product_name is required for a new product"),
    "long-name": ({"product_name": "x" * 201}, "product_name is longer than 200 characters"),
    "no-category": ({"category_slug": ""}, "category_slug is required for a new product"),
    "unknown-category": ({"category_slug": "nope"}, "unknown category 'nope'"),
    "price-not-decimal": ({"price": "abc"}, "price 'abc' is not a decimal number"),
    "price-nan": ({"price": "NaN"}, "price 'NaN' is not a decimal number"),
    "price-negative": ({"price": "-1.00"}, "price '-1.00' is negative"),
    "price-precision": ({"price": "1.234"}, "price '1.234' has more than 2 decimal places"),
    "price-missing": ({"price": ""}, "price is required for a new variant"),
    "compare-at-negative": ({"compare_at_price": "-5"}, "compare_at_price '-5' is negative"),
    "stock-negative": ({"stock": "-3"}, "stock '-3' is not a non-negative integer"),
    "stock-fraction": ({"stock": "2.5"}, "stock '2.5' is not a non-negative integer"),
    "options-not-json": ({"options": "{size: M}"}, "options is not valid JSON"),
    "options-not-object": ({"options": '["M"]'}, "options must be a JSON object"),
    "options-not-text": ({"options": '{"size": {"eu": 42}}'}, "to text values"),
    "bad-boolean": ({"is_active": "maybe"}, "is_active 'maybe' is not true or false"),
    "bad-currency": ({"currency": "EURO"}, "currency 'EURO' is not a 3-letter ISO 4217 code"),
    "bad-tag": ({"tags": "summer|???"}, "tag '???' has no letters or digits"),
}


@pytest.mark.parametrize(("cells", "reason"), BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_reports_a_bad_row_with_its_line_and_imports_the_good_ones(shirts, cells, reason):
    text = csv_text(
        row(product_slug="first", sku="F-1"),
        row(product_slug="bad-product", sku="BAD-1") | cells,
        row(product_slug="last", sku="L-1"),
    )

    report = import_csv(text)

    assert report.created == 2
    assert len(report.errors) == 1
    assert report.errors[0].line == 3
    assert reason in report.errors[0].reason
    assert set(Product.objects.values_list("slug", flat=True)) == {"first", "last"}
    assert set(ProductVariant.objects.values_list("sku", flat=True)) == {"F-1", "L-1"}


def test_reports_every_problem_of_a_row_at_once(shirts):
    report = import_csv(csv_text(row(price="x", stock="-1", options="[]")))

    assert len(report.errors) == 1
    assert report.errors[0].line == 2
    for reason in ("price 'x'", "stock '-1'", "options must be a JSON object"):
        assert reason in report.errors[0].reason


def test_refuses_a_sku_that_belongs_to_another_product(shirts):
    make_product(slug="other", sku="TAKEN-1", price=Decimal("5.00"))

    report = import_csv(csv_text(row(sku="TAKEN-1", price="99.00")))

    assert report.errors == [
        RowError(2, "sku 'TAKEN-1' already belongs to product 'other'"),
    ]
    assert ProductVariant.objects.get(sku="TAKEN-1").price == Decimal("5.00")
    assert not Product.objects.filter(slug="linen-shirt").exists()  # nothing half-written


def test_refuses_a_sku_repeated_in_the_file(shirts):
    report = import_csv(
        csv_text(row(), row(product_slug="second", product_name="Second", price="1.00"))
    )

    assert report.created == 1
    assert report.errors == [RowError(3, "sku 'LS-M' is also on line 2; a SKU may appear once")]
    assert ProductVariant.objects.get(sku="LS-M").price == Decimal("49.00")
    assert not Product.objects.filter(slug="second").exists()


def test_line_numbers_count_quoted_newlines_and_blank_lines(shirts):
    first = csv_text(row(description="Line one\nline two\nline three"))
    text = first + "\n" + csv_text(row(sku="LS-L", price="oops")).split("\n", 1)[1]

    report = import_csv(text)

    # header: 1, first row: 2-4, blank: 5, bad row: 6
    assert report.errors == [RowError(6, "price 'oops' is not a decimal number")]
    assert Product.objects.get().description == "Line one\nline two\nline three"


def test_reports_a_row_with_the_wrong_number_of_fields(shirts):
    text = csv_text(row()) + "short-row,SKU-X\n"

    report = import_csv(text)

    assert report.created == 1
    assert report.errors == [RowError(3, "expected 18 fields as in the header, found 2")]


def test_a_row_the_database_refuses_is_rolled_back_whole(shirts, monkeypatch):
    original_save = ProductVariant.save

    def save(self, *args, **kwargs):
        if self.sku == "BOOM":
            raise IntegrityError("simulated failure")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(ProductVariant, "save", save)
    text = csv_text(
        row(product_slug="boom", sku="BOOM", tags="brand-new-tag"),
        row(product_slug="boom", sku="BOOM-2", tags="summer"),
    )

    report = import_csv(text)

    assert report.created == 1
    assert report.errors == [RowError(2, "the database refused the row: simulated failure")]
    product = Product.objects.get(slug="boom")  # created again by the second row
    assert list(product.variants.values_list("sku", flat=True)) == ["BOOM-2"]
    assert not Tag.objects.filter(slug="brand-new-tag").exists()
    assert list(product.tags.values_list("slug", flat=True)) == ["summer"]


def test_atomic_import_imports_nothing_when_a_row_is_bad(shirts):
    make_product(slug="existing", sku="EX-1", price=Decimal("1.00"))
    text = csv_text(
        row(),
        row(product_slug="existing", sku="EX-1", price="2.00"),
        row(product_slug="bad", sku="BAD-1", stock="many"),
        row(product_slug="another-bad", sku="BAD-2", category_slug="nope"),
    )

    report = import_csv(text, atomic=True)

    assert report.rolled_back
    assert (report.created, report.updated) == (0, 0)
    assert [error.line for error in report.errors] == [4, 5]
    assert not Product.objects.filter(slug="linen-shirt").exists()
    assert ProductVariant.objects.get(sku="EX-1").price == Decimal("1.00")


def test_atomic_import_of_a_good_file_imports_everything(shirts):
    report = import_csv(csv_text(row(), row(sku="LS-L")), atomic=True)

    assert report == ImportReport(created=2)
    assert ProductVariant.objects.count() == 2


BAD_HEADERS = {
    "unknown-column": (
        "product_slug,sku,colour\nlinen-shirt,LS-M,blue\n",
        "unknown column(s) 'colour'",
    ),
    "missing-sku": ("product_slug,price\nlinen-shirt,1.00\n", "missing required column(s) sku"),
    "duplicate-column": (
        "product_slug,sku,price,price\nlinen-shirt,LS-M,1.00,2.00\n",
        "column(s) price appear more than once",
    ),
    "empty-file": ("", "the file is empty"),
}


@pytest.mark.parametrize(("text", "reason"), BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_a_bad_header_imports_nothing(shirts, text, reason):
    good_rows = csv_text(row()).split("\n", 1)[1] if text else ""

    report = import_csv(text + good_rows)

    assert len(report.errors) == 1
    assert report.errors[0].line == 1
    assert reason in report.errors[0].reason
    assert (report.created, report.updated) == (0, 0)
    assert not Product.objects.exists()


def test_header_names_tolerate_a_bom_spaces_and_case(shirts):
    text = "\ufeffProduct_Slug, SKU ,price,product_name,category_slug\nls,LS-M,1.00,L,shirts\n"

    assert import_csv(text) == ImportReport(created=1)


def test_import_bumps_the_catalog_version_only_when_it_writes(
    shirts, django_capture_on_commit_callbacks
):
    before = get_catalog_version()
    assert before is not None
    with django_capture_on_commit_callbacks(execute=True):
        import_csv(csv_text(row()))
    bumped = get_catalog_version()
    assert bumped is not None
    assert bumped > before

    with django_capture_on_commit_callbacks(execute=True):
        import_csv(csv_text(row()))

    assert get_catalog_version() == bumped


def test_import_reports_progress(shirts, monkeypatch):
    from apps.catalog import csv_io

    monkeypatch.setattr(csv_io, "CHUNK_SIZE", 2)
    calls = []
    text = csv_text(*(row(sku=f"LS-{n}") for n in range(5)))

    import_products_csv(file=StringIO(text), progress=lambda *args: calls.append(args))

    assert calls == [(2, 5), (4, 5), (5, 5)]


# --- Exporting and the round trip -----------------------------------------------------------


@pytest.fixture
def catalog(shirts):
    summer, linen = TagFactory.create(slug="summer"), TagFactory.create(slug="linen")
    odd = TagFactory.create(name="Odd", slug="Odd_Slug")  # not what slugify would make
    zebra = ProductFactory.create(
        slug="zebra-shirt",
        name='Zebra "Stripes" Shirt, striped',
        description="Bold.\nMachine washable, 30°C.",
        category=shirts,
        tags=[summer, linen],
        is_featured=True,
    )
    ProductVariantFactory.create(
        product=zebra,
        sku="ZB-L",
        name="L / Crème",
        options={"size": "L", "colour": "Crème"},
        price=Decimal("30.00"),
        position=2,
    )
    ProductVariantFactory.create(
        product=zebra,
        sku="ZB-S",
        name="S / Crème",
        options={"size": "S", "colour": "Crème"},
        price=Decimal("29.50"),
        compare_at_price=Decimal("45.00"),
        stock=0,
        is_active=False,
        position=1,
    )
    make_product(
        slug="apron", name="Apron", category=shirts, sku="AP-1", is_active=False, tags=[odd]
    )
    ProductFactory.create(slug="draft-no-variants", category=shirts)


def test_export_writes_one_row_per_variant_by_slug_then_position(catalog):
    rows = list(csv.DictReader(StringIO(export_csv())))

    assert [(r["product_slug"], r["sku"]) for r in rows] == [
        ("apron", "AP-1"),
        ("zebra-shirt", "ZB-S"),
        ("zebra-shirt", "ZB-L"),
    ]
    assert rows[1] == {
        "product_slug": "zebra-shirt",
        "product_name": 'Zebra "Stripes" Shirt, striped',
        "description": "Bold.\nMachine washable, 30°C.",
        "category_slug": "shirts",
        "tags": "linen|summer",
        "is_active": "true",
        "is_featured": "true",
        "sku": "ZB-S",
        "variant_name": "S / Crème",
        "options": '{"size": "S", "colour": "Crème"}',
        "price": "29.50",
        "compare_at_price": "45.00",
        "currency": "EUR",
        "stock": "0",
        "variant_is_active": "false",
        "product_type": "",
        "attributes": "",
        "variant_attributes": "",
    }
    assert rows[0]["tags"] == "Odd_Slug"
    assert rows[0]["is_active"] == "false"
    assert rows[0]["options"] == "{}"
    assert rows[0]["compare_at_price"] == ""


def test_export_then_import_changes_nothing(catalog):
    before = catalog_state()

    report = import_csv(export_csv())

    assert report == ImportReport(unchanged=3)
    assert catalog_state() == before


def test_export_then_import_into_an_empty_catalog_rebuilds_it(catalog):
    text = export_csv()
    before = [state for state in catalog_state() if state[0] != "draft-no-variants"]
    Product.objects.all().delete()

    report = import_csv(text)

    assert report == ImportReport(created=3)
    assert catalog_state() == before


def test_demo_catalog_round_trips():
    seed_demo_catalog(products=60)
    text = export_csv()
    before = catalog_state()

    report = import_csv(text, atomic=True)

    assert report == ImportReport(unchanged=ProductVariant.objects.count())
    assert catalog_state() == before


def test_export_reports_progress(catalog, monkeypatch):
    from apps.catalog import csv_io

    monkeypatch.setattr(csv_io, "CHUNK_SIZE", 2)
    calls = []

    rows = export_products_csv(out=StringIO(), progress=lambda *args: calls.append(args))

    assert rows == 3
    assert calls == [(1, 3), (3, 3)]  # after 2 products (apron, draft), then at the end


# --- The commands ---------------------------------------------------------------------------


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_command_prints_the_report(shirts, tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(csv_text(row(), row(sku="LS-L")), encoding="utf-8-sig")  # with a BOM

    out, err = run("import_products", str(path))

    assert f"Imported {path} in" in out
    assert "2 created, 0 updated, 0 unchanged, 0 failed." in out
    assert "2/2" in err
    assert ProductVariant.objects.count() == 2


def test_import_command_exits_with_status_1_when_a_row_fails(shirts, tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(csv_text(row(), row(sku="LS-L", stock="-1")))
    out = StringIO()

    with pytest.raises(CommandError, match=r"1 row\(s\) failed\.") as failure:
        call_command("import_products", str(path), "-v", "0", stdout=out)

    assert failure.value.returncode == 1
    assert "1 created, 0 updated, 0 unchanged, 1 failed." in out.getvalue()
    assert "  line 3: stock '-1' is not a non-negative integer" in out.getvalue()
    assert ProductVariant.objects.count() == 1


def test_import_command_atomic_imports_nothing(shirts, tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(csv_text(row(), row(sku="LS-L", price="free")))
    out = StringIO()

    with pytest.raises(CommandError, match="nothing was imported") as failure:
        call_command("import_products", str(path), "--atomic", stdout=out, stderr=StringIO())

    assert failure.value.returncode == 1
    assert "Nothing imported" in out.getvalue()
    assert "  line 3: price 'free' is not a decimal number" in out.getvalue()
    assert not Product.objects.exists()


def test_import_command_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv"):
        run("import_products", str(tmp_path / "missing.csv"))


def test_export_command_writes_csv_to_stdout(catalog):
    out, err = run("export_products")

    assert out == export_csv()
    assert "Exported 3 rows to standard output" in err


def test_export_command_writes_a_file_that_imports_back(catalog, tmp_path):
    path = tmp_path / "export.csv"

    out, err = run("export_products", str(path))

    assert f"Exported 3 rows to {path}" in out
    assert "3/3" in err
    with path.open(newline="", encoding="utf-8") as file:
        assert import_products_csv(file=file) == ImportReport(unchanged=3)


# --- Attributes -----------------------------------------------------------------------------


@pytest.fixture
def shoe_type():
    colour = attributes.create_attribute(name="Colour", kind="choice", values=["Black"])
    size = attributes.create_attribute(name="Size", kind="choice")
    material = attributes.create_attribute(name="Material", kind="multi_choice")
    weight = attributes.create_attribute(name="Weight", kind="number", unit="g")
    return attributes.create_product_type(
        name="Shoes",
        attributes=[
            attributes.TypeAttribute(colour, variant_defining=True),
            attributes.TypeAttribute(size, variant_defining=True),
            attributes.TypeAttribute(material),
            attributes.TypeAttribute(weight),
        ],
    )


def attribute_rows() -> tuple[dict[str, str], dict[str, str]]:
    common = {
        "product_slug": "chelsea",
        "product_name": "Chelsea Boot",
        "product_type": "shoes",
        "attributes": '{"material": "Leather|Suede", "weight": "820"}',
    }
    return (
        row(**common, sku="CH-42", variant_attributes='{"colour": "Black", "size": "42"}'),
        row(**common, sku="CH-43", variant_attributes='{"colour": "Tan", "size": "43"}'),
    )


def test_import_sets_type_and_attributes_creating_missing_choices(shoe_type):
    CategoryFactory.create(slug="shirts")
    report = import_csv(csv_text(*attribute_rows()))
    assert report.errors == []
    assert report.created == 2
    product = Product.objects.get(slug="chelsea")
    assert product.product_type == shoe_type
    assert attribute_values_of(product) == {
        "product": {"material": "Leather|Suede", "weight": "820"},
        "variants": {
            "CH-42": {"colour": "Black", "size": "42"},
            "CH-43": {"colour": "Tan", "size": "43"},
        },
    }


def test_attributes_export_and_import_back_unchanged(shoe_type):
    CategoryFactory.create(slug="shirts")
    import_csv(csv_text(*attribute_rows()))
    exported = export_csv()
    rows = list(csv.DictReader(StringIO(exported)))
    assert rows[0]["product_type"] == "shoes"
    assert json.loads(rows[0]["attributes"]) == {"material": "Leather|Suede", "weight": "820"}
    assert json.loads(rows[1]["variant_attributes"]) == {"colour": "Tan", "size": "43"}
    again = import_csv(exported)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 2, [])


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"product_type": "bags"}, "unknown product_type 'bags'"),
        ({"attributes": "[1, 2]"}, "attributes must be a JSON object"),
        ({"attributes": "{nope"}, "attributes is not valid JSON"),
        ({"attributes": '{"weight": "heavy"}'}, "attribute 'weight': 'heavy' is not a number"),
        ({"attributes": '{"colour": "Black"}'}, "attribute 'colour': 'Colour' is set on each"),
        ({"variant_attributes": '{"heel": "2"}'}, "attribute 'heel': Products of this type"),
    ],
)
def test_bad_attribute_cells_reject_the_row_and_write_none_of_it(shoe_type, cells, reason):
    CategoryFactory.create(slug="shirts")
    first, _ = attribute_rows()
    report = import_csv(csv_text({**first, **cells}))
    assert len(report.errors) == 1
    assert report.errors[0].line == 2
    assert reason in report.errors[0].reason
    assert not Product.objects.filter(slug="chelsea").exists()
