"""Charts of the bulletin: the geometry is computed once, then drawn twice.

::

    geometry.py   primitives (lines, circles, text, boxes) in chart units (1 unit = 1 px)
    limits.py     binomial (process) control limits of the funnel (Spiegelhalter 2005)
    labels.py     label placement: no two labels overlap, none is dropped
    funnel.py     the funnel plot: respondents across, satisfaction rate up
    ranking.py    the ranking chart: the model's estimate and interval per unit
    svg.py        geometry → inline SVG (HTML)

The PDF renderer (:mod:`bulletins.pdf_charts`) draws the same :class:`Chart` with
fpdf2, scaled to millimetres, so both outputs show the same picture.
"""

from __future__ import annotations

from bulletins.charts.funnel import FunnelDot, funnel_chart
from bulletins.charts.geometry import Chart, colour
from bulletins.charts.limits import binomial_limit
from bulletins.charts.ranking import RankRow, ranking_chart
from bulletins.charts.svg import mix_bar_svg, to_svg

__all__ = [
    "Chart",
    "FunnelDot",
    "RankRow",
    "binomial_limit",
    "colour",
    "funnel_chart",
    "mix_bar_svg",
    "ranking_chart",
    "to_svg",
]
