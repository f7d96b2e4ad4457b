"""The HTML bulletin: a 统计通报 in plain Chinese, the method and charts in the attachments."""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl
import pytest

from bulletins import i18n
from bulletins.errors import BulletinDataError, BulletinRefused
from bulletins.render import render_html, units_csv
from tests.bulletins.sample import legacy_data, sample_data


@pytest.fixture(scope="module")
def html_zh() -> str:
    return render_html(sample_data())


def _between(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def _body(html: str) -> str:
    return _between(html, '<section id="body">', "</section>")


def _row(html: str, name: str) -> str:
    """The first table row of the main text whose unit cell is ``name``."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", _body(html), re.S)
    return next(r for r in rows if f">{name}</td>" in r)


def test_official_document_furniture(html_zh: str) -> None:
    for s in [
        '<p class="masthead">东湖区民意访评中心</p>',
        "东民评〔2026〕11号",
        "签发人：王建国",
        "关于东湖区2026年11月政务服务<br>满意度访评情况的统计通报",
        "<title>关于东湖区2026年11月政务服务满意度访评情况的统计通报</title>",
        '<p class="recipients">各镇（街道），区直各部门，各窗口单位：</p>',
        "<p>东湖区民意访评中心</p>\n  <p>二〇二六年十二月三日</p>",
        "抄送：区委办公室，区政府办公室，区纪委监委。",
        "2026年12月3日印发",
        '<html lang="zh-CN">',
    ]:
        assert s in html_zh, s
    headings = re.findall(r"<h2>(.*?)</h2>", _body(html_zh))
    assert headings == [
        "一、总体情况",
        "二、各单位情况",
        "三、跟踪督办情况",
        "四、存在的主要问题",
        "五、工作要求",
    ]


def test_summary_is_written_from_the_data(html_zh: str) -> None:
    body = _body(html_zh)
    assert "本月全区办结办件12,480件，其中符合访评条件9,870件" in body
    assert "取得有效回答1,106件，应答率33.5%" in body
    # district: +2.4 points on last month is beyond 1.96 SE; +0.4 on a year ago is not
    assert (
        "全区群众满意率为92.5%，误差范围约±1.3个百分点。比上月（90.1%）提高2.4个百分点，变化明显，与去年同期相比无明显变化。"
        in body
    )
    assert "办理时间长（23件，占32.4%）、多次跑腿（17件，占23.9%）" in body
    assert "区住建局满意率明显偏低" in body
    assert "“吃拿卡要”问题3件，涉及2个单位" in body
    assert "有4件转办件超期未办结" in body
    assert "部分窗口午间时段人员不足" in body  # the director's own text
    assert "本月受理群众投诉6件" in body


def test_plain_words_in_the_body_and_method_in_the_attachment(html_zh: str) -> None:
    body = _body(html_zh)
    for jargon in [
        "RR1",
        "φ",
        "漏斗图",
        "排名区间",
        "名次区间",
        "n_eff",
        "有效样本量",
        "置信区间",
        "概率",
        "<svg",
    ]:
        assert jargon not in body, jargon
    attachment = _between(html_zh, 'id="attachment-1"', "</section>")
    for term in ["RR1", "漏斗图", "名次区间", "Fay–Herriot", "低于同类的概率", "<svg"]:
        assert term in attachment, term


def test_units_below_are_marked_as_visibly_as_units_above(html_zh: str) -> None:
    below, above = _row(html_zh, "区住建局"), _row(html_zh, "区发展改革局")
    assert 'class="row-below"' in below and 'class="row-above"' in above
    assert '<span class="badge tone-below">▼明显低于同类</span>' in below
    assert '<span class="badge tone-above">▲明显高于同类</span>' in above
    assert '<span class="badge tone-top">★十佳</span>' in above
    css = _between(html_zh, "<style>", "</style>")
    assert "tr.row-below td" in css and "tr.row-above td" in css and "tr.row-top td" in css
    # one badge rule for all marks; only the colour differs
    assert css.count(".badge {") == 1
    assert re.search(r"\.tone-below \{ color: #[0-9a-f]{6}; \}", css)
    assert re.search(r"\.tone-above \{ color: #[0-9a-f]{6}; \}", css)


def test_adjusted_and_unadjusted_rates_side_by_side(html_zh: str) -> None:
    row = _row(html_zh, "区住建局")
    assert ">70.3%<" in row and ">72.3%<" in row  # this month's rate, the model's estimate
    assert "本月满意率" in _body(html_zh) and "调整后满意率" in _body(html_zh)


def test_changes_marked_only_when_significant(html_zh: str) -> None:
    assert ">下降18.8<" in _row(html_zh, "区住建局")  # −18.8 points, beyond 1.96 SE
    assert ">无明显变化<" in _row(html_zh, "区市场监管局")
    assert ">—<" in _row(html_zh, "区卫健委")  # not reportable last month
    assert "较上月（百分点）" in _body(html_zh)


def test_categories_and_channels_tables(html_zh: str) -> None:
    body = _body(html_zh)
    assert "表1　各访评方式完成情况" in body and "表2　各办件类别满意率" in body
    row = next(r for r in body.split("<tr") if "建设审批" in r)
    assert "样本不足" in row and "71.4%" not in row  # 21 respondents: no rate
    assert "满意率较高的是不动产登记（95.1%）、户籍办理（94.4%）" in body


def test_a_unit_without_enough_respondents_shows_counts_only(html_zh: str) -> None:
    row = _row(html_zh, "区档案馆")
    assert ">20<" in row and ">12<" in row and "%" not in row
    assert "58.3%" not in html_zh


def test_local_time_and_no_file_path_printed(html_zh: str) -> None:
    assert "2026年12月3日 09:05（北京时间）" in html_zh
    assert "UTC" not in html_zh
    assert html_zh.count("data_docs/index.html") == 1
    assert '<a href="../../data_docs/index.html">详细校验报告（可离线打开）</a>' in html_zh


def test_validation_results_in_chinese(html_zh: str) -> None:
    attachment = _between(html_zh, 'id="attachment-2"', "</section>")
    assert "本月数据共经过4组校验，其中3组全部通过" in attachment
    for s in ["办件数据", "抽样结果", "访评回答", "访评结果代码", "1项未通过"]:
        assert s in attachment, s
    assert "访评回答：数值须在合理区间内（字段 answered_at），涉及2行（提示性）" in attachment


def test_optional_sections_disappear_without_data() -> None:
    html = render_html(
        sample_data(
            followups=None, complaints=None, categories=None, reasons=None, problems_text=None
        )
    )
    assert re.findall(r"<h2>(.*?)</h2>", _body(html)) == [
        "一、总体情况",
        "二、各单位情况",
        "三、存在的主要问题",
        "四、工作要求",
    ]
    assert "不满意原因" not in _body(html) and "办件类别满意率" not in _body(html)
    assert "各单位要对照本通报" in html  # the neutral default requirements


def test_the_directors_requirements_replace_the_default() -> None:
    html = render_html(
        sample_data(requirements_text="各窗口单位要在午间安排轮岗。\n住建局要提交整改报告。")
    )
    assert "（一）</b>各窗口单位要在午间安排轮岗。" in html and "各单位要对照本通报" not in html


def test_text_is_escaped(html_zh: str) -> None:
    assert "政务大厅&lt;税务&gt;窗口" in html_zh and "<税务>" not in html_zh


def test_self_contained(html_zh: str) -> None:
    assert "http://" not in html_zh and "https://" not in html_zh
    assert "<link" not in html_zh and "<script" not in html_zh and "<img" not in html_zh
    assert "@media print" in html_zh and "size: A4" in html_zh


def test_english() -> None:
    html = render_html(sample_data(), lang="en")
    for s in [
        "Statistical Bulletin on Government Service",
        "Clearly below peers",
        "Top ten",
        '<html lang="en">',
        "Attachment 1",
    ]:
        assert s in html, s
    assert "总体情况" not in html


def test_legacy_caller_still_renders() -> None:
    html = render_html(legacy_data())
    assert '<span class="badge tone-top">★十佳</span>' in _row(html, "区发展改革局")
    assert "2026年12月3日 09:05（北京时间）" in html and "UTC" not in html
    assert "调整后满意率" not in html  # no judging model given: no adjusted column


def test_refused_when_validation_failed() -> None:
    data = sample_data(validation_ok=False)
    with pytest.raises(BulletinRefused, match=r"2026-11 refused"):
        render_html(data)
    with pytest.raises(BulletinRefused):
        units_csv(data)


def test_bad_input_raises_data_error() -> None:
    data = sample_data()
    with pytest.raises(BulletinDataError, match="units: missing columns n_eff"):
        render_html(data.replace(units=data.units.drop("n_eff")))
    with pytest.raises(BulletinDataError, match="month"):
        render_html(data.replace(month="2026-3"))
    with pytest.raises(BulletinDataError, match="timezone-aware"):
        render_html(data.replace(generated=datetime(2026, 12, 3, 9, 0)))
    with pytest.raises(BulletinDataError, match="evidence"):
        render_html(
            data.replace(judgement=data.judgement.with_columns(pl.lit("worse").alias("evidence")))
        )  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unsupported language"):
        render_html(data, lang="fr")  # type: ignore[arg-type]


def test_a_citizens_words_can_never_be_printed_as_a_reason() -> None:
    data = sample_data(
        reasons=pl.DataFrame({"theme": ["窗口的张某态度恶劣，电话13812345678"], "mentions": [1]})
    )
    with pytest.raises(BulletinDataError, match="themes must be codes") as caught:
        render_html(data)
    assert "张某" not in str(caught.value) and "138" not in str(caught.value)


def test_empty_month_renders() -> None:
    data = sample_data()
    html = render_html(
        data.replace(
            units=data.units.head(0),
            judgement=None,
            previous=None,
            channel_mix=data.channel_mix.head(0),
        )
    )
    assert "本月共0个单位参加访评" in html


def test_dates_in_chinese() -> None:
    from datetime import date

    assert i18n.zh_date(date(2026, 12, 3)) == "二〇二六年十二月三日"
    assert i18n.zh_date(date(2030, 10, 20)) == "二〇三〇年十月二十日"
    assert i18n.zh_date(date(2027, 1, 31)) == "二〇二七年一月三十一日"


def test_label_tables_complete() -> None:
    assert set(i18n.labels("zh")) == set(i18n.labels("en"))
