"""末位 (last place) as its own badge, and the channel effects in 附件1 (METHODS.md
"Judging performance" and "Channels"), in the HTML, the PDF and the exports."""

from __future__ import annotations

import re

import polars as pl
import pytest

from bulletins import fmt
from bulletins.errors import BulletinDataError
from bulletins.exports.conduct import COLUMNS, conduct_frame, load_config
from bulletins.frames import judged
from bulletins.model import BulletinData
from bulletins.pdf import render_pdf
from bulletins.render import render_html
from minyi import columns as c
from tests.bulletins.pdftext import pdf_text
from tests.bulletins.sample import legacy_data, sample_data

LAST = {"D2", "A3"}  # D2 is below its peers; A3's 末位 window judges it, its evidence window not


def _with_last(data: BulletinData, last: set[str] = LAST) -> BulletinData:
    assert data.judgement is not None
    return data.replace(
        judgement=data.judgement.with_columns(pl.col(c.UNIT_ID).is_in(list(last)).alias("last"))
    )


EFFECTS = pl.DataFrame(
    {
        c.CHANNEL: ["voice", "sms", "manual"],
        "first_month": ["2025-12"] * 3,
        "last_month": ["2026-11"] * 3,
        "respondents": [388, 412, 12],
        "channel_effect": [0.452, 0.0, None],
        c.SE: [0.118, 0.0, None],
        "reference": [False, True, False],
    },
    schema_overrides={"channel_effect": pl.Float64, c.SE: pl.Float64},
)


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(_with_last(sample_data(channel_effects=EFFECTS)))


@pytest.fixture(scope="module")
def pdf() -> str:
    return pdf_text(render_pdf(_with_last(sample_data(channel_effects=EFFECTS))))


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def _body(html: str) -> str:
    return _between(html, '<section id="body">', "</section>")


def _row(html: str, name: str) -> str:
    rows = re.findall(r"<tr[^>]*>.*?</tr>", _body(html), re.S)
    return next(r for r in rows if f">{name}</td>" in r)


# --- 末位 -----------------------------------------------------------------------------


def test_last_place_is_its_own_badge_beside_below(html: str) -> None:
    d2 = _row(html, "区住建局")
    assert 'class="row-below"' in d2  # the row keeps its evidence tint, as ▲ does beside ★
    assert '<span class="badge tone-below">▼明显低于同类</span>' in d2
    assert '<span class="badge tone-last">◆末位</span>' in d2
    assert d2.index("▼明显低于同类") < d2.index("◆末位")
    a3 = _row(html, "区人力社保局")  # 末位 alone: its own tint and badge
    assert 'class="row-last"' in a3 and '<span class="badge tone-last">◆末位</span>' in a3
    assert "末位" not in _row(html, "区市场监管局")


def test_last_place_has_the_same_typography_as_the_other_marks(html: str) -> None:
    css = _between(html, "<style>", "</style>")
    assert css.count(".badge {") == 1  # one badge rule for every mark; only the colour differs
    colours = {
        tone: re.search(rf"\.tone-{tone} \{{ color: (#[0-9a-f]{{6}}); \}}", css)
        for tone in ("below", "above", "last", "top")
    }
    assert all(colours.values())
    assert len({m.group(1) for m in colours.values() if m}) == 4  # each in its own colour
    assert re.search(r"tr\.row-last td \{ background: #[0-9a-f]{6}; \}", css)


def test_the_group_sentence_names_the_last_place_units(html: str) -> None:
    body = _body(html)
    assert "末位：区住建局。" in body  # department group
    assert "末位：区人力社保局。" in body  # agency group
    assert body.count("末位：") == 2


def test_no_last_place_no_words() -> None:
    for data in (sample_data(), _with_last(sample_data(), set()), legacy_data()):
        body = _body(render_html(data))
        assert "末位" not in body and "tone-last" not in body


def test_last_place_in_the_appendix_details(html: str) -> None:
    attachment = _between(html, 'id="attachment-1"', "</section>")
    assert '<span class="badge tone-last">◆末位</span>' in attachment


def test_last_place_in_english() -> None:
    out = render_html(_with_last(sample_data()), "en")
    assert '<span class="badge tone-last">◆Last place</span>' in out
    assert "Last place: " in _body(out)


def test_last_place_in_the_pdf(pdf: str) -> None:
    flat = pdf.replace("\n", "")
    assert "◆末位" in flat and "▼明显低于同类" in flat
    assert "末位：区住建局。" in flat and "末位：区人力社保局。" in flat


def test_pdf_tints_and_colours_last_place_like_the_other_marks() -> None:
    from bulletins.pdf_tables import TONE_ROW, TONE_TEXT, _bold

    assert _bold("last") and _bold("below") and _bold("top")
    assert len({TONE_TEXT[t] for t in ("below", "above", "last", "top")}) == 4
    assert len({TONE_ROW[t] for t in ("below", "above", "last", "top")}) == 4


