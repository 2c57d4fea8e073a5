"""The demo catalog's pictures: drawn, not downloaded; a small shared pool; deterministic."""

from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from apps.catalog import demo_images
from apps.catalog.demo import product_id, seed_demo_catalog
from apps.catalog.models import Product, ProductImage

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings) -> Path:
    """The session's MEDIA_ROOT: the pool is drawn once for these tests (and test_demo's)."""
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def empty_media(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def test_every_category_has_its_own_shape_drawn_in_the_colour_asked():
    assert set(demo_images.SHAPES) >= {"Shirts", "Sneakers", "Smartphones", "Fiction"}
    shirt_navy = demo_images.draw_picture("Shirts", "Navy", 0)
    shirt_coral = demo_images.draw_picture("Shirts", "Coral", 0)
    phone = demo_images.draw_picture("Smartphones", "Navy", 0)

    assert shirt_navy.size == (demo_images.SIZE, demo_images.SIZE)
    assert shirt_navy.mode == "RGB"
    centre = (demo_images.SIZE // 2, demo_images.SIZE // 2)
    assert shirt_navy.getpixel(centre) == demo_images.COLOURS["Navy"]
    assert shirt_coral.getpixel(centre) == demo_images.COLOURS["Coral"]
    assert shirt_navy.tobytes() != phone.tobytes()
    assert shirt_navy.getpixel((5, 5)) == demo_images.BACKGROUNDS[0]  # a light background
    views = {demo_images.draw_picture("Shirts", "Navy", view).tobytes() for view in range(3)}
    assert len(views) == 3


def test_products_get_one_to_three_pictures_from_a_shared_pool(media):
    report = seed_demo_catalog(products=300)

    rows = ProductImage.objects.all()
    per_product = Counter(rows.values_list("product_id", flat=True))
    assert set(per_product.values()) <= {1, 2, 3}
    assert len(per_product) == Product.objects.count()  # every product has a picture
    names = set(rows.values_list("image", flat=True))
    assert report.images == rows.count() > 2 * len(names)
    assert all(name.startswith("demo/") for name in names)
    for image in rows[:50]:
        assert (image.width, image.height) == (demo_images.SIZE, demo_images.SIZE)
        assert sorted(image.renditions["webp"], key=int) == ["160", "320", "480"]
        for by_width in image.renditions.values():
            for name in by_width.values():
                assert (media / name).exists()
    stored = Image.open(media / rows[0].renditions["webp"]["160"])
    assert (stored.format, stored.width) == ("WEBP", 160)


def test_a_colour_variants_picture_is_linked_to_that_variant(media):
    seed_demo_catalog(products=300)

    linked = ProductImage.objects.filter(variant__isnull=False).select_related("variant")
    assert linked.exists()
    for image in linked:
        variant = image.variant
        assert variant is not None
        assert variant.product_id == image.product_id
        colour = variant.options.get("colour") or variant.options.get("finish")
        assert f"-{colour.lower().replace(' ', '-')}-front.jpg" in image.image.name
        assert colour.lower() in image.alt_text


def test_the_pool_stays_small_however_many_products(empty_media):
    small = seed_demo_catalog(products=200, images=True)
    large = seed_demo_catalog(products=1_200, images=True)

    drawn = small.pictures_drawn + large.pictures_drawn
    most = sum(len(demo_images.COLOURS) for _ in demo_images.SHAPES) * len(demo_images.VIEWS)
    assert drawn < 300 < most
    assert large.images > 10 * drawn
    assert ProductImage.objects.values("image").distinct().count() == drawn


def test_a_rerun_draws_nothing_and_the_same_seed_gives_the_same_pictures(media):
    seed_demo_catalog(products=120)
    first = dict(ProductImage.objects.values_list("product_id", "image").order_by("id"))

    again = seed_demo_catalog(products=120)
    assert (again.images, again.pictures_drawn) == (0, 0)

    ProductImage.objects.all().delete()
    Product.objects.all().delete()
    rerun = seed_demo_catalog(products=120)
    assert rerun.pictures_drawn == 0  # the pool is in storage already
    assert dict(ProductImage.objects.values_list("product_id", "image").order_by("id")) == first
    assert product_id(1) in first


def test_without_images_no_picture_is_made(empty_media):
    report = seed_demo_catalog(products=50, images=False)

    assert (report.images, report.pictures_drawn) == (0, 0)
    assert not ProductImage.objects.exists()
    assert not empty_media.exists()


def test_the_command_reports_images_and_can_leave_them_out(media, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", products=20, stdout=out, stderr=StringIO())
    assert "images" in out.getvalue()
    assert ProductImage.objects.exists()

    ProductImage.objects.all().delete()
    call_command("seed_demo", "--products=40", "--no-images", stdout=StringIO(), stderr=StringIO())
    assert not ProductImage.objects.filter(product__in=Product.objects.all()[20:]).exists()
