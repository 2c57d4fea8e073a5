"""The staff image API: multipart uploads, permissions, problem answers, edits and deletion."""

import pytest
from rest_framework.test import APIClient

from apps.catalog.models import ProductImage
from apps.catalog.tests.factories import ProductVariantFactory, make_product
from apps.catalog.tests.pictures import (
    bomb_png,
    noise_png,
    picture_bytes,
    picture_upload,
    stored_files,
    upload,
)
from apps.core.permissions import CATALOG_MANAGERS, ORDER_MANAGERS
from apps.core.tests.helpers import assert_problem, client_for
from apps.core.tests.roles import staff_with_role
from apps.users.tests.factories import StaffUserFactory, SuperUserFactory, UserFactory

# Every test stores into an empty MEDIA_ROOT of its own (the `media` fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def product():
    return make_product(name="Desk lamp", slug="desk-lamp")


@pytest.fixture
def staff() -> APIClient:
    return client_for(staff_with_role(CATALOG_MANAGERS))


def images_url(slug: str = "desk-lamp") -> str:
    return f"/api/v1/products/{slug}/images/"


def image_url(pk: int, slug: str = "desk-lamp") -> str:
    return f"{images_url(slug)}{pk}/"


def post_image(client: APIClient, picture=None, **fields):
    return client.post(
        images_url(), {"image": picture or picture_upload(), **fields}, format="multipart"
    )


# --- Who may ---------------------------------------------------------------------------------


def test_anonymous_callers_must_sign_in(api_client, product, media):
    assert_problem(post_image(api_client), 401, "not_authenticated")
    assert_problem(api_client.get(images_url()), 401, "not_authenticated")
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "who",
    [UserFactory.create, StaffUserFactory.create, lambda: staff_with_role(ORDER_MANAGERS)],
    ids=["customer", "staff-without-role", "order-manager"],
)
def test_customers_and_other_staff_may_not_upload(product, media, who):
    client = client_for(who())

    assert_problem(post_image(client), 403, "permission_denied")
    assert ProductImage.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "who", [lambda: staff_with_role(CATALOG_MANAGERS), SuperUserFactory.create]
)
def test_catalog_managers_and_superusers_upload(product, who, django_capture_on_commit_callbacks):
    client = client_for(who())

    with django_capture_on_commit_callbacks(execute=True):
        response = post_image(client, picture_upload("PNG", (900, 600)), alt_text="Lit")

    assert response.status_code == 201, response.content
    body = response.json()
    image = ProductImage.objects.get()
    assert body["id"] == image.pk
    assert (body["alt_text"], body["position"], body["variant"]) == ("Lit", 0, None)
    assert (body["width"], body["height"]) == (900, 600)
    assert body["original"].startswith(f"/media/products/{product.pk}/")
    assert body["original"].endswith(".png")
    assert body["thumbnails_ready"] is False  # made once the upload committed
    assert client.get(images_url()).json()[0]["thumbnails_ready"] is True


# --- Problems --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("picture", "status", "code"),
    [
        (
            lambda: upload(picture_bytes("GIF", (9, 9)), image_format="GIF"),
            415,
            "unsupported_image_type",
        ),
        (
            lambda: upload(b"%PDF-1.7 not a picture", content_type="image/jpeg"),
            415,
            "unsupported_image_type",
        ),
        (lambda: upload(b"hello", content_type="image/jpeg"), 400, "invalid_image"),
        (lambda: upload(bomb_png(100_000, 100_000), image_format="PNG"), 413, "image_too_large"),
    ],
    ids=["gif", "pdf", "text", "bomb"],
)
def test_a_refused_file_is_a_problem_and_stores_nothing(
    staff, product, media, picture, status, code
):
    assert_problem(post_image(staff, picture()), status, code)

    assert ProductImage.objects.count() == 0
    assert stored_files(media) == []


def test_a_body_over_the_limit_is_refused_from_its_length(staff, product, media, settings):
    settings.PRODUCT_IMAGE_MAX_BYTES = 1024
    # 270 KB of BMP: past the limit and the room for the form around it, so the declared
    # length alone refuses it (were the body read, the type would be the problem).
    big = upload(picture_bytes("BMP", (300, 300)), content_type="image/png")

    body = assert_problem(post_image(staff, big), 413, "image_too_large")

    assert body["detail"] == "The request is larger than a product image may be (1.0 KB)."
    assert stored_files(media) == []


