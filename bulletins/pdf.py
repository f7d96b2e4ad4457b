"""Render the monthly bulletin as a PDF (A4) laid out as a 公文 (GB/T 9704-2012).

Pure: :func:`render_pdf` returns ``bytes``; the caller writes the file. It draws
the same :class:`~bulletins.document.Document` as the HTML page and the same
chart geometry (:mod:`bulletins.pdf_charts`). Page: 版心 156 × 225 mm (margins
top 37, left 28, right 26 mm); red 发文机关标志 and rule, 发文字号 and 签发人,
title in serif bold, body in serif 16 pt, 一、 headings in sans (黑体), page
numbers "— n —" outside (odd right, even left), attachments on new pages, and
the 版记 (抄送, 印发) at the foot of the last page. Fonts: :mod:`bulletins.pdf_fonts`
(embedded subsets; a character they lack is refused, never printed as a box).

Like the HTML, the PDF is refused (:class:`~bulletins.errors.BulletinRefused`)
when the month did not pass validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bulletins import i18n
from bulletins.charts.geometry import Text
from bulletins.document import Attachment, Block, Document, Figure, Heading, Link, Para, Table
from bulletins.frames import generated_local
from bulletins.i18n import Lang
from bulletins.model import BulletinData
from bulletins.pdf_charts import draw_chart
from bulletins.pdf_fonts import SANS, SANS_BOLD, SERIF, SERIF_BOLD, check_coverage
from bulletins.pdf_tables import TableMixin
from bulletins.pdf_text import wrap
from bulletins.render import DEFAULT_MIN_RESPONDENTS, refuse_unless_validated
from bulletins.view import build_document

LEFT: Final = 28.0
RIGHT: Final = 26.0
TOP: Final = 37.0
BOTTOM: Final = 35.0
WIDTH: Final = 210.0 - LEFT - RIGHT  # 156 mm
PAGE_BOTTOM: Final = 297.0 - BOTTOM
RED: Final = (212, 0, 0)
INK: Final = (17, 17, 17)
MUTED: Final = (75, 85, 99)
PT: Final = 0.352778  # mm per point
SIGNATURE_TIGHT = 2.5  # lines the signature block needs at least: a half-line gap, issuer, date


def render_pdf(
    data: BulletinData,
    lang: Lang = "zh",
    *,
    min_respondents: int = DEFAULT_MIN_RESPONDENTS,
) -> bytes:
    """The month's bulletin as one PDF (A4, fonts embedded).

    Raises BulletinRefused when ``data.validation_ok`` is False, BulletinDataError
    when the frames lack promised columns, BulletinFontError when a character to
    print is missing from the fonts, ValueError for an unknown language.
    """
    lang = i18n.check_lang(lang)
    refuse_unless_validated(data)
    doc = build_document(data, lang, min_respondents)
    check_coverage(printed_texts(doc))
    pdf = _Pdf(doc, lang, generated_local(data))
    try:
        pdf.write_document()
        return bytes(pdf.output())
    finally:
        pdf.close_fonts()


def printed_texts(doc: Document) -> Iterator[tuple[str, str]]:
    """Every ``(where, text)`` the PDF prints, for the font coverage check."""
    for name in ("title", "masthead", "doc_number", "signer", "recipients", "issuer"):
        yield name, getattr(doc, name)
    for name in ("issue_date", "copy_to", "printed_by", "printed_date", "generated"):
        yield name, getattr(doc, name)
    yield "page numbers", "— 0123456789 —"
    yield "attachments", "".join(doc.attachment_lines) + i18n.labels(doc.lang)["attachments"]
    for where, blocks in (("body", doc.body), *((a.label, a.blocks) for a in doc.attachments)):
        yield where, where
        for b in blocks:
            if isinstance(b, Heading | Para):
                yield where, b.text + getattr(b, "lead", "")
            elif isinstance(b, Table):
                yield where, b.caption + "".join(b.heads)
                for row in (*b.rows, *([b.footer] if b.footer else [])):
                    for cell in row:
                        yield f"{where}: {row[1].text if len(row) > 1 else ''}", cell.text
            elif isinstance(b, Figure):
                yield where, b.caption + b.key_label + "".join(b.key)
                for item in b.chart.items:
                    if isinstance(item, Text):
                        yield f"{where}: chart", item.text
    for a in doc.attachments:
        yield a.label, a.label + a.title


class _Pdf(TableMixin, FPDF):
    """One bulletin: :meth:`write_document` draws the document in order."""

    def __init__(self, doc: Document, lang: Lang, created: datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.d = doc
        self.lg = lang
        self.set_margins(LEFT, TOP, RIGHT)
        self.set_auto_page_break(True, margin=BOTTOM)
        self.add_font("serif", "", str(SERIF))
        self.add_font("serif", "B", str(SERIF_BOLD))
        self.add_font("sans", "", str(SANS))
        self.add_font("sans", "B", str(SANS_BOLD))
        self.set_title(doc.title)
        self.set_author(doc.issuer)
        self.set_lang(doc.html_lang)
        self.set_creation_date(created)  # same data, same bytes
        self.body_size, self.pitch = 16.0, 9.6

    def close_fonts(self) -> None:
        """fpdf2 opens font files lazily and keeps them open: close them once written."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def footer(self) -> None:
        self.set_font("serif", size=14)
        self.set_text_color(*INK)
        label = i18n.text(self.lg, "page", n=self.page_no())
        w = self.get_string_width(label)
        em = 14 * PT
        x = 210 - RIGHT - em - w if self.page_no() % 2 else LEFT + em
        self.text(x, PAGE_BOTTOM + 9, label)

    # --- text ------------------------------------------------------------------------

    def _font(
        self, family: str, size: float, colour: tuple[int, int, int] = INK, bold: bool = False
    ) -> None:
        self.set_font(family, "B" if bold else "", size=size)
        self.set_text_color(*colour)

    def _lines(
        self, lines: list[str], pitch: float, x: float, first_x: float | None = None
    ) -> None:
        for k, line in enumerate(lines):
            if self.will_page_break(pitch):
                self.add_page()
            self.set_xy(first_x if (k == 0 and first_x is not None) else x, self.get_y())
            self.cell(0, pitch, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _para(
        self,
        text: str,
        *,
        lead: str = "",
        size: float | None = None,
        indent: float = 2.0,
        family: str = "serif",
    ) -> None:
        size = size or self.body_size
        pitch = self.pitch * size / self.body_size
        em = size * PT
        self._font(family, size)
        lines = wrap(self, lead + text, WIDTH, WIDTH - indent * em)
        if lead and lines and lines[0].startswith(lead):
            if self.will_page_break(pitch):
                self.add_page()
            y = self.get_y()
            self._font(family, size, bold=True)
            self.set_xy(LEFT + indent * em, y)
            self.cell(self.get_string_width(lead), pitch, lead)
            self._font(family, size)
            self.cell(0, pitch, lines[0][len(lead) :], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            lines = lines[1:]
            self._lines(lines, pitch, LEFT)
        else:
            self._lines(lines, pitch, LEFT, LEFT + indent * em)

    def _heading(self, h: Heading) -> None:
        if self.will_page_break(self.pitch * 3):
            self.add_page()
        if h.level == 1:
            self._font("sans", self.body_size)
        else:
            self._font("serif", self.body_size, bold=True)
        self._lines(
            wrap(self, h.text, WIDTH, WIDTH - 2 * self.body_size * PT),
            self.pitch,
            LEFT,
            LEFT + 2 * self.body_size * PT,
        )

    def _caution(self, text: str) -> None:
        size = self.body_size - 3
        self._font("serif", size)
        lines = wrap(self, text, WIDTH - 8)
        pitch = self.pitch * 0.72
        h = pitch * len(lines) + 3
        if self.will_page_break(h + 2):
            self.add_page()
        y = self.get_y() + 1
        self.set_fill_color(255, 251, 235)
        self.rect(LEFT, y, WIDTH, h, style="F")
        self.set_fill_color(180, 83, 9)
        self.rect(LEFT, y, 1.2, h, style="F")
        self.set_y(y + 1.5)
        self._lines(lines, pitch, LEFT + 5)
        self.set_y(y + h + 2)

    # --- document --------------------------------------------------------------------

    def write_document(self) -> None:
        self.add_page()
        self._banner()
        self._blocks(self.d.body)
        # the signature never stands alone on a page (GB/T 9704 7.3.5): when it cannot follow
        # the attachment note even with less space before it, both go to the next page
        if self.will_page_break(self.pitch * (1 + len(self.d.attachment_lines) + SIGNATURE_TIGHT)):
            self.add_page()
        self._attachment_note()
        self._signature()
        for a in self.d.attachments:
            self._attachment(a)
        self._colophon()

    def _banner(self) -> None:
        d = self.d
        size = 30.0
        self._font("serif", size, RED, bold=True)
        while self.get_string_width(d.masthead) > WIDTH and size > 16:
            size -= 1
            self.set_font("serif", "B", size=size)
        self.set_y(TOP + 8)
        self.cell(
            WIDTH, size * PT * 1.3, d.masthead, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(self.pitch * 0.9)
        self._font("serif", self.body_size)
        em = self.body_size * PT
        if d.signer:
            y = self.get_y()
            self.set_x(LEFT + em)
            self.cell(WIDTH / 2, self.pitch, d.doc_number)
            self.set_xy(LEFT + WIDTH / 2, y)
            self.cell(
                WIDTH / 2 - em, self.pitch, d.signer, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        elif d.doc_number:
            self.cell(
                WIDTH, self.pitch, d.doc_number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        y = self.get_y() + 3
        self.set_draw_color(*RED)
        self.set_line_width(0.6)
        self.line(LEFT, y, LEFT + WIDTH, y)
        self.set_y(y + self.pitch * 1.2)
        self._title(d.title, d.title_lines)
        self.ln(self.pitch * 0.5)
        self._font("serif", self.body_size)
        self._lines(wrap(self, d.recipients, WIDTH), self.pitch, LEFT)

    def _title(self, title: str, breaks: tuple[str, ...] = ()) -> None:
        """The title centred; when it needs two lines, broken where the words allow."""
        self._font("serif", 22, bold=True)
        lines = [title]
        if self.get_string_width(title) > WIDTH - 10:
            fits = breaks and all(self.get_string_width(b) <= WIDTH - 10 for b in breaks)
            lines = list(breaks) if fits else wrap(self, title, WIDTH - 10)
        for line in lines:
            self.cell(WIDTH, 22 * PT * 1.55, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _blocks(self, blocks: tuple[Block, ...]) -> None:
        for k, b in enumerate(blocks):
            if isinstance(b, Heading):
                after = blocks[k + 1] if k + 1 < len(blocks) else None
                if isinstance(after, Figure):  # keep a heading with its chart
                    keep = after.chart.height * WIDTH / after.chart.width + 12
                    if self.will_page_break(self.pitch + keep):
                        self.add_page()
                elif isinstance(after, Table) and self.will_page_break(self.pitch + 30):
                    self.add_page()
                self._heading(b)
            elif isinstance(b, Para):
                if b.kind == "caution":
                    self._caution(b.text)
                elif b.kind == "note":
                    self._para(b.text, size=self.body_size - 4, indent=0)
                else:
                    self._para(b.text, lead=b.lead)
            elif isinstance(b, Table):
                self.table_block(b, LEFT, WIDTH)
            elif isinstance(b, Figure):
                self._figure(b)
            elif isinstance(b, Link):
                continue  # a link target is never printed on paper

    def _figure(self, f: Figure) -> None:
        k = WIDTH / f.chart.width
        height = f.chart.height * k
        self._font("sans", 9)
        caption = wrap(self, f.caption, WIDTH)
        key = self._entries(f.key_label, f.key, WIDTH) if f.key else []
        if self.will_page_break(height + 4.5 * len(caption) + 4):
            self.add_page()
        y = self.get_y() + 2
        draw_chart(self, f.chart, LEFT, y, WIDTH, "sans")
        self.set_y(y + height + 1)
        self._font("sans", 9, MUTED)
        for line in caption:
            self.cell(WIDTH, 4.5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._font("sans", 8.5, MUTED)
        self._lines(key, 4.3, LEFT)
        self.ln(3)

    def _entries(self, label: str, entries: tuple[str, ...], width: float) -> list[str]:
        """``label`` then the entries, packed into lines without splitting an entry."""
        self._font("sans", 8.5)
        gap = "　" if self.lg == "zh" else "   "
        lines, line = [], label
        for entry in entries:
            candidate = line + (gap if line != label else "") + entry
            if line != label and self.get_string_width(candidate) > width:
                lines.append(line)
                line = entry
            else:
                line = candidate
        return [*lines, line]

    def _attachment_note(self) -> None:
        self.ln(self.pitch)
        self._font("serif", self.body_size)
        em = self.body_size * PT
        label = i18n.labels(self.lg)["attachments"]
        x = LEFT + 2 * em + self.get_string_width(label)
        for k, line in enumerate(self.d.attachment_lines):
            if self.will_page_break(self.pitch):
                self.add_page()
            if k == 0:
                self.set_x(LEFT + 2 * em)
                self.cell(self.get_string_width(label), self.pitch, label)
            self.set_x(x)
            self.cell(0, self.pitch, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _signature(self) -> None:
        self._font("serif", self.body_size)
        em = self.body_size * PT
        gap = 1.5 if not self.will_page_break(self.pitch * (2 + 1.5)) else SIGNATURE_TIGHT - 2
        if self.will_page_break(self.pitch * (2 + gap)):
            self.add_page()
        self.ln(self.pitch * gap)
        dw = self.get_string_width(self.d.issue_date)
        date_x = LEFT + WIDTH - 4 * em - dw
        centre = date_x + dw / 2
        iw = self.get_string_width(self.d.issuer)
        self.set_x(min(centre - iw / 2, LEFT + WIDTH - iw))
        self.cell(iw, self.pitch, self.d.issuer, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_x(date_x)
        self.cell(dw, self.pitch, self.d.issue_date, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _attachment(self, a: Attachment) -> None:
        self.add_page()
        self.body_size, self.pitch = 14.0, 7.6
        self._font("sans", 16)
        self.cell(0, 9, a.label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)
        self._title(a.title)
        self.ln(4)
        self._blocks(a.blocks)

    def _colophon(self) -> None:
        """版记: 抄送 and 印发 between lines at the foot of the last page."""
        size, row = 14.0, 8.0
        rows = [r for r in (self.d.copy_to,) if r] + ["printed"]
        height = row * len(rows)
        if self.get_y() + height + 6 > PAGE_BOTTOM:
            self.add_page()
        y = PAGE_BOTTOM - height
        self.set_draw_color(*INK)
        self.set_line_width(0.35)
        self.line(LEFT, y, LEFT + WIDTH, y)
        self._font("serif", size)
        em = size * PT
        for k, r in enumerate(rows):
            top = y + k * row
            if k:
                self.set_line_width(0.25)
                self.line(LEFT, top, LEFT + WIDTH, top)
            if r == "printed":
                self.set_xy(LEFT + em, top)
                self.cell(WIDTH / 2, row, self.d.printed_by)
                self.set_xy(LEFT + WIDTH / 2, top)
                self.cell(WIDTH / 2 - em, row, self.d.printed_date, align="R")
            else:
                self.set_xy(LEFT + em, top)
                self.cell(WIDTH - 2 * em, row, r)
        self.set_line_width(0.35)
        self.line(LEFT, y + height, LEFT + WIDTH, y + height)


__all__ = ["DEFAULT_MIN_RESPONDENTS", "printed_texts", "render_pdf"]
