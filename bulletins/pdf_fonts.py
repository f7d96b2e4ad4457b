"""The PDF's embedded fonts and the check that they cover every character printed.

Four subsets of Noto CJK SC (SIL OFL 1.1; see ``fonts/make_subset.py``): serif
regular for the body (standing in for 仿宋), serif bold for the masthead and
titles (小标宋), sans regular and bold for tables, charts and 黑体 headings. They keep GB
2312 plus ``fonts/extra_chars.txt``. A character outside them (a rare hanzi in a
unit name) would print as an empty box on an official document, so
:func:`check_coverage` refuses the PDF with :class:`~bulletins.errors.BulletinFontError`
naming the characters and where they occur; add them to ``extra_chars.txt``,
rerun ``make_subset.py`` and render again.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Final

from fontTools.ttLib import TTFont

from bulletins.errors import BulletinFontError

FONTS: Final = Path(__file__).parent / "fonts"
SANS: Final = FONTS / "NotoSansSC-Regular-GB2312.otf"
SANS_BOLD: Final = FONTS / "NotoSansSC-Bold-GB2312.otf"
SERIF: Final = FONTS / "NotoSerifSC-Regular-GB2312.otf"
SERIF_BOLD: Final = FONTS / "NotoSerifSC-Bold-GB2312.otf"
ALL: Final = (SANS, SANS_BOLD, SERIF, SERIF_BOLD)
_IGNORED: Final = frozenset("\n\r\t")


@cache
def covered(path: Path = SANS) -> frozenset[int]:
    """Code points the font file maps to a glyph."""
    font = TTFont(str(path), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def covered_by_all() -> frozenset[int]:
    points = covered(ALL[0])
    for path in ALL[1:]:
        points &= covered(path)
    return points


def check_coverage(texts: Iterable[tuple[str, str]]) -> None:
    """Raise BulletinFontError if a character of ``(where, text)`` is missing from any font."""
    have = covered_by_all()
    missing: dict[str, list[str]] = {}
    for where, text in texts:
        for ch in text:
            if ch not in _IGNORED and ord(ch) not in have:
                places = missing.setdefault(ch, [])
                if where not in places:
                    places.append(where)
    if missing:
        raise BulletinFontError(missing)
