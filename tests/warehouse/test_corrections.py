"""A case re-sent with other content in a later file: replaced before its day is drawn, recorded after."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from warehouse.draws import drawn_days
from warehouse.loaders import load_cases, load_units

ZONE = ZoneInfo("Asia/Shanghai")
HEADER = "case_id,unit_id,category,completed_at,phone\n"
V1 = "C1,U1,户籍,2026/11/16 9:47,13812345678\nC2,U1,户籍,2026/11/16 10:00,13812345679\n"
V2 = "C1,U2,户籍,2026/11/16 9:50,13812345678\n"


def _file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _draw(con: duckdb.DuckDBPyConnection, day: str, eligible: int = 2) -> None:
    """Mark a day drawn as the draw does: its row in the draw log (closed when eligible > 0)."""
    con.execute(
        "INSERT INTO day_draws VALUES (?, current_timestamp, ?, ?, ?, 1, 2, 2, 2, 1, NULL)",
        [day, eligible, eligible, eligible],
    )


def _case(con: duckdb.DuckDBPyConnection, case_id: str) -> tuple[object, ...]:
    rows = con.sql(
        "SELECT unit_id, strftime(completed_at AT TIME ZONE 'Asia/Shanghai', '%H:%M'), "
        "content_hash, source_file FROM cases WHERE case_id = ?",
        params=[case_id],
    ).fetchall()
    return rows[0]


def test_drawn_days(con: duckdb.DuckDBPyConnection) -> None:
    assert drawn_days(con, []) == set()
    assert drawn_days(con, [date(2026, 11, 16), None]) == set()
    _draw(con, "2026-11-16")
    _draw(con, "2026-11-17", eligible=0)  # drawn with nothing eligible: not closed, drawn again
    _draw(con, "2026-11-18", eligible=1)
    days = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)]
    assert drawn_days(con, days) == {date(2026, 11, 16), date(2026, 11, 18)}


def test_a_correction_before_the_draw_replaces_the_case_with_an_audit_row(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    load_cases(con, _file(tmp_path, "a.csv", V1), ZONE)
    old_hash = _case(con, "C1")[2]
    later = _file(tmp_path, "b.csv", V2)
    report = load_cases(con, later, ZONE)
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (1, 1, 0, 0)
    assert (report.corrections_applied, report.corrections_recorded) == (1, 0)
    assert report.phones_mobile == 1
    unit, time, new_hash, source = _case(con, "C1")
    assert (unit, time, source) == ("U2", "09:50", str(later))
    audit = con.sql(
        "SELECT case_id, old_hash, new_hash, changed, applied, source_file, note, "
        "old_service_date::VARCHAR, new_service_date::VARCHAR, row_number FROM case_corrections"
    ).fetchall()
    assert audit == [
        (
            "C1",
            old_hash,
            new_hash,
            "unit_id,completed_at",
            True,
            str(later),
            None,
            "2026-11-16",
            "2026-11-16",
            2,
        )
    ]
    assert con.sql("SELECT count(*) FROM cases").fetchall() == [(2,)]
    # the same file again: the correction is the case now, a duplicate
    again = load_cases(con, later, ZONE)
    assert (again.loaded, again.duplicate, again.corrections_applied) == (0, 1, 0)
    assert con.sql("SELECT count(*) FROM case_corrections").fetchall() == [(1,)]


def test_an_older_file_loaded_again_never_undoes_a_correction(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    first = _file(tmp_path, "a.csv", V1)
    load_cases(con, first, ZONE)
    load_cases(con, _file(tmp_path, "b.csv", V2), ZONE)
    report = load_cases(con, first, ZONE)
    assert (report.loaded, report.duplicate, report.quarantined) == (0, 2, 0)
    assert _case(con, "C1")[0] == "U2"
    assert con.sql("SELECT count(*) FROM case_corrections").fetchall() == [(1,)]


def test_after_the_draw_a_correction_is_recorded_and_the_draw_unchanged(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    load_cases(con, _file(tmp_path, "a.csv", V1), ZONE)
    _draw(con, "2026-11-16")
    before = _case(con, "C1")
    draw = con.sql("SELECT * FROM allocations").fetchall()
    later = _file(tmp_path, "b.csv", V2)
    report = load_cases(con, later, ZONE)
    assert (report.read, report.loaded, report.duplicate, report.quarantined) == (1, 0, 0, 1)
    assert (report.corrections_applied, report.corrections_recorded) == (0, 1)
    assert report.reasons == {"更正未生效 correction not applied": 1}
    assert report.nothing_loaded
    assert _case(con, "C1") == before
    assert con.sql("SELECT * FROM allocations").fetchall() == draw
    (applied, note, changed), *_ = con.sql(
        "SELECT applied, note, changed FROM case_corrections"
    ).fetchall()
    assert (applied, changed) == (False, "unit_id,completed_at")
    assert "2026-11-16 已抽样" in note and "has been drawn" in note
    reason = con.sql("SELECT reason, record FROM quarantine").fetchall()
    assert reason[0][0].startswith("更正未生效 correction not applied: 办件 'C1' 的日期 2026-11-16")
    assert '"unit_id":"U2"' in reason[0][1]  # the new version waits for staff
    # sent again: recorded once
    load_cases(con, later, ZONE)
    assert con.sql("SELECT count(*) FROM case_corrections").fetchall() == [(1,)]
    assert con.sql("SELECT count(*) FROM quarantine").fetchall() == [(1,)]


def test_a_correction_into_a_drawn_day_is_not_applied(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    load_cases(con, _file(tmp_path, "a.csv", V1), ZONE)
    _draw(con, "2026-11-17")
    moved = _file(tmp_path, "b.csv", "C2,U1,户籍,2026/11/17 10:00,13812345679\n")
    report = load_cases(con, moved, ZONE)
    assert (report.corrections_applied, report.corrections_recorded) == (0, 1)
    assert con.sql("SELECT service_date::VARCHAR FROM cases WHERE case_id = 'C2'").fetchall() == [
        ("2026-11-16",)
    ]


def test_a_changed_phone_is_a_correction_and_its_number_never_shows(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    load_cases(con, _file(tmp_path, "a.csv", V1), ZONE)
    _draw(con, "2026-11-16")
    load_cases(con, _file(tmp_path, "b.csv", "C1,U1,户籍,2026/11/16 9:47,13900001111\n"), ZONE)
    changed, note = con.sql("SELECT changed, note FROM case_corrections").fetchall()[0]
    assert changed == "phone"
    assert "1390000" not in note
    assert "1390000" not in con.sql("SELECT reason FROM quarantine").fetchall()[0][0]
