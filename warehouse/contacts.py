"""The do-not-contact list and opt-outs: numbers that are never contacted again, on any channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import polars as pl

from warehouse.phones import MOBILE, normalise


def add_do_not_contact(
    con: duckdb.DuckDBPyConnection, numbers: Sequence[str], reason: str
) -> tuple[int, list[str]]:
    """Add numbers (any accepted shape); returns (added, rejected inputs). Re-adding changes nothing."""
    parsed = normalise(pl.Series(list(numbers), dtype=pl.String))
    rejected = [
        n for n, s in zip(numbers, parsed["phone_status"].to_list(), strict=True) if s != MOBILE
    ]
    valid = sorted({p for p in parsed["phone_e164"].to_list() if p})
    before = con.sql("SELECT count(*) FROM do_not_contact").fetchall()[0][0]
    now = datetime.now(UTC)
    con.executemany(
        "INSERT INTO do_not_contact VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(p, reason, now) for p in valid],
    )
    after = con.sql("SELECT count(*) FROM do_not_contact").fetchall()[0][0]
    return int(after - before), rejected


def add_opt_outs(
    con: duckdb.DuckDBPyConnection, numbers: Sequence[str], channel: str, at: datetime
) -> int:
    """Record opt-outs received outside the channels (e.g. carried over from an earlier system)."""
    parsed = normalise(pl.Series(list(numbers), dtype=pl.String))
    valid = sorted({p for p in parsed["phone_e164"].to_list() if p})
    before = con.sql("SELECT count(*) FROM opt_outs").fetchall()[0][0]
    con.executemany(
        "INSERT INTO opt_outs VALUES (?, ?, ?, NULL) ON CONFLICT DO NOTHING",
        [(p, channel, at) for p in valid],
    )
    return int(con.sql("SELECT count(*) FROM opt_outs").fetchall()[0][0] - before)


def is_blocked(con: duckdb.DuckDBPyConnection, phone_e164: str) -> bool:
    """True when the number opted out or is on the do-not-contact list, as of now."""
    rows = con.sql(
        "SELECT EXISTS (SELECT 1 FROM opt_outs WHERE phone_e164 = $p) "
        "OR EXISTS (SELECT 1 FROM do_not_contact WHERE phone_e164 = $p)",
        params={"p": phone_e164},
    ).fetchall()
    return bool(rows and rows[0][0])
