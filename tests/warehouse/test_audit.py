"""Every stored draw can be re-derived independently, in SQL, from cases + eligibility + seed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from flows.intake import draw_day, import_files
from flows.wiring import open_warehouse
from minyi.settings import load_settings
from warehouse.loaders import load_units


def test_sample_audit_recomputes_the_draw_and_catches_tampering(
    tmp_path: Path, units_file: Path
) -> None:
    settings = load_settings(tmp_path / "home", daily_total=20, min_per_stratum=2)
    cases = tmp_path / "cases.csv"
    rows = ["case_id,unit_id,category,completed_at,phone"]
    cats = ["户籍"] * 40 + ["社保"] * 15 + ["殡葬"] * 3
    rows += [
        f"K{i:03d},U{i % 3 + 1},{cat},2026-10-12 10:00:00,1390000{i:04d}"
        for i, cat in enumerate(cats)
    ]
    rows += [
        "K900,U1,户籍,2026-10-12 11:00:00,13900000001"
    ]  # second case of a number: not eligible
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with open_warehouse(settings) as con:
        load_units(con, units_file)
        import_files(con, settings, [cases])
        report = draw_day(con, settings, date(2026, 10, 12), date(2026, 10, 13))
    assert (report.eligible, report.sampled, report.ineligible) == (58, 20, {"repeat_same_day": 1})
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        audit = con.sql(
            "SELECT stratum, stratum_population, stratum_sample, ok FROM v_sample_audit ORDER BY 1"
        ).fetchall()
        # equal allocation of 20 over 3 strata; the take-all stratum (3) releases its share
        assert audit == [
            ("2026-10-12|户籍", 40, 9, True),
            ("2026-10-12|殡葬", 3, 3, True),
            ("2026-10-12|社保", 15, 8, True),
        ]
        sampled = {r[0] for r in con.sql("SELECT case_id FROM samples").fetchall()}
        outsider = next(f"K{i:03d}" for i in range(40) if f"K{i:03d}" not in sampled)
        con.execute(
            "UPDATE samples SET case_id = ? WHERE case_id = (SELECT min(case_id) FROM samples "
            "WHERE stratum = '2026-10-12|户籍')",
            [outsider],
        )
        assert con.sql("SELECT count(*) FROM v_sample_audit WHERE NOT ok").fetchall() == [(1,)]
    finally:
        con.close()
