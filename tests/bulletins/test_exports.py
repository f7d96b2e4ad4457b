"""units.csv / units.xlsx and conduct.csv / conduct.xlsx: CONTRACT columns, Chinese for the
assessment office, no formula injection."""

from __future__ import annotations

import io
import re
import zipfile

import polars as pl
import pytest

from bulletins.exports.cells import escape_cell
from bulletins.exports.conduct import (
    COLUMNS,
    ConductError,
    conduct_csv,
    conduct_frame,
    conduct_xlsx,
    load_config,
)
from bulletins.exports.units import units_csv, units_xlsx
from bulletins.model import UNIT_COLUMNS
from bulletins.render import render_all
from minyi import columns as c
from tests.bulletins.sample import legacy_data, sample_data

CONTRACT_CONDUCT = [
    "unit_id", "unit_name", "peer_group", "months", "respondents", "estimate", "se", "ci_low",
    "ci_high", "rank", "rank_low", "rank_high", "p_below", "evidence", "honour",
]  # fmt: skip
NASTY = ['=HYPERLINK("http://x","y")', "+86 窗口", "-1 科", "@SUM(A1)", "\t制表", "\r回车"]


def _xlsx_strings(raw: bytes) -> tuple[list[str], str]:
    """Shared strings and the sheet XML of an .xlsx."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        shared = z.read("xl/sharedStrings.xml").decode("utf-8")
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    strings = [re.sub(r"<[^>]+>", "", s) for s in re.findall(r"<si>(.*?)</si>", shared, re.S)]

    def unescape(s: str) -> str:  # XML entities and OOXML's _xHHHH_ control characters
        s = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)
        return (
            s.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        )

    return [unescape(s) for s in strings], sheet


def _nasty_data() -> pl.DataFrame:
    data = sample_data()
    names = dict(zip(["A1", "A2", "A3", "D1", "D2", "D3"], NASTY, strict=True))
    return data.units.with_columns(
        pl.col(c.UNIT_ID).replace_strict(names, default=pl.col(c.UNIT_NAME)).alias(c.UNIT_NAME)
    )


def test_escape_cell() -> None:
    assert [escape_cell(s) for s in NASTY] == ["'" + s for s in NASTY]
    assert escape_cell("区教育局") == "区教育局" and escape_cell("a=b") == "a=b"


def test_units_csv_keeps_the_contract_columns() -> None:
    raw = units_csv(sample_data())
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(io.BytesIO(raw))
    assert back.columns == [*UNIT_COLUMNS, "honour"]
    assert back.height == sample_data().units.height
    archive = back.filter(pl.col(c.UNIT_ID) == "A4").row(0, named=True)
    assert archive[c.RESPONDED] == 12 and archive[c.SATISFACTION_RATE] is None
    assert back.filter(pl.col(c.UNIT_ID) == "D2")[c.FLAG].item() == "below"
    legacy = pl.read_csv(io.BytesIO(units_csv(legacy_data())))
    a1 = legacy.filter(pl.col(c.UNIT_ID) == "A1").row(0, named=True)
    assert a1["honour"] == "top" and a1[c.FLAG] is None  # a legacy "top" flag is an honour


def test_every_text_cell_that_could_be_a_formula_is_escaped() -> None:
    data = sample_data(units=_nasty_data())
    text = units_csv(data).decode("utf-8-sig")
    frame = conduct_frame(data, None, load_config())
    conduct = conduct_csv(frame).decode("utf-8-sig")
    for name in NASTY:
        for out in (text, conduct):
            assert "'" + name.replace('"', '""') in out, name
    for raw in (units_xlsx(data), conduct_xlsx(frame, data, load_config())):
        strings, sheet = _xlsx_strings(raw)
        assert "<f>" not in sheet  # not one formula in the workbook
        for name in NASTY:
            assert "'" + name in strings, name
            assert name not in strings


def test_units_xlsx_has_a_title_and_chinese_headers() -> None:
    strings, _ = _xlsx_strings(units_xlsx(sample_data()))
    assert "东湖区2026年11月各单位政务服务满意度" in strings
    for head in ["单位编码", "单位名称", "单位类别", "有效回答", "满意率", "与同类比较", "十佳"]:
        assert head in strings
    assert "明显低于同类" in strings and "区直部门" in strings and "否（样本不足）" in strings


def test_conduct_export_uses_the_bulletins_own_estimate() -> None:
    data = sample_data()
    frame = conduct_frame(data, None, load_config())
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame.columns[: len(CONTRACT_CONDUCT)]) == CONTRACT_CONDUCT
    judged = data.judgement.select(c.UNIT_ID, "estimate", "p_below", "evidence")  # type: ignore[union-attr]
    joined = frame.join(judged, on=c.UNIT_ID, suffix="_model")
    assert (joined["estimate"] == joined["estimate_model"]).all()
    assert (joined["index_points"] - joined["estimate"] * 20).abs().max() < 1e-12
    assert (joined["points_low"] <= joined["index_points"]).all()
    assert (joined["index_points"] <= joined["points_high"]).all()
    d2 = frame.filter(pl.col(c.UNIT_ID) == "D2").row(0, named=True)
    assert d2["evidence"] == "below" and d2["p_below"] == pytest.approx(0.991) and d2["months"] == 3
    a4 = frame.filter(pl.col(c.UNIT_ID) == "A4").row(0, named=True)
    assert a4["estimate"] is None and a4["index_points"] is None and a4["respondents"] is None
    # the office's ranking is the bulletin's ranking
    ranked = frame.filter(pl.col("peer_group") == "department").sort("rank")["unit_id"].to_list()
    assert ranked == ["D1", "D3", "D2"]


def test_without_a_judging_model_the_export_uses_the_months_rate() -> None:
    frame = conduct_frame(legacy_data(), None, load_config())
    d2 = frame.filter(pl.col(c.UNIT_ID) == "D2").row(0, named=True)
    assert (
        d2["estimate"] == pytest.approx(0.703) and d2["evidence"] == "below" and d2["months"] == 1
    )
    a2 = frame.filter(pl.col(c.UNIT_ID) == "A2").row(0, named=True)
    assert a2["evidence"] == "none" and a2["p_below"] is None
    assert frame.filter(pl.col(c.UNIT_ID) == "A1")["honour"].item() == "top"


def test_vetoes() -> None:
    config = load_config()
    vetoes = pl.DataFrame({"unit_id": ["D1"], "item": ["integrity_verified"]})
    frame = conduct_frame(sample_data(), vetoes, config)
    d1 = frame.filter(pl.col(c.UNIT_ID) == "D1").row(0, named=True)
    assert d1["veto"] and d1["veto_items"] == "integrity_verified" and d1["conduct_points"] == 0
    assert d1["index_points"] > 17  # the estimate's points are still shown
    strings, _ = _xlsx_strings(conduct_xlsx(frame, sample_data(), config))
    assert "经核实的“吃拿卡要”问题" in strings and "计入考核得分" in strings
    with pytest.raises(ConductError, match="not configured"):
        conduct_frame(sample_data(), pl.DataFrame({"unit_id": ["D1"], "item": ["rumour"]}), config)
    with pytest.raises(ConductError, match="not in the bulletin"):
        conduct_frame(
            sample_data(), pl.DataFrame({"unit_id": ["X9"], "item": ["integrity_verified"]}), config
        )


def test_render_all_writes_every_file_and_xlsx_bytes_are_stable() -> None:
    data = sample_data()
    files = render_all(data, langs=("zh",))
    assert sorted(files) == sorted(
        ["bulletin.html", "bulletin.pdf", "units.csv", "units.xlsx", "conduct.csv", "conduct.xlsx"]
    )
    assert units_xlsx(data) == files["units.xlsx"]
    back = pl.read_csv(io.BytesIO(files["conduct.csv"]))
    assert back.columns[: len(CONTRACT_CONDUCT)] == CONTRACT_CONDUCT
