"""An unpredictable, still auditable draw (issue [7] item 11; METHODS.md "Selection key")."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from pathlib import Path

from flows.intake import draw_day, import_files, reveal_selection_key
from flows.wiring import open_warehouse
from minyi.settings import load_settings
from warehouse.loaders import load_units


def _home(tmp_path: Path, name: str) -> Path:
    home = tmp_path / name
    settings = load_settings(home, daily_total=20)
    units = tmp_path / "u.csv"
    units.write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\n", encoding="utf-8")
    cases = tmp_path / "c.csv"
    cases.write_text(
        "case_id,unit_id,category,completed_at,phone\n"
        + "".join(f"K{i:03d},U1,户籍,2026-10-12 10:00:00,+86139{i:08d}\n" for i in range(200)),
        encoding="utf-8",
    )
    with open_warehouse(settings) as con:
        load_units(con, units)
        import_files(con, settings, [cases])
        draw_day(con, settings, date(2026, 10, 12), date(2026, 10, 13))
    return home


def test_the_same_cases_and_seed_give_unpredictable_draws_each_verifiable_after_the_close(
    tmp_path: Path,
) -> None:
    samples = []
    for name in ("a", "b"):
        settings = load_settings(_home(tmp_path, name))
        with open_warehouse(settings) as con:
            samples.append({r[0] for r in con.sql("SELECT case_id FROM samples").fetchall()})
            committed = con.sql(
                "SELECT month, commitment, secret FROM selection_keys ORDER BY month"
            ).fetchall()
            # committed for this month and the next, revealed for neither
            assert [(m, s) for m, _, s in committed] == [("2026-10", None), ("2026-11", None)]
            reveal_selection_key(con, settings, "2026-10")
            (commitment, secret), = con.sql(
                "SELECT commitment, secret FROM selection_keys WHERE month = '2026-10'"
            ).fetchall()
            key = con.sql("SELECT prn_key FROM day_draws").fetchall()[0][0]
            audit = con.sql("SELECT bool_and(ok), count(*) FROM v_sample_audit").fetchall()[0]
        assert hashlib.sha256(secret.encode()).hexdigest() == commitment
        assert hmac.new(secret.encode(), b"2026-10-12", hashlib.sha256).hexdigest() == key
        assert audit == (True, 1)
        assert (settings.home / "secrets" / "selection-2026-10").stat().st_mode & 0o077 == 0
    assert samples[0] != samples[1] and len(samples[0]) == len(samples[1]) == 20
