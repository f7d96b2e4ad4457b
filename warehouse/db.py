"""Opening the live warehouse, migrating it, and publishing the read-only copy."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb

from warehouse.errors import SchemaError, WarehouseBusy
from warehouse.schema import CURRENT_VERSION, MIGRATIONS
from warehouse.views import create_views_sql


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
    for statement in create_views_sql():
        con.execute(statement)
    if config:
        rows = [(key, str(value)) for key, value in config.items()]
        con.executemany("INSERT OR REPLACE INTO config VALUES (?, ?)", rows)
    return CURRENT_VERSION


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


# Columns that hold contact details: how each appears in the published copy.
# mask: 138****5678; key: keyed SHA-256 for linking without the number; drop.
_PUBLISH_PROJECTIONS: dict[str, dict[str, str]] = {
    "cases": {"phone_raw": "drop", "phone_e164": "mask+key"},
    "do_not_contact": {"phone_e164": "mask+key"},
    "opt_outs": {"phone_e164": "mask+key"},
    "events": {"detail": "drop"},
    "quarantine": {"record": "drop"},
    "answers": {"value": "answers"},
}


def _mask(column: str) -> str:
    return (
        f"CASE WHEN {column} IS NULL THEN NULL "
        f"ELSE left(regexp_replace({column}, '^\\+86', ''), 3) || '****' || right({column}, 4) END"
    )


def _projection(con: duckdb.DuckDBPyConnection, table: str, key: str) -> str:
    columns = [
        row[0]
        for row in con.sql(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND database_name = current_database() ORDER BY column_index",
            params=[table],
        ).fetchall()
    ]
    rules = _PUBLISH_PROJECTIONS.get(table, {})
    parts: list[str] = []
    for column in columns:
        rule = rules.get(column)
        if rule is None:
            parts.append(column)
        elif rule == "mask+key":
            parts.append(f"{_mask(column)} AS {column.replace('_e164', '')}_masked")
            parts.append(f"sha256('{key}' || {column}) AS {column.replace('_e164', '')}_key")
        elif rule == "answers":
            # free text may carry contact details; closed answers are kept
            parts.append(f"CASE WHEN item = 'reason' THEN NULL ELSE {column} END AS {column}")
    return ", ".join(parts)


def publish(con: duckdb.DuckDBPyConnection, target: Path, hash_key: str) -> Path:
    """Write an atomically replaced read-only copy without raw contact details.

    Staff open ``target`` while flows keep the live file: a session already
    open on the old copy keeps its (unlinked) file until it closes.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    safe_key = hash_key.replace("'", "''")
    con.execute("CHECKPOINT")
    con.execute(f"ATTACH '{tmp}' AS _pub")
    try:
        tables = [
            row[0]
            for row in con.sql(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "ORDER BY table_name"
            ).fetchall()
        ]
        for table in tables:
            con.execute(
                f"CREATE TABLE _pub.{table} AS SELECT {_projection(con, table, safe_key)} "
                f"FROM {table}"
            )
        for statement in create_views_sql("_pub"):
            con.execute(statement)
    finally:
        con.execute("DETACH _pub")
    os.replace(tmp, target)
    return target


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