def test_a_file_over_the_limit_is_refused(staff, product, media, settings):
    settings.PRODUCT_IMAGE_MAX_BYTES = 50_000
    noise = noise_png((150, 150))
    assert 50_000 < len(noise) < 50_000 + 64 * 1024  # past the file limit, not the body's

    body = assert_problem(
        post_image(staff, upload(noise, image_format="PNG")), 413, "image_too_large"
    )

    assert "at most 48.8 KB" in body["detail"]
    assert stored_files(media) == []


def test_missing_file_unknown_sku_and_unknown_product(staff, product):
    assert_problem(
        staff.post(images_url(), {"alt_text": "x"}, format="multipart"),
        400,
        "validation_error",
        field="image",
    )
    assert_problem(post_image(staff, variant="NOPE"), 400, "unknown_sku", field="variant")
    other = ProductVariantFactory.create(sku="ELSEWHERE")
    assert_problem(post_image(staff, variant=other.sku), 400, "unknown_sku", field="variant")
    missing = staff.post(images_url("nothing"), {"image": picture_upload()}, format="multipart")
    assert_problem(missing, 404, "not_found")
    assert ProductImage.objects.count() == 0


# --- Edits -----------------------------------------------------------------------------------


def test_patch_changes_alt_text_position_and_variant_by_sku(staff, product):
    variant = product.variants.get()
    first = post_image(staff).json()["id"]
    second = post_image(staff, variant=variant.sku).json()
    assert second["variant"] == variant.sku

    response = staff.patch(
        image_url(second["id"]), {"alt_text": "Switched on", "position": 0, "variant": None}
    )

    assert response.status_code == 200, response.content
    assert response.json()["alt_text"] == "Switched on"
    assert response.json()["variant"] is None
    listed = staff.get(images_url()).json()
    assert [(item["id"], item["position"]) for item in listed] == [(second["id"], 0), (first, 1)]
    assert_problem(
        staff.patch(image_url(first), {"variant": "NOPE"}), 400, "unknown_sku", field="variant"
    )


def test_reorder_puts_the_gallery_in_order(staff, product):
    ids = [post_image(staff).json()["id"] for _ in range(3)]

    response = staff.post(f"{images_url()}reorder/", {"ids": ids[::-1]})

    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()] == ids[::-1]
    assert_problem(
        staff.post(f"{images_url()}reorder/", {"ids": ids[:2]}), 400, "invalid_image_order"
    )


def test_delete_removes_the_image_and_its_files(
    staff, product, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pk = post_image(staff).json()["id"]
    assert len(stored_files(media)) == 9

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.delete(image_url(pk))

    assert response.status_code == 204
    assert not ProductImage.objects.exists()
    assert stored_files(media) == []
    assert_problem(staff.delete(image_url(pk)), 404, "not_found")


def test_an_image_is_reached_through_its_own_product_only(staff, product):
    pk = post_image(staff).json()["id"]
    make_product(slug="other")

    assert_problem(staff.patch(image_url(pk, "other"), {"alt_text": "x"}), 404, "not_found")
    assert_problem(staff.delete(image_url(pk, "other")), 404, "not_found")


def test_customers_may_not_edit_or_delete(product):
    staff = client_for(SuperUserFactory.create())
    pk = post_image(staff).json()["id"]
    customer = client_for(UserFactory.create())

    assert_problem(customer.patch(image_url(pk), {"alt_text": "x"}), 403, "permission_denied")
    assert_problem(customer.delete(image_url(pk)), 403, "permission_denied")
    assert_problem(customer.get(images_url()), 403, "permission_denied")


# --- The public read -------------------------------------------------------------------------


def test_the_public_product_shows_the_gallery(
    api_client, staff, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post_image(staff, picture_upload("JPEG", (1400, 1000)), alt_text="Front")

    detail = api_client.get(f"/api/v1/products/{product.slug}/").json()
    card = api_client.get("/api/v1/products/").json()["results"][0]

    [image] = detail["images"]
    assert card["image"] == image
    assert image["alt"] == "Front"
    assert image["src"].endswith("_1280w.jpg")
    assert image["srcset"]["webp"].count("w, ") == 3
    assert sorted(image["urls"], key=int) == ["160", "320", "640", "1280"]
    served = api_client.get(image["src"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
