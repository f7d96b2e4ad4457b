"""The PDF bulletin: same content as the HTML, Chinese set in the embedded font."""

from __future__ import annotations

import dataclasses
import itertools
import re
import zlib

import pytest
from fontTools.ttLib import TTFont
from fpdf import FPDF

from bulletins import i18n
from bulletins.errors import BulletinDataError, BulletinRefused
from bulletins.pdf import FONT_PATH, _wrap, render_pdf
from tests.bulletins.test_render import sample_data


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def _to_unicode(streams: list[bytes]) -> dict[int, str]:
    cmap: dict[int, str] = {}
    for s in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", s, re.S):
            for lo, hi, dst in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                start = int(dst, 16)
                for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    cmap[code] = chr(start + k)
    return cmap


def _literals(content: bytes) -> list[bytes]:
    """The operands of Tj: PDF literal strings with their escapes undone."""
    out, i = [], 0
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while (i := content.find(b"(", i)) >= 0:
        depth, buf, i = 1, bytearray(), i + 1
        while depth:
            ch = content[i]
            if ch == ord("\\"):
                nxt = content[i + 1]
                if nxt in escapes:
                    buf += escapes[nxt]
                    i += 2
                elif ord("0") <= nxt <= ord("7"):
                    m = re.match(rb"[0-7]{1,3}", content[i + 1 : i + 4])
                    assert m
                    buf.append(int(m.group(), 8) & 0xFF)
                    i += 1 + len(m.group())
                else:
                    buf.append(nxt)
                    i += 2
                continue
            depth += ch == ord("(")
            depth -= ch == ord(")")
            if depth:
                buf.append(ch)
            i += 1
        out.append(bytes(buf))
    return out


def pdf_text(pdf: bytes) -> str:
    """Every string the PDF shows, decoded through the font's ToUnicode map, one a line."""
    streams = _streams(pdf)
    cmap = _to_unicode(streams)
    assert cmap, "no ToUnicode map: text would not be searchable"
    lines = []
    for s in streams:
        if b" Tj" not in s:
            continue
        for lit in _literals(s):
            codes = [int.from_bytes(lit[k : k + 2], "big") for k in range(0, len(lit), 2)]
            lines.append("".join(cmap.get(c, "\ufffd") for c in codes))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def pdf_zh() -> bytes:
    return render_pdf(sample_data())


@pytest.fixture(scope="module")
def text_zh(pdf_zh: bytes) -> str:
    return pdf_text(pdf_zh)


def test_is_a_pdf_with_the_cjk_font_embedded(pdf_zh: bytes) -> None:
    assert pdf_zh.startswith(b"%PDF-")
    assert pdf_zh.rstrip().endswith(b"%%EOF")
    assert b"/FontFile" in pdf_zh
    assert b"+NotoSansCJKSC" in pdf_zh  # subset prefix: glyphs embedded
    assert len(pdf_zh) < 400_000  # the font is subset again, not embedded whole


def test_chinese_text_is_there_and_searchable(text_zh: str) -> None:
    assert "\ufffd" not in text_zh
    for s in [
        "东湖区政务服务满意度统计通报（2025年3月）",
        "东湖区民意访评中心",
        "一、访评概况",
        "二、全区满意度",
        "90.5%",
        "行政机关",
        "区直部门",
        "服务窗口",
        "区住建局",
        "显著低于同类",
        "十佳",
        "四、样本不足单位",
        "区档案馆",
        "五、访评渠道构成",
        "六、廉政监督",
        "七、方法说明",
        "较上月",
        "+1.2",
    ]:
        assert s in text_zh, s


def test_the_no_difference_warning_is_printed(text_zh: str) -> None:
    flat = text_zh.replace("\n", "")
    assert flat.count(i18n.text("zh", "caution")) == 2  # section 3 and the method note
    for paragraph in i18n.method_note("zh", min_n=30, outer="99.8%"):
        assert paragraph in flat


def test_a_unit_without_enough_respondents_shows_counts_only(text_zh: str) -> None:
    assert "区档案馆" in text_zh
    assert "58.3%" not in text_zh  # its rate is withheld


def test_english(pdf_zh: bytes) -> None:
    text = " ".join(pdf_text(render_pdf(sample_data(), "en")).split())
    for s in [
        "Government Service Satisfaction Bulletin (March 2025)",
        "Significantly below peers",
        "is not by itself evidence of a real difference",
    ]:
        assert s in text


def test_without_last_month_there_is_no_change_column() -> None:
    text = pdf_text(render_pdf(sample_data(previous=None)))
    assert "较上月" not in text


def test_same_data_same_bytes(pdf_zh: bytes) -> None:
    assert render_pdf(sample_data()) == pdf_zh


def test_refuses_unvalidated_data() -> None:
    with pytest.raises(BulletinRefused):
        render_pdf(sample_data(validation_ok=False))


def test_refuses_bad_frames_and_languages() -> None:
    data = sample_data()
    with pytest.raises(BulletinDataError):
        render_pdf(dataclasses.replace(data, units=data.units.drop("flag")))
    with pytest.raises(ValueError, match="unsupported language"):
        render_pdf(data, "fr")  # type: ignore[arg-type]


def test_the_font_has_every_character_the_labels_use() -> None:
    with TTFont(FONT_PATH) as font:  # closed, or its file surfaces later as a ResourceWarning
        cmap = font.getBestCmap()
    for lang in i18n.LANGS:
        words = [*i18n.labels(lang).values(), *i18n.method_note(lang, min_n=30, outer="99.8%")]
        missing = {ch for w in words for ch in w if ord(ch) not in cmap and not ch.isspace()}
        assert not missing, (lang, missing)


@pytest.mark.parametrize(
    "text",
    [
        i18n.text("zh", "caution"),
        "".join(i18n.method_note("zh", min_n=30, outer="99.8%")),
        "访评渠道：比其他方式更积极（Elliott 等，2009），渠道构成差异很大的单位",
    ],
)
def test_lines_never_start_with_closing_marks_nor_split_numbers(text: str) -> None:
    pdf = FPDF()
    pdf.add_font("f", "", str(FONT_PATH))
    pdf.set_font("f", size=9)
    try:
        _check_wrapping(pdf, text)
    finally:  # fpdf2 keeps the font file open until closed: close it, or it warns later
        for font in pdf.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()


def _check_wrapping(pdf: FPDF, text: str) -> None:
    for width in (40.0, 63.0, 100.0):
        lines = _wrap(pdf, text, width)
        assert "".join("".join(lines).split()) == "".join(text.split())
        for line in lines:
            assert pdf.get_string_width(line) <= width + 3.5  # a glued closing mark may hang
            assert line[:1] not in set("，。、；：？！）》”"), line
            assert line[-1:] not in set("（《“"), line
        assert not any(
            a[-1:].isdigit() and b[:1].isdigit() for a, b in itertools.pairwise(lines)
        ), lines


def test_rendering_leaves_no_font_file_open(pdf_zh: bytes) -> None:
    """fpdf2 opens fonts lazily; an unclosed file would surface in a later test as a warning."""
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert pdf_zh.startswith(b"%PDF")
