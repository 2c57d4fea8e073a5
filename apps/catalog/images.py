"""Product pictures: checking and cleaning an upload, making its thumbnails, and their URLs.

An upload is accepted only when it is declared and decoded as JPEG, PNG or WebP, within
PRODUCT_IMAGE_MAX_BYTES and PRODUCT_IMAGE_MAX_PIXELS (checked from the header, before
anything is decoded); it is then turned upright by its EXIF orientation and encoded again, so
what is stored carries no EXIF (camera, GPS, …). Thumbnails ("renditions") are made at the
widths of PRODUCT_IMAGE_WIDTHS, never wider than the original, in WebP and JPEG. Files are
written and read through Django's storage API only: the local disk or an S3-compatible bucket.
"""

import logging
import mimetypes
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.catalog.errors import ImageTooLarge, InvalidImage, UnsupportedImageType
from apps.catalog.models import ProductImage

logger = logging.getLogger(__name__)

# Pillow format -> (media type, file extension) of what a product image may be.
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
MEDIA_TYPES = frozenset({media_type for media_type, _ in FORMATS.values()} | {"image/pjpeg"})
# Leading bytes of image types people often try, to name them when refusing them.
_OTHER_TYPES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"<svg", "SVG"),
    (b"<?xml", "SVG"),
    (b"%PDF", "PDF"),
)

# How thumbnails are encoded: (format key in `renditions`, Pillow format, extension, options).
RENDITION_FORMATS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    # WebP effort 2 of 6: about the size of the default (4) at half its time.
    ("webp", "WEBP", ".webp", {"quality": 80, "method": 2}),
    ("jpeg", "JPEG", ".jpg", {"quality": 82, "optimize": True, "progressive": True}),
)
# How a cleaned original is encoded again.
_ORIGINAL_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90, "optimize": True, "progressive": True},
    "PNG": {"optimize": False},
    "WEBP": {"quality": 90, "method": 4},
}
_BACKGROUND = (255, 255, 255)  # what transparency becomes in a JPEG


@dataclass(frozen=True)
class PreparedImage:
    """An upload that passed every check, encoded again without its metadata."""

    content: bytes
    format: str  # a key of FORMATS
    width: int
    height: int

    @property
    def filename(self) -> str:
        return f"image{FORMATS[self.format][1]}"

    def as_file(self) -> ContentFile[bytes]:
        return ContentFile(self.content, name=self.filename)


@dataclass(frozen=True)
class Rendition:
    """One encoded thumbnail, not yet stored."""

    key: str  # "webp" or "jpeg"
    width: int
    extension: str
    content: bytes


# --- Checking an upload ---------------------------------------------------------------------


def size_text(size: int) -> str:
    """Return a number of bytes for people ("9.8 KB", "10.0 MB")."""
    return str(filesizeformat(size)).replace("\xa0", " ")


def _declared_type(upload: File[Any]) -> str:
    """Return the media type an upload was sent as (a file from code: by its name)."""
    if hasattr(upload, "content_type"):
        declared = upload.content_type
    else:
        declared = mimetypes.guess_type(upload.name or "")[0]
    return (declared or "").split(";", 1)[0].strip().lower()


def _refuse_unreadable(head: bytes) -> Exception:
    """Return the error for a file Pillow did not read as JPEG, PNG or WebP."""
    if head[4:8] == b"ftyp":  # the ISO media family: HEIC, AVIF
        kind = "HEIC/AVIF"
    else:
        kind = next((name for magic, name in _OTHER_TYPES if head.startswith(magic)), "")
    if kind:
        return UnsupportedImageType(
            f"The file is a {kind} image; product images must be JPEG, PNG or WebP."
        )
    return InvalidImage("The file is not a readable JPEG, PNG or WebP image.")


def _too_many_pixels(width: int, height: int) -> ImageTooLarge:
    limit = settings.PRODUCT_IMAGE_MAX_PIXELS
    return ImageTooLarge(
        f"The picture is {width} x {height} pixels; a product image may have at most "
        f"{limit / 1_000_000:g} megapixels."
    )


