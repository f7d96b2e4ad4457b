"""The ranking chart: one row per unit in rank order, the model's estimate and 95% interval.

A dashed vertical line marks the peer mean; the rank interval (the plausible
range of the unit's place) is printed at the right. Colours follow the evidence:
below and above their peers in their own colours, the rest grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bulletins.charts.geometry import (
    BAND,
    GRID,
    INK,
    MUTED,
    Chart,
    Circle,
    Item,
    Line,
    Rect,
    Text,
    colour,
    nice_step,
    pct_tick,
    rate_range,
    text_width,
    ticks,
)

WIDTH = 640.0
_ROW, _TOP, _BOTTOM, _RIGHT_COL = 22.0, 30.0, 28.0, 74.0


@dataclass(frozen=True)
class RankRow:
    name: str
    estimate: float
    ci_low: float | None
    ci_high: float | None
    rank_interval: str  # e.g. "1–3"
    flag: str | None


def ranking_chart(
    rows: Sequence[RankRow],
    reference: float | None,
    *,
    reference_label: str,
    interval_title: str,
    width: float = WIDTH,
) -> Chart:
    """The ranking chart's geometry (rows in the order given)."""
    label_w = min(230.0, max(90.0, max((text_width(r.name, 12) for r in rows), default=0) + 16))
    height = _TOP + _BOTTOM + _ROW * max(len(rows), 1)
    pw = width - label_w - _RIGHT_COL - 10
    values = [r.estimate for r in rows]
    values += [v for r in rows for v in (r.ci_low, r.ci_high) if v is not None]
    if reference is not None:
        values.append(reference)
    lo, hi = rate_range(values, step=0.05, pad=0.0)

    def sx(p: float) -> float:
        return label_w + pw * (p - lo) / (hi - lo)

    items: list[Item] = []
    axis_y = _TOP + _ROW * len(rows)
    for i, r in enumerate(rows):
        y = _TOP + _ROW * i
        if i % 2 == 0:
            items.append(Rect(0, y, width, _ROW, BAND))
        items.append(
            Text(label_w - 10, y + _ROW / 2 + 4, _fit(r.name, label_w - 14), 12, INK, "end")
        )
        items.append(Text(width - 8, y + _ROW / 2 + 4, r.rank_interval, 11, MUTED, "end"))
    items.append(Text(width - 8, _TOP - 10, interval_title, 11, MUTED, "end"))
    for t in ticks(lo, hi, nice_step((hi - lo) / 5)):
        items.append(Line(sx(t), _TOP, sx(t), axis_y, GRID, 0.8))
        items.append(Text(sx(t), axis_y + 16, pct_tick(t), 10.5, MUTED, "middle"))
    if reference is not None:
        x = sx(reference)
        items.append(Line(x, _TOP - 4, x, axis_y, INK, 1.0, dashed=True))
        items.append(
            Text(x, _TOP - 10, f"{reference_label} {reference * 100:.1f}%", 11, INK, "middle")
        )
    for i, r in enumerate(rows):
        y = _TOP + _ROW * i + _ROW / 2
        if r.ci_low is not None and r.ci_high is not None:
            items.append(Line(sx(r.ci_low), y, sx(r.ci_high), y, colour(r.flag), 2.2))
        items.append(Circle(sx(r.estimate), y, 4.5, colour(r.flag), f"{r.name} {r.estimate:.1%}"))
    return Chart(width=width, height=height, items=tuple(items))


def _fit(s: str, width: float) -> str:
    if text_width(s, 12) <= width:
        return s
    while s and text_width(s + "…", 12) > width:
        s = s[:-1]
    return s + "…"
