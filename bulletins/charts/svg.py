"""Draw a :class:`~bulletins.charts.geometry.Chart` as inline SVG (HTML5, no xmlns, no URLs)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from bulletins.charts.geometry import Chart, Circle, Line, Polyline, Rect, Text, channel_colour


def to_svg(chart: Chart, aria_label: str) -> Markup:
    """The chart as one ``<svg>`` element; all text escaped."""
    out = [
        f'<svg class="chart" viewBox="0 0 {chart.width:.0f} {chart.height:.0f}" '
        f'width="{chart.width:.0f}" height="{chart.height:.0f}" role="img" '
        f'aria-label="{escape(aria_label)}">'
    ]
    for item in chart.items:
        out.append(_item(item))
    out.append("</svg>")
    return Markup("".join(out))


def _item(item: Line | Polyline | Circle | Rect | Text) -> str:
    if isinstance(item, Line):
        dash = ' stroke-dasharray="4 3"' if item.dashed else ""
        return (
            f'<line x1="{item.x1:.1f}" y1="{item.y1:.1f}" x2="{item.x2:.1f}" y2="{item.y2:.1f}" '
            f'stroke="{item.colour}" stroke-width="{item.width}"{dash}/>'
        )
    if isinstance(item, Polyline):
        dash = ' stroke-dasharray="4 3"' if item.dashed else ""
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in item.points)
        return (
            f'<polyline points="{pts}" fill="none" stroke="{item.colour}" '
            f'stroke-width="{item.width}"{dash}/>'
        )
    if isinstance(item, Circle):
        title = f"<title>{escape(item.title)}</title>" if item.title else ""
        return (
            f'<circle cx="{item.x:.1f}" cy="{item.y:.1f}" r="{item.r}" fill="{item.fill}" '
            f'stroke="#ffffff" stroke-width="0.8">{title}</circle>'
        )
    if isinstance(item, Rect):
        return (
            f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{item.w:.1f}" '
            f'height="{item.h:.1f}" fill="{item.fill}"/>'
        )
    rotate = f' transform="rotate(-90 {item.x:.1f} {item.y:.1f})"' if item.rotate else ""
    weight = ' font-weight="700"' if item.bold else ""
    return (
        f'<text x="{item.x:.1f}" y="{item.y:.1f}" font-size="{item.size}" fill="{item.colour}" '
        f'text-anchor="{item.anchor}"{weight}{rotate}>{escape(item.text)}</text>'
    )


def mix_bar_svg(shares: Sequence[tuple[str, str, float]], *, width: int = 140) -> Markup:
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
