"""Opening the live warehouse and migrating it (the staff copy: ``warehouse.publish``)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb

from warehouse.errors import SchemaError, WarehouseBusy
from warehouse.schema import CURRENT_VERSION, MIGRATIONS
from warehouse.views import VIEWS, create_views_sql

VIEWS_KEY = "views_sha256"  # config: the schema version and view text the views were made from


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None) -> Any:
    """The first column of the first row (None when there is none), fully fetched."""
    rows = con.sql(query, params=params).fetchall()
    return rows[0][0] if rows else None


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The version recorded in the file, 0 for an empty file."""
    exists = scalar(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version' "
        "AND database_name = current_database()",
    )
    if not exists:
        return 0
    found = scalar(con, "SELECT max(version) FROM schema_version")
    return int(found) if found is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, config: Mapping[str, object] | None = None) -> int:
    """Apply the missing migrations in order; returns the version reached."""
    found = schema_version(con)
    if found > CURRENT_VERSION:
        raise SchemaError(found, CURRENT_VERSION)
    if found == 0:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, note VARCHAR, applied_at TIMESTAMPTZ NOT NULL)"
        )
    for version, note, statements in MIGRATIONS:
        if version <= found:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, current_timestamp)", [version, note]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    _ensure_views(con)
    if config:
        rows = [(key, str(value)) for key, value in config.items()]
        con.executemany("INSERT OR REPLACE INTO config VALUES (?, ?)", rows)
    return CURRENT_VERSION


def views_digest() -> str:
    """What the live views are made from: the schema version and every view's text."""
    text = "\n".join([str(CURRENT_VERSION), *(f"{n}:{b}" for n, b in VIEWS.items())])
    return hashlib.sha256(text.encode()).hexdigest()


def _ensure_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the views when the schema version or a view's text changed (not at every connect)."""
    digest = views_digest()
    if scalar(con, "SELECT value FROM config WHERE key = ?", [VIEWS_KEY]) == digest:
        return
    for statement in create_views_sql():
        con.execute(statement)
    con.execute("INSERT OR REPLACE INTO config VALUES (?, ?)", [VIEWS_KEY, digest])


@contextlib.contextmanager
def connect(
    path: Path, config: Mapping[str, object] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The live warehouse, created and migrated on first use; closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise WarehouseBusy(str(path), str(exc).splitlines()[0]) from exc
    try:
        migrate(con, config)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit on success, roll back and re-raise on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
