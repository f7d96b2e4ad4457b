"""Chart geometry: binomial funnel limits, labels that never collide, the same picture in SVG."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from bulletins import charts
from bulletins.charts.geometry import Box, Circle, Text, clip_y, text_box
from bulletins.charts.labels import LabelRequest, place_labels
from bulletins.charts.limits import binomial_limit


def _reference_limit(p0: float, n: int, q: float) -> float:
    """Spiegelhalter (2005) A.1.1 from first principles, with exact binomial sums."""

    def cdf(r: int) -> float:
        return sum(math.comb(n, k) * p0**k * (1 - p0) ** (n - k) for k in range(r + 1))

    r = next(r for r in range(n + 1) if cdf(r) >= q)
    alpha = (cdf(r) - q) / (cdf(r) - (cdf(r - 1) if r > 0 else 0.0))
    return (r - alpha) / n


@pytest.mark.parametrize(
    ("p0", "n", "q"), [(0.9, 50, 0.025), (0.9, 50, 0.999), (0.75, 200, 0.001), (0.95, 31, 0.975)]
)
def test_binomial_limits_match_the_formula(p0: float, n: int, q: float) -> None:
    assert binomial_limit(p0, n, q) == pytest.approx(_reference_limit(p0, n, q), abs=1e-9)


def test_limits_narrow_as_respondents_grow() -> None:
    lows = [binomial_limit(0.9, n, 0.001) for n in (30, 60, 120, 480)]
    highs = [binomial_limit(0.9, n, 0.999) for n in (30, 60, 120, 480)]
    assert lows == sorted(lows) and highs == sorted(highs, reverse=True)
    assert all(lo < 0.9 < hi for lo, hi in zip(lows, highs, strict=True))
    with pytest.raises(ValueError):
        binomial_limit(0.9, 0, 0.5)


def _no_overlaps(boxes: tuple[Box, ...] | list[Box]) -> bool:
    return not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


@pytest.mark.parametrize("seed", range(6))
def test_funnel_labels_never_collide_and_none_is_dropped(seed: int) -> None:
    rng = random.Random(seed)
    dots = [
        charts.FunnelDot(
            key=str(k + 1),
            name=f"政务大厅第{k + 1}号综合窗口",
            respondents=rng.randint(30, 70),
            rate=rng.uniform(0.86, 0.95),
            flag=rng.choice([None, None, None, "below", "above"]),
        )
        for k in range(rng.randint(6, 16))
    ]
    chart = charts.funnel_chart(dots, 0.9, x_title="有效回答数", y_title="满意率")
    assert len(chart.label_boxes) == len(dots)
    assert _no_overlaps(chart.label_boxes)
    labels = [t.text for t in chart.items if isinstance(t, Text) and t.size == 11.0]
    for d in dots:
        assert (d.name if d.flag else d.key) in labels
    assert chart.key == tuple((d.key, d.name) for d in dots)
    # the text drawn sits inside its box
    for t in (t for t in chart.items if isinstance(t, Text) and t.size == 11.0):
        box = text_box(t)
        assert any(b.x0 <= box.x0 + 0.01 and box.x1 <= b.x1 + 0.01 for b in chart.label_boxes)


def test_a_hopelessly_crowded_plot_still_places_every_label() -> None:
    requests = [LabelRequest(50, 50, 4, f"单位{k}", 11) for k in range(40)]
    placed = place_labels(requests, Box(0, 0, 100, 80), overflow_y=80)
    assert len(placed) == 40
    assert _no_overlaps([p.box for p in placed])
    assert any(p.box.y0 >= 80 for p in placed)  # some went to the overflow strip
    assert all(p.leader is not None for p in placed if p.box.y0 >= 80)


def test_funnel_x_axis_is_respondents() -> None:
    dots = [
        charts.FunnelDot(str(k), f"单位{k}", n, 0.9, None) for k, n in enumerate((30, 60, 120), 1)
    ]
    chart = charts.funnel_chart(dots, 0.9, x_title="有效回答数", y_title="满意率")
    xs = [c.x for c in chart.items if isinstance(c, Circle)]
    origin = 56.0
    assert (xs[1] - origin) / (xs[0] - origin) == pytest.approx(2.0)
    assert (xs[2] - origin) / (xs[0] - origin) == pytest.approx(4.0)
    assert "有效回答数" in [t.text for t in chart.items if isinstance(t, Text)]


def test_svg_draws_the_same_geometry() -> None:
    dots = [
        charts.FunnelDot(str(k), f"窗口<{k}>", 30 + k, 0.9, "below" if k == 1 else None)
        for k in range(1, 6)
    ]
    chart = charts.funnel_chart(dots, 0.9, x_title="有效回答数", y_title="满意率")
    svg = str(charts.to_svg(chart, "图"))
    assert svg.count("<circle") == sum(isinstance(i, Circle) for i in chart.items)
    assert svg.count("<text") == sum(isinstance(i, Text) for i in chart.items)
    assert "窗口&lt;1&gt;" in svg and "<1>" not in svg
    assert svg.count("<polyline") >= 4  # 95% and 99.8%, both sides


def test_ranking_chart_rows_in_order_with_intervals() -> None:
    rows = [
        charts.RankRow("区教育局", 0.93, 0.9, 0.96, "1–2", None),
        charts.RankRow("区住建局", 0.72, 0.66, 0.79, "3", "below"),
    ]
    chart = charts.ranking_chart(rows, 0.88, reference_label="同类平均", interval_title="名次区间")
    texts = [t.text for t in chart.items if isinstance(t, Text)]
    assert texts.index("区教育局") < texts.index("区住建局")
    assert "1–2" in texts and "同类平均 88.0%" in texts
    circles = [c for c in chart.items if isinstance(c, Circle)]
    assert circles[1].fill == charts.colour("below") != charts.colour(None)


def test_clipping_cuts_at_the_edges() -> None:
    pieces = clip_y([(0, -10), (10, 10), (20, 30), (30, 50)], 0, 40)
    assert len(pieces) == 1
    assert pieces[0][0] == (5.0, 0) and pieces[0][-1] == (25.0, 40)
