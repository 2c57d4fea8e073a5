"""Pictures of the demo catalog, drawn with Pillow: no downloads, the same on every run.

Each leaf category has a simple product shape (a shirt, a shoe, a phone, a book…) drawn in a
colour (the variant's, or one of the category's) on a light background, seen three ways
(front, side, detail). The pictures form a small pool (category x colour x view) that is
drawn and stored once, under `demo/`, with its thumbnails made by the same function as for an
upload; every demo product's image rows point at pool files, so 100,000 products cost no more
pictures than 200 do. A re-run finds the pool in storage and draws nothing.
"""

import math
import os
import random
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.text import slugify
from PIL import Image, ImageDraw

from apps.catalog.images import (
    RENDITION_FORMATS,
    Rendition,
    image_storage,
    render_renditions,
    rendition_name,
    rendition_widths,
)

SIZE = 480  # pixels of a stored picture (square)
_SCALE = 2  # drawn this much larger, then reduced: smooth edges
FOLDER = "demo"
VIEWS = ("front", "side", "detail")

RGB = tuple[int, int, int]
COLOURS: dict[str, RGB] = {
    "White": (236, 236, 230),
    "Blue": (52, 101, 164),
    "Black": (40, 40, 44),
    "Olive": (112, 116, 60),
    "Navy": (34, 46, 84),
    "Grey": (130, 132, 138),
    "Stone": (176, 164, 140),
    "Sand": (214, 190, 150),
    "Oatmeal": (214, 202, 180),
    "Charcoal": (66, 68, 72),
    "Forest": (44, 90, 60),
    "Burgundy": (118, 32, 48),
    "Tan": (190, 140, 90),
    "Brown": (110, 70, 40),
    "Silver": (190, 194, 200),
    "Midnight Blue": (28, 36, 72),
    "Green": (60, 140, 80),
    "Orange": (230, 120, 40),
    "Purple": (110, 70, 160),
    "Teal": (30, 130, 130),
    "Coral": (240, 120, 100),
    "Brass": (190, 160, 80),
    "Sage": (150, 170, 140),
    "Natural": (200, 168, 120),
    "Crimson": (170, 30, 50),
    "Mustard": (210, 170, 40),
    "Plum": (110, 50, 90),
    "Red": (200, 50, 50),
    "Yellow": (240, 200, 60),
    "Graphite": (70, 72, 78),
    "Steel": (150, 156, 164),
    "Cream": (240, 230, 205),
    "Rose": (220, 160, 170),
}
# Colours of the categories whose variants have none.
DEFAULT_COLOURS: dict[str, tuple[str, ...]] = {
    "Sandals": ("Tan", "Black", "Natural"),
    "Laptops": ("Graphite", "Silver", "Steel"),
    "Cookware": ("Black", "Steel", "Red"),
    "Cycling": ("Red", "Black", "Blue"),
    "Skincare": ("Cream", "Sage", "Rose"),
    "Fragrance": ("Brass", "Rose", "Teal"),
    "Hair Care": ("Green", "Cream", "Purple"),
    "Fiction": ("Crimson", "Teal", "Mustard"),
    "Cookbooks": ("Orange", "Sage", "Red"),
    "Children's Books": ("Yellow", "Blue", "Coral"),
    "Board Games": ("Red", "Blue", "Green"),
    "Puzzles": ("Purple", "Orange", "Teal"),
    "Building Sets": ("Red", "Yellow", "Blue"),
}
FALLBACK_COLOURS = ("Blue", "Grey", "Green")
BACKGROUNDS: tuple[RGB, ...] = ((246, 245, 241), (241, 244, 247), (247, 242, 239))


@dataclass(frozen=True)
class PoolPicture:
    """A stored demo picture: what its image rows record."""

    name: str
    width: int
    height: int
    renditions: dict[str, dict[str, str]]


PictureKey = tuple[str, str, int]  # (leaf category, colour, view)


def colours_for(leaf: str, options: Iterable[dict[str, str]]) -> list[str]:
    """Return the distinct colours (or finishes) of a product's variants, in their order."""
    found: list[str] = []
    for option in options:
        colour = option.get("colour") or option.get("finish")
        if colour and colour not in found:
            found.append(colour)
    return found


# --- Drawing --------------------------------------------------------------------------------


def _shade(colour: RGB, factor: float) -> RGB:
    """Return `colour` darker (factor < 1) or lighter (> 1, towards white)."""
    if factor <= 1:
        return (int(colour[0] * factor), int(colour[1] * factor), int(colour[2] * factor))
    return tuple(int(c + (255 - c) * (factor - 1)) for c in colour)  # type: ignore[return-value]


