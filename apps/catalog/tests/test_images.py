"""Product images: what an upload must be, what is stored, thumbnails, files, and reads."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image, ImageFile

from apps.catalog import images, selectors, services, tasks
from apps.catalog.cache import get_catalog_version
from apps.catalog.errors import (
    ImageRefused,
    ImageTooLarge,
    InvalidImage,
    InvalidImageOrder,
    UnknownSku,
    UnsupportedImageType,
)
from apps.catalog.models import ProductImage
from apps.catalog.tests.factories import ProductVariantFactory, make_product
from apps.catalog.tests.pictures import (
    GPS_INFO,
    MAKE,
    ORIENTATION,
    bomb_png,
    camera_jpeg,
    open_stored,
    picture_bytes,
    picture_upload,
    stored_files,
    upload,
)

# Every test stores into an empty MEDIA_ROOT of its own (the `media` fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def product():
    return make_product(name="Linen shirt")


def add(product, picture=None, *, commit=None, **kwargs) -> ProductImage:
    """Add an image; with `commit` (django_capture_on_commit_callbacks) run its thumbnails."""
    if commit is None:
        return services.add_product_image(
            product=product, upload=picture or picture_upload(), **kwargs
        )
    with commit(execute=True):
        image = services.add_product_image(
            product=product, upload=picture or picture_upload(), **kwargs
        )
    image.refresh_from_db()
    return image


# --- What an upload must be -----------------------------------------------------------------


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted_in_their_own_format(image_format):
    prepared = images.prepare_upload(picture_upload(image_format, (300, 200)))

    assert (prepared.format, prepared.width, prepared.height) == (image_format, 300, 200)
    assert Image.open(prepared.as_file()).format == image_format


def test_a_transparent_png_stays_transparent():
    content = picture_bytes("PNG", (64, 64), mode="RGBA", colour=(10, 20, 30, 0))
    prepared = images.prepare_upload(upload(content, image_format="PNG"))

    stored = Image.open(prepared.as_file())
    assert stored.mode == "RGBA"
    assert stored.getpixel((0, 0)) == (10, 20, 30, 0)


@pytest.mark.parametrize(
    ("content", "content_type", "error"),
    [
        (picture_bytes("GIF", (20, 20)), "image/gif", UnsupportedImageType),
        (picture_bytes("JPEG"), "application/pdf", UnsupportedImageType),
        (picture_bytes("JPEG"), "", UnsupportedImageType),
        # Declared as a JPEG, but a GIF or a BMP inside: the content decides.
        (picture_bytes("GIF", (20, 20)), "image/jpeg", UnsupportedImageType),
        (picture_bytes("BMP", (20, 20)), "image/png", UnsupportedImageType),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png", UnsupportedImageType),
        (b"This is a text file, not a picture at all.", "image/jpeg", InvalidImage),
        (picture_bytes("JPEG")[:400], "image/jpeg", InvalidImage),  # truncated
        (b"", "image/png", InvalidImage),
    ],
    ids=[
        "gif",
        "pdf-type",
        "no-type",
        "gif-as-jpeg",
        "bmp-as-png",
        "svg",
        "text",
        "truncated",
        "empty",
    ],
)
def test_other_types_and_broken_files_are_refused_with_their_own_code(content, content_type, error):
    with pytest.raises(error) as refused:
        images.prepare_upload(SimpleUploadedFile("x.jpg", content, content_type=content_type))

    assert refused.value.code in {"unsupported_image_type", "invalid_image"}
    assert refused.value.status == {UnsupportedImageType: 415, InvalidImage: 400}[error]
    assert refused.value.detail.endswith(".")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.PRODUCT_IMAGE_MAX_BYTES = 10_000
    big = picture_upload("PNG", (400, 400), colour=(1, 2, 3))
    big.size = 20_000
    big.file = mock.MagicMock()  # records any read or seek

    with pytest.raises(ImageTooLarge) as refused:
        images.prepare_upload(big)

    assert big.file.method_calls == []
    assert refused.value.status == 413
    assert refused.value.code == "image_too_large"
    assert refused.value.detail == "The file is 19.5 KB; a product image may be at most 9.8 KB."


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (100_000, 100_000),  # past Pillow's own limit: its DecompressionBombError
        (10_000, 10_000),  # past Pillow's warning threshold: the warning is a refusal too
        (8_000, 6_000),  # 48 megapixels: under Pillow's limits, over ours
    ],
)
def test_a_decompression_bomb_is_refused_without_being_decoded(width, height):
    bomb = upload(bomb_png(width, height), image_format="PNG")
    assert len(bomb_png(width, height)) < 200  # a few bytes that claim billions of pixels

    with (
        mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded")),
        pytest.raises(ImageTooLarge) as refused,
    ):
        images.prepare_upload(bomb)

    assert refused.value.code == "image_too_large"
    assert "pixels" in refused.value.detail


def test_the_pixel_limit_is_a_setting(settings):
    settings.PRODUCT_IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ImageTooLarge, match="101 x 100 pixels"):
        images.prepare_upload(picture_upload("PNG", (101, 100)))
    assert images.prepare_upload(picture_upload("PNG", (100, 100))).width == 100


def test_exif_orientation_is_applied_and_exif_is_stripped():
    original = Image.open(upload(camera_jpeg((40, 20))))
    assert original.getexif()[ORIENTATION] == 6  # "rotate 90° clockwise to view"
    assert original.getexif()[MAKE] == "PhoneCo"

    prepared = images.prepare_upload(upload(camera_jpeg((40, 20))))

    stored = Image.open(prepared.as_file())
    assert (prepared.width, prepared.height) == (20, 40) == stored.size
    assert "exif" not in stored.info
    assert dict(stored.getexif()) == {}
    assert stored.getexif().get_ifd(GPS_INFO) == {}
    assert b"PhoneCo" not in prepared.content


# --- Storing --------------------------------------------------------------------------------


def test_an_added_image_is_stored_clean_under_its_product(product, media):
    image = add(product, upload(camera_jpeg((400, 200))), alt_text="Front")

    assert image.image.name.startswith(f"products/{product.pk}/")
    assert image.image.name.endswith(".jpg")
    assert (image.width, image.height, image.position, image.alt_text) == (200, 400, 0, "Front")
    assert stored_files(media) == [image.image.name]
    stored = open_stored(media, image.image.name)
    assert "exif" not in stored.info
    assert image.renditions == {}  # made once the upload commits


@pytest.mark.parametrize(
    "bad",
    [
        lambda: upload(bomb_png(100_000, 100_000), image_format="PNG"),
        lambda: upload(b"not an image", content_type="image/png"),
        lambda: upload(picture_bytes("GIF", (10, 10)), image_format="GIF"),
    ],
    ids=["bomb", "garbage", "gif"],
)
def test_a_refused_upload_stores_nothing(product, media, bad, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ImageRefused):
        services.add_product_image(product=product, upload=bad())

    assert ProductImage.objects.count() == 0
    assert stored_files(media) == []


def test_a_failed_insert_removes_the_file_it_stored(product, media):
    with (
        mock.patch.object(ProductImage, "save", side_effect=RuntimeError("database gone")),
        pytest.raises(RuntimeError),
    ):
        add(product)

    assert stored_files(media) == []


def test_an_image_of_another_products_variant_is_refused(product, media):
    other = ProductVariantFactory.create(sku="OTHER-1")

    with pytest.raises(UnknownSku):
        add(product, variant=other)
    assert stored_files(media) == []


def test_positions_insert_move_and_reorder(product):
    first, second, third = (add(product) for _ in range(3))
    fourth = add(product, position=1)

    def order() -> list[int]:
        return list(product.images.order_by("position", "id").values_list("pk", flat=True))

    assert order() == [first.pk, fourth.pk, second.pk, third.pk]
    assert list(product.images.order_by("position").values_list("position", flat=True)) == [
        0, 1, 2, 3,
    ]  # fmt: skip
    services.update_product_image(image=third, position=0)
    assert order() == [third.pk, first.pk, fourth.pk, second.pk]
    services.update_product_image(image=third, position=99)  # past the end: last
    assert order() == [first.pk, fourth.pk, second.pk, third.pk]
    services.reorder_product_images(
        product=product, image_ids=[second.pk, third.pk, first.pk, fourth.pk]
    )
    assert order() == [second.pk, third.pk, first.pk, fourth.pk]


@pytest.mark.parametrize("ids", ["empty", "missing", "repeated", "foreign"])
def test_a_reorder_must_list_every_image_once(product, ids):
    mine = [add(product).pk for _ in range(2)]
    foreign = add(make_product()).pk
    wanted = {
        "empty": [],
        "missing": mine[:1],
        "repeated": [mine[0], mine[0], mine[1]],
        "foreign": [mine[0], foreign],
    }[ids]

    with pytest.raises(InvalidImageOrder):
        services.reorder_product_images(product=product, image_ids=wanted)


def test_alt_text_and_variant_change(product):
    variant = product.variants.get()
    image = add(product)

    services.update_product_image(image=image, alt_text="Back", variant=variant)
    image.refresh_from_db()
    assert (image.alt_text, image.variant_id) == ("Back", variant.pk)
    services.update_product_image(image=image, variant=None)
    image.refresh_from_db()
    assert image.variant_id is None
    with pytest.raises(TypeError):
        services.update_product_image(image=image, width=5)


# --- Thumbnails -----------------------------------------------------------------------------


def test_thumbnails_are_made_after_commit_at_each_width_in_webp_and_jpeg(
    product, media, django_capture_on_commit_callbacks
):
    image = add(
        product, picture_upload("JPEG", (1500, 1000)), commit=django_capture_on_commit_callbacks
    )

    assert sorted(image.renditions) == ["jpeg", "webp"]
    for key, image_format in (("webp", "WEBP"), ("jpeg", "JPEG")):
        assert sorted(image.renditions[key], key=int) == ["160", "320", "640", "1280"]
        for width, name in image.renditions[key].items():
            stored = open_stored(media, name)
            assert stored.format == image_format
            assert stored.size == (int(width), round(1000 * int(width) / 1500))
            assert name.startswith(f"products/{product.pk}/")
    assert len(stored_files(media)) == 1 + 8


def test_thumbnails_are_never_wider_than_the_original(
    product, media, django_capture_on_commit_callbacks
):
    image = add(
        product, picture_upload("PNG", (300, 150)), commit=django_capture_on_commit_callbacks
    )

    assert sorted(image.renditions["jpeg"], key=int) == ["160", "300"]
    assert open_stored(media, image.renditions["webp"]["300"]).size == (300, 150)
    # A transparent PNG's JPEG thumbnail is flattened on white.
    assert open_stored(media, image.renditions["jpeg"]["160"]).mode == "RGB"


def test_the_task_is_idempotent(product, media, django_capture_on_commit_callbacks):
    image = add(product, commit=django_capture_on_commit_callbacks)
    files = stored_files(media)

    assert tasks.make_image_renditions(image.pk) is False
    assert tasks.make_image_renditions(10**9) is False  # gone: nothing to do
    image.refresh_from_db()
    assert stored_files(media) == files


def test_a_run_that_lost_the_race_removes_its_own_files(product, media):
    image = add(product)  # thumbnails not made (callbacks not run)
    files = stored_files(media)
    winner = {"webp": {"160": "elsewhere.webp"}, "jpeg": {"160": "elsewhere.jpg"}}
    real_filter = ProductImage.objects.filter

    def concurrent_winner(*args, **kwargs):
        if "renditions" in kwargs:  # the conditional update: another run recorded first
            ProductImage.objects.filter(pk=image.pk).update(renditions=winner)
        return real_filter(*args, **kwargs)

    with mock.patch.object(ProductImage.objects, "filter", side_effect=concurrent_winner):
        assert tasks.make_image_renditions(image.pk) is False

    image.refresh_from_db()
    assert image.renditions == winner
    assert stored_files(media) == files


def test_an_undecodable_original_is_marked_done_without_thumbnails(product, media):
    image = add(product)
    (media / image.image.name).write_bytes(b"overwritten by accident")

    assert tasks.make_image_renditions(image.pk) is True

    image.refresh_from_db()
    assert image.renditions == {"webp": {}, "jpeg": {}}
    assert tasks.make_missing_renditions(older_than_minutes=0) == 0


def test_thumbnails_bump_the_catalog_version_so_cached_cards_show_them(
    product, django_capture_on_commit_callbacks
):
    image = add(product)
    before = selectors.list_products(
        filters=selectors.ProductFilters(), ordering=None, cursor=None, page_size=10
    )["results"][0]["image"]
    assert before["srcset"] == {"webp": "", "jpeg": ""}
    version = get_catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        tasks.make_image_renditions(image.pk)

    assert version is not None
    assert get_catalog_version() == version + 1
    after = selectors.list_products(
        filters=selectors.ProductFilters(), ordering=None, cursor=None, page_size=10
    )["results"][0]["image"]
    assert "160w" in after["srcset"]["webp"]


def test_the_sweep_enqueues_images_still_without_thumbnails(product):
    old, recent = add(product), add(product)
    done = add(product)
    done_renditions = {"webp": {"160": "x.webp"}, "jpeg": {"160": "x.jpg"}}
    ProductImage.objects.filter(pk=done.pk).update(renditions=done_renditions)
    ProductImage.objects.filter(pk__in=[old.pk, done.pk]).update(
        created_at=timezone.now() - timedelta(hours=1)
    )

    with mock.patch.object(tasks.make_image_renditions, "delay") as delay:
        assert tasks.make_missing_renditions() == 1

    delay.assert_called_once_with(old.pk)
    assert recent.pk not in [call.args[0] for call in delay.call_args_list]


def test_the_sweep_is_scheduled(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "catalog.make_missing_renditions" in schedule


# --- Removing files -------------------------------------------------------------------------


def test_deleting_an_image_removes_its_files_on_commit(
    product, media, django_capture_on_commit_callbacks
):
    image = add(product, commit=django_capture_on_commit_callbacks)
    assert len(stored_files(media)) == 9

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.delete_product_image(image=image)
    assert len(stored_files(media)) == 9  # not before the deletion commits
    for callback in callbacks:
        callback()

    assert stored_files(media) == []


def test_a_file_another_row_shares_is_kept(product, media, django_capture_on_commit_callbacks):
    image = add(product, commit=django_capture_on_commit_callbacks)
    twin = ProductImage.objects.create(
        product=make_product(),
        image=image.image.name,
        width=image.width,
        height=image.height,
        renditions=image.renditions,
    )
    files = stored_files(media)

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_product_image(image=image)
    assert stored_files(media) == files

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_product_image(image=twin)
    assert stored_files(media) == []


def test_deleting_a_product_removes_its_images_files(
    product, media, django_capture_on_commit_callbacks
):
    add(product, commit=django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.delete_product(product=product) is True

    assert stored_files(media) == []


# --- Reads ----------------------------------------------------------------------------------


def test_a_card_carries_its_first_image_and_the_detail_the_gallery(
    product, django_capture_on_commit_callbacks
):
    variant = product.variants.get()
    other = ProductVariantFactory.create(product=product, sku="LINEN-2", position=2)
    commit = django_capture_on_commit_callbacks
    front = add(product, picture_upload("JPEG", (1000, 800)), alt_text="Front", commit=commit)
    back = add(product, picture_upload("PNG", (500, 400)), commit=commit, variant=other)
    fresh = add(product, picture_upload("WEBP", (640, 480)), alt_text="New")  # no thumbnails yet

    [card] = selectors.list_products(
        filters=selectors.ProductFilters(), ordering=None, cursor=None, page_size=5
    )["results"]
    detail = selectors.get_product(product.slug)

    storage = front.image.storage
    assert card["image"] == detail["images"][0]
    assert card["image"] == {
        "id": front.pk,
        "alt": "Front",
        "width": 1000,
        "height": 800,
        "src": storage.url(front.renditions["jpeg"]["1000"]),
        "srcset": {
            key: ", ".join(
                f"{storage.url(front.renditions[key][w])} {w}w"
                for w in ("160", "320", "640", "1000")
            )
            for key in ("webp", "jpeg")
        },
        "urls": {
            w: storage.url(front.renditions["jpeg"][w]) for w in ("160", "320", "640", "1000")
        },
    }
    assert [image["id"] for image in detail["images"]] == [front.pk, back.pk, fresh.pk]
    assert detail["images"][1]["srcset"]["webp"].endswith("500w")
    assert detail["images"][2] == {
        "id": fresh.pk,
        "alt": "New",
        "width": 640,
        "height": 480,
        "src": storage.url(fresh.image.name),  # the original until thumbnails exist
        "srcset": {"webp": "", "jpeg": ""},
        "urls": {},
    }
    by_sku = {v["sku"]: v["image_id"] for v in detail["variants"]}
    assert by_sku == {variant.sku: None, other.sku: back.pk}


def test_a_product_without_images_has_none(product):
    page = selectors.list_products(
        filters=selectors.ProductFilters(), ordering=None, cursor=None, page_size=5
    )
    assert page["results"][0]["image"] is None
    assert selectors.get_product(product.slug)["images"] == []


def test_cards_read_images_in_one_query_whatever_the_page(django_assert_num_queries):
    def count() -> int:
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            page = selectors.list_products(
                filters=selectors.ProductFilters(), ordering=None, cursor=None, page_size=50
            )
        assert all(card["image"] is not None for card in page["results"])
        return len(queries)

    def grow(n: int) -> None:
        for _ in range(n):
            product = make_product()
            for position in range(3):
                ProductImage.objects.create(
                    product=product,
                    image=f"products/{product.pk}/{position}.jpg",
                    width=10,
                    height=10,
                    position=position,
                )

    grow(2)
    few = count()
    grow(20)
    assert count() == few


def test_variant_images_prefer_the_variants_own_picture(
    product, django_capture_on_commit_callbacks
):
    variant = product.variants.get()
    other = ProductVariantFactory.create(product=product, sku="LINEN-2", position=2)
    plain = ProductVariantFactory.create(product=make_product(), sku="PLAIN-1")
    general = add(product)
    own = add(product, variant=other)

    pictures = selectors.variant_images(skus=[variant.sku, other.sku, plain.sku])

    assert pictures[variant.sku]["id"] == general.pk
    assert pictures[other.sku]["id"] == own.pk
    assert plain.sku not in pictures
    assert selectors.variant_images(skus=[]) == {}
