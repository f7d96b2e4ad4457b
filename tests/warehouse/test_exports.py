"""A day's export as a Chinese case system and Excel write it loads without a conversion script.

The files are in tests/fixtures/exports/ (make_exports.py says what they hold).
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from polars.testing import assert_frame_equal

from warehouse.loaders import load_cases, load_units

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"
ZONE = ZoneInfo("Asia/Shanghai")
MOBILE_RUN = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
PHONES = {"mobile": 418, "landline": 8, "blank": 10, "invalid": 3, "foreign": 1}


def _morning(con: duckdb.DuckDBPyConnection) -> int:
    return int(
        con.sql(
            "SELECT count(*) FROM cases "
            "WHERE hour(completed_at AT TIME ZONE 'Asia/Shanghai') IN (8, 9)"
        ).fetchall()[0][0]
    )


def test_units_registry_in_chinese_loads_every_unit(con: duckdb.DuckDBPyConnection) -> None:
    report = load_units(con, EXPORTS / "units.csv")
    assert (report.read, report.loaded, report.quarantined) == (13, 13, 0)
    kinds = dict(con.sql("SELECT unit_id, unit_kind FROM units").fetchall())
    assert kinds["0101"] == "agency"
    assert kinds["0201"] == "department"
    assert kinds["0301"] == "window"
    assert kinds["0401"] == "section"
    assert {kinds["0501"], kinds["0502"], kinds["0503"]} == {"township"}
    assert kinds["0601"] == "other"
    assert con.sql("SELECT parent_unit_id FROM units WHERE unit_id = '0301'").fetchall() == [
        ("0101",)
    ]


def test_gb18030_csv_export_loads_every_good_row_and_every_morning_case(
    con: duckdb.DuckDBPyConnection,
) -> None:
    load_units(con, EXPORTS / "units.csv")
    report = load_cases(con, EXPORTS / "cases_gb18030.csv", ZONE, "gb18030")
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (446, 440, 2, 4)
    assert report.reasons == {
        "字段过多 too many fields": 1,
        "时间无法识别 unreadable timestamp": 1,
        "未知单位 unknown unit": 1,
        "缺少字段 missing field": 1,
    }
    assert report.phone_counts() == PHONES
    assert not report.nothing_loaded
    # 82 cases were completed 08:00–09:59 and written with a one-digit hour: none is lost
    assert _morning(con) == 82
    times = con.sql(
        "SELECT strftime(completed_at AT TIME ZONE 'Asia/Shanghai', '%Y/%-m/%-d %-H:%M') "
        "FROM cases WHERE case_id = '3301022026111600017'"
    ).fetchall()
    assert times == [("2026/11/16 8:02",)]
    assert con.sql("SELECT DISTINCT service_date::VARCHAR FROM cases").fetchall() == [
        ("2026-11-16",)
    ]


def test_the_same_export_as_xlsx_loads_the_same_cases(con: duckdb.DuckDBPyConnection) -> None:
    load_units(con, EXPORTS / "units.csv")
    report = load_cases(con, EXPORTS / "cases.xlsx", ZONE)
    # 446 rows under a title row, plus the 合计 footer, which is quarantined, not lost
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (447, 440, 2, 5)
    assert report.reasons == {
        "时间无法识别 unreadable timestamp": 2,
        "未知单位 unknown unit": 1,
        "缺少字段 missing field": 2,
    }
    assert report.phone_counts() == PHONES
    assert _morning(con) == 82
    # row numbers are the sheet's: the title is row 1, the header row 2
    footer = con.sql("SELECT row_number FROM quarantine WHERE reason LIKE '%case_id%'").fetchall()
    assert footer == [(449,)]
    # the CSV of the same day changes nothing: same cases, same content
    again = load_cases(con, EXPORTS / "cases_gb18030.csv", ZONE, "gb18030")
    assert (again.loaded, again.duplicate, again.corrections_applied) == (0, 442, 0)


def test_xlsx_and_csv_give_identical_cases(tmp_path: Path) -> None:
    from warehouse.db import connect

    tables = []
    for name, encoding in (("cases_gb18030.csv", "gb18030"), ("cases.xlsx", "utf-8")):
        with connect(tmp_path / f"{name}.duckdb") as con:
            load_units(con, EXPORTS / "units.csv")
            load_cases(con, EXPORTS / name, ZONE, encoding)
            tables.append(
                con.sql(
                    "SELECT case_id, unit_id, category, completed_at, phone_e164, phone_status, "
                    "service_item, handler_id, service_channel, content_hash FROM cases "
                    "ORDER BY case_id"
                ).pl()
            )
    assert_frame_equal(tables[0], tables[1])
    assert tables[0].height == 440


def test_no_reason_shows_a_phone_number(con: duckdb.DuckDBPyConnection) -> None:
    load_units(con, EXPORTS / "units.csv")
    load_cases(con, EXPORTS / "cases.xlsx", ZONE)
    shifted = con.sql(
        "SELECT reason, record FROM quarantine WHERE record LIKE '%3301022026111600904%'"
    ).fetchall()
    (reason, record), *_ = shifted
    assert "13912345678" not in reason and "139****5678" in reason
    assert "13912345678" in record  # the raw row is kept for staff; never published
    for (text,) in con.sql("SELECT reason FROM quarantine").fetchall():
        assert not MOBILE_RUN.search(text), text


@pytest.mark.parametrize("name", ["cases_gb18030.csv", "cases.xlsx"])
def test_every_good_row_of_the_export_is_loaded(con: duckdb.DuckDBPyConnection, name: str) -> None:
    load_units(con, EXPORTS / "units.csv")
    load_cases(con, EXPORTS / name, ZONE, "gb18030" if name.endswith(".csv") else "utf-8")
    loaded = set(con.sql("SELECT case_id FROM cases").pl()["case_id"].to_list())
    expected = {f"3301022026111600{i:03d}" for i in range(1, 441)}
    assert loaded == expected