class _Pen:
    """Draw in unit coordinates (0..1 across the picture), filled and outlined."""

    def __init__(self, draw: ImageDraw.ImageDraw, size: int, colour: RGB) -> None:
        self.draw, self.size = draw, size
        self.fill, self.ink = colour, _shade(colour, 0.55)
        self.width = max(2, size // 150)

    def _xy(self, points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * self.size, y * self.size) for x, y in points]

    def poly(self, *points: tuple[float, float], fill: RGB | None = None) -> None:
        self.draw.polygon(
            self._xy(points), fill=fill or self.fill, outline=self.ink, width=self.width
        )

    def box(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        r: float = 0.02,
        fill: RGB | None = None,
    ) -> None:
        self.draw.rounded_rectangle(
            self._xy([(x0, y0), (x1, y1)]),
            radius=r * self.size,
            fill=fill or self.fill,
            outline=self.ink,
            width=self.width,
        )

    def oval(self, x0: float, y0: float, x1: float, y1: float, *, fill: RGB | None = None) -> None:
        self.draw.ellipse(
            self._xy([(x0, y0), (x1, y1)]),
            fill=fill or self.fill,
            outline=self.ink,
            width=self.width,
        )

    def line(self, *points: tuple[float, float], width: float = 1.0) -> None:
        self.draw.line(
            self._xy(points), fill=self.ink, width=int(self.width * width), joint="curve"
        )

    def arc(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        start: float,
        end: float,
        *,
        width: float = 1.0,
        fill: RGB | None = None,
    ) -> None:
        self.draw.arc(
            self._xy([(x0, y0), (x1, y1)]),
            start,
            end,
            fill=fill or self.ink,
            width=int(self.width * width),
        )

    @property
    def light(self) -> RGB:
        return _shade(self.fill, 1.35)

    @property
    def dark(self) -> RGB:
        return _shade(self.fill, 0.75)


def _shirt(p: _Pen) -> None:
    p.poly(
        (0.35, 0.22),
        (0.65, 0.22),
        (0.86, 0.34),
        (0.78, 0.47),
        (0.7, 0.42),
        (0.7, 0.8),
        (0.3, 0.8),
        (0.3, 0.42),
        (0.22, 0.47),
        (0.14, 0.34),
    )
    p.poly((0.42, 0.22), (0.5, 0.3), (0.58, 0.22), fill=p.dark)


def _knitwear(p: _Pen) -> None:
    p.poly(
        (0.35, 0.22),
        (0.65, 0.22),
        (0.84, 0.32),
        (0.86, 0.72),
        (0.76, 0.72),
        (0.72, 0.42),
        (0.72, 0.8),
        (0.28, 0.8),
        (0.28, 0.42),
        (0.24, 0.72),
        (0.14, 0.72),
        (0.16, 0.32),
    )
    p.oval(0.41, 0.19, 0.59, 0.27, fill=p.dark)
    for x in (0.34, 0.42, 0.5, 0.58, 0.66):
        p.line((x, 0.74), (x, 0.8))


def _jacket(p: _Pen) -> None:
    _shirt(p)
    p.line((0.5, 0.3), (0.5, 0.8), width=1.5)
    p.box(0.36, 0.55, 0.45, 0.6, r=0.005, fill=p.dark)
    p.box(0.55, 0.55, 0.64, 0.6, r=0.005, fill=p.dark)


def _trousers(p: _Pen) -> None:
    p.poly(
        (0.32, 0.18),
        (0.68, 0.18),
        (0.72, 0.84),
        (0.55, 0.84),
        (0.5, 0.36),
        (0.45, 0.84),
        (0.28, 0.84),
    )
    p.box(0.32, 0.18, 0.68, 0.24, r=0.005, fill=p.dark)


def _sneaker(p: _Pen) -> None:
    p.poly(
        (0.14, 0.6),
        (0.2, 0.42),
        (0.36, 0.38),
        (0.5, 0.46),
        (0.74, 0.52),
        (0.86, 0.6),
        (0.86, 0.66),
        (0.14, 0.66),
    )
    p.box(0.12, 0.64, 0.88, 0.72, r=0.03, fill=(240, 240, 236))
    for x in (0.36, 0.42, 0.48):
        p.line((x, 0.42), (x + 0.04, 0.5))


def _boot(p: _Pen) -> None:
    p.poly(
        (0.26, 0.2),
        (0.48, 0.2),
        (0.5, 0.52),
        (0.76, 0.58),
        (0.84, 0.66),
        (0.84, 0.72),
        (0.24, 0.72),
    )
    p.box(0.22, 0.7, 0.86, 0.78, r=0.02, fill=p.dark)
    p.line((0.28, 0.28), (0.46, 0.28))


