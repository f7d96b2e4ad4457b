"""Answers that fail a row-level expectation are quarantined with the expectation's name."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from flows.intake import draw_day, import_files, validate_day
from flows.wiring import open_warehouse
from minyi.settings import load_settings
from warehouse.loaders import load_units

ZONE = ZoneInfo("Asia/Shanghai")


def test_bad_answers_go_to_quarantine(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "home", daily_total=3)
    units = tmp_path / "u.csv"
    units.write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\n", encoding="utf-8")
    cases = tmp_path / "c.csv"
    cases.write_text(
        "case_id,unit_id,category,completed_at,phone\n"
        + "".join(f"K{i},U1,户籍,2026-10-12 10:00:00,+8613900000{i:03d}\n" for i in range(3)),
        encoding="utf-8",
    )
    with open_warehouse(settings) as con:
        load_units(con, units)
        import_files(con, settings, [cases])
        draw_day(con, settings, date(2026, 10, 12), date(2026, 10, 13))
    sent = datetime(2026, 10, 13, 9, 30, tzinfo=ZONE)
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        for i, (value, minutes) in enumerate([("4", 5), ("7", 5), ("3", -60)]):
            key = f"SM{i}:answer:satisfaction"
            con.execute(
                "INSERT INTO outbox VALUES (?, ?, 'sms', 1, 't', 'sent', ?, ?, ?, NULL, NULL)",
                [f"K{i}:1", f"K{i}", sent, sent, f"SM{i}"],
            )
            con.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, 'sms', 'answer', ?, '{}', now())",
                [key, f"SM{i}", f"K{i}:1", f"K{i}", sent],
            )
            con.execute(
                "INSERT INTO answers VALUES (?, 'satisfaction', ?, 'sms', ?, ?)",
                [
                    f"K{i}",
                    value,
                    sent.replace(minute=30 + minutes) if minutes > 0 else sent.replace(hour=8),
                    key,
                ],
            )
    finally:
        con.close()
    with open_warehouse(settings) as con:
        problems = validate_day(con, date(2026, 10, 13), sent)
    assert any("quarantined" in p for p in problems)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert con.sql("SELECT case_id FROM answers ORDER BY 1").fetchall() == [("K0",)]
        reasons = dict(
            con.sql(
                "SELECT json_extract_string(record, '$.case_id'), reason FROM quarantine "
                "WHERE source = 'answers'"
            ).fetchall()
        )
        assert reasons["K1"].startswith("failed expectation ExpectColumnValuesToBeInSet")
        assert reasons["K2"].startswith(
            "failed expectation ExpectColumnPairValuesAToBeGreaterThanB"
        )
    finally:
        con.close()
