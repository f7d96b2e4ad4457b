"""Read-only access to the published copy for ``minyi sql`` and ``minyi validate --date``.

The copy is opened read-only with DuckDB's external access disabled and its
configuration locked: a query cannot write, read or write other files
(``COPY … TO``, ``read_csv('/etc/passwd')``), ``ATTACH`` another database (the
live warehouse with raw numbers), ``INSTALL`` or ``LOAD`` an extension, or turn
those settings back on. A query that runs longer than the timeout is stopped.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from minyi.errors import Terminal


class QueryRefused(Terminal):
    pass


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise QueryRefused(f"no published copy at {path}; run a flow first / 尚无员工副本")
    return duckdb.connect(
        str(path),
        read_only=True,
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "lock_configuration": True,
        },
    )


def run_query(path: Path, query: str, timeout: float = 30.0, max_rows: int = 200) -> str:
    """The query's result as a printed table; refuses writes, files, attachments, extensions."""
    con = connect(path)
    timer = threading.Timer(timeout, con.interrupt)
    timer.start()
    try:
        relation = con.sql(query)
        if relation is None:
            return "ok\n"
        return str(relation.__str__()) if max_rows <= 0 else _render(relation, max_rows)
    except duckdb.InterruptException:
        raise QueryRefused(f"the query ran over {timeout:.0f} s and was stopped") from None
    except duckdb.Error as exc:
        raise QueryRefused(str(exc).splitlines()[0]) from None
    finally:
        timer.cancel()
        con.close()


def _render(relation: duckdb.DuckDBPyRelation, max_rows: int) -> str:
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        relation.show(max_rows=max_rows, max_width=200)
    return buffer.getvalue()


def validation_history(path: Path, scope: str) -> tuple[list[str], bool]:
    """The latest recorded validation of a scope, from the published copy."""
    con = connect(path)
    try:
        rows = con.sql(
            "SELECT suite, success, blocking, failed FROM validations WHERE scope = $s "
            "AND recorded_at = (SELECT max(recorded_at) FROM validations WHERE scope = $s) "
            "ORDER BY suite",
            params={"s": scope},
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return [f"{scope}: no validation recorded"], False
    lines = [
        f"{scope} {suite}: " + ("ok" if ok else f"FAILED{' (blocking)' if blocking else ''}: {failed}")
        for suite, ok, blocking, failed in rows
    ]
    return lines, any(bool(r[2]) for r in rows)
