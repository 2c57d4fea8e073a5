"""Back office: the images inline of a product (upload, preview, alt text, order, deletion)."""

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.catalog import services
from apps.catalog.models import Product, ProductImage
from apps.catalog.tests.factories import ProductVariantFactory, make_product
from apps.catalog.tests.pictures import bomb_png, camera_jpeg, picture_upload, stored_files, upload
from apps.core.permissions import CATALOG_MANAGERS, SUPPORT
from apps.core.tests.roles import admin_client_for, staff_with_role

# Every test stores into an empty MEDIA_ROOT of its own (the `media` fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def manager() -> Client:
    return admin_client_for(staff_with_role(CATALOG_MANAGERS))


@pytest.fixture
def product() -> Product:
    product = make_product(name="Desk lamp")
    ProductVariantFactory.create(product=product, sku="LAMP-BRASS", name="Brass", position=2)
    return product


def change_url(product: Product) -> str:
    return reverse("admin:catalog_product_change", args=[product.pk])


def _encoded(bound: Any) -> Any:
    value = bound.field.prepare_value(bound.value())
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if isinstance(value, datetime.datetime):
        return None  # no split date fields in these tests
    return None if value is None else str(value)


def form_data(response: Any) -> dict[str, Any]:
    """Return what the change page's form posts as it stands (every inline, no blank rows)."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for field in formset.management_form:
            data[field.html_name] = str(field.value())
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
        forms += formset.initial_forms  # extra (blank) forms post nothing
    for form in forms:
        for bound in form:
            if bound.field.disabled:
                continue
            value = _encoded(bound)
            if value is not None:
                data[bound.html_name] = value
    return data


def errors_of(response: Any) -> list[Any]:
    form = response.context["adminform"].form
    inlines = [inline.formset for inline in response.context["inline_admin_formsets"]]
    return [form.errors, *((f.prefix, f.errors, f.non_form_errors()) for f in inlines)]


def test_the_change_page_shows_each_image_with_a_preview(
    manager, product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = services.add_product_image(
            product=product, upload=picture_upload("JPEG", (600, 300)), alt_text="Lit"
        )
    image.refresh_from_db()

    response = manager.get(change_url(product))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    thumbnail = image.image.storage.url(image.renditions["jpeg"]["160"])
    assert f'<img src="{thumbnail}" alt="" width="80" height="40" loading="lazy">' in content
    [inline] = [
        i for i in response.context["inline_admin_formsets"] if i.formset.prefix == "images"
    ]
    [form] = inline.formset.forms
    assert form.fields["image"].disabled  # a stored picture is replaced by a new row
    # The variant choices are the product's own, not every variant of the shop.
    ProductVariantFactory.create(sku="SOMEONE-ELSES")
    choices = {variant.sku for variant in form.fields["variant"].queryset}
    assert choices == set(product.variants.values_list("sku", flat=True))
    assert len(choices) == 2


def test_a_new_image_is_stored_clean_with_its_thumbnails(
    manager, product, media, django_capture_on_commit_callbacks
):
    data = form_data(manager.get(change_url(product)))
    brass = product.variants.get(sku="LAMP-BRASS")
    data |= {
        "images-TOTAL_FORMS": "1",
        "images-0-image": upload(camera_jpeg((300, 200))),
        "images-0-alt_text": "Brass lamp, lit",
        "images-0-variant": str(brass.pk),
        "images-0-position": "",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(change_url(product), data)

    assert response.status_code == 302, errors_of(response)
    image = ProductImage.objects.get()
    assert (image.alt_text, image.variant_id, image.position) == ("Brass lamp, lit", brass.pk, 0)
    assert (image.width, image.height) == (200, 300)  # turned upright by its EXIF orientation
    assert image.image.name.startswith(f"products/{product.pk}/")
    assert image.renditions["jpeg"]
    assert len(stored_files(media)) == 1 + 4  # the original, 2 widths x 2 formats


@pytest.mark.parametrize(
    ("picture", "message"),
    [
        (lambda: upload(bomb_png(100_000, 100_000), image_format="PNG"), "pixels"),
        (lambda: upload(b"GIF89a....", content_type="image/gif"), "JPEG, PNG or WebP"),
        (lambda: upload(b"not a picture", content_type="image/png"), "not a readable"),
    ],
    ids=["bomb", "gif", "garbage"],
)
def test_a_bad_file_is_a_form_error_and_nothing_is_stored(
    manager, product, media, picture, message
):
    data = form_data(manager.get(change_url(product)))
    data |= {"images-TOTAL_FORMS": "1", "images-0-image": picture(), "images-0-alt_text": "x"}

    response = manager.post(change_url(product), data)

    assert response.status_code == 200
    [inline] = [
        i for i in response.context["inline_admin_formsets"] if i.formset.prefix == "images"
    ]
    assert message in str(inline.formset.errors)
    assert not ProductImage.objects.exists()
    assert stored_files(media) == []


def test_editing_positions_reorders_and_deleting_removes_files(
    manager, product, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = (
            services.add_product_image(product=product, upload=picture_upload()) for _ in range(3)
        )
    data = form_data(manager.get(change_url(product)))
    forms = {data[f"images-{n}-id"]: n for n in range(3)}
    data[f"images-{forms[str(third.pk)]}-position"] = "0"
    data[f"images-{forms[str(first.pk)]}-DELETE"] = "on"
    before = len(stored_files(media))

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(change_url(product), data)

    assert response.status_code == 302, errors_of(response)
    assert list(product.images.order_by("position").values_list("pk", "position")) == [
        (third.pk, 0),
        (second.pk, 1),
    ]
    assert len(stored_files(media)) == before - 9


def test_roles_without_product_changes_do_not_see_the_inline(product):
    client = admin_client_for(staff_with_role(SUPPORT))
    assert client.get(change_url(product)).status_code == 403
