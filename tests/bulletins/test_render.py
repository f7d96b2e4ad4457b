"""Rendering the monthly bulletin from a small hand-built month."""

from __future__ import annotations

import dataclasses
import io
import math
import re

import polars as pl
import pytest

from bulletins import charts, i18n
from bulletins.errors import BulletinDataError, BulletinRefused
from bulletins.model import (
    UNIT_COLUMNS,
    BulletinData,
    ChannelFieldwork,
    DistrictFigure,
    Fieldwork,
    IntegritySummary,
)
from bulletins.render import render_html, units_csv
from minyi import columns as c

Z998 = 3.090232306167813
TARGETS = {"agency": (0.90, 0.0, 1.0), "department": (0.88, 0.002, 1.6), "window": (0.93, 0.0, 0.9)}

# unit_id, name, group, sampled, responded, rate, rank, rank_low, rank_high, flag
UnitRow = tuple[str, str, str, int, int, float, int | None, int | None, int | None, str | None]
UNITS: list[UnitRow] = [
    ("A1", "区发展改革局", "agency", 80, 60, 0.962, 1, 1, 2, "top"),
    ("A2", "区市场监管局", "agency", 70, 52, 0.903, 2, 1, 3, None),
    ("A3", "区人力社保局", "agency", 75, 55, 0.871, 3, 2, 3, None),
    ("A4", "区档案馆", "agency", 20, 12, 0.583, None, None, None, None),
    ("D1", "区教育局", "department", 90, 70, 0.921, 1, 1, 2, None),
    ("D2", "区住建局", "department", 85, 64, 0.703, 3, 2, 3, "below"),
    ("D3", "区卫健委", "department", 60, 41, 0.902, 2, 1, 3, None),
    ("W1", "政务大厅不动产窗口", "window", 150, 120, 0.991, 1, 1, 1, "top"),
    ("W2", "政务大厅社保窗口", "window", 110, 90, 0.933, 2, 2, 3, None),
    ("W3", "政务大厅<税务>窗口", "window", 100, 80, 0.912, 3, 2, 3, None),
]


def _units_frame(month: str, rows: list[UnitRow], shift: float = 0.0) -> pl.DataFrame:
    records = []
    for uid, name, group, sampled, responded, rate, rank, rlo, rhi, flag in rows:
        rate = min(rate + shift, 0.999)
        reportable = responded >= 30
        se = math.sqrt(rate * (1 - rate) / responded)
        target, tau2, _ = TARGETS[group]
        limits = charts.Limits(target, Z998, tau2)
        n_eff = rate * (1 - rate) / se**2
        records.append(
            {
                c.MONTH: month,
                c.UNIT_ID: uid,
                c.UNIT_NAME: name,
                c.PEER_GROUP: group,
                c.SAMPLED: sampled,
                c.RESPONDED: responded,
                c.RESPONSE_RATE: responded / sampled,
                c.SATISFACTION_RATE: rate,
                c.SE: se,
                c.CI_LOW: max(rate - 1.96 * se, 0.0),
                c.CI_HIGH: min(rate + 1.96 * se, 1.0),
                c.REPORTABLE: reportable,
                c.RANK: rank,
                c.RANK_LOW: rlo,
                c.RANK_HIGH: rhi,
                c.FLAG: flag,
                c.N_EFF: n_eff,
                "funnel_low": charts.funnel_limit(limits, n_eff, Z998, -1),
                "funnel_high": charts.funnel_limit(limits, n_eff, Z998, +1),
            }
        )
    return pl.DataFrame(records).select(UNIT_COLUMNS)


