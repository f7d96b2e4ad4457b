"""Label placement that never lets two labels collide and never drops one.

Greedy in priority order (flagged units first, then left to right): each label
tries positions around its dot at growing distances (8 directions close by, 16
farther out, with a leader line when it sits away from the dot); a position is
taken when its box stays in the plot and overlaps no label already placed and
no other dot. When no position is free within reach, the plot is scanned on a
grid for the free spot nearest the dot; when even that fails (an absurdly
crowded plot), the label goes to an overflow column below the plot area with a
leader line, which the caller makes room for. Every label is therefore placed,
and the boxes are returned so a test can check that none overlap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bulletins.charts.geometry import Box, text_width

_PAD = 1.5  # clearance between two labels, chart units


@dataclass(frozen=True)
class LabelRequest:
    """A label for the dot at (x, y) of radius r."""

    x: float
    y: float
    r: float
    text: str
    size: float
    priority: int = 0  # higher goes first


@dataclass(frozen=True)
class PlacedLabel:
    request: LabelRequest
    box: Box
    baseline: float  # y of the text baseline; text starts at box.x0
    leader: tuple[float, float, float, float] | None  # from the dot's edge to the box


def place_labels(
    requests: Sequence[LabelRequest], bounds: Box, *, overflow_y: float | None = None
) -> list[PlacedLabel]:
    """Place every request inside ``bounds`` without overlaps (see the module doc).

    ``overflow_y``: top of the overflow strip used as a last resort (default: under
    ``bounds``). Results are in the order of ``requests``.
    """
    dots = [Box(q.x - q.r, q.y - q.r, q.x + q.r, q.y + q.r) for q in requests]
    order = sorted(range(len(requests)), key=lambda i: (-requests[i].priority, requests[i].x))
    placed: dict[int, PlacedLabel] = {}
    overflow_x, next_overflow_y = bounds.x0, (bounds.y1 if overflow_y is None else overflow_y) + 4

    def free(box: Box, own: int) -> bool:
        if not box.inside(bounds):
            return False
        if any(box.overlaps(p.box, _PAD) for p in placed.values()):
            return False
        return not any(box.overlaps(d, 0.5) for k, d in enumerate(dots) if k != own)

    for i in order:
        q = requests[i]
        w, h = text_width(q.text, q.size), q.size * 1.1
        found = _around(q, w, h, lambda b, i=i: free(b, i))
        if found is None:
            found = _scan(q, w, h, bounds, lambda b, i=i: free(b, i))
        if found is None:  # last resort: a row of its own under the plot
            box = Box(overflow_x, next_overflow_y, overflow_x + w, next_overflow_y + h)
            next_overflow_y += h + _PAD
            found = box
        placed[i] = _finish(q, found)
    return [placed[i] for i in range(len(requests))]


def _around(q: LabelRequest, w: float, h: float, ok: object) -> Box | None:
    assert callable(ok)
    gap = q.r + 2.0
    # close: right, left, above, below, then the diagonals
    close = [
        (q.x + gap, q.y - h / 2),
        (q.x - gap - w, q.y - h / 2),
        (q.x - w / 2, q.y - gap - h),
        (q.x - w / 2, q.y + gap),
        (q.x + gap * 0.7, q.y - gap * 0.7 - h),
        (q.x - gap * 0.7 - w, q.y - gap * 0.7 - h),
        (q.x + gap * 0.7, q.y + gap * 0.7),
        (q.x - gap * 0.7 - w, q.y + gap * 0.7),
    ]
    for x0, y0 in close:
        box = Box(x0, y0, x0 + w, y0 + h)
        if ok(box):
            return box
    for ring in range(1, 7):
        dist = gap + ring * h
        for k in range(16):
            a = 2 * math.pi * k / 16
            cx, cy = q.x + dist * math.cos(a), q.y - dist * math.sin(a)
            x0 = cx if math.cos(a) > 0.3 else cx - w if math.cos(a) < -0.3 else cx - w / 2
            y0 = cy - h / 2
            box = Box(x0, y0, x0 + w, y0 + h)
            if ok(box):
                return box
    return None


def _scan(q: LabelRequest, w: float, h: float, bounds: Box, ok: object) -> Box | None:
    assert callable(ok)
    best: tuple[float, Box] | None = None
    step = max(h / 2, 2.0)
    y = bounds.y0
    while y + h <= bounds.y1:
        x = bounds.x0
        while x + w <= bounds.x1:
            box = Box(x, y, x + w, y + h)
            d = math.hypot(x + w / 2 - q.x, y + h / 2 - q.y)
            if (best is None or d < best[0]) and ok(box):
                best = (d, box)
            x += step
        y += step
    return None if best is None else best[1]


def _finish(q: LabelRequest, box: Box) -> PlacedLabel:
    baseline = box.y1 - q.size * 0.24
    # leader line when the box does not touch the dot's neighbourhood
    nx = min(max(q.x, box.x0), box.x1)
    ny = min(max(q.y, box.y0), box.y1)
    dist = math.hypot(nx - q.x, ny - q.y)
    leader = None
    if dist > q.r + 4.0:
        ux, uy = (nx - q.x) / dist, (ny - q.y) / dist
        leader = (q.x + ux * q.r, q.y + uy * q.r, nx, ny)
    return PlacedLabel(q, box, baseline, leader)
