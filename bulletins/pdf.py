"""Render the monthly bulletin as a PDF (A4), the same content as the HTML page.

Pure: :func:`render_pdf` returns ``bytes``; the caller writes the file. It builds
the same display values as the HTML (:func:`bulletins.view.bulletin_view`) and
draws the charts with fpdf2's own lines and circles, so nothing outside the
package is needed: Chinese is set in a subset of Noto Sans CJK SC Regular
(GB 2312 and the punctuation the bulletin prints; SIL OFL 1.1, see
``fonts/OFL.txt`` and ``fonts/make_subset.py``) that fpdf2 subsets again and
embeds. Headings are emboldened by stroking the outline (the package ships one
weight only, to keep it small).

Like the HTML, the PDF is refused (:class:`~bulletins.errors.BulletinRefused`)
when the month did not pass validation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from fpdf import FPDF
from fpdf.enums import TextMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from bulletins import charts, i18n
from bulletins.charts import Dot, Limits, funnel_limit
from bulletins.errors import BulletinRefused
from bulletins.i18n import Lang
from bulletins.model import BulletinData
from bulletins.view import GroupView, bulletin_view, check_data

DEFAULT_MIN_RESPONDENTS: Final = 30
FONT_PATH: Final = Path(__file__).parent / "fonts" / "NotoSansSC-Regular-GB2312.otf"
_FONT: Final = "notosc"
_MARGIN: Final = 15.0
_WIDTH: Final = 210.0 - 2 * _MARGIN  # A4 text width, mm

RGB = tuple[int, int, int]
_INK: Final[RGB] = (31, 41, 55)
_MUTED: Final[RGB] = (90, 98, 112)
_GRID: Final[RGB] = (220, 223, 228)
_ACCENT: Final[RGB] = (23, 61, 122)
_HEAD_FILL: Final[RGB] = (232, 236, 243)
_BAND: Final[RGB] = (246, 247, 249)
_CAUTION_FILL: Final[RGB] = (255, 246, 232)
_CAUTION_LINE: Final[RGB] = (213, 94, 0)


def render_pdf(
    data: BulletinData,
    lang: Lang = "zh",
    *,
    min_respondents: int = DEFAULT_MIN_RESPONDENTS,
) -> bytes:
    """The month's bulletin as one PDF document (A4, fonts embedded).

    ``min_respondents`` is only quoted in the text, as in
    :func:`bulletins.render.render_html`.

    Raises BulletinRefused when ``data.validation_ok`` is False, BulletinDataError
    when the frames lack promised columns, ValueError for an unknown language.
    """
    lang = i18n.check_lang(lang)
    if not data.validation_ok:
        raise BulletinRefused(data.month, data.data_docs_path)
    check_data(data)
    view = bulletin_view(data, lang, min_respondents)
    doc = _Doc(view, lang, _created(data))
    doc.masthead()
    doc.fieldwork()
    doc.district()
    doc.groups()
    doc.insufficient()
    doc.channels()
    doc.integrity()
    doc.method()
    try:
        return bytes(doc.output())
    finally:
        doc.close_fonts()


def _created(data: BulletinData) -> datetime:
    """The document date: ``generated_at`` when it reads as a time, else the month's first day."""
    try:
        return datetime.strptime(data.generated_at[:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    except ValueError:
        return datetime(int(data.month[:4]), int(data.month[5:7]), 1, tzinfo=UTC)


def _rgb(colour: str) -> RGB:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _Doc(FPDF):
    """One bulletin; each public method draws one section of the template."""

    def __init__(self, view: dict[str, Any], lang: Lang, created: datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.v = view
        self.t = view["t"]
        self.lg = lang
        self.wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.add_font(_FONT, "", str(FONT_PATH))
        self.set_font(_FONT, size=10)
        self.set_title(view["title"])
        self.set_author(view["issuer"])
        self.set_lang("zh-CN" if lang == "zh" else "en")
        self.set_creation_date(created)  # same data, same bytes
        self.add_page()

    def close_fonts(self) -> None:
        """fpdf2 opens font files lazily and keeps them open: close them once written."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    # --- page furniture -----------------------------------------------------

    def footer(self) -> None:
        self.set_y(-11)
        self._font(7.5, _MUTED)
        self.cell(_WIDTH / 2, 5, self.v["issuer"], align="L")
        self.cell(_WIDTH / 2, 5, f"{self.page_no()} / {{nb}}", align="R")

    def _font(self, size: float, colour: RGB = _INK) -> None:
        self.set_font(_FONT, size=size)
        self.set_text_color(*colour)

    @contextmanager
    def _bold(self, colour: RGB) -> Iterator[None]:
        """Stroke the glyph outlines in the text colour: a bold look from one weight."""
        self.set_draw_color(*colour)
        self.set_line_width(0.16)
        self.text_mode = TextMode.FILL_STROKE
        try:
            yield
        finally:
            self.text_mode = TextMode.FILL

    def _write(self, text: str, width: float, h: float, x: float | None = None) -> None:
        """``text`` in lines of at most ``width`` mm (see :func:`_wrap`), from ``x``."""
        x = self.l_margin if x is None else x
        for line in _wrap(self, text, width):
            self.set_x(x)
            self.cell(width, h, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _para(self, text: str, size: float = 9.0, colour: RGB = _INK, h: float = 4.6) -> None:
        self._font(size, colour)
        self._write(text, _WIDTH, h)

    def _need(self, height: float) -> None:
        if self.will_page_break(height):
            self.add_page()

    def _h2(self, text: str) -> None:
        self._need(40)
        self.ln(4)
        self._font(13.5, _ACCENT)
        with self._bold(_ACCENT):
            self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_ACCENT)
        self.set_line_width(0.4)
        self.line(_MARGIN, self.get_y(), _MARGIN + _WIDTH, self.get_y())
        self.ln(2.5)

    def _h3(self, text: str) -> None:
        self._need(50)
        self.ln(2)
        self._font(11.5, _INK)
        with self._bold(_INK):
            self.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _caution(self, text: str) -> None:
        self._font(9, _INK)
        height = 4.6 * len(_wrap(self, text, _WIDTH - 6)) + 4
        self._need(height + 2)
        y = self.get_y()
        self.set_fill_color(*_CAUTION_FILL)
        self.rect(_MARGIN, y, _WIDTH, height, style="F")
        self.set_fill_color(*_CAUTION_LINE)
        self.rect(_MARGIN, y, 1.2, height, style="F")
        self.set_y(y + 2)
        self._write(text, _WIDTH - 6, 4.6, _MARGIN + 4)
        self.set_xy(_MARGIN, y + height + 2)

    def _kpis(self, items: Sequence[tuple[str, str]]) -> None:
        gap = 3.0
        w = (_WIDTH - gap * (len(items) - 1)) / len(items)
        self._need(22)
        y = self.get_y()
        for i, (label, value) in enumerate(items):
            x = _MARGIN + i * (w + gap)
            self.set_fill_color(*_BAND)
            self.rect(x, y, w, 19, style="F")
            self.set_xy(x + 2, y + 2)
            self._font(14, _ACCENT)
            self.cell(w - 4, 8, value, align="L")
            self.set_y(y + 10.5)
            self._font(7.5, _MUTED)
            self._write(label, w - 4, 3.4, x + 2)
        self.set_xy(_MARGIN, y + 22)

    def _table(
        self,
        heads: Sequence[str],
        rows: Sequence[Sequence[str | tuple[str, RGB]]],
        widths: Sequence[float],
        numeric: Sequence[bool],
        *,
        footer: Sequence[str] | None = None,
    ) -> None:
        """A table with a shaded head repeated on each page; a cell may carry its colour."""
        self._font(8.5, _INK)
        self.set_draw_color(*_GRID)
        self.set_line_width(0.2)
        align = tuple("RIGHT" if n else "LEFT" for n in numeric)
        head_style = FontFace(color=_INK, fill_color=_HEAD_FILL)
        self._need(7 + 6 * min(len(rows) + 1, 3))
        self.set_fill_color(*_BAND)  # fpdf2 fills the banded rows with the current colour
        with self.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align="LEFT",
            text_align=align,
            headings_style=head_style,
            line_height=4.6,
            padding=(0.8, 1.2),
            wrapmode=self.wrap,
            borders_layout="HORIZONTAL_LINES",
            cell_fill_color=_BAND,
            cell_fill_mode="ROWS",
        ) as table:
            head = table.row()
            for text, w in zip(heads, widths, strict=True):
                head.cell("\n".join(_wrap(self, text, w - 2.6)))
            for cells in [*rows, *([footer] if footer else [])]:
                row = table.row()
                for cell, w in zip(cells, widths, strict=True):
                    text, colour = cell if isinstance(cell, tuple) else (cell, None)
                    text = "\n".join(_wrap(self, text, w - 2.6))
                    row.cell(text, style=FontFace(color=colour) if colour else None)
        self.ln(2)

    # --- sections -------------------------------------------------------------

    def masthead(self) -> None:
        v = self.v
        self._font(9.5, _MUTED)
        self.cell(0, 5, v["issuer"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._font(17, _INK)
        with self._bold(_INK):
            self._write(v["title"], _WIDTH, 8.5)
        meta = " · ".join(x for x in (v["generated"], self.t["validated"], v["data_docs"]) if x)
        self._para(meta, 8, _MUTED, 4.2)
        self.set_draw_color(*_INK)
        self.set_line_width(0.6)
        self.line(_MARGIN, self.get_y() + 1, _MARGIN + _WIDTH, self.get_y() + 1)
        self.ln(3)

    def fieldwork(self) -> None:
        fw, t = self.v["fieldwork"], self.t
        self._h2(t["s_fieldwork"])
        self._kpis([(label, value) for label, value in fw["totals"]])
        rows = [
            [(f"■ {name}", _rgb(colour)), contacted, responded, rate]
            for name, contacted, responded, rate, colour in fw["channels"]
        ]
        self._table(
            [t["fw_channel"], t["fw_contacted"], t["fw_responded"], t["fw_ch_rr"]],
            rows,
            (40, 30, 30, 30),
            (False, True, True, True),
            footer=[t["fw_total"], *fw["total"]],
        )

    def district(self) -> None:
        d, t = self.v["district"], self.t
        self._h2(t["s_district"])
        self._need(26)
        y = self.get_y()
        self.set_fill_color(*_BAND)
        self.rect(_MARGIN, y, _WIDTH, 22, style="F")
        self.set_xy(_MARGIN + 4, y + 2)
        self._font(9, _MUTED)
        self.cell(0, 5, t["district_rate"])
        self.set_xy(_MARGIN + 4, y + 8)
        self._font(22, _ACCENT)
        with self._bold(_ACCENT):
            self.cell(48, 11, d["rate"])
        self._font(9.5, _INK)
        self.cell(0, 11, f"{d['ci']}，{d['n']}" if self.lg == "zh" else f"{d['ci']}, {d['n']}")
        self.set_xy(_MARGIN, y + 26)

    def groups(self) -> None:
        v, t = self.v, self.t
        self._h2(t["s_groups"])
        self._caution(t["caution"])
        for g in v["groups"]:
            self._group(g)
        if v["has_previous"]:
            self._para(t["change_note"], 8, _MUTED, 4)

    def _group(self, g: GroupView) -> None:
        t, has_prev = self.t, self.v["has_previous"]
        self._h3(g.name)
        for line in g.summary:
            self._para(line, 9, _INK)
        if not g.lines:
            return
        self.ln(1)
        heads = [
            t["col_rank"],
            t["col_rank_interval"],
            t["col_unit"],
            t["col_responded"],
            t["col_rr"],
            t["col_rate"],
            t["col_ci"],
        ]
        widths = [11.0, 15.0, 0.0, 15.0, 15.0, 15.0, 25.0]
        numeric = [True, True, False, True, True, True, True]
        if has_prev:
            heads.append(t["col_change"])
            widths.append(19.0)
            numeric.append(True)
        heads.append(t["col_flag"])
        widths.append(25.0)
        numeric.append(False)
        self._font(8.5)
        widths = [  # a header word is never split
            max(w, max(self.get_string_width(tok) for tok in _tokens(h)) + 3.0) if w else 0.0
            for w, h in zip(widths, heads, strict=True)
        ]
        widths[2] = _WIDTH - sum(widths)
        rows: list[list[str | tuple[str, RGB]]] = []
        for u in g.lines:
            cells: list[str | tuple[str, RGB]] = [
                u.rank,
                u.rank_interval,
                u.name,
                u.responded,
                u.response_rate,
                u.rate,
                u.ci,
            ]
            if has_prev:
                cells.append(u.change)
            badge = (
                "，".join(b.words for b in u.badges)
                if self.lg == "zh"
                else "; ".join(b.words for b in u.badges)
            )
            cells.append((badge, _rgb(u.badges[0].colour)) if u.badges else "")
            rows.append(cells)
        self._table(heads, rows, widths, numeric)
        self._funnel(g.dots, g.limits)
        self._para(self.v["funnel_caption"], 7.5, _MUTED, 3.8)
        self.ln(2)
        self._ranking(g.dots, g.reference)
        self._para(t["rank_caption"], 7.5, _MUTED, 3.8)
        self.ln(2)

    def insufficient(self) -> None:
        v, t = self.v, self.t
        self._h2(t["s_insufficient"])
        if not v["insufficient"]:
            self._para(t["insufficient_none"])
            return
        self._para(v["insufficient_note"])
        self.ln(1)
        rows = [[u["group"], u["name"], u["sampled"], u["responded"]] for u in v["insufficient"]]
        self._table(
            [t["col_peer_group"], t["col_unit"], t["col_sampled"], t["col_responded"]],
            rows,
            (30, 80, 25, 25),
            (False, False, True, True),
        )

    def channels(self) -> None:
        mix, t = self.v["mix"], self.t
        self._h2(t["s_channels"])
        if not mix["rows"]:
            self._para(t["channels_none"])
            return
        self._para(t["channels_note"])
        self.ln(1)
        names = [name for name, _ in mix["channels"]]
        bar_w = 36.0
        self._font(8)
        group_w = min(34.0, max(self.get_string_width(r["group"]) for r in mix["rows"]) + 3)
        cell_w = min(26.0, (_WIDTH - bar_w - group_w - 44) / max(len(names), 1))
        unit_w = _WIDTH - bar_w - group_w - cell_w * len(names)
        widths = [group_w, unit_w, *[cell_w] * len(names), bar_w]
        heads = [t["col_peer_group"], t["col_unit"], *names, ""]
        row_h = 5.0

        def head() -> None:
            self._font(8.5, _INK)
            self.set_fill_color(*_HEAD_FILL)
            for i, (text, w) in enumerate(zip(heads, widths, strict=True)):
                colour = _rgb(mix["channels"][i - 2][1]) if 2 <= i < 2 + len(names) else _INK
                self.set_text_color(*colour)
                self.cell(
                    w, row_h + 1, text, align="R" if 2 <= i < 2 + len(names) else "L", fill=True
                )
            self.ln(row_h + 1)

        self._need(row_h * 4)
        head()
        for k, r in enumerate(mix["rows"]):
            if self.will_page_break(row_h):
                self.add_page()
                head()
            y = self.get_y()
            if k % 2:
                self.set_fill_color(*_BAND)
                self.rect(_MARGIN, y, _WIDTH, row_h, style="F")
            self._font(8, _INK)
            self.cell(group_w, row_h, _fit(self, r["group"], group_w - 1))
            self.cell(unit_w, row_h, _fit(self, r["name"], unit_w - 1))
            for cell in r["cells"]:
                self.cell(cell_w, row_h, cell, align="R")
            x = self.get_x() + 2
            for name, _label, share in r["shares"]:
                if share > 0:
                    self.set_fill_color(*_rgb(charts.channel_colour(name)))
                    self.rect(x, y + 1.2, (bar_w - 3) * share, row_h - 2.4, style="F")
                    x += (bar_w - 3) * share
            self.ln(row_h)
        self.ln(2)

    def integrity(self) -> None:
        i, t = self.v["integrity"], self.t
        self._h2(t["s_integrity"])
        self._kpis(
            [
                (t["int_reports"], i["reports"]),
                (t["int_units"], i["units"]),
                (t["int_followups"], i["followups"]),
            ]
        )
        self._para(t["int_note"], 8.5, _MUTED)

    def method(self) -> None:
        t = self.t
        self._h2(t["s_method"])
        self._caution(t["caution"])
        for k, paragraph in enumerate(self.v["method"], start=1):
            self._need(12)
            self._font(9, _INK)
            y = self.get_y()
            self.cell(7, 4.6, f"{k}.")
            self.set_y(y)
            self._write(paragraph, _WIDTH - 7, 4.6, _MARGIN + 7)
            self.ln(1.2)

    # --- charts -------------------------------------------------------------------

    def _axis_text(self, x: float, y: float, s: str, align: str = "C", size: float = 7) -> None:
        self._font(size, _MUTED)
        w = self.get_string_width(s)
        dx = {"C": w / 2, "R": w, "L": 0.0}[align]
        self.text(x - dx, y, s)

    def _funnel(self, dots: Sequence[Dot], limits: Limits | None) -> None:
        """Spiegelhalter's funnel plot, as :func:`bulletins.charts.funnel_svg` draws it."""
        height = 78.0
        self._need(height + 10)
        x0, y0 = _MARGIN, self.get_y()
        left, right, top, bottom = 15.0, 3.0, 3.0, 12.0
        pw, ph = _WIDTH - left - right, height - top - bottom
        n_max = max((d.n_eff for d in dots), default=10.0)
        x_hi = charts._nice_ceil(n_max * 1.08)
        n_min = min((d.n_eff for d in dots), default=x_hi / 10)
        rates = [d.rate for d in dots]
        if limits:
            n_low = max(n_min, 1.0)
            rates += [limits.target, funnel_limit(limits, n_low, 1.96, +1)]
            rates += [funnel_limit(limits, n_low, limits.z, -1)]
        y_lo, y_hi = charts._rate_range(rates, step=0.05)

        def sx(n: float) -> float:
            return x0 + left + pw * n / x_hi

        def sy(p: float) -> float:
            return y0 + top + ph * (y_hi - p) / (y_hi - y_lo)

        self.set_line_width(0.15)
        self.set_draw_color(*_GRID)
        for tick in charts._ticks(y_lo, y_hi, 0.05):
            self.line(sx(0), sy(tick), sx(x_hi), sy(tick))
            self._axis_text(sx(0) - 1.5, sy(tick) + 1.2, charts._pct_tick(tick), "R")
        for tick in charts._ticks(0.0, x_hi, charts._nice_step(x_hi / 5)):
            self.set_draw_color(*_GRID)
            self.line(sx(tick), sy(y_hi), sx(tick), sy(y_lo))
            self._axis_text(sx(tick), sy(y_lo) + 4, f"{tick:g}")
        self.set_draw_color(*_INK)
        self.set_line_width(0.25)
        self.line(sx(0), sy(y_lo), sx(x_hi), sy(y_lo))
        self._axis_text(sx(x_hi / 2), y0 + height - 2, i18n.text(self.lg, "axis_n_eff"), "C", 7.5)
        with self.rotation(90, x0 + 3.5, sy((y_lo + y_hi) / 2)):
            self._axis_text(
                x0 + 3.5, sy((y_lo + y_hi) / 2), i18n.text(self.lg, "axis_rate"), "C", 7.5
            )
        if limits:
            with self.rect_clip(sx(0), sy(y_hi), pw, ph):
                self.set_draw_color(*_INK)
                self.set_line_width(0.25)
                self.line(sx(0), sy(limits.target), sx(x_hi), sy(limits.target))
                n0 = min(max(x_hi / 400, 0.5), x_hi)
                grid = [n0 * (x_hi / n0) ** (i / 119) for i in range(120)]
                for z, dashed in ((1.96, True), (limits.z, False)):
                    self.set_dash_pattern(1.2, 0.9) if dashed else self.set_dash_pattern()
                    for sign in (-1, 1):
                        pts = [(sx(n), sy(funnel_limit(limits, n, z, sign))) for n in grid]
                        self.polyline(pts)
                self.set_dash_pattern()
        self.set_draw_color(255, 255, 255)
        self.set_line_width(0.15)
        for d in sorted(dots, key=lambda d: d.flag is not None):
            self.set_fill_color(*_rgb(charts.colour(d.flag)))
            self.circle(sx(d.n_eff), sy(d.rate), 1.25 if d.flag else 0.9, style="DF")
        placed: list[tuple[float, float, float, float]] = []
        for d in sorted(dots, key=lambda d: (d.flag == "top", -d.n_eff)):
            if not d.flag:
                continue
            x, y = sx(d.n_eff), sy(d.rate)
            self._font(6.5, _rgb(charts.colour(d.flag)))
            w = self.get_string_width(d.label)
            tx = x + 1.8 if x < x0 + left + pw * 0.7 else x - 1.8 - w
            if y < y0 + top + 3:  # under the dot, off the 100% line
                y += 2.8
            box = (tx - 0.5, y - 2.0, tx + w + 0.5, y + 1.5)
            if any(_overlap(box, other) for other in placed):
                continue  # crowded: the table names every flagged unit
            placed.append(box)
            self.text(tx, y + 0.9, d.label)
        self.set_xy(_MARGIN, y0 + height)

    def _ranking(self, dots: Sequence[Dot], reference: float | None) -> None:
        """Dots and 95% intervals in rank order, as :func:`bulletins.charts.ranking_svg`."""
        row, top, bottom = 4.4, 6.0, 7.0
        self._font(7, _INK)
        label_w = min(62.0, max((self.get_string_width(d.label) for d in dots), default=0) + 4)
        height = top + bottom + row * max(len(dots), 1)
        self._need(height + 10)
        x0, y0 = _MARGIN, self.get_y()
        pw = _WIDTH - label_w - 4
        values = [d.rate for d in dots]
        values += [v for d in dots for v in (d.ci_low, d.ci_high) if v is not None]
        if reference is not None:
            values.append(reference)
        lo, hi = charts._rate_range(values, step=0.05, pad=0.0)

        def sx(p: float) -> float:
            return x0 + label_w + pw * (p - lo) / (hi - lo)

        axis_y = y0 + top + row * len(dots)
        for i, d in enumerate(dots):
            y = y0 + top + row * i
            if i % 2 == 0:
                self.set_fill_color(*_BAND)
                self.rect(x0, y, _WIDTH, row, style="F")
            self._font(7, _INK)
            label = _fit(self, d.label, label_w - 3)
            self.text(x0 + label_w - 2 - self.get_string_width(label), y + row / 2 + 1.1, label)
        self.set_line_width(0.15)
        for tick in charts._ticks(lo, hi, charts._nice_step((hi - lo) / 5)):
            self.set_draw_color(*_GRID)
            self.line(sx(tick), y0 + top, sx(tick), axis_y)
            self._axis_text(sx(tick), axis_y + 4, charts._pct_tick(tick))
        if reference is not None:
            self.set_draw_color(*_INK)
            self.set_line_width(0.25)
            self.set_dash_pattern(1.2, 0.9)
            self.line(sx(reference), y0 + top - 1, sx(reference), axis_y)
            self.set_dash_pattern()
            self._axis_text(
                sx(reference),
                y0 + top - 2,
                f"{i18n.text(self.lg, 'peer_rate')} {reference * 100:.1f}%",
            )
        for i, d in enumerate(dots):
            y = y0 + top + row * i + row / 2
            colour = _rgb(charts.colour(d.flag))
            if d.ci_low is not None and d.ci_high is not None:
                self.set_draw_color(*colour)
                self.set_line_width(0.5)
                self.line(sx(d.ci_low), y, sx(d.ci_high), y)
            self.set_fill_color(*colour)
            self.circle(sx(d.rate), y, 1.0, style="F")
        self.set_xy(_MARGIN, y0 + height)


# Chinese line breaking (GB/T 15834 practice, "kinsoku"): no line starts with a
# closing mark nor ends with an opening one, and a Latin word or number is not split.
_CLOSING: Final = frozenset("，。、；：？！）》」』】〕〉”’%‰…,.;:?!)]}·")
_OPENING: Final = frozenset("（《「『【〔〈“‘([{")
_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%'’\-–/+×=]*|\s+|.", re.S)


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: a Latin word, a space run, or one character, with closing
    marks glued to what precedes them and opening marks to what follows."""
    out: list[str] = []
    carry = ""
    for tok in _TOKEN.findall(text):
        if tok in _OPENING or (carry and tok[0] in _OPENING):
            carry += tok
            continue
        tok, carry = carry + tok, ""
        if out and tok[0] in _CLOSING and not out[-1].isspace():
            out[-1] += tok
        else:
            out.append(tok)
    if carry:
        out.append(carry)
    return out


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` broken greedily into lines that fit ``width`` mm in the current font."""
    lines: list[str] = []
    for part in text.split("\n"):
        line = ""
        for tok in _tokens(part):
            if line and pdf.get_string_width(line + tok) > width:
                lines.append(line.rstrip())
                line = "" if tok.isspace() else tok
            else:
                line += tok
        lines.append(line.rstrip())
    return lines


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to ``width`` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


__all__ = ["DEFAULT_MIN_RESPONDENTS", "FONT_PATH", "render_pdf"]
