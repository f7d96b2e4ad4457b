"""Validation results in the warehouse: each run of suites stored together, read back whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    blocking_failed: bool
    evaluated: int
    description: str
    rows: int | None = None


def record(
    con: duckdb.DuckDBPyConnection,
    scope: str,
    results: Sequence[SuiteResult],
    at: datetime,
    data_docs: Path | None = None,
) -> None:
    """Store one run of suites; they share ``recorded_at`` so the latest run reads back whole."""
    recorded = datetime.now(UTC)
    con.executemany(
        "INSERT INTO validations (run_at, scope, suite, success, blocking, evaluated, failed, "
        "recorded_at, data_docs, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                at,
                scope,
                r.suite,
                r.success,
                r.blocking_failed,
                r.evaluated,
                None if r.success else r.description,
                recorded,
                None if data_docs is None else str(data_docs),
                r.rows,
            ]
            for r in results
        ],
    )


def latest(con: duckdb.DuckDBPyConnection, scope: str) -> list[tuple[str, bool, bool, str | None]]:
    """The latest recorded run of a scope: (suite, success, blocking failure, failure text)."""
    return [
        (str(suite), bool(ok), bool(blocking), failed)
        for suite, ok, blocking, failed in con.sql(
            "SELECT suite, success, blocking, failed FROM validations WHERE scope = $s "
            "AND recorded_at = (SELECT max(recorded_at) FROM validations WHERE scope = $s) "
            "ORDER BY suite",
            params={"s": scope},
        ).fetchall()
    ]


def latest_results(con: duckdb.DuckDBPyConnection, scope: str) -> list[SuiteResult]:
    """The latest recorded run of a scope as results (for the bulletin's appendix)."""
    rows = con.sql(
        "SELECT suite, success, blocking, evaluated, coalesce(failed, ''), rows FROM validations "
        "WHERE scope = $s AND recorded_at = (SELECT max(recorded_at) FROM validations "
        "WHERE scope = $s) ORDER BY suite",
        params={"s": scope},
    ).fetchall()
    return [
        SuiteResult(str(s), bool(ok), bool(b), int(n), str(text), None if rows_ is None else int(rows_))
        for s, ok, b, n, text, rows_ in rows
    ]


def blocking_failures(con: duckdb.DuckDBPyConnection, scope: str) -> list[str]:
    """Failure texts of the latest run's blocking suites (empty: nothing blocks)."""
    return [str(failed) for _, _, blocking, failed in latest(con, scope) if blocking]


def data_docs_of(con: duckdb.DuckDBPyConnection, scope: str) -> str | None:
    rows = con.sql(
        "SELECT max(data_docs) FROM validations WHERE scope = $s", params={"s": scope}
    ).fetchall()
    return None if not rows or rows[0][0] is None else str(rows[0][0])