def _sandal(p: _Pen) -> None:
    p.box(0.16, 0.58, 0.84, 0.68, r=0.05)
    p.arc(0.3, 0.34, 0.56, 0.74, 180, 360, width=3, fill=p.dark)
    p.arc(0.5, 0.4, 0.74, 0.76, 180, 360, width=3, fill=p.dark)


def _headphones(p: _Pen) -> None:
    p.arc(0.22, 0.16, 0.78, 0.72, 180, 360, width=6, fill=p.fill)
    p.box(0.16, 0.44, 0.32, 0.72, r=0.06)
    p.box(0.68, 0.44, 0.84, 0.72, r=0.06)


def _phone(p: _Pen) -> None:
    p.box(0.34, 0.14, 0.66, 0.86, r=0.05)
    p.box(0.37, 0.2, 0.63, 0.78, r=0.01, fill=(30, 36, 48))
    p.oval(0.48, 0.8, 0.52, 0.84, fill=p.dark)


def _laptop(p: _Pen) -> None:
    p.box(0.22, 0.22, 0.78, 0.62, r=0.02)
    p.box(0.25, 0.25, 0.75, 0.59, r=0.005, fill=(30, 36, 48))
    p.poly((0.16, 0.64), (0.84, 0.64), (0.9, 0.72), (0.1, 0.72))


def _camera(p: _Pen) -> None:
    p.box(0.36, 0.26, 0.5, 0.34, r=0.01, fill=p.dark)
    p.box(0.18, 0.32, 0.82, 0.72, r=0.05)
    p.oval(0.36, 0.36, 0.64, 0.68, fill=(40, 44, 52))
    p.oval(0.42, 0.42, 0.58, 0.62, fill=(90, 110, 140))


def _pan(p: _Pen) -> None:
    p.box(0.6, 0.47, 0.92, 0.53, r=0.02, fill=p.dark)
    p.oval(0.1, 0.28, 0.64, 0.72)
    p.oval(0.15, 0.33, 0.59, 0.67, fill=p.dark)


def _bedding(p: _Pen) -> None:
    p.box(0.14, 0.48, 0.86, 0.8, r=0.04)
    p.box(0.2, 0.26, 0.52, 0.46, r=0.06, fill=p.light)
    p.box(0.5, 0.28, 0.8, 0.47, r=0.06, fill=p.light)
    p.line((0.14, 0.6), (0.86, 0.6))


def _lamp(p: _Pen) -> None:
    p.poly((0.36, 0.18), (0.64, 0.18), (0.74, 0.44), (0.26, 0.44))
    p.box(0.48, 0.44, 0.52, 0.76, r=0.005, fill=p.dark)
    p.oval(0.34, 0.74, 0.66, 0.82, fill=p.dark)


def _furniture(p: _Pen) -> None:
    p.box(0.16, 0.36, 0.84, 0.44, r=0.01)
    for x in (0.2, 0.74):
        p.box(x, 0.44, x + 0.06, 0.8, r=0.005, fill=p.dark)
    p.box(0.2, 0.58, 0.8, 0.62, r=0.005, fill=p.dark)


def _tent(p: _Pen) -> None:
    p.poly((0.5, 0.2), (0.86, 0.76), (0.14, 0.76))
    p.poly((0.5, 0.38), (0.6, 0.76), (0.4, 0.76), fill=p.dark)
    p.line((0.08, 0.76), (0.92, 0.76))


def _helmet(p: _Pen) -> None:
    p.draw.pieslice(
        p._xy([(0.16, 0.24), (0.84, 0.92)]), 180, 360, fill=p.fill, outline=p.ink, width=p.width
    )
    for x in (0.32, 0.44, 0.56):
        p.box(x, 0.34, x + 0.08, 0.44, r=0.02, fill=p.dark)
    p.box(0.12, 0.56, 0.88, 0.62, r=0.02, fill=p.dark)


def _kettlebell(p: _Pen) -> None:
    p.arc(0.32, 0.16, 0.68, 0.52, 180, 360, width=7, fill=p.dark)
    p.oval(0.24, 0.34, 0.76, 0.84)
    p.box(0.28, 0.76, 0.72, 0.84, r=0.01, fill=p.dark)


def _jar(p: _Pen) -> None:
    p.box(0.3, 0.4, 0.7, 0.8, r=0.06)
    p.box(0.28, 0.3, 0.72, 0.42, r=0.02, fill=p.dark)
    p.box(0.36, 0.52, 0.64, 0.66, r=0.01, fill=(250, 250, 246))


