"""Unit-facing feedback never shows answers of a cell with fewer than 5 respondents (背对背)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from warehouse.loaders import load_cases, load_units


def test_small_cells_show_counts_only(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    rows = ["case_id,unit_id,category,completed_at,phone,handler_id"]
    # U1: 6 respondents in 户籍 by handler H1, 2 in 社保 by handler H2
    specs = [("户籍", "H1")] * 6 + [("社保", "H2")] * 2
    rows += [
        f"C{i},U1,{cat},2026-10-12 10:00,1390000{i:04d},{h}" for i, (cat, h) in enumerate(specs)
    ]
    cases = tmp_path / "c.csv"
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    load_cases(con, cases, ZoneInfo("Asia/Shanghai"))
    for i, (cat, _) in enumerate(specs):
        con.execute(
            "INSERT INTO allocations VALUES (DATE '2026-10-12', ?, ?, 10, 8, 'equal', 8, 1, 1) "
            "ON CONFLICT DO NOTHING",
            [f"2026-10-12|{cat}", cat],
        )
        con.execute(
            "INSERT INTO samples (case_id, sample_date, stratum, prn, inclusion_prob, design_weight, seed) VALUES (?, DATE '2026-10-12', ?, 0.5, 0.8, 1.25, 1)",
            [f"C{i}", f"2026-10-12|{cat}"],
        )
        con.execute(
            "INSERT INTO answers VALUES (?, 'satisfaction', ?, 'sms', now(), ?)",
            [f"C{i}", "2" if i in (0, 7) else "5", f"E{i}"],
        )
    cells = {
        (kind, cell): (n, suppressed, sat, unsat)
        for kind, cell, n, suppressed, sat, unsat in con.sql(
            "SELECT cell_kind, cell, respondents, suppressed, satisfied, not_satisfied "
            "FROM v_unit_feedback WHERE unit_id = 'U1'"
        ).fetchall()
    }
    assert cells == {
        ("category", "户籍"): (6, False, 5, 1),
        ("category", "社保"): (2, True, None, None),
        ("handler", "H1"): (6, False, 5, 1),
        ("handler", "H2"): (2, True, None, None),
    }
