from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from warehouse.contacts import add_do_not_contact
from warehouse.db import publish
from warehouse.loaders import load_cases, load_units
from warehouse.views import VIEWS

PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86|0086)?1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside hashes
CASES = """case_id,unit_id,category,completed_at,phone
C1,U1,户籍,2026-10-09 10:00:00,138 1234 5678
C2,U2,社保,2026-10-09 11:00:00,13900001111
X9,U404,社保,2026-10-09 11:00:00,13700002222
"""


def _filled(con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path) -> None:
    load_units(con, units_file)
    path = tmp_path / "c.csv"
    path.write_text(CASES, encoding="utf-8")
    load_cases(con, path, ZoneInfo("Asia/Shanghai"))
    add_do_not_contact(con, ["13600003333"], "asked by phone")


def test_published_copy_has_views_and_no_raw_phone_anywhere(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = publish(con, tmp_path / "published" / "warehouse.duckdb", "k")
    pub = duckdb.connect(str(target), read_only=True)
    try:
        views = {
            r[0]
            for r in pub.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
        assert set(VIEWS) <= views
        columns = pub.sql(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
            "AND NOT internal"
        ).fetchall()
        hits = []
        for table, column in columns:
            for (value,) in pub.sql(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall():
                if value and PHONE_LIKE.search(value):
                    hits.append((table, column, value))
        assert hits == []
        masked = pub.sql("SELECT phone_masked FROM cases ORDER BY case_id").fetchall()
        assert masked == [("138****5678",), ("139****1111",)]
    finally:
        pub.close()


def test_reader_in_another_process_while_the_writer_holds_the_live_file(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = publish(con, tmp_path / "published" / "warehouse.duckdb", "k")
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.sql('SELECT count(*) FROM cases').fetchall()[0][0])"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True
    )
    publish(con, target, "k")  # the writer refreshes while the reader runs
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0
    assert out.strip() == "2"
    # the live file stays locked to other processes: staff must use the copy
    live = con.sql(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()[0][0]
    blocked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)",
            live,
        ],
        capture_output=True,
        text=True,
    )
    assert blocked.returncode != 0
