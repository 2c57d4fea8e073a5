"""Image files for the tests (this module holds no tests): real pictures made with Pillow,
broken ones, and decompression bombs that declare more pixels than they carry."""

import random
import struct
import zlib
from io import BytesIO
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
ORIENTATION, GPS_INFO, MAKE = 0x0112, 0x8825, 0x010F


def picture_bytes(
    image_format: str = "JPEG",
    size: tuple[int, int] = (800, 600),
    *,
    colour: tuple[int, ...] = (200, 60, 40),
    mode: str = "RGB",
    **save: Any,
) -> bytes:
    """Return an encoded picture: a left half in `colour`, a right half white."""
    picture = Image.new(mode, size, (255,) * len(mode))
    picture.paste(colour, (0, 0, max(1, size[0] // 2), size[1]))
    buffer = BytesIO()
    picture.save(buffer, image_format, **save)
    return buffer.getvalue()


def noise_png(size: tuple[int, int]) -> bytes:
    """Return a PNG of random pixels: it compresses to about 3 bytes a pixel, whatever happens."""
    rng = random.Random(size[0] * 7919 + size[1])
    picture = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    buffer = BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def upload(
    content: bytes, *, image_format: str = "JPEG", content_type: str | None = None
) -> SimpleUploadedFile:
    """Return `content` as an uploaded file, declared as `content_type` (default: its format)."""
    return SimpleUploadedFile(
        f"photo.{EXTENSIONS.get(image_format, 'bin')}",
        content,
        content_type=content_type or MEDIA_TYPES.get(image_format, "application/octet-stream"),
    )


def picture_upload(image_format: str = "JPEG", size: tuple[int, int] = (800, 600), **kwargs: Any):
    return upload(picture_bytes(image_format, size, **kwargs), image_format=image_format)


def camera_jpeg(size: tuple[int, int] = (40, 20), *, orientation: int = 6) -> bytes:
    """Return a JPEG as a phone writes it: EXIF with the maker, GPS position and orientation."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneCo"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_INFO).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)})
    return picture_bytes("JPEG", size, exif=exif.tobytes())


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header declares `width` x `height` pixels (a few bytes of data)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def stored_files(root: str | Path) -> list[str]:
    """Return every file under a MEDIA_ROOT, relative to it, sorted."""
    base = Path(root)
    if not base.exists():
        return []
    return sorted(str(path.relative_to(base)) for path in base.rglob("*") if path.is_file())


def open_stored(root: str | Path, name: str) -> Image.Image:
    picture = Image.open(Path(root) / name)
    picture.load()
    return picture