def _perfume(p: _Pen) -> None:
    p.box(0.44, 0.2, 0.56, 0.32, r=0.01, fill=p.dark)
    p.box(0.47, 0.3, 0.53, 0.38, r=0.0, fill=p.dark)
    p.box(0.28, 0.38, 0.72, 0.82, r=0.08)
    p.box(0.36, 0.5, 0.64, 0.62, r=0.01, fill=p.light)


def _pump_bottle(p: _Pen) -> None:
    p.box(0.46, 0.16, 0.62, 0.2, r=0.01, fill=p.dark)
    p.box(0.47, 0.2, 0.53, 0.32, r=0.0, fill=p.dark)
    p.box(0.34, 0.32, 0.66, 0.84, r=0.05)
    p.box(0.39, 0.46, 0.61, 0.66, r=0.01, fill=(250, 250, 246))


def _book(p: _Pen) -> None:
    p.box(0.3, 0.16, 0.74, 0.84, r=0.01)
    p.box(0.26, 0.16, 0.32, 0.84, r=0.005, fill=p.dark)
    p.box(0.38, 0.28, 0.66, 0.34, r=0.005, fill=p.light)
    p.box(0.38, 0.38, 0.6, 0.42, r=0.005, fill=p.light)


def _board_game(p: _Pen) -> None:
    p.box(0.14, 0.3, 0.76, 0.7, r=0.02)
    p.box(0.2, 0.36, 0.7, 0.46, r=0.005, fill=p.light)
    p.box(0.66, 0.56, 0.84, 0.74, r=0.02, fill=(250, 250, 246))
    for x, y in ((0.71, 0.61), (0.77, 0.67), (0.74, 0.64)):
        p.oval(x - 0.012, y - 0.012, x + 0.012, y + 0.012, fill=(30, 30, 30))


def _puzzle(p: _Pen) -> None:
    p.box(0.26, 0.3, 0.7, 0.74, r=0.01)
    p.oval(0.42, 0.18, 0.54, 0.32)
    p.oval(0.66, 0.46, 0.8, 0.58)
    p.oval(0.42, 0.66, 0.54, 0.78, fill=(246, 245, 241))


def _bricks(p: _Pen) -> None:
    for x0, y0, x1, y1, shade in ((0.2, 0.56, 0.8, 0.78, 1.0), (0.3, 0.36, 0.7, 0.56, 0.8)):
        fill = _shade(p.fill, shade)
        p.box(x0, y0, x1, y1, r=0.01, fill=fill)
        studs = round((x1 - x0) / 0.1)
        for i in range(studs):
            x = x0 + 0.05 + i * 0.1
            p.box(x - 0.03, y0 - 0.04, x + 0.03, y0, r=0.005, fill=fill)


SHAPES: dict[str, Callable[[_Pen], None]] = {
    "Shirts": _shirt,
    "Trousers": _trousers,
    "Jackets": _jacket,
    "Knitwear": _knitwear,
    "Sneakers": _sneaker,
    "Boots": _boot,
    "Sandals": _sandal,
    "Headphones": _headphones,
    "Smartphones": _phone,
    "Laptops": _laptop,
    "Cameras": _camera,
    "Cookware": _pan,
    "Bedding": _bedding,
    "Lighting": _lamp,
    "Furniture": _furniture,
    "Camping": _tent,
    "Cycling": _helmet,
    "Fitness": _kettlebell,
    "Skincare": _jar,
    "Fragrance": _perfume,
    "Hair Care": _pump_bottle,
    "Fiction": _book,
    "Cookbooks": _book,
    "Children's Books": _book,
    "Board Games": _board_game,
    "Puzzles": _puzzle,
    "Building Sets": _bricks,
}


def draw_picture(leaf: str, colour: str, view: int) -> Image.Image:
    """Return the demo picture of a category's product in a colour, seen one of three ways."""
    size = SIZE * _SCALE
    canvas = Image.new("RGB", (size, size), BACKGROUNDS[view % len(BACKGROUNDS)])
    draw = ImageDraw.Draw(canvas)
    # A soft floor shadow under the product.
    draw.ellipse(
        (size * 0.18, size * 0.8, size * 0.82, size * 0.9), fill=_shade(BACKGROUNDS[view % 3], 0.92)
    )
    rgb = COLOURS.get(colour) or tuple(random.Random(colour).randrange(40, 220) for _ in range(3))  # noqa: S311
    SHAPES.get(leaf, _board_game)(_Pen(draw, size, rgb))  # type: ignore[arg-type]
    picture = canvas.reduce(_SCALE)
    if VIEWS[view] == "side":
        picture = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT).rotate(
            -8, resample=Image.Resampling.BICUBIC, fillcolor=BACKGROUNDS[1]
        )
    elif VIEWS[view] == "detail":
        inset = math.floor(SIZE * 0.18)
        picture = picture.crop((inset, inset, SIZE - inset, SIZE - inset)).resize(
            (SIZE, SIZE), Image.Resampling.LANCZOS
        )
    return picture