@contextmanager
def _bombs_refused() -> Iterator[None]:
    """Turn Pillow's decompression-bomb warning into an error inside the block."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def open_picture(fp: IO[bytes], *, decode: bool = True) -> Image.Image:
    """Open a JPEG, PNG or WebP file and decode it, refusing one with too many pixels unread.

    The header is parsed first; the pixels are decoded (unless `decode` is False) only when
    the size is within PRODUCT_IMAGE_MAX_PIXELS (Pillow's own decompression-bomb guard is an
    error here too).

    Raises:
        UnsupportedImageType: another image format.
        ImageTooLarge: more pixels than PRODUCT_IMAGE_MAX_PIXELS.
        InvalidImage: not an image, or a broken one.
    """
    fp.seek(0)
    head = fp.read(16)
    fp.seek(0)
    with _bombs_refused():
        try:
            picture = Image.open(fp, formats=list(FORMATS))
        except UnidentifiedImageError as exc:
            raise _refuse_unreadable(head) from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(
                "The picture has more pixels than a product image may have."
            ) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise InvalidImage("The file is not a readable image.") from exc
        width, height = picture.size
        if width < 1 or height < 1:
            raise InvalidImage("The picture has no pixels.")
        if width * height > settings.PRODUCT_IMAGE_MAX_PIXELS:
            raise _too_many_pixels(width, height)
        if not decode:
            return picture
        try:
            picture.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(width, height) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise InvalidImage("The image is damaged or truncated.") from exc
    return picture


def _verify(fp: IO[bytes], image_format: str) -> None:
    """Run Pillow's integrity check (it needs a picture of its own, discarded after)."""
    fp.seek(0)
    with _bombs_refused():
        try:
            Image.open(fp, formats=[image_format]).verify()
        except Exception as exc:  # verify() raises whatever the plugin meets
            raise InvalidImage("The image is damaged or truncated.") from exc


def _encodable(picture: Image.Image, image_format: str) -> Image.Image:
    """Return `picture` in a mode `image_format` stores (JPEG: no transparency)."""
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    if image_format == "JPEG":
        if has_alpha:
            rgba = picture.convert("RGBA")
            flat = Image.new("RGB", rgba.size, _BACKGROUND)
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return picture if picture.mode in ("RGB", "L") else picture.convert("RGB")
    if image_format == "WEBP":
        wanted = "RGBA" if has_alpha else "RGB"
        return picture if picture.mode == wanted else picture.convert(wanted)
    if picture.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        return picture
    return picture.convert("RGBA" if has_alpha else "RGB")


def _encode(picture: Image.Image, image_format: str, options: dict[str, Any]) -> bytes:
    encodable = _encodable(picture, image_format)
    icc = picture.info.get("icc_profile")
    # A colour profile only describes the pixels it came with (not those of a conversion).
    if icc and encodable.mode == picture.mode:
        options = {**options, "icc_profile": icc}
    buffer = BytesIO()
    encodable.save(buffer, image_format, **options)
    return buffer.getvalue()


def prepare_upload(upload: File[Any]) -> PreparedImage:
    """Check an uploaded product image and return it upright, encoded again without EXIF.

    The size is checked before the file is read, the type as declared and as decoded, the
    pixel count from the header before decoding.

    Raises:
        ImageTooLarge: more bytes than PRODUCT_IMAGE_MAX_BYTES, or too many pixels.
        UnsupportedImageType: not declared, or not decoded, as JPEG, PNG or WebP.
        InvalidImage: empty, not an image, or damaged.
    """
    limit = settings.PRODUCT_IMAGE_MAX_BYTES
    size = upload.size
    if size is None or size > limit:
        shown = "too big" if size is None else size_text(size)
        raise ImageTooLarge(
            f"The file is {shown}; a product image may be at most {size_text(limit)}."
        )
    if size == 0:
        raise InvalidImage("The file is empty.")
    declared = _declared_type(upload)
    if declared not in MEDIA_TYPES:
        raise UnsupportedImageType(
            f"Product images must be JPEG, PNG or WebP; the file was sent as "
            f"{declared or 'an unknown type'}."
        )
    image_format = str(open_picture(upload, decode=False).format)
    _verify(upload, image_format)
    picture = open_picture(upload)
    upright = ImageOps.exif_transpose(picture) or picture
    upright.info.setdefault("icc_profile", picture.info.get("icc_profile"))
    content = _encode(upright, image_format, _ORIGINAL_OPTIONS[image_format])
    return PreparedImage(
        content=content, format=image_format, width=upright.width, height=upright.height
    )


# --- Thumbnails -----------------------------------------------------------------------------


def rendition_widths(width: int) -> list[int]:
    """Return the thumbnail widths for an original `width` pixels wide, smallest first."""
    return sorted({min(target, width) for target in settings.PRODUCT_IMAGE_WIDTHS})


