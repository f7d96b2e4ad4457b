"""`minyi sql` reads the published copy and nothing else: attacks that worked before now fail."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from app.cli import main


@pytest.fixture
def copy(home: Path) -> Path:
    published = home / "published" / "warehouse.duckdb"
    published.parent.mkdir(parents=True)
    con = duckdb.connect(str(published))
    con.execute("CREATE TABLE units AS SELECT 'U1' AS unit_id")
    con.close()
    live = duckdb.connect(str(home / "warehouse.duckdb"))
    live.execute("CREATE TABLE cases AS SELECT '+8613812345678' AS phone_e164")
    live.close()
    (home / "bulletins").mkdir()
    (home / "bulletins" / "conduct.csv").write_text("unit_id\nU1\n", encoding="utf-8")
    return published


@pytest.mark.parametrize(
    "query",
    [
        "COPY units TO '{home}/bulletins/conduct.csv'",
        "COPY units TO '{home}/warehouse.duckdb'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('{home}/*')",
        "ATTACH '{home}/warehouse.duckdb' AS live",
        "ATTACH '{home}/warehouse.duckdb' AS live (READ_ONLY)",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "CREATE TABLE x AS SELECT 1",
        "DROP TABLE units",
        "SELECT * FROM read_parquet('{home}/warehouse.duckdb')",
    ],
)
def test_writes_files_and_attachments_are_refused(
    home: Path, copy: Path, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    before = (home / "bulletins" / "conduct.csv").read_bytes(), (home / "warehouse.duckdb").read_bytes()
    code = main(["--home", str(home), "sql", query.format(home=home)])
    out, err = capsys.readouterr()
    assert code == 1 and err.startswith("minyi: error:") and "root:" not in out
    after = (home / "bulletins" / "conduct.csv").read_bytes(), (home / "warehouse.duckdb").read_bytes()
    assert after == before


def test_reads_work_and_a_long_query_is_stopped(
    home: Path, copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--home", str(home), "sql", "SELECT unit_id FROM units"]) == 0
    assert "U1" in capsys.readouterr().out
    code = main(["--home", str(home), "sql", "--timeout", "1",
                 "SELECT count(*) FROM range(100000000000) a"])
    _, err = capsys.readouterr()
    assert code == 1 and "was stopped" in err
