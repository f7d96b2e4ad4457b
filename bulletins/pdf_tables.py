"""Tables of the PDF: grid lines, a shaded head repeated on each page, tinted rows.

A unit below its peers, a unit above, 末位 and 十佳 get the same treatment: a
tinted row and a bold, coloured mark with its symbol (▼ / ▲ / ◆ / ★), each in
its own colour. A cell holding two marks is printed in its first mark's colour
(the words and symbols tell them apart).
A column of small bars (the channel mix) is left out: its numbers are in the
other columns.
"""

from __future__ import annotations

from typing import Final

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from bulletins.document import Table, Tone
from bulletins.pdf_text import tokens, wrap

RGB = tuple[int, int, int]
TONE_TEXT: Final[dict[str, RGB]] = {
    "below": (194, 65, 12),
    "above": (0, 87, 160),
    "last": (109, 40, 217),
    "top": (0, 122, 90),
    "muted": (107, 114, 128),
    "strong": (17, 17, 17),
}
TONE_ROW: Final[dict[str, RGB]] = {
    "below": (253, 238, 230),
    "above": (232, 240, 250),
    "last": (241, 234, 254),
    "top": (230, 245, 239),
}
_HEAD: Final[RGB] = (238, 240, 243)
_LINE: Final[RGB] = (68, 68, 68)
_WHITE: Final[RGB] = (255, 255, 255)
_PAD: Final = 2.9  # mm of padding and rule per cell


class TableMixin(FPDF):
    """Adds :meth:`table_block` to the bulletin's FPDF."""

    def table_block(self, t: Table, left: float, width: float) -> None:
        keep = [j for j in range(len(t.heads)) if not any(row[j].bar for row in t.rows)]
        heads = [t.heads[j] for j in keep]
        numeric = [t.numeric[j] for j in keep]
        size = 9.5 if len(keep) <= 7 else 8.0  # wide tables in a smaller face
        line_h = size * 0.48
        widths = self._widths(t, keep, width, size)
        if self.will_page_break(8 + line_h * 2 * min(len(t.rows) + 1, 4)):
            self.add_page()
        self.ln(1.5)
        if t.caption:
            self.set_font("sans", "B", size=10.5)
            self.set_text_color(17, 17, 17)
            self.cell(width, 6, t.caption, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("sans", size=size)
        self.set_draw_color(*_LINE)
        self.set_line_width(0.2)
        with self.table(
            col_widths=tuple(widths),
            width=width,
            align="LEFT",
            text_align=tuple("RIGHT" if n else "LEFT" for n in numeric),
            headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD),
            line_height=line_h,
            padding=(0.9, 1.3),
            wrapmode=WrapMode.CHAR,
            borders_layout="ALL",
            first_row_as_headings=True,
        ) as table:
            head = table.row()
            for text, w in zip(heads, widths, strict=True):
                head.cell("\n".join(self._head_lines(text, w - 2.8)), align="CENTER")
            rows = list(t.rows) + ([t.footer] if t.footer else [])
            for i, cells in enumerate(rows):
                tone = t.row_tones[i] if i < len(t.row_tones) else None
                fill = TONE_ROW.get(tone or "", _WHITE)
                row = table.row()
                for j, w in zip(keep, widths, strict=True):
                    cell = cells[j]
                    self.set_font("sans", "B" if _bold(cell.tone) else "", size=size)
                    if cell.marks and self.get_string_width(cell.text) > w - 2.8:
                        text = "\n".join(words for words, _ in cell.marks)  # a mark is never split
                    else:
                        text = "\n".join(wrap(self, cell.text, w - 2.8))
                    row.cell(text, style=_style(cell.tone, fill, footer=t.footer is cells))
        self.set_font("sans", size=size)
        self.ln(2.5)

    def _head_lines(self, text: str, width: float) -> list[str]:
        """A head on one line, or on two lines as even as the words allow."""
        if self.get_string_width(text) <= width:
            return [text]
        pieces = tokens(text)
        best: tuple[float, list[str]] | None = None
        for k in range(1, len(pieces)):
            lines = ["".join(pieces[:k]), "".join(pieces[k:])]
            longest = max(self.get_string_width(x) for x in lines)
            if longest <= width and (best is None or longest < best[0]):
                best = (longest, lines)
        return best[1] if best else wrap(self, text, width)

    def _widths(self, t: Table, keep: list[int], width: float, size: float) -> list[float]:
        """Column widths from the content.

        Each column starts as wide as its longest cell and its head. When the table
        is too wide, columns give way down to a minimum, numbers first (to their
        longest number or half their head: a head may take two lines, never a split
        number), then text (a mark such as ▼明显低于同类 is never split; the unit's
        name keeps room for about six characters). A table narrower than the page
        gives the spare width to its ``grow`` column.
        """
        self.set_font("sans", "B", size=size)
        natural, minimum = [], []
        for j in keep:
            head = t.heads[j]
            head_w = self.get_string_width(head)
            lines = [head] if len(head) <= 3 else self._head_lines(head, head_w * 0.6)
            half = max(self.get_string_width(x) for x in lines)  # a head on at most two lines
            cells = [row[j] for row in (*t.rows, *([t.footer] if t.footer else []))]
            cell_w = max((self.get_string_width(x.text) for x in cells), default=0.0)
            mark_w = max(
                (self.get_string_width(words) for x in cells for words, _ in x.marks), default=0.0
            )
            natural.append(max(head_w, cell_w) + _PAD)
            if t.numeric[j]:
                floor = cell_w
            elif j == t.grow:
                floor = min(cell_w, 24.0)
            else:
                floor = max(mark_w, min(cell_w, 24.0))
            minimum.append(max(half, floor) + _PAD)
        widths = list(natural)
        total = sum(widths)
        if total > width:  # every column gives way in proportion to its slack
            slack = [n - m for n, m in zip(natural, minimum, strict=True)]
            share = min(1.0, (total - width) / sum(slack)) if sum(slack) > 0 else 0.0
            widths = [n - s * share for n, s in zip(natural, slack, strict=True)]
            total = sum(widths)
            if total > width:
                widths = [w * width / total for w in widths]
        elif total < width:
            target = keep.index(t.grow) if t.grow in keep else 0
            widths[target] += width - total
        return widths


def _bold(tone: Tone | None) -> bool:
    return tone in ("below", "above", "last", "top", "strong")


def _style(tone: Tone | None, fill: RGB | None, *, footer: bool) -> FontFace | None:
    colour = TONE_TEXT.get(tone or "")
    if colour is None and fill is None and not footer:
        return None
    return FontFace(
        emphasis="BOLD" if _bold(tone) or footer else None,
        color=colour,
        fill_color=fill,
    )
