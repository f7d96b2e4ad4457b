"""The PDF bulletin: a 公文 in the embedded fonts, the same words and charts as the HTML."""

from __future__ import annotations

import itertools

import pytest
from fpdf import FPDF

from bulletins import charts, i18n
from bulletins.errors import BulletinDataError, BulletinFontError, BulletinRefused
from bulletins.pdf import render_pdf
from bulletins.pdf_charts import draw_chart
from bulletins.pdf_fonts import ALL, SANS, covered
from bulletins.pdf_text import wrap
from tests.bulletins.pdftext import pdf_text
from tests.bulletins.sample import legacy_data, sample_data


@pytest.fixture(scope="module")
def pdf_zh() -> bytes:
    return render_pdf(sample_data())


@pytest.fixture(scope="module")
def text_zh(pdf_zh: bytes) -> str:
    return pdf_text(pdf_zh)


def test_is_a_pdf_with_the_cjk_fonts_embedded_as_subsets(pdf_zh: bytes) -> None:
    assert pdf_zh.startswith(b"%PDF-") and pdf_zh.rstrip().endswith(b"%%EOF")
    assert b"+NotoSerifCJKSC" in pdf_zh and b"+NotoSansCJKSC" in pdf_zh
    assert len(pdf_zh) < 600_000  # subset again, not embedded whole


def test_official_document_parts_in_order(text_zh: str) -> None:
    flat = text_zh.replace("\n", "")
    assert "\ufffd" not in text_zh
    parts = [
        "东湖区民意访评中心",
        "东民评〔2026〕11号",
        "签发人：王建国",
        "关于东湖区2026年11月政务服务",
        "满意度访评情况的统计通报",
        "各镇（街道），区直各部门，各窗口单位：",
        "一、总体情况",
        "二、各单位情况",
        "三、跟踪督办情况",
        "四、存在的主要问题",
        "五、工作要求",
        "附件：",
        "1．统计方法说明",
        "二〇二六年十二月三日",
        "附件1",
        "统计方法说明",
        "附件2",
        "数据校验结果",
        "抄送：区委办公室，区政府办公室，区纪委监委。",
        "2026年12月3日印发",
    ]
    at = 0
    for part in parts:  # each after the one before
        found = flat.find(part, at)
        assert found >= 0, part
        at = found + len(part)
    assert "— 1 —" in text_zh and "— 2 —" in text_zh


def test_local_time_and_no_file_path_on_paper(text_zh: str) -> None:
    assert "2026年12月3日 09:05（北京时间）" in text_zh
    assert "UTC" not in text_zh
    assert "data_docs" not in text_zh and "index.html" not in text_zh and "/" not in text_zh


def test_units_below_and_above_are_both_marked(text_zh: str) -> None:
    assert "▼明显低于同类" in text_zh and "▲明显高于同类" in text_zh and "★十佳" in text_zh
    assert "下降18.8" in text_zh


def test_a_unit_without_enough_respondents_shows_counts_only(text_zh: str) -> None:
    assert "区档案馆" in text_zh and "58.3%" not in text_zh


def test_english() -> None:
    text = " ".join(pdf_text(render_pdf(sample_data(), "en")).split())
    for s in ["Statistical Bulletin on Government Service", "Clearly below peers", "Attachment 1"]:
        assert s in text, s


def test_legacy_caller_still_renders() -> None:
    text = pdf_text(render_pdf(legacy_data()))
    assert "★十佳" in text and "2026年12月3日 09:05（北京时间）" in text and "UTC" not in text


def test_same_data_same_bytes(pdf_zh: bytes) -> None:
    assert render_pdf(sample_data()) == pdf_zh


def test_refuses_unvalidated_data_and_bad_input() -> None:
    with pytest.raises(BulletinRefused):
        render_pdf(sample_data(validation_ok=False))
    data = sample_data()
    with pytest.raises(BulletinDataError):
        render_pdf(data.replace(units=data.units.drop("flag")))
    with pytest.raises(ValueError, match="unsupported language"):
        render_pdf(data, "fr")  # type: ignore[arg-type]


