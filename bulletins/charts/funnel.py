"""The funnel plot: respondents across (the number the tables show), rate up.

Centre line: the peer group's mean rate. Curves: binomial process limits at 95%
(dashed) and 99.8% (solid) around it (:mod:`bulletins.charts.limits`). Every dot
is labelled — units judged below or above their peers by name, the others by
their number in the table, with a key under the chart — and no two labels
overlap (:mod:`bulletins.charts.labels`). The funnel is a picture: whether a unit
is below its peers is decided by the judging model, not by the curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bulletins.charts.geometry import (
    GRID,
    INK,
    MUTED,
    Box,
    Chart,
    Circle,
    Item,
    Line,
    Polyline,
    Text,
    clip_y,
    colour,
    nice_ceil,
    nice_step,
    pct_tick,
    rate_range,
    ticks,
)
from bulletins.charts.labels import LabelRequest, place_labels
from bulletins.charts.limits import LIMITS, binomial_limit

WIDTH = 640.0
HEIGHT = 380.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 56.0, 16.0, 14.0, 44.0
_LABEL_SIZE = 11.0


@dataclass(frozen=True)
class FunnelDot:
    """One reportable unit: ``key`` is its number in the table, ``flag`` below/above/None."""

    key: str
    name: str
    respondents: int
    rate: float
    flag: str | None


def funnel_chart(
    dots: Sequence[FunnelDot],
    target: float | None,
    *,
    x_title: str,
    y_title: str,
    width: float = WIDTH,
    height: float = HEIGHT,
) -> Chart:
    """The funnel's geometry; without ``target`` only dots and labels are drawn."""
    pw, ph = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    n_max = max((d.respondents for d in dots), default=10)
    x_hi = nice_ceil(n_max * 1.1)
    n_min = max(min((d.respondents for d in dots), default=1), 1)
    values = [d.rate for d in dots]
    if target is not None:
        values += [target, binomial_limit(target, n_min, 0.975)]
        values += [binomial_limit(target, n_min, 0.001)]  # the outer limit stays in view
    y_lo, y_hi = rate_range(values, step=0.05)

    def sx(n: float) -> float:
        return _LEFT + pw * n / x_hi

    def sy(p: float) -> float:
        return _TOP + ph * (y_hi - p) / (y_hi - y_lo)

    items: list[Item] = []
    for t in ticks(y_lo, y_hi, 0.05):
        items.append(Line(_LEFT, sy(t), _LEFT + pw, sy(t), GRID, 0.8))
        items.append(Text(_LEFT - 6, sy(t) + 4, pct_tick(t), 10.5, MUTED, "end"))
    for t in ticks(0.0, x_hi, nice_step(x_hi / 5)):
        items.append(Line(sx(t), _TOP, sx(t), _TOP + ph, GRID, 0.8))
        items.append(Text(sx(t), _TOP + ph + 15, f"{t:g}", 10.5, MUTED, "middle"))
    items.append(Line(_LEFT, _TOP + ph, _LEFT + pw, _TOP + ph, INK, 1.0))
    items.append(Text(_LEFT + pw / 2, height - 8, x_title, 12, INK, "middle"))
    items.append(Text(16, _TOP + ph / 2, y_title, 12, INK, "middle", rotate=True))
    if target is not None:
        items.append(Line(_LEFT, sy(target), _LEFT + pw, sy(target), INK, 1.2))
        grid = sorted({max(1, round(x_hi * (i / 160) ** 1.6)) for i in range(1, 161)})
        for q_low, q_high, dashed in LIMITS:
            for q in (q_low, q_high):
                pts = [(sx(n), sy(binomial_limit(target, n, q))) for n in grid]
                for piece in clip_y(pts, _TOP, _TOP + ph):
                    items.append(Polyline(piece, INK, 1.1, dashed))
    radius = {True: 5.0, False: 3.8}
    for d in sorted(dots, key=lambda d: d.flag is not None):
        items.append(
            Circle(
                sx(d.respondents), sy(d.rate), radius[d.flag is not None], colour(d.flag), d.name
            )
        )
    requests = [
        LabelRequest(
            sx(d.respondents),
            sy(d.rate),
            radius[d.flag is not None],
            d.name if d.flag else d.key,
            _LABEL_SIZE,
            priority=1 if d.flag else 0,
        )
        for d in dots
    ]
    bounds = Box(_LEFT + 1, _TOP + 1, _LEFT + pw - 1, _TOP + ph - 1)
    placed = place_labels(requests, bounds, overflow_y=height)
    extra = max((p.box.y1 for p in placed), default=0.0) - height
    for d, p in zip(dots, placed, strict=True):
        if p.leader:
            items.append(Line(*p.leader, colour=MUTED, width=0.7))
        items.append(
            Text(
                p.box.x0, p.baseline, p.request.text, _LABEL_SIZE, colour(d.flag), bold=bool(d.flag)
            )
        )
    return Chart(
        width=width,
        height=height + max(extra + 6, 0.0),
        items=tuple(items),
        label_boxes=tuple(p.box for p in placed),
        key=tuple((d.key, d.name) for d in dots),
    )
