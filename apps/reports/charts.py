"""Charts drawn on the server as inline SVG: no JavaScript, no external assets and no style
attributes (colours are SVG presentation attributes, which a strict CSP allows), readable by
screen readers through a <title> on the chart and on every bar.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

Number = int | Decimal


@dataclass(frozen=True)
class Point:
    label: str
    value: Number


# Room around the plot for the axis labels.
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 16, 40


def nice_ceiling(value: Number) -> Decimal:
    """Return a round number (1, 2, 2.5 or 5 times a power of ten) at or above `value`."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (value.adjusted())
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= magnitude * step:
            return magnitude * step
    return magnitude * 10  # pragma: no cover  (the loop always ends at 10)


def _fmt(value: Number) -> str:
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    unit: str = "",
    width: int = 720,
    height: int = 240,
    label_every: int = 1,
) -> SafeString:
    """Return an SVG bar chart of `points` with a y axis (0, half, top), x labels and titles.

    Every bar carries a <title> "label: value unit" for screen readers and tooltips; only every
    `label_every`-th x label is drawn so long series stay legible. Values must not be negative.
    """
    if any(Decimal(point.value) < 0 for point in points):
        raise ValueError("bar_chart draws values of zero or more.")
    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    top = nice_ceiling(max((Decimal(p.value) for p in points), default=Decimal(0)))
    slot = Decimal(plot_w) / max(len(points), 1)
    bar_w = max(slot * Decimal("0.7"), Decimal(1))
    base_y = _TOP + plot_h
    suffix = f" {unit}" if unit else ""

    def bar(index: int, point: Point) -> tuple[str, ...]:
        bar_h = Decimal(plot_h) * Decimal(point.value) / top
        x = _LEFT + slot * index + (slot - bar_w) / 2
        return (
            _px(x), _px(base_y - bar_h), _px(bar_w), _px(bar_h),
            point.label, _fmt(point.value), suffix,
        )  # fmt: skip

    bars = format_html_join(
        "",
        '<rect class="bar" fill="#417690" x="{}" y="{}" width="{}" height="{}">'
        "<title>{}: {}{}</title></rect>",
        (bar(index, point) for index, point in enumerate(points)),
    )
    x_labels = format_html_join(
        "",
        '<text class="x-label" font-size="11" fill="#333" x="{}" y="{}" '
        'text-anchor="middle">{}</text>',
        (
            (_px(_LEFT + slot * index + slot / 2), base_y + 16, point.label)
            for index, point in enumerate(points)
            if index % max(label_every, 1) == 0
        ),
    )
    y_ticks = format_html_join(
        "",
        '<line class="grid" stroke="#ddd" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="y-label" font-size="11" fill="#333" x="{}" y="{}" '
        'text-anchor="end">{}</text>',
        (
            (
                _LEFT,
                _px(base_y - plot_h * share),
                width - _RIGHT,
                _px(base_y - plot_h * share),
                _LEFT - 6,
                _px(base_y - plot_h * share + 4),
                _fmt(top * share),
            )
            for share in (Decimal(0), Decimal("0.5"), Decimal(1))
        ),
    )
    axes = format_html(
        '<line class="axis" stroke="#666" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<line class="axis" stroke="#666" x1="{}" y1="{}" x2="{}" y2="{}"/>',
        _LEFT, _TOP, _LEFT, base_y,
        _LEFT, base_y, width - _RIGHT, base_y,
    )  # fmt: skip
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        'viewBox="0 0 {} {}" width="{}" height="{}"><title>{}</title>{}{}{}{}</svg>',
        width, height, width, height, title,
        y_ticks, axes, bars, x_labels,
    )  # fmt: skip


def _px(value: Number) -> str:
    """Return a coordinate with at most one decimal (enough on screen, short in the page)."""
    return f"{Decimal(value):.1f}".rstrip("0").rstrip(".")