def _renamed(name: str) -> bytes:
    import polars as pl

    data = sample_data()
    units = data.units.with_columns(
        pl.when(pl.col("unit_id") == "A2")
        .then(pl.lit(name))
        .otherwise(pl.col("unit_name"))
        .alias("unit_name")
    )
    return render_pdf(data.replace(units=units))


def test_a_rare_hanzi_outside_the_fonts_is_refused_loudly() -> None:
    with pytest.raises(BulletinFontError) as caught:
        _renamed("𠮷祥镇便民服务中心")  # U+20BB7, outside GB 2312 and extra_chars.txt
    assert caught.value.missing.keys() == {"𠮷"}
    assert "extra_chars.txt" in str(caught.value) and "U+20BB7" in str(caught.value)


def test_extra_characters_beyond_gb2312_print(text_zh: str) -> None:
    assert "政务大厅喆堃联办窗口" in text_zh


def test_every_label_the_labels_use_is_in_every_font() -> None:
    for lang in i18n.LANGS:
        words = "".join(i18n.labels(lang).values())
        words += "".join(
            "".join(i18n.method(lang, part, min_n=30, delta="5"))
            for part in ("m_sampling", "m_rates", "m_judging")
        )
        for path in ALL:
            missing = {ch for ch in words if ord(ch) not in covered(path) and not ch.isspace()}
            assert not missing, (lang, path.name, missing)


def _pdf() -> FPDF:
    pdf = FPDF()
    pdf.add_font("sans", "", str(SANS))
    pdf.add_font("sans", "B", str(ALL[1]))
    pdf.set_font("sans", size=9)
    return pdf


def _close(pdf: FPDF) -> None:
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()


def test_the_pdf_draws_every_chart_label() -> None:
    dots = [
        charts.FunnelDot(
            str(k),
            f"政务大厅第{k}号窗口",
            40 + k % 3,
            0.9 + (k % 4) * 0.004,
            "below" if k == 3 else None,
        )
        for k in range(1, 17)
    ]
    chart = charts.funnel_chart(dots, 0.92, x_title="有效回答数", y_title="满意率")
    pdf = _pdf()
    try:
        pdf.add_page()
        draw_chart(pdf, chart, 20, 20, 170, "sans")
        text = pdf_text(bytes(pdf.output()))
    finally:
        _close(pdf)
    lines = text.split("\n")
    assert "政务大厅第3号窗口" in lines  # the flagged unit by name
    for k in range(1, 17):
        if k != 3:
            assert str(k) in lines  # the others by number, none dropped


@pytest.mark.parametrize(
    "text",
    [
        "只有标明“明显低于同类”或“明显高于同类”的单位，其差距超出了偶然因素所能解释的范围。",
        "".join(i18n.method("zh", "m_rates", min_n=30, delta="5")),
        "访评渠道：比其他方式更积极（Elliott 等，2009），渠道构成差异很大的单位",
    ],
)
def test_lines_never_start_with_closing_marks_nor_split_numbers(text: str) -> None:
    pdf = _pdf()
    try:
        for width in (40.0, 63.0, 100.0):
            lines = wrap(pdf, text, width)
            assert "".join("".join(lines).split()) == "".join(text.split())
            for line in lines:
                assert pdf.get_string_width(line) <= width + 3.5  # a glued closing mark may hang
                assert line[:1] not in set("，。、；：？！）》”"), line
                assert line[-1:] not in set("（《“"), line
            assert not any(
                a[-1:].isdigit() and b[:1].isdigit() for a, b in itertools.pairwise(lines)
            )
    finally:
        _close(pdf)


def test_rendering_leaves_no_font_file_open(pdf_zh: bytes) -> None:
    """fpdf2 opens fonts lazily; an unclosed file would surface in a later test as a warning."""
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert pdf_zh.startswith(b"%PDF")