def test_conduct_csv_keeps_its_columns_with_last_place() -> None:
    data = _with_last(sample_data())
    frame = conduct_frame(data, None, load_config())
    assert list(frame.columns) == list(COLUMNS) and "last" not in frame.columns


def test_judged_carries_last_place() -> None:
    rows = judged(_with_last(sample_data())).select(c.UNIT_ID, "last")
    got = dict(rows.iter_rows())
    assert got["D2"] is True and got["A3"] is True and got["A2"] is False
    assert got["A4"] is None  # not judged (too few respondents)
    assert not judged(sample_data())["last"].any()  # no column: no 末位
    legacy = dict(judged(legacy_data()).select(c.UNIT_ID, "last").iter_rows())
    assert legacy["D2"] is False and legacy["A4"] is None


def test_last_must_be_boolean() -> None:
    data = sample_data()
    assert data.judgement is not None
    bad = data.replace(judgement=data.judgement.with_columns(pl.lit("last").alias("last")))
    with pytest.raises(BulletinDataError, match="last must be Boolean"):
        render_html(bad)


# --- channel effects ------------------------------------------------------------------


def test_channel_effects_table_in_the_appendix(html: str) -> None:
    attachment = _between(html, 'id="attachment-1"', "</section>")
    mix = re.search(r"<caption>表(\d+)　访评方式构成", attachment)
    effects = re.search(r"<caption>表(\d+)　访评方式效应</caption>", attachment)
    assert mix and effects and int(effects.group(1)) == int(mix.group(1)) + 1
    assert attachment.index(mix.group(0)) < attachment.index(effects.group(0))
    n = effects.group(1)
    assert (
        f"表{n}的效应由随机指定首个访评方式的那部分样本（2025年12月至2026年11月）估计，以短信为参照"
        in attachment
    )
    assert "比较模型按各单位的访评方式构成，用这些效应调整其满意率" in attachment
    table = _between(attachment, effects.group(0), "</table>")
    for head in ("访评方式", "试验样本有效回答", "效应（对数优势比）", "标准误", "95%置信区间"):
        assert f">{head}</th>" in table, head
    rows = re.findall(r"<tr[^>]*>.*?</tr>", _between(table, "<tbody>", "</tbody>"), re.S)
    assert len(rows) == 3
    assert "短信（参照）" in rows[0] and ">412<" in rows[0] and ">0<" in rows[0]  # reference first
    assert "自动语音" in rows[1] and ">388<" in rows[1] and ">+0.45<" in rows[1]
    assert ">0.12<" in rows[1] and ">+0.22 至 +0.68<" in rows[1]  # 0.452 ± 1.96 · 0.118
    assert "人工电话" in rows[2] and ">12<" in rows[2] and ">未估计<" in rows[2]


def test_channel_effects_in_english() -> None:
    out = render_html(sample_data(channel_effects=EFFECTS), "en")
    assert "Channel effects</caption>" in out and "SMS (reference)" in out
    assert "(December 2025 to November 2026)" in out and ">+0.22 to +0.68<" in out


def test_channel_effects_in_the_pdf(pdf: str) -> None:
    flat = pdf.replace("\n", "")
    assert "访评方式效应" in flat and "短信（参照）" in flat
    assert "+0.45" in flat and "+0.22 至 +0.68" in flat and "未估计" in flat


@pytest.mark.parametrize("effects", [None, EFFECTS.clear()])
def test_no_channel_effects_no_table(effects: pl.DataFrame | None) -> None:
    out = render_html(sample_data(channel_effects=effects))
    assert "访评方式效应" not in out and "访评方式构成" in out
    assert "访评方式效应" not in pdf_text(render_pdf(sample_data(channel_effects=effects)))


def test_channel_effects_without_the_mix_keep_their_heading() -> None:
    data = sample_data(channel_effects=EFFECTS)
    out = render_html(data.replace(channel_mix=data.channel_mix.clear()))
    attachment = _between(out, 'id="attachment-1"', "</section>")
    assert "访评方式构成</h3>" in attachment and "访评方式效应</caption>" in attachment


def test_bad_channel_effects_are_refused() -> None:
    two = EFFECTS.with_columns(pl.lit(True).alias("reference"))
    with pytest.raises(BulletinDataError, match="reference"):
        render_html(sample_data(channel_effects=two))
    with pytest.raises(BulletinDataError, match="missing columns se"):
        render_html(sample_data(channel_effects=EFFECTS.drop(c.SE)))
    with pytest.raises(BulletinDataError, match="channel is not unique"):
        render_html(sample_data(channel_effects=pl.concat([EFFECTS, EFFECTS.head(1)])))


def test_log_odds_format() -> None:
    assert fmt.log_odds(0.452) == "+0.45"
    assert fmt.log_odds(-0.134) == "−0.13"
    assert fmt.log_odds(-0.001) == "0.00" and fmt.log_odds(0.0) == "0.00"
    assert fmt.log_odds(None) == fmt.DASH