def sample_data(**changes: object) -> BulletinData:
    units = _units_frame("2025-03", UNITS)
    previous_rows: list[UnitRow] = [r if r[0] != "D3" else (*r[:4], 20, *r[5:]) for r in UNITS]
    previous = _units_frame("2025-02", previous_rows, shift=-0.012)
    mix = pl.DataFrame(
        {
            c.UNIT_ID: [u[0] for u in UNITS for _ in range(3)],
            c.CHANNEL: ["sms", "voice", "manual"] * len(UNITS),
            c.RESPONDED: [
                n for u in UNITS for n in (u[4] // 2, u[4] // 3, u[4] - u[4] // 2 - u[4] // 3)
            ],
        }
    )
    funnel = pl.DataFrame(
        {
            "peer_group": list(TARGETS),
            "target": [t[0] for t in TARGETS.values()],
            "tau2": [t[1] for t in TARGETS.values()],
            "phi": [t[2] for t in TARGETS.values()],
            "z": [Z998] * 3,
            "units": [3, 3, 3],
        }
    )
    data = BulletinData(
        month="2025-03",
        district_name="东湖区",
        fieldwork=Fieldwork(
            cases=12_480,
            eligible=9_870,
            sampled=840,
            responded=644,
            response_rate=0.767,
            channels=(
                ChannelFieldwork("sms", 600, 380, 0.633),
                ChannelFieldwork("voice", 400, 200, 0.5),
                ChannelFieldwork("manual", 120, 64, 0.533),
            ),
        ),
        district=DistrictFigure(rate=0.905, ci_low=0.881, ci_high=0.926, responded=644),
        units=units,
        funnel=funnel,
        channel_mix=mix,
        previous=previous,
        integrity=IntegritySummary(reports=3, units_with_reports=2, dissatisfied_followups=27),
        validation_ok=True,
        data_docs_path="/srv/minyi/data_docs/index.html",
        generated_at="2025-04-02 09:00",
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)\n</section>', html, re.S)
    assert match, section_id
    return match.group(1)


@pytest.fixture(scope="module")
def html_zh() -> str:
    return render_html(sample_data())


def test_key_chinese_strings(html_zh: str) -> None:
    for s in [
        "东湖区政务服务满意度统计通报（2025年3月）",
        "行政机关",
        "区直部门",
        "服务窗口",
        "十佳",
        "显著低于同类",
        "样本不足",
        "排名相邻且无标记的单位之间差异不具有统计意义",
        "背对背",
        "短信",
        "语音",
        "人工",
        "吃拿卡要",
        "99.8%",
        "90.5%",
        "88.1–92.6%",
        "12,480",
        '<html lang="zh-CN">',
    ]:
        assert s in html_zh, s


def test_top_unit_flagged_and_peer_tables_sorted_by_rank(html_zh: str) -> None:
    agency = html_zh.split("<h3>行政机关</h3>")[1].split("</table>")[0]
    assert (
        agency.index("区发展改革局") < agency.index("区市场监管局") < agency.index("区人力社保局")
    )
    assert "十佳" in agency
    department = html_zh.split("<h3>区直部门</h3>")[1].split("</table>")[0]
    assert (
        department.index("区教育局") < department.index("区卫健委") < department.index("区住建局")
    )
    assert "显著低于同类" in department


def test_not_reportable_unit_only_in_insufficient_list(html_zh: str) -> None:
    assert html_zh.count("区档案馆") == 1
    insufficient = _section(html_zh, "insufficient")
    row = next(r for r in insufficient.split("<tr>") if "区档案馆" in r)
    assert "%" not in row and ">12<" in row and ">20<" in row
    assert "58.3%" not in html_zh


def test_change_only_for_units_reportable_both_months(html_zh: str) -> None:
    rows = {r.split("</td>")[2]: r for r in html_zh.split("<tr") if "<td" in r}
    assert ">+1.2<" in next(r for k, r in rows.items() if "区教育局" in k)
    d3 = next(r for k, r in rows.items() if "区卫健委" in k)
    assert "+1.2" not in d3 and ">—<" in d3
    assert "较上月（百分点）" in html_zh


def test_no_change_column_without_previous() -> None:
    assert "较上月" not in render_html(sample_data(previous=None))


def test_funnel_and_ranking_svg_for_each_peer_group(html_zh: str) -> None:
    groups = html_zh.split('<section class="group">')[1:]
    assert len(groups) == 3
    for group in groups:
        assert group.count('<svg class="chart"') == 2  # funnel + ranking
        assert group.count("<polyline") == 4  # 95% and 99.8% limits, both sides
        assert "<circle" in group


def test_channel_mix_and_integrity_counts(html_zh: str) -> None:
    channels = _section(html_zh, "channels")
    assert channels.count('<svg class="mixbar"') == 9  # reportable units only
    assert "区档案馆" not in channels
    integrity = _section(html_zh, "integrity")
    assert "3 件" in integrity and "27 件" in integrity


def test_text_is_escaped(html_zh: str) -> None:
    assert "政务大厅&lt;税务&gt;窗口" in html_zh
    assert "<税务>" not in html_zh


def test_self_contained(html_zh: str) -> None:
    assert "http://" not in html_zh and "https://" not in html_zh
    assert "<link" not in html_zh and "<script" not in html_zh and "<img" not in html_zh
    assert "@media print" in html_zh and "size: A4" in html_zh


def test_english() -> None:
    html = render_html(sample_data(), lang="en")
    for s in [
        "Government Service Satisfaction Bulletin (March 2025)",
        "Agencies",
        "District departments",
        "Service windows",
        "Top ten",
        "Significantly below peers",
        "too few respondents",
        "Method",
        '<html lang="en">',
    ]:
        assert s in html, s
    assert "访评概况" not in html and "样本不足" not in html


def test_unknown_peer_group_and_channel_shown_by_name() -> None:
    data = sample_data()
    units = data.units.with_columns(
        pl.when(pl.col(c.UNIT_ID) == "W3")
        .then(pl.lit("township"))
        .otherwise(pl.col(c.PEER_GROUP))
        .alias(c.PEER_GROUP)
    )
    mix = data.channel_mix.with_columns(pl.lit("wechat").alias(c.CHANNEL))
    html = render_html(dataclasses.replace(data, units=units, channel_mix=mix))
    assert "<h3>township</h3>" in html and "wechat" in html
    assert "未计算漏斗图控制限" in html


def test_refused_when_validation_failed() -> None:
    data = sample_data(validation_ok=False)
    with pytest.raises(BulletinRefused, match=r"2025-03 refused.*data_docs/index\.html"):
        render_html(data)
    with pytest.raises(BulletinRefused):
        units_csv(data)


def test_bad_input_raises_data_error() -> None:
    with pytest.raises(BulletinDataError, match="units: missing columns n_eff"):
        render_html(sample_data(units=sample_data().units.drop(c.N_EFF)))
    with pytest.raises(BulletinDataError, match="month"):
        render_html(sample_data(month="2025-3"))
    with pytest.raises(ValueError, match="unsupported language"):
        render_html(sample_data(), lang="fr")  # type: ignore[arg-type]


def test_units_csv_round_trips() -> None:
    data = sample_data()
    raw = units_csv(data)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw == units_csv(data, lang="en")  # stable English header whatever the language
    back = pl.read_csv(io.BytesIO(raw))
    assert back.columns == list(UNIT_COLUMNS)
    assert back.height == data.units.height
    assert sorted(back[c.UNIT_ID]) == sorted(data.units[c.UNIT_ID])
    archive = back.filter(pl.col(c.UNIT_ID) == "A4").row(0, named=True)
    assert archive[c.RESPONDED] == 12 and archive[c.SATISFACTION_RATE] is None
    assert back.filter(pl.col(c.UNIT_ID) == "D2")[c.FLAG].item() == "below"
    assert "区发展改革局" in raw.decode("utf-8-sig")


def test_funnel_limit_formula() -> None:
    limits = charts.Limits(target=0.9, z=1.96, tau2=0.0)
    expected = math.sin(math.asin(math.sqrt(0.9)) - 1.96 / math.sqrt(400)) ** 2
    assert charts.funnel_limit(limits, 100, 1.96, -1) == pytest.approx(expected)
    assert charts.funnel_limit(limits, 1, 10, +1) == 1.0  # clamped
    wider = charts.Limits(target=0.9, z=1.96, tau2=0.01)
    assert charts.funnel_limit(wider, 100, 1.96, -1) < expected


def test_label_tables_complete() -> None:
    assert set(i18n.labels("zh")) == set(i18n.labels("en"))
    assert len(i18n.method_note("zh", min_n=30, outer="99.8%")) == len(
        i18n.method_note("en", min_n=30, outer="99.8%")
    )


def test_edge_cases_render() -> None:
    data = sample_data()
    perfect = data.units.with_columns(
        pl.when(pl.col(c.UNIT_ID) == "W1").then(None).otherwise(pl.col(c.N_EFF)).alias(c.N_EFF),
        pl.when(pl.col(c.UNIT_ID) == "W1")
        .then(1.0)
        .otherwise(pl.col(c.SATISFACTION_RATE))
        .alias(c.SATISFACTION_RATE),
    )
    html = render_html(dataclasses.replace(data, units=perfect, funnel=data.funnel.head(0)))
    assert "100.0%" in html and "未计算漏斗图控制限" in html
    empty = render_html(
        dataclasses.replace(
            data,
            units=data.units.head(0),
            previous=None,
            channel_mix=data.channel_mix.head(0),
            district=DistrictFigure(None, None, None, 0),
        )
    )
    assert "本月没有样本不足的单位" in empty and "本月没有渠道数据" in empty
    assert units_csv(dataclasses.replace(data, units=data.units.head(0))).count(b"\n") == 1
