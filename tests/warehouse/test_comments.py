"""Every view, table and column of the staff copy carries its Chinese comment, and the data
dictionary says the same thing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from warehouse import comments
from warehouse.db import connect
from warehouse.publish import publish

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "数据字典.md"


def _columns(con: duckdb.DuckDBPyConnection, kind: str) -> dict[str, list[tuple[str, str]]]:
    """(column, type) in order, per view (``kind`` = 'view') or base table ('table')."""
    listing = "duckdb_views()" if kind == "view" else "duckdb_tables()"
    name = "view_name" if kind == "view" else "table_name"
    rows = con.sql(
        f"SELECT c.table_name, c.column_name, c.data_type FROM duckdb_columns() c "
        f"JOIN (SELECT database_name, schema_name, {name} AS table_name FROM {listing} "
        f"      WHERE NOT internal) r USING (database_name, schema_name, table_name) "
        f"WHERE c.database_name = current_database() ORDER BY c.table_name, c.column_index"
    ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in rows:
        found.setdefault(str(table), []).append((str(column), str(type_)))
    return found


def _described(relations: dict[str, comments.Relation]) -> dict[str, list[tuple[str, str]]]:
    return {
        name: [(column, col.type) for column, col in rel.columns.items()]
        for name, rel in relations.items()
    }


def test_every_view_and_column_is_described_with_its_type(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        assert _columns(con, "view") == _described(comments.VIEWS)


def test_comments_apply_to_a_migrated_warehouse(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        for statement in comments.comment_statements():
            con.execute(statement)
        views = dict(
            con.sql("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall()
        )
        assert set(views) == set(comments.VIEWS)
        assert all(views.values()), [v for v, c in views.items() if not c]
        assert views["v_unit_month"].startswith("单位月度满意度（unit × month estimates）")
        uncommented = con.sql(
            "SELECT c.table_name, c.column_name FROM duckdb_columns() c "
            "JOIN duckdb_views() v ON v.view_name = c.table_name AND NOT v.internal "
            "WHERE c.comment IS NULL"
        ).fetchall()
        assert uncommented == []
        satisfaction = con.sql(
            "SELECT comment FROM duckdb_columns() "
            "WHERE table_name = 'v_responses' AND column_name = 'satisfaction'"
        ).fetchall()[0][0]
        assert satisfaction == "满意度等级；取值：1–5：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意"


def test_the_published_copy_is_commented_everywhere(tmp_path: Path) -> None:
    """Tables as the copy holds them (masked phones, no free text), views, every column."""
    with connect(tmp_path / "w.duckdb") as con:
        target = publish(con, tmp_path / "published" / "warehouse.duckdb", "k" * 32).path
    copy = duckdb.connect(str(target), read_only=True)
    try:
        assert _columns(copy, "table") == _described(comments.TABLES)
        missing = copy.sql(
            "SELECT 'view ' || view_name FROM duckdb_views() WHERE NOT internal AND comment IS NULL "
            "UNION ALL SELECT 'table ' || table_name FROM duckdb_tables() WHERE comment IS NULL "
            "UNION ALL SELECT table_name || '.' || column_name FROM duckdb_columns() "
            "WHERE database_name = current_database() AND comment IS NULL"
        ).fetchall()
        assert missing == []
        masked = copy.sql(
            "SELECT comment FROM duckdb_columns() "
            "WHERE table_name = 'cases' AND column_name = 'phone_masked'"
        ).fetchall()[0][0]
        assert "原号码不在副本中" in masked
    finally:
        copy.close()


def test_quotes_in_text_are_escaped(tmp_path: Path) -> None:
    """A comment holding ' (the time-zone hint does) is a valid literal, stored verbatim."""
    with connect(tmp_path / "w.duckdb") as con:
        for statement in comments.comment_statements():
            con.execute(statement)
        stored = con.sql(
            "SELECT comment FROM duckdb_columns() "
            "WHERE table_name = 'v_responses' AND column_name = 'answered_at'"
        ).fetchall()[0][0]
    assert stored == comments.VIEWS["v_responses"].columns["answered_at"].comment()
    assert "timezone('Asia/Shanghai', 列名)" in stored


def test_the_dictionary_says_what_the_comments_say() -> None:
    """docs/数据字典.md holds the generated sections exactly (regenerate with
    ``uv run python -m warehouse.comments --write docs/数据字典.md``)."""
    text = DICTIONARY.read_text(encoding="utf-8")
    assert comments.dictionary_markdown() in text
    assert comments.splice(text) == text


def test_splice_replaces_only_the_generated_block() -> None:
    document = f"# 标题\n\n手写的说明。\n\n{comments.BEGIN_MARK}\n旧内容\n{comments.END_MARK}\n\n## 结尾\n"
    spliced = comments.splice(document)
    assert spliced.startswith("# 标题\n\n手写的说明。\n\n")
    assert spliced.endswith("\n\n## 结尾\n")
    assert "旧内容" not in spliced
    assert "| `satisfaction` | INTEGER | 满意度等级 |" in spliced
    with pytest.raises(ValueError):
        comments.splice("# 没有生成区\n")


def test_apply_comments_runs_inside_the_callers_transaction(tmp_path: Path) -> None:
    with connect(tmp_path / "w.duckdb") as con:
        con.execute("BEGIN TRANSACTION")
        ran = comments.apply_comments(con)
        con.execute("ROLLBACK")  # the caller's transaction decides
        assert con.sql(
            "SELECT count(*) FROM duckdb_views() WHERE NOT internal AND comment IS NOT NULL"
        ).fetchall() == [(0,)]
        con.execute("BEGIN TRANSACTION")
        assert comments.apply_comments(con) == ran
        con.execute("COMMIT")
        assert con.sql(
            "SELECT count(*) FROM duckdb_views() WHERE NOT internal AND comment IS NULL"
        ).fetchall() == [(0,)]
    described = len(comments.comment_statements()) + sum(
        1 + len(t.columns) for t in comments.TABLES.values()
    )
    # phone_masked and phone_key of cases, opt_outs, do_not_contact exist in the copy only,
    # and so does the publish's bookkeeping table (the table and its 3 columns)
    copy_only = 6 + 1 + len(comments.TABLES["_publish_state"].columns)
    assert ran == described - copy_only
