"""Line breaking for the PDF: Chinese rules (GB/T 15834 practice, "kinsoku").

No line starts with a closing mark nor ends with an opening one, and a Latin
word or number is not split.
"""

from __future__ import annotations

import re
from typing import Final

from fpdf import FPDF

_CLOSING: Final = frozenset("，。、；：？！）》」』】〕〉”’%‰…,.;:?!)]}·")
_OPENING: Final = frozenset("（《「『【〔〈“‘([{")
_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%'’\-–/+×=]*|\s+|.", re.S)


def tokens(text: str) -> list[str]:
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


def wrap(pdf: FPDF, text: str, width: float, first: float | None = None) -> list[str]:
    """``text`` broken greedily into lines of ``width`` mm in the current font
    (the first line ``first`` mm, for an indent)."""
    lines: list[str] = []
    for part in text.split("\n"):
        line = ""
        for tok in tokens(part):
            limit = first if first is not None and not lines else width
            if line and pdf.get_string_width(line + tok) > limit:
                lines.append(line.rstrip())
                line = "" if tok.isspace() else tok
            else:
                line += tok
        lines.append(line.rstrip())
    return lines


def fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to ``width`` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
