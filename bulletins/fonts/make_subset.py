"""Rebuild the bulletin's CJK font subsets (a maintainer's tool, not used at run time).

Source: Noto Sans CJK SC Regular and Noto Serif CJK SC Regular and Bold from
the Debian package ``fonts-noto-cjk`` (SIL Open Font License 1.1, see OFL.txt).
The serif faces set the body and title of the 公文 (standing in for 仿宋 and
小标宋, which may not be redistributed), the sans face tables and headings (黑体).
The subsets keep GB 2312 (all 6,763 hanzi and its symbols), the characters of
``extra_chars.txt`` (hanzi outside GB 2312 seen in unit names: add any a unit
name needs, then rerun), ASCII, Latin-1, Greek and the punctuation, arrow, maths
and full-width blocks the bulletin prints, and drop hinting and vertical layout.
The PDF refuses to print a character the fonts lack (BulletinFontError).
Run (needs the Debian package, fontTools)::

    uv run python bulletins/fonts/make_subset.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto")
HERE = Path(__file__).parent
_SC = 2  # index of "Noto Sans CJK SC" in the Debian collections
_BLOCKS = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0xFF),  # Latin-1
    (0x370, 0x3FF),  # Greek (φ, τ, λ)
    (0x2000, 0x206F),  # general punctuation (– — “ ” ‰)
    (0x2100, 0x214F),  # letterlike (℃ №)
    (0x2150, 0x218F),  # number forms (Ⅰ Ⅱ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≥ ≤ ±)
    (0x2460, 0x24FF),  # enclosed numerals (①)
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes (● ■ ▲)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)


def _gb2312() -> set[int]:
    chars: set[int] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def codepoints() -> set[int]:
    """The characters kept in the subsets."""
    points = _gb2312()
    for lo, hi in _BLOCKS:
        points.update(range(lo, hi + 1))
    extra = (HERE / "extra_chars.txt").read_text(encoding="utf-8")
    points.update(
        ord(ch) for line in extra.splitlines() if not line.startswith("#") for ch in line.strip()
    )
    return points


def build(family: str, weight: str) -> Path:
    font = TTCollection(SOURCE / f"Noto{family}CJK-{weight}.ttc").fonts[_SC]
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = False
    options.layout_features = ["kern", "liga", "locl", "ccmp", "palt"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints()))
    subsetter.subset(font)
    out = HERE / f"Noto{family}SC-{weight}-GB2312.otf"
    font.save(out)
    return out


if __name__ == "__main__":
    for family, weight in (
        ("Sans", "Regular"),
        ("Sans", "Bold"),
        ("Serif", "Regular"),
        ("Serif", "Bold"),
    ):
        path = build(family, weight)
        print(path.name, f"{path.stat().st_size / 1e6:.2f} MB")
