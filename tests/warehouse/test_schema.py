from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse.db import connect, migrate, schema_version
from warehouse.errors import SchemaError
from warehouse.schema import CURRENT_VERSION, MIGRATIONS


def test_new_file_reaches_current_version_and_reopening_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with connect(path) as con:
        assert schema_version(con) == CURRENT_VERSION
        con.execute("INSERT INTO do_not_contact VALUES ('+8613800000000', 'x', now())")
    with connect(path) as con:
        assert con.sql("SELECT count(*) FROM do_not_contact").fetchall() == [(1,)]
        # one row per migration (6 is casework's; 5 arrives from another branch)
        assert con.sql("SELECT count(*) FROM schema_version").fetchall() == [(len(MIGRATIONS),)]


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


def test_a_previous_version_is_migrated_without_loss(tmp_path: Path) -> None:
    """Build a warehouse as version 1 of the program did, fill it, then open it with this one.

    Filled with SQL as version 1 wrote it: today's loaders need today's schema.
    """
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
    con.execute("INSERT INTO units VALUES ('U1', '区公安分局', 'agency', 'agency', NULL, now())")
    con.execute(
        "INSERT INTO cases VALUES ('C1', 'U1', '户籍', '2026-10-09 02:00:00+00', '2026-10-09', "
        "'13812345678', '+8613812345678', 'mobile', NULL, NULL, NULL, 'h1', 'c.csv', now())"
    )
    con.execute(
        "INSERT INTO quarantine VALUES ('cases', 'c.csv', 'f1', 3, '{}', "
        "'unknown unit: ''U9'' is not in the units registry', now())"
    )
    con.execute("INSERT INTO loads VALUES ('cases', 'c.csv', 'f1', 2, 1, 0, 1, now())")
    tables = [r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()]
    columns = {t: ", ".join(c[0] for c in con.sql(f"DESCRIBE {t}").fetchall()) for t in tables}
    before = {t: con.sql(f"SELECT {columns[t]} FROM {t} ORDER BY ALL").fetchall() for t in tables}
    con.close()

    with connect(path) as migrated:
        assert schema_version(migrated) == CURRENT_VERSION > 1
        after = {
            t: migrated.sql(f"SELECT {columns[t]} FROM {t} ORDER BY ALL").fetchall() for t in tables
        }
        # schema_version gains the new versions, config the stamp of the views created
        assert {t: rows for t, rows in after.items() if t not in ("schema_version", "config")} == {
            t: rows for t, rows in before.items() if t not in ("schema_version", "config")
        }
        assert sum(len(rows) for rows in after.values()) > 4
        assert migrated.sql("SELECT count(*) FROM response_rates").fetchall() == [(0,)]
        assert migrated.sql("SELECT corrections_applied, phones_mobile FROM loads").fetchall() == [
            (0, 0)
        ]
        assert migrated.sql("SELECT count(*) FROM case_corrections").fetchall() == [(0,)]


def test_version_4_samples_get_multiplicity_one_and_no_judgement(tmp_path: Path) -> None:
    """Draws stored before repeat visitors competed keep their weights: multiplicity 1."""
    from warehouse.schema import MIGRATIONS

    path = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, note VARCHAR, "
        "applied_at TIMESTAMPTZ NOT NULL)"
    )
    for version, note, statements in MIGRATIONS[:4]:
        for statement in statements:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, note])
    con.execute("INSERT INTO samples VALUES ('C1', DATE '2026-10-12', 's', 0.1, 0.5, 2.0, 7)")
    con.execute("INSERT INTO ineligible VALUES (DATE '2026-10-12', 'C2', 'repeat_same_day')")
    con.close()
    with connect(path) as migrated:
        assert schema_version(migrated) == CURRENT_VERSION
        assert migrated.sql("SELECT case_id, multiplicity, design_weight FROM samples").fetchall() == [
            ("C1", 1, 2.0)
        ]
        assert migrated.sql("SELECT represented_by FROM ineligible").fetchall() == [(None,)]
        for table in ("unit_judgement", "channel_effects", "unit_changes", "channel_assignments"):
            assert migrated.sql(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
