"""Drawing primitives in chart units (1 unit = 1 CSS px; the PDF scales them to mm).

A :class:`Chart` is a list of primitives plus the boxes of its labels, so tests
can check the picture (no two labels overlap) without rendering it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

FLAG_COLOURS: Final = {"top": "#007a5a", "above": "#0057a0", "below": "#c2410c"}
PLAIN_COLOUR: Final = "#6b7280"
INK: Final = "#1f2937"
MUTED: Final = "#4b5563"
GRID: Final = "#e5e7eb"
BAND: Final = "#f6f7f9"
CHANNEL_COLOURS: Final = {
    "sms": "#0072b2",
    "voice": "#e69f00",
    "manual": "#009e73",
    "simulated": "#9ca3af",
}
OTHER_CHANNEL_COLOUR: Final = "#cc79a7"

Anchor = Literal["start", "middle", "end"]


def colour(flag: str | None) -> str:
    """The colour of a dot, bar or badge for ``flag`` (top, above, below, or none)."""
    return FLAG_COLOURS.get(flag or "", PLAIN_COLOUR)


def channel_colour(name: str) -> str:
    """The colour of a channel in the mix bars and their legend."""
    return CHANNEL_COLOURS.get(name, OTHER_CHANNEL_COLOUR)


def text_width(s: str, size: float) -> float:
    """Width of ``s`` set at ``size``: generous, so real glyphs always fit the box.

    CJK and full-width characters are one em (they are square in Noto CJK);
    Latin letters, digits and punctuation at most 0.62 em.
    """
    return sum(size if ord(ch) >= 0x2E80 else size * 0.62 for ch in s)


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle: ``x0 < x1``, ``y0 < y1`` (y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, pad: float = 0.0) -> bool:
        return (
            self.x0 < other.x1 + pad
            and other.x0 < self.x1 + pad
            and self.y0 < other.y1 + pad
            and other.y0 < self.y1 + pad
        )

    def inside(self, other: Box) -> bool:
        return (
            self.x0 >= other.x0
            and self.y0 >= other.y0
            and self.x1 <= other.x1
            and self.y1 <= other.y1
        )


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str = INK
    width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class Polyline:
    points: tuple[tuple[float, float], ...]
    colour: str = INK
    width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class Circle:
    x: float
    y: float
    r: float
    fill: str
    title: str = ""


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass(frozen=True)
class Text:
    """Text with its baseline at ``y``; ``rotate`` turns it 90° anticlockwise about (x, y)."""

    x: float
    y: float
    text: str
    size: float = 12.0
    colour: str = INK
    anchor: Anchor = "start"
    rotate: bool = False
    bold: bool = False


Item = Line | Polyline | Circle | Rect | Text


@dataclass(frozen=True)
class Chart:
    """A finished chart: size, primitives in drawing order, and its label boxes."""

    width: float
    height: float
    items: tuple[Item, ...]
    label_boxes: tuple[Box, ...] = ()
    key: tuple[tuple[str, str], ...] = field(default=())  # (number, name) under the chart


def text_box(t: Text) -> Box:
    """The box a (horizontal) text occupies: from above the ascender to below the baseline."""
    w = text_width(t.text, t.size)
    x0 = {"start": t.x, "middle": t.x - w / 2, "end": t.x - w}[t.anchor]
    return Box(x0, t.y - t.size * 0.88, x0 + w, t.y + t.size * 0.22)


def clip_y(
    points: Sequence[tuple[float, float]], top: float, bottom: float
) -> list[tuple[tuple[float, float], ...]]:
    """Pieces of a polyline that lie between ``top`` and ``bottom``, cut at the edges."""
    pieces: list[tuple[tuple[float, float], ...]] = []
    current: list[tuple[float, float]] = []

    def cross(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
        t = (y - a[1]) / (b[1] - a[1])
        return (a[0] + t * (b[0] - a[0]), y)

    prev: tuple[float, float] | None = None
    for p in points:
        inside = top <= p[1] <= bottom
        if prev is not None:
            was = top <= prev[1] <= bottom
            if was and not inside:
                current.append(cross(prev, p, top if p[1] < top else bottom))
                pieces.append(tuple(current))
                current = []
            elif inside and not was:
                current.append(cross(prev, p, top if prev[1] < top else bottom))
        if inside:
            current.append(p)
        prev = p
    if len(current) > 1:
        pieces.append(tuple(current))
    return [piece for piece in pieces if len(piece) > 1]


# --- axes ---------------------------------------------------------------------


def nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def nice_ceil(x: float) -> float:
    step = nice_step(max(x, 1.0) / 5)
    return math.ceil(max(x, 1.0) / step) * step


def ticks(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def pct_tick(p: float) -> str:
    return f"{p * 100:.0f}%" if abs(p * 100 - round(p * 100)) < 1e-9 else f"{p * 100:.1f}%"


def rate_range(values: Sequence[float], *, step: float, pad: float = 0.01) -> tuple[float, float]:
    """A range on multiples of ``step`` that holds ``values``, within [0, 1]."""
    if not values:
        return 0.0, 1.0
    lo = max(0.0, math.floor((min(values) - pad) / step + 1e-9) * step)
    hi = min(1.0, math.ceil((max(values) + pad) / step - 1e-9) * step)
    if hi - lo < step:
        lo, hi = max(0.0, hi - step), min(1.0, lo + step)
    return lo, hi
