"""Charts as inline SVG, drawn in Python so the bulletin stays one self-contained file.

* :func:`funnel_svg` — Spiegelhalter's funnel plot (Stat Med 2005;24:1185-1202):
  limits ``sin²(asin(√target) ± z·√(1/(4n) + τ²))`` on the arcsine scale, with the
  additive overdispersion τ² of the FunnelPlotR package (τ² = 0: plain binomial).
* :func:`ranking_svg` — one dot and 95% interval per unit, in rank order.
* :func:`mix_bar_svg` — a small stacked bar of a unit's channel mix.

All text is escaped; every function returns :class:`markupsafe.Markup`. The SVG is
meant to sit inline in HTML5, so it carries no ``xmlns`` (the page has no URLs at all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

FLAG_COLOURS: Final = {"top": "#009e73", "above": "#0072b2", "below": "#d55e00"}
PLAIN_COLOUR: Final = "#6b7280"
CHANNEL_COLOURS: Final = {
    "sms": "#0072b2",
    "voice": "#e69f00",
    "manual": "#009e73",
    "simulated": "#9ca3af",
}
OTHER_CHANNEL_COLOUR: Final = "#cc79a7"
_INK: Final = "#1f2937"
_GRID: Final = "#e5e7eb"


@dataclass(frozen=True)
class Dot:
    """One reportable unit on a chart."""

    label: str
    rate: float
    n_eff: float
    ci_low: float | None
    ci_high: float | None
    flag: str | None


@dataclass(frozen=True)
class Limits:
    """A peer group's funnel: centre ``target``, outer limit ``z``, overdispersion ``tau2``."""

    target: float
    z: float
    tau2: float


def funnel_limit(limits: Limits, n: float, z: float, sign: int) -> float:
    """The funnel limit at effective sample size ``n`` (``sign`` -1 lower, +1 upper)."""
    half_width = z * math.sqrt(1.0 / (4.0 * n) + limits.tau2)
    angle = math.asin(math.sqrt(min(max(limits.target, 0.0), 1.0))) + sign * half_width
    return math.sin(min(max(angle, 0.0), math.pi / 2)) ** 2


def colour(flag: str | None) -> str:
    """The colour of a dot or badge for ``flag``."""
    return FLAG_COLOURS.get(flag or "", PLAIN_COLOUR)


def channel_colour(name: str) -> str:
    """The colour of a channel in the mix bars and their legend."""
    return CHANNEL_COLOURS.get(name, OTHER_CHANNEL_COLOUR)


def funnel_svg(
    dots: Sequence[Dot],
    limits: Limits | None,
    *,
    x_title: str,
    y_title: str,
    aria_label: str,
    chart_id: str,
) -> Markup:
    """A funnel plot of ``dots``; without ``limits`` only the dots are drawn."""
    w, h, left, right, top, bottom = 640, 360, 60, 20, 16, 46
    pw, ph = w - left - right, h - top - bottom
    n_max = max((d.n_eff for d in dots), default=10.0)
    x_hi = _nice_ceil(n_max * 1.08)
    n_min = min((d.n_eff for d in dots), default=x_hi / 10)
    outer_z = limits.z if limits else 0.0
    rates = [d.rate for d in dots]
    if limits:
        n_low = max(n_min, 1.0)
        rates += [limits.target, funnel_limit(limits, n_low, 1.96, +1)]
        rates += [funnel_limit(limits, n_low, limits.z, -1)]  # the outer limit stays in view
    y_lo, y_hi = _rate_range(rates, step=0.05)

    def sx(n: float) -> float:
        return left + pw * n / x_hi

    def sy(p: float) -> float:
        return top + ph * (y_hi - p) / (y_hi - y_lo)

    out = [_svg_open(w, h, aria_label)]
    out.append(
        f'<defs><clipPath id="{chart_id}-clip"><rect x="{left}" y="{top}" '
        f'width="{pw}" height="{ph}"/></clipPath></defs>'
    )
    out += _y_axis([(sy(t), _pct_tick(t)) for t in _ticks(y_lo, y_hi, 0.05)], left, w - right)
    out += _x_axis(
        [(sx(t), f"{t:g}") for t in _ticks(0.0, x_hi, _nice_step(x_hi / 5))], top + ph, top
    )
    out.append(_text(left + pw / 2, h - 6, x_title, anchor="middle"))
    out.append(
        f'<text x="14" y="{top + ph / 2:.1f}" font-size="12" fill="{_INK}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + ph / 2:.1f})">{escape(y_title)}</text>'
    )
    if limits:
        out.append(f'<g clip-path="url(#{chart_id}-clip)" fill="none">')
        y_t = sy(limits.target)
        out.append(
            f'<line x1="{left}" y1="{y_t:.1f}" x2="{left + pw}" y2="{y_t:.1f}" '
            f'stroke="{_INK}" stroke-width="1"/>'
        )
        n0 = min(max(x_hi / 400, 0.5), x_hi)
        grid = [n0 * (x_hi / n0) ** (i / 119) for i in range(120)]
        for z, dash in ((1.96, ' stroke-dasharray="4 3"'), (outer_z, "")):
            for sign in (-1, 1):
                pts = " ".join(
                    f"{sx(n):.1f},{sy(funnel_limit(limits, n, z, sign)):.1f}" for n in grid
                )
                out.append(f'<polyline points="{pts}" stroke="{_INK}" stroke-width="1.1"{dash}/>')
        out.append("</g>")
    for d in sorted(dots, key=lambda d: d.flag is not None):
        x, y = sx(d.n_eff), sy(d.rate)
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{5 if d.flag else 3.5}" '
            f'fill="{colour(d.flag)}" stroke="#ffffff" stroke-width="0.8">'
            f"<title>{escape(d.label)}</title></circle>"
        )
        if d.flag:
            right_side = x < left + pw * 0.7
            out.append(
                _text(
                    x + (7 if right_side else -7),
                    y + 4,
                    d.label,
                    anchor="start" if right_side else "end",
                    fill=colour(d.flag),
                    size=11,
                )
            )
    out.append("</svg>")
    return Markup("".join(out))


