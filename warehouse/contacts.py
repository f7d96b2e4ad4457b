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


def blocked_among(con: duckdb.DuckDBPyConnection, phones: Sequence[str]) -> set[str]:
    """Which of ``phones`` opted out or are on the do-not-contact list, as of now."""
    if not phones:
        return set()
    frame = pl.DataFrame({"phone_e164": list(set(phones))}, schema={"phone_e164": pl.String})
    con.register("_phones", frame.to_arrow())
    try:
        rows = con.sql(
            "SELECT phone_e164 FROM _phones SEMI JOIN "
            "(SELECT phone_e164 FROM opt_outs UNION ALL SELECT phone_e164 FROM do_not_contact) "
            "USING (phone_e164)"
        ).fetchall()
    finally:
        con.unregister("_phones")
    return {r[0] for r in rows}
