from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from warehouse.errors import InputFileError
from warehouse.loaders import LoadReport, load_cases, load_units

ZONE = ZoneInfo("Asia/Shanghai")

HOSTILE = """case_id,unit_id,category,completed_at,phone,service_item
C1,U1,户籍,2026-10-09 10:00:00,138 1234 5678,x
C2,U2,社保,2026-10-09T11:00:00+08:00,+86-139-0000-1111,
C3,U3,户籍,2026-10-09T03:00:00Z,０１０-１２３４５６７８,

C1,U1,户籍,2026-10-09 10:00:00,138 1234 5678,x
C2,U2,社保,2026-10-09T12:00:00+08:00,+86-139-0000-1111,
C4,U9,户籍,2026-10-09 10:00,13800000000,
C5,U1,户籍,yesterday,13800000000,
C6,U1,,2026-10-09 10:00,13800000000,
C7,U1,户籍,2026-10-09 23:30:00-02:00,００８６１３７１２３４５６７８,
"""


def _write(tmp_path: Path, text: str, name: str = "cases.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_hostile_file_counts_add_up_and_reasons_are_clear(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    report = load_cases(con, _write(tmp_path, HOSTILE), ZONE)
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (10, 4, 1, 5)
    assert report.reasons == {
        "空行 blank line": 1,
        "冲突 conflict": 1,
        "缺少字段 missing field": 1,
        "未知单位 unknown unit": 1,
        "时间无法识别 unreadable timestamp": 1,
    }
    reasons = con.sql("SELECT row_number, reason FROM quarantine ORDER BY row_number").fetchall()
    assert (
        8,
        "未知单位 unknown unit: 单位名册中没有 'U9' / 'U9' is not in the units registry",
    ) in (reasons)
    assert (
        7,
        "冲突 conflict: 办件编号 'C2' 在本文件中再次出现且内容不同（首次在第 3 行） / "
        "case_id 'C2' appears again with different content (first at line 3)",
    ) in reasons
    assert (10, "缺少字段 missing field: 事项类别 category 为空 / category is blank") in reasons
    loaded = con.sql(
        "SELECT case_id, service_date::VARCHAR, phone_e164, phone_status FROM cases ORDER BY case_id"
    ).fetchall()
    assert loaded == [
        ("C1", "2026-10-09", "+8613812345678", "mobile"),
        ("C2", "2026-10-09", "+8613900001111", "mobile"),
        ("C3", "2026-10-09", None, "landline"),
        # 23:30 at -02:00 is 09:30 next day in Shanghai: the service date follows the zone
        ("C7", "2026-10-10", "+8613712345678", "mobile"),
    ]


def test_loading_twice_changes_nothing(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    path = _write(tmp_path, HOSTILE)
    load_cases(con, path, ZONE)
    tables = ("cases", "quarantine")
    before = {t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
    again = load_cases(con, path, ZONE)
    after = {t: con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
    assert before == after
    assert (again.loaded, again.duplicate, again.quarantined) == (0, 5, 5)


def test_changed_content_of_a_loaded_case_in_a_later_file_is_a_correction(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    load_cases(con, _write(tmp_path, HOSTILE), ZONE)
    changed = (
        "case_id,unit_id,category,completed_at,phone\nC1,U2,户籍,2026-10-09 10:00:00,13812345678\n"
    )
    report = load_cases(con, _write(tmp_path, changed, "b.csv"), ZONE)
    assert (report.loaded, report.quarantined, report.corrections_applied) == (1, 0, 1)
    assert con.sql("SELECT unit_id FROM cases WHERE case_id = 'C1'").fetchall() == [("U2",)]


@pytest.mark.parametrize(
    ("text", "encoding", "problem"),
    [
        (
            "case_id,unit,category,completed_at,phone\nC1,U1,x,2026-10-09,1\n",
            "utf-8",
            "missing column(s) unit_id",
        ),
        (
            "case_id,unit_id,category,completed_at,phone\nC1,U1,户籍,2026-10-09,1\n",
            "gbk",
            "not valid utf-8",
        ),
    ],
)
def test_unreadable_file_fails_in_one_line_and_loads_nothing(
    con: duckdb.DuckDBPyConnection,
    units_file: Path,
    tmp_path: Path,
    text: str,
    encoding: str,
    problem: str,
) -> None:
    load_units(con, units_file)
    with pytest.raises(InputFileError) as info:
        load_cases(con, _write(tmp_path, text, encoding=encoding), ZONE)
    assert problem in str(info.value)
    assert "\n" not in str(info.value)
    assert con.sql("SELECT count(*) FROM cases").fetchall() == [(0,)]


def test_parquet_and_gb18030_inputs(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    path = tmp_path / "cases.parquet"
    pl.DataFrame(
        {
            "case_id": ["P1"],
            "unit_id": ["U1"],
            "category": ["户籍"],
            "completed_at": ["2026-10-09 09:00:00"],
            "phone": ["13912345678"],
        }
    ).write_parquet(path)
    assert load_cases(con, path, ZONE).loaded == 1
    gbk = _write(
        tmp_path,
        "case_id,unit_id,category,completed_at,phone\nG1,U1,户籍,2026-10-09,13912345679\n",
        "g.csv",
        "gb18030",
    )
    assert load_cases(con, gbk, ZONE, encoding="gb18030").loaded == 1


def test_units_registry_upserts_and_quarantines(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = "unit_id,unit_name,unit_kind\nU1,甲,agency\nU2,,window\nU3,丙,martian\nU1,甲,agency\n"
    report = load_units(con, _write(tmp_path, text, "u.csv"))
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (4, 1, 1, 2)
    renamed = load_units(
        con, _write(tmp_path, "unit_id,unit_name,unit_kind\nU1,甲局,agency\n", "u2.csv")
    )
    assert renamed.loaded == 1
    assert con.sql("SELECT unit_name, peer_group FROM units").fetchall() == [("甲局", "agency")]


def test_chinese_unit_kinds_and_an_unknown_kind_quarantined_in_both_languages(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = (
        "单位编码,单位名称,单位类别\n"
        "A,甲局,行政机关\nB,乙局,区直部门\nC,丙窗口,窗口\nD,丁科,科室\n"
        "E,戊街道,乡镇街道\nF,己镇,乡镇\nG,庚街道,街道\nH,辛馆,其他\nI,壬,department\n"
        "J,癸,部委\n"
    )
    report = load_units(con, _write(tmp_path, text, "u.csv"))
    assert (report.read, report.loaded, report.quarantined) == (10, 9, 1)
    assert report.reasons == {"未知单位类别 unknown unit_kind": 1}
    kinds = dict(con.sql("SELECT unit_id, unit_kind FROM units").fetchall())
    assert kinds == {
        "A": "agency",
        "B": "department",
        "C": "window",
        "D": "section",
        "E": "township",
        "F": "township",
        "G": "township",
        "H": "other",
        "I": "department",
    }
    (reason,) = con.sql("SELECT reason FROM quarantine").fetchall()[0]
    assert reason.startswith(
        "未知单位类别 unknown unit_kind: 单位类别 '部委' 无法识别（可用：行政机关"
    )
    assert "(allowed: agency, department, window, section, township, other)" in reason


def test_nothing_loaded_when_every_row_is_quarantined(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    units = load_units(con, _write(tmp_path, "unit_id,unit_name,unit_kind\nX,甲,部委\n", "u.csv"))
    assert units.nothing_loaded and units.quarantined == 1
    load_units(con, units_file)
    text = "case_id,unit_id,category,completed_at,phone\nC1,U9,户籍,2026-10-09 10:00,\n"
    path = _write(tmp_path, text)
    report = load_cases(con, path, ZONE)
    assert report.nothing_loaded
    header_only = load_cases(con, _write(tmp_path, text.splitlines()[0] + "\n", "h.csv"), ZONE)
    assert header_only.read == 0 and header_only.nothing_loaded
    load_units(con, _write(tmp_path, "unit_id,unit_name,unit_kind\nU9,甲,agency\n", "u9.csv"))
    assert not load_cases(con, path, ZONE).nothing_loaded
    assert not load_cases(con, path, ZONE).nothing_loaded  # all duplicates: loaded before


def test_report_has_a_phone_quality_line_and_the_load_log_keeps_it(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    report = load_cases(con, _write(tmp_path, HOSTILE), ZONE)
    assert report.phone_counts() == {
        "mobile": 3,
        "landline": 1,
        "blank": 0,
        "invalid": 0,
        "foreign": 0,
    }
    assert report.phone_line() == (
        "电话 phones: 手机 mobile 3 · 固话 landline 1 · 空 blank 0 · 无效 invalid 0 · 境外 foreign 0"
    )
    logged = con.sql(
        "SELECT rows_read, rows_loaded, phones_mobile, phones_landline, corrections_applied "
        "FROM loads WHERE source = 'cases'"
    ).fetchall()
    assert logged == [(10, 4, 3, 1, 0)]


def test_counts_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(AssertionError, match="do not add up"):
        LoadReport("f", read=3, loaded=1, duplicate=1, quarantined=0, reasons={})
    with pytest.raises(AssertionError, match="phone counts"):
        LoadReport("f", 2, 2, 0, 0, {}, phones_mobile=1)


def test_a_shifted_row_is_quarantined_and_its_phone_masked(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    text = (
        "case_id,unit_id,category,completed_at,phone\n"
        "C1,U1,户籍,2026-10-09 10:00,13812345678\n"
        "C2,U1,户籍,13812345679,2026-10-09 10:00\n"  # two cells swapped
        "C3,U1,户籍,加急,2026-10-09 10:00,13812345670\n"  # one field too many
    )
    report = load_cases(con, _write(tmp_path, text), ZONE)
    assert (report.read, report.loaded, report.quarantined) == (3, 1, 2)
    reasons = dict(con.sql("SELECT row_number, reason FROM quarantine").fetchall())
    assert reasons[3] == (
        "时间无法识别 unreadable timestamp: 办结时间 '138****5679' 无法识别 / "
        "completed_at '138****5679' cannot be read"
    )
    assert reasons[4].startswith("字段过多 too many fields: 该行比表头多 1 个字段")
