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