def render_renditions(picture: Image.Image) -> list[Rendition]:
    """Encode the thumbnails of a decoded picture (CPU only: nothing is stored)."""
    out: list[Rendition] = []
    source = picture
    for width in reversed(rendition_widths(picture.width)):
        if width != source.width:
            # Each size from the last one: cheaper, and as sharp at these ratios.
            height = max(1, round(picture.height * width / picture.width))
            source = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            source.info["icc_profile"] = picture.info.get("icc_profile")
        for key, image_format, extension, options in RENDITION_FORMATS:
            out.append(Rendition(key, width, extension, _encode(source, image_format, options)))
    return out


def rendition_name(original: str, rendition: Rendition) -> str:
    """Return where a thumbnail of the file stored as `original` goes: next to it."""
    stem = PurePosixPath(original).with_suffix("")
    return f"{stem}_{rendition.width}w{rendition.extension}"


def save_renditions(
    renditions: list[Rendition], *, original: str, storage: Storage
) -> dict[str, dict[str, str]]:
    """Store thumbnails next to `original`; return their names as `ProductImage.renditions`.

    A name already taken (a run that stopped half-way, a concurrent one) is never overwritten:
    the storage picks a free one.
    """
    names: dict[str, dict[str, str]] = {key: {} for key, *_ in RENDITION_FORMATS}
    for rendition in renditions:
        name = storage.save(rendition_name(original, rendition), ContentFile(rendition.content))
        names[rendition.key][str(rendition.width)] = name
    return names


def make_renditions(
    picture: Image.Image, *, original: str, storage: Storage
) -> dict[str, dict[str, str]]:
    """Encode and store the thumbnails of `picture` (stored as `original`); return their names."""
    return save_renditions(render_renditions(picture), original=original, storage=storage)


def has_renditions(renditions: dict[str, Any] | None) -> bool:
    """Whether thumbnails were made (or given up on: an empty format map) for an image."""
    return bool(renditions)


def rendition_files(renditions: dict[str, Any] | None) -> list[str]:
    """Return the storage names of every thumbnail in a `renditions` map."""
    return [
        name
        for by_width in (renditions or {}).values()
        if isinstance(by_width, dict)
        for name in by_width.values()
    ]


def image_storage() -> Storage:
    """Return the storage product images live in (the image field's)."""
    field = ProductImage._meta.get_field("image")
    return field.storage


# --- Reading ---------------------------------------------------------------------------------


def image_data(image: ProductImage) -> dict[str, Any]:
    """Return an image as the API and the shop show it: URLs of the original and thumbnails.

    `src` is the largest JPEG thumbnail (the original until thumbnails exist), `srcset`
    lists each format's thumbnails for `<source>`/`<img srcset>`, `urls` the JPEG ones by
    width.
    """
    storage = image.image.storage
    by_format: dict[str, dict[int, str]] = {}
    for key, *_ in RENDITION_FORMATS:
        names = (image.renditions or {}).get(key) or {}
        by_format[key] = {int(width): storage.url(name) for width, name in names.items()}
    jpeg = by_format["jpeg"]
    return {
        "id": image.pk,
        "alt": image.alt_text,
        "width": image.width,
        "height": image.height,
        "src": jpeg[max(jpeg)] if jpeg else storage.url(image.image.name),
        "srcset": {
            key: ", ".join(f"{url} {width}w" for width, url in sorted(urls.items()))
            for key, urls in by_format.items()
        },
        "urls": {str(width): url for width, url in sorted(jpeg.items())},
    }


def staff_image_data(image: ProductImage) -> dict[str, Any]:
    """Return an image as staff manage it (the variant must be loaded with it)."""
    return {
        "id": image.pk,
        "alt_text": image.alt_text,
        "position": image.position,
        "variant": image.variant.sku if image.variant is not None else None,
        "width": image.width,
        "height": image.height,
        "original": image.image.storage.url(image.image.name),
        "thumbnails_ready": bool(rendition_files(image.renditions)),
        "shown": image_data(image),
        "created_at": image.created_at.isoformat().replace("+00:00", "Z"),
    }


# --- Removing files --------------------------------------------------------------------------


def discard_files_on_commit(*, original: str, renditions: dict[str, Any] | None) -> None:
    """Remove a deleted image's file and thumbnails from storage once the deletion commits.

    Files another image row still points at (the demo's shared pictures) are kept.
    """
    names = [original, *rendition_files(renditions)]

    def discard() -> None:
        if not original or ProductImage.objects.filter(image=original).exists():
            return
        storage = image_storage()
        for name in names:
            try:
                storage.delete(name)
            except Exception:  # a file left behind is harmless; the deletion stands
                logger.warning("Could not delete the stored file %s", name, exc_info=True)

    transaction.on_commit(discard, robust=True)