# --- The pool -------------------------------------------------------------------------------


def _encode_original(picture: Image.Image) -> bytes:
    buffer = BytesIO()
    picture.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def _expected_renditions(original: str) -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {key: {} for key, *_ in RENDITION_FORMATS}
    for width in rendition_widths(SIZE):
        for key, _, extension, _ in RENDITION_FORMATS:
            names[key][str(width)] = rendition_name(original, Rendition(key, width, extension, b""))
    return names


def _render(key: PictureKey) -> tuple[bytes, list[Rendition]]:
    picture = draw_picture(*key)
    return _encode_original(picture), render_renditions(picture)


class PicturePool:
    """The demo pictures, each drawn and stored at most once (found in storage on a re-run)."""

    def __init__(self, storage: Storage | None = None) -> None:
        self.storage = storage or image_storage()
        self.pictures: dict[PictureKey, PoolPicture] = {}
        self.drawn = 0

    @staticmethod
    def name(key: PictureKey) -> str:
        leaf, colour, view = key
        return f"{FOLDER}/{slugify(leaf)}-{slugify(colour)}-{VIEWS[view]}.jpg"

    def ensure(self, keys: Iterable[PictureKey]) -> None:
        """Make every picture of `keys` available, drawing the missing ones (in threads: Pillow
        encodes without holding the GIL) and storing them from this thread."""
        missing = []
        for key in dict.fromkeys(keys):
            if key in self.pictures:
                continue
            name = self.name(key)
            renditions = _expected_renditions(name)
            stored = [name, *(n for by_width in renditions.values() for n in by_width.values())]
            if all(self.storage.exists(n) for n in stored):
                self.pictures[key] = PoolPicture(name, SIZE, SIZE, renditions)
            else:
                missing.append(key)
        if not missing:
            return
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as executor:
            for key, (original, thumbnails) in zip(
                missing, executor.map(_render, missing), strict=True
            ):
                self.pictures[key] = self._store(key, original, thumbnails)
        self.drawn += len(missing)

    def _store(self, key: PictureKey, original: bytes, renditions: list[Rendition]) -> PoolPicture:
        # Pool names are fixed: replace what a run that stopped half-way left.
        name = self.name(key)
        saved: dict[str, dict[str, str]] = {k: {} for k, *_ in RENDITION_FORMATS}
        for target, content, slot in [
            (name, original, None),
            *((rendition_name(name, r), r.content, r) for r in renditions),
        ]:
            if self.storage.exists(target):
                self.storage.delete(target)
            stored = self.storage.save(target, ContentFile(content))
            if slot is not None:
                saved[slot.key][str(slot.width)] = stored
        return PoolPicture(name, SIZE, SIZE, saved)

    def __getitem__(self, key: PictureKey) -> PoolPicture:
        return self.pictures[key]


def plan_images(
    *,
    leaf: str,
    name: str,
    palette: list[str],
    variants: list[tuple[Any, dict[str, str]]],
    rng: random.Random,
) -> list[tuple[PictureKey, Any, str]]:
    """Return a product's 1 to 3 pictures as (pool key, variant id or None, alt text).

    Variants of different colours get a front view each (linked to the first variant of that
    colour, so picking it shows it). A product of one colour gets its front view, and, in the
    first colour of its category's `palette` (the one the pool has every view of, which keeps
    the pool small), one or two more views.
    """
    colours = colours_for(leaf, (options for _, options in variants))
    if len(colours) > 1:
        planned = []
        for colour in colours[:3]:
            variant_id = next(pk for pk, options in variants if colour in options.values())
            planned.append(((leaf, colour, 0), variant_id, f"{name} in {colour.lower()}"))
        return planned
    palette = palette or list(DEFAULT_COLOURS.get(leaf, FALLBACK_COLOURS))
    # Without variant colours, half of them in the category's first colour.
    first_half = rng.random() < 0.5
    colour = colours[0] if colours else palette[0] if first_half else rng.choice(palette)
    views = rng.choice((1, 2, 3, 3)) if colour == palette[0] else 1
    labels = (name, f"{name}, from the side", f"{name}, a closer look")
    return [((leaf, colour, view), None, labels[view]) for view in range(views)]
