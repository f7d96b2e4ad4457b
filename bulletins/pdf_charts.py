"""Draw a :class:`~bulletins.charts.geometry.Chart` on an fpdf2 page, scaled to millimetres.

The same geometry as the SVG: every line, dot and label, at the same places.
Label boxes were sized generously for the fonts (``text_width``), so the real
text always fits in them and labels cannot collide here either.
"""

from __future__ import annotations

from fpdf import FPDF

from bulletins.charts.geometry import Chart, Circle, Line, Polyline, Rect, Text

PX_PER_PT = 0.75  # 1 CSS px = 0.75 pt


def _rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def draw_chart(pdf: FPDF, chart: Chart, x0: float, y0: float, width: float, font: str) -> float:
    """Draw ``chart`` with its top-left at (x0, y0) mm, ``width`` mm wide; returns its height."""
    k = width / chart.width

    def X(x: float) -> float:
        return x0 + x * k

    def Y(y: float) -> float:
        return y0 + y * k

    for item in chart.items:
        if isinstance(item, Rect):
            pdf.set_fill_color(*_rgb(item.fill))
            pdf.rect(X(item.x), Y(item.y), item.w * k, item.h * k, style="F")
        elif isinstance(item, Line | Polyline):
            pdf.set_draw_color(*_rgb(item.colour))
            pdf.set_line_width(max(item.width * k, 0.1))
            if item.dashed:
                pdf.set_dash_pattern(1.1, 0.8)
            if isinstance(item, Line):
                pdf.line(X(item.x1), Y(item.y1), X(item.x2), Y(item.y2))
            else:
                pdf.polyline([(X(x), Y(y)) for x, y in item.points])
            pdf.set_dash_pattern()
        elif isinstance(item, Circle):
            pdf.set_fill_color(*_rgb(item.fill))
            pdf.set_draw_color(255, 255, 255)
            pdf.set_line_width(0.15)
            pdf.circle(X(item.x), Y(item.y), item.r * k, style="DF")
        elif isinstance(item, Text):
            _text(pdf, item, X(item.x), Y(item.y), k, font)
    return chart.height * k


def _text(pdf: FPDF, t: Text, x: float, y: float, k: float, font: str) -> None:
    size_pt = t.size * k / 0.352778  # mm → pt
    pdf.set_font(font, "B" if t.bold else "", size=size_pt)
    pdf.set_text_color(*_rgb(t.colour))
    w = pdf.get_string_width(t.text)
    dx = {"start": 0.0, "middle": w / 2, "end": w}[t.anchor]
    if t.rotate:  # about the anchor point, as SVG's rotate(-90 x y)
        with pdf.rotation(90, x, y):
            pdf.text(x - dx, y, t.text)
    else:
        pdf.text(x - dx, y, t.text)
