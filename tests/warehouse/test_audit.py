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


def test_repeat_visitors_compete_by_prn_and_carry_their_multiplicity(
    tmp_path: Path, units_file: Path
) -> None:
    """A number's cases of the day compete by u' = SHA-256("key:number:case_id"); the winner
    carries the multiplicity, the others point to it; the audit re-derives both."""
    import polars as pl

    from sampling.random_state import prn

    rows = ["case_id,unit_id,category,completed_at,phone"]
    # R01–R04: one number, four visits in two categories; S..: single visits; X1, X2: one
    # number, one visit in an excluded category (not competing) and one eligible
    rows += [
        f"R0{i},U{i % 3 + 1},{'户籍' if i % 2 else '社保'},2026-10-12 {8 + i:02d}:00:00,13911110000"
        for i in range(1, 5)
    ]
    rows += [f"S{i:02d},U{i % 3 + 1},户籍,2026-10-12 10:00:00,1390000{i:04d}" for i in range(12)]
    rows += [
        "X1,U1,信访,2026-10-12 10:00:00,13922220000",
        "X2,U1,社保,2026-10-12 11:00:00,13922220000",
    ]
    cases = tmp_path / "cases.csv"
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings = load_settings(
        tmp_path / "home", daily_total=50, min_per_stratum=1, excluded_categories=("信访",)
    )
    with open_warehouse(settings) as con:
        load_units(con, units_file)
        import_files(con, settings, [cases])
        report = draw_day(con, settings, date(2026, 10, 12), date(2026, 10, 13))
    assert report.ineligible == {"repeat_same_day": 3, "excluded_category": 1}
    assert report.sampled == report.eligible == 14  # every eligible case: take-all strata
    with open_warehouse(settings) as con:
        (key,), = con.sql("SELECT prn_key FROM day_draws").fetchall()  # the day's selection key
    u = dict(
        zip(
            [f"R0{i}" for i in range(1, 5)],
            prn(key, pl.Series([f"number:R0{i}" for i in range(1, 5)])),
            strict=True,
        )
    )
    winner = min(u, key=lambda k: (u[k], k))
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        losers = con.sql(
            "SELECT case_id, represented_by FROM ineligible WHERE reason = 'repeat_same_day' ORDER BY 1"
        ).fetchall()
        assert losers == [(c, winner) for c in sorted(u) if c != winner]
        sample = {
            r[0]: r[1:]
            for r in con.sql(
                "SELECT case_id, multiplicity, design_weight, inclusion_prob FROM v_sample"
            ).fetchall()
        }
        assert sample[winner] == (4, 4.0, 0.25)  # a take-all stratum: d = m · N_h / n_h = 4
        assert sample["X2"][0] == 1 and sample["S00"][0] == 1  # the excluded visit did not compete
        audit = con.sql("SELECT sum(repeat_visitors), bool_and(ok) FROM v_sample_audit").fetchall()
        assert audit == [(1, True)]
        # tampering with the multiplicity, the weight or the choice is caught
        for tamper, undo in (
            (
                f"UPDATE samples SET multiplicity = 1 WHERE case_id = '{winner}'",
                f"UPDATE samples SET multiplicity = 4 WHERE case_id = '{winner}'",
            ),
            (
                f"UPDATE samples SET design_weight = 1 WHERE case_id = '{winner}'",
                f"UPDATE samples SET design_weight = 4 WHERE case_id = '{winner}'",
            ),
        ):
            con.execute(tamper)
            assert con.sql("SELECT count(*) FROM v_sample_audit WHERE NOT ok").fetchall() == [(1,)]
            con.execute(undo)
        loser = losers[0][0]
        con.execute(
            "UPDATE ineligible SET represented_by = ? WHERE represented_by = ? AND case_id <> ?",
            [loser, winner, loser],
        )
        con.execute(
            "UPDATE ineligible SET case_id = ?, represented_by = ? WHERE case_id = ?",
            [winner, loser, loser],
        )
        con.execute("UPDATE samples SET case_id = ? WHERE case_id = ?", [loser, winner])
        assert con.sql("SELECT count(*) FROM v_sample_audit WHERE NOT ok").fetchall() != [(0,)]
    finally:
        con.close()
