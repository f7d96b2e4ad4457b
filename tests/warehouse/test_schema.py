from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.db import connect, migrate, schema_version
from warehouse.errors import SchemaError
from warehouse.schema import CURRENT_VERSION


def test_new_file_reaches_current_version_and_reopening_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        assert schema_version(con) == CURRENT_VERSION
        con.execute("INSERT INTO do_not_contact VALUES ('+8613800000000', 'x', now())")
    with connect(path) as con:
        assert con.sql("SELECT count(*) FROM do_not_contact").fetchall() == [(1,)]
        assert con.sql("SELECT count(*) FROM schema_version").fetchall() == [(CURRENT_VERSION,)]


def test_a_newer_warehouse_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        con.execute("INSERT INTO schema_version VALUES (999, 'future', now())")
    con = duckdb.connect(str(path))
    try:
        with pytest.raises(SchemaError, match="newer than this program"):
            migrate(con)
    finally:
        con.close()


def test_a_previous_version_is_migrated_without_loss(tmp_path: Path, units_file: Path) -> None:
    """Build a warehouse as version 1 of the program did, fill it, then open it with this one."""
    from zoneinfo import ZoneInfo

    from warehouse.loaders import load_cases, load_units
    from warehouse.schema import MIGRATIONS

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, note VARCHAR, "
        "applied_at TIMESTAMPTZ NOT NULL)"
    )
    version, note, statements = MIGRATIONS[0]
    for statement in statements:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, note])
    load_units(con, units_file)
    cases = tmp_path / "c.csv"
    cases.write_text(
        "case_id,unit_id,category,completed_at,phone\nC1,U1,户籍,2026-10-09 10:00,13812345678\n"
        "C2,U9,户籍,2026-10-09 10:00,13812345679\n",
        encoding="utf-8",
    )
    load_cases(con, cases, ZoneInfo("Asia/Shanghai"))
    tables = [r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()]
    before = {t: con.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    con.close()

    with connect(path) as migrated:
        assert schema_version(migrated) == CURRENT_VERSION > 1
        after = {t: migrated.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
        assert {t: rows for t, rows in after.items() if t != "schema_version"} == {
            t: rows for t, rows in before.items() if t != "schema_version"
        }
        assert sum(len(rows) for rows in after.values()) > 5
        assert migrated.sql("SELECT count(*) FROM response_rates").fetchall() == [(0,)]