def ranking_svg(
    dots: Sequence[Dot],
    reference: float | None,
    *,
    reference_label: str,
    aria_label: str,
) -> Markup:
    """Dots with 95% intervals, one row per unit in the given (rank) order."""
    row, top, bottom, right = 22, 26, 30, 24
    label_w = min(280, max(90, max((_text_width(d.label, 12) for d in dots), default=0) + 16))
    w = 640
    h = top + bottom + row * max(len(dots), 1)
    pw = w - label_w - right
    values = [d.rate for d in dots]
    values += [v for d in dots for v in (d.ci_low, d.ci_high) if v is not None]
    if reference is not None:
        values.append(reference)
    lo, hi = _rate_range(values, step=0.05, pad=0.0)

    def sx(p: float) -> float:
        return label_w + pw * (p - lo) / (hi - lo)

    out = [_svg_open(w, h, aria_label)]
    axis_y = top + row * len(dots)
    for i, d in enumerate(dots):
        y = top + row * i + row / 2
        if i % 2 == 0:
            out.append(
                f'<rect x="0" y="{top + row * i}" width="{w}" height="{row}" fill="#f6f7f9"/>'
            )
        out.append(_text(label_w - 10, y + 4, d.label, anchor="end"))
    for x, label in [(sx(t), _pct_tick(t)) for t in _ticks(lo, hi, _nice_step((hi - lo) / 5))]:
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" stroke="{_GRID}"/>')
        out.append(_text(x, axis_y + 16, label, anchor="middle", size=11))
    if reference is not None:
        x = sx(reference)
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}" stroke="{_INK}" '
            f'stroke-dasharray="4 3"/>'
        )
        out.append(
            _text(x, top - 9, f"{reference_label} {reference * 100:.1f}%", anchor="middle", size=11)
        )
    for i, d in enumerate(dots):
        y = top + row * i + row / 2
        if d.ci_low is not None and d.ci_high is not None:
            out.append(
                f'<line x1="{sx(d.ci_low):.1f}" y1="{y:.1f}" x2="{sx(d.ci_high):.1f}" '
                f'y2="{y:.1f}" stroke="{colour(d.flag)}" stroke-width="2"/>'
            )
        out.append(
            f'<circle cx="{sx(d.rate):.1f}" cy="{y:.1f}" r="4.5" fill="{colour(d.flag)}">'
            f"<title>{escape(d.label)} {d.rate * 100:.1f}%</title></circle>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def mix_bar_svg(shares: Sequence[tuple[str, str, float]], *, width: int = 160) -> Markup:
    """A stacked bar of ``(channel, label, share)``; shares sum to 1."""
    out = [f'<svg class="mixbar" width="{width}" height="12" viewBox="0 0 {width} 12" role="img">']
    x = 0.0
    for name, label, share in shares:
        if share <= 0:
            continue
        bar = width * share
        out.append(
            f'<rect x="{x:.2f}" y="0" width="{bar:.2f}" height="12" fill="{channel_colour(name)}">'
            f"<title>{escape(label)} {share * 100:.1f}%</title></rect>"
        )
        x += bar
    out.append("</svg>")
    return Markup("".join(out))


# --- drawing helpers -------------------------------------------------------


def _svg_open(w: int, h: int, aria_label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}" role="img" aria-label="{escape(aria_label)}">'
    )


def _text(
    x: float, y: float, s: str, *, anchor: str = "start", fill: str = _INK, size: int = 12
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}">{escape(s)}</text>'
    )


def _y_axis(ticks: list[tuple[float, str]], x0: float, x1: float) -> list[str]:
    out = []
    for y, label in ticks:
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="{_GRID}"/>')
        out.append(_text(x0 - 6, y + 4, label, anchor="end", size=11))
    return out


def _x_axis(ticks: list[tuple[float, str]], y0: float, y1: float) -> list[str]:
    out = [
        f'<line x1="{ticks[0][0]:.1f}" y1="{y0}" x2="{ticks[-1][0]:.1f}" y2="{y0}" '
        f'stroke="{_INK}"/>'
    ]
    for x, label in ticks:
        out.append(f'<line x1="{x:.1f}" y1="{y1}" x2="{x:.1f}" y2="{y0}" stroke="{_GRID}"/>')
        out.append(_text(x, y0 + 16, label, anchor="middle", size=11))
    return out


def _pct_tick(p: float) -> str:
    return f"{p * 100:.0f}%" if abs(p * 100 - round(p * 100)) < 1e-9 else f"{p * 100:.1f}%"


def _rate_range(values: Sequence[float], *, step: float, pad: float = 0.01) -> tuple[float, float]:
    """A y-range on multiples of ``step`` that holds ``values``, within [0, 1]."""
    if not values:
        return 0.0, 1.0
    lo = max(0.0, math.floor((min(values) - pad) / step + 1e-9) * step)
    hi = min(1.0, math.ceil((max(values) + pad) / step - 1e-9) * step)
    if hi - lo < step:
        lo, hi = max(0.0, hi - step), min(1.0, lo + step)
    return lo, hi


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _nice_ceil(x: float) -> float:
    step = _nice_step(max(x, 1.0) / 5)
    return math.ceil(max(x, 1.0) / step) * step


def _ticks(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def _text_width(s: str, size: int) -> float:
    """Rough rendered width: CJK characters are square, Latin ones about half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in s)
