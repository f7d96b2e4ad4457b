"""Running Great Expectations suites and recording their outcomes in the warehouse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb

from expectations.validate import Outcome
from warehouse import validations


def record(
    con: duckdb.DuckDBPyConnection,
    scope: str,
    outcomes: Sequence[Outcome],
    at: datetime,
    data_docs: Path | None = None,
) -> None:
    validations.record(
        con,
        scope,
        [
            validations.SuiteResult(
                o.suite, o.success, o.blocking_failed, o.evaluated, o.describe(), o.rows
            )
            for o in outcomes
        ],
        at,
        data_docs,
    )


def history(con: duckdb.DuckDBPyConnection, scope: str) -> tuple[list[str], bool]:
    """The latest recorded validation of a scope, one line per suite; and whether it blocks."""
    rows = validations.latest(con, scope)
    if not rows:
        return [f"{scope}: no validation recorded"], False
    lines = [
        f"{scope} {suite}: "
        + ("ok" if ok else f"FAILED{' (blocking)' if blocking else ''}: {failed}")
        for suite, ok, blocking, failed in rows
    ]
    return lines, any(blocking for _, _, blocking, _ in rows)
