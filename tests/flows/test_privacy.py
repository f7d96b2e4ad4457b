"""Personal data: private files, and purged once no longer needed (PIPL minimisation)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from channels.retention import purge_landing
from flows.wiring import open_warehouse
from minyi.settings import load_settings
from warehouse.retention import purge_phones


@pytest.mark.flow
def test_files_holding_personal_data_are_private(prefect_api: str, tmp_path: Path) -> None:
    home = tmp_path / "center"
    units = tmp_path / "u.csv"
    units.write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\n", encoding="utf-8")
    cases = tmp_path / "c.csv"
    cases.write_text("case_id,unit_id,category,completed_at,phone\nK1,U1,户籍,2026-11-16 10:00:00,13900000001\n",
                     encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    for args in (("units", "load", str(units)), ("cases", "load", str(cases))):
        done = subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home), *args],
                              env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    for path in [home, *home.rglob("*")]:
        if ".prefect" in path.parts:
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"


def test_phones_of_old_closed_months_and_old_landing_rows_are_purged(home: Path) -> None:
    settings = load_settings(home)
    now = datetime(2027, 6, 1, tzinfo=UTC)
    with open_warehouse(settings) as con:
        con.execute(
            "INSERT INTO units VALUES ('U1', '甲局', 'agency', 'agency', NULL, now())"
        )
        for case_id, day in (("OLD", "2026-10-12"), ("NEW", "2027-05-12")):
            con.execute(
                "INSERT INTO cases (case_id, unit_id, category, completed_at, service_date, phone_raw, "
                "phone_e164, phone_status, content_hash, loaded_at) VALUES "
                "(?, 'U1', '户籍', ?, ?, '13900000001', '+8613900000001', 'mobile', 'h', now())",
                [case_id, f"{day} 02:00:00+00", day],
            )
        con.execute("INSERT INTO opt_outs VALUES ('+8613900000009', 'sms', now(), NULL)")
        con.execute("INSERT INTO month_closes VALUES ('2026-10', '2026-11-04 00:00:00+00', now())")
        con.execute("INSERT INTO month_closes VALUES ('2027-05', '2027-06-01 00:00:00+00', now())")
        assert purge_phones(con, now, settings.retention_days) == {"2026-10": 1}
        rows = con.sql("SELECT case_id, phone_raw, phone_e164, phone_status FROM cases ORDER BY 1").fetchall()
        kept = con.sql("SELECT count(*) FROM opt_outs").fetchall()
    assert rows == [("NEW", "13900000001", "+8613900000001", "mobile"), ("OLD", None, None, "mobile")]
    assert kept == [(1,)]  # an opt-out must be honoured: never purged

    landing = settings.landing_path
    con2 = sqlite3.connect(landing)
    con2.executescript(
        "CREATE TABLE inbound (seq INTEGER PRIMARY KEY, detail TEXT, received_at TEXT, loaded_at TEXT);"
        "INSERT INTO inbound VALUES (1, '5 办理太慢 13900000001', '2026-11-01', '2026-11-01'),"
        "(2, 'recent', '2027-05-30', '2027-05-30'), (3, 'not loaded', '2026-11-01', NULL);"
    )
    con2.close()
    counts = purge_landing(landing, now - timedelta(days=settings.retention_days))
    assert counts == {"inbound": 1}
    assert b"13900000001" not in landing.read_bytes()
