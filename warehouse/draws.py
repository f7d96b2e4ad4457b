"""The draw log: which days are closed, what each draw found, late cases.

A day is **closed** once it has been drawn with at least one eligible case
(``day_draws`` row with ``eligible > 0``): its sample never changes again, and a
case completed on it that arrives later is counted ineligible with reason
``late``. A day drawn with no eligible case (say its export had not arrived) is
not closed: when cases arrive it is drawn again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

LATE = "late"


@dataclass(frozen=True)
class StoredDraw:
    cases: int
    eligible: int  # Σ N_h at draw time
    sampled: int
    strata: int
    minimum_asked: int
    minimum_used: int
    ineligible: dict[str, int]  # by reason, without the detail after ':'


def stored_draw(con: duckdb.DuckDBPyConnection, day: date) -> StoredDraw | None:
    """The draw of ``day`` as stored, or None when the day has not been drawn."""
    rows = con.sql(
        "SELECT cases, eligible, sampled, strata, minimum_asked, minimum_used "
        "FROM day_draws WHERE sample_date = $d",
        params={"d": day},
    ).fetchall()
    if not rows:
        return None
    cases, eligible, sampled, strata, asked, used = (int(v) for v in rows[0])
    reasons = con.sql(
        "SELECT regexp_replace(reason, ':.*', '') AS r, count(*) FROM ineligible "
        "WHERE sample_date = $d GROUP BY r ORDER BY r",
        params={"d": day},
    ).fetchall()
    return StoredDraw(
        cases, eligible, sampled, strata, asked, used, {str(r): int(n) for r, n in reasons}
    )


def is_closed(con: duckdb.DuckDBPyConnection, day: date) -> bool:
    rows = con.sql(
        "SELECT eligible > 0 FROM day_draws WHERE sample_date = $d", params={"d": day}
    ).fetchall()
    return bool(rows and rows[0][0])


def closed_days(con: duckdb.DuckDBPyConnection, days: Iterable[date]) -> set[date]:
    """Which of ``days`` are closed."""
    wanted = sorted(set(days))
    if not wanted:
        return set()
    rows = con.sql(
        "SELECT sample_date FROM day_draws WHERE eligible > 0 AND list_contains($days, sample_date)",
        params={"days": wanted},
    ).fetchall()
    return {r[0] for r in rows}


def reopen_empty_day(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """Forget a draw that found no eligible case, so that the day can be drawn again."""
    con.execute("DELETE FROM ineligible WHERE sample_date = $d", {"d": day})
    con.execute("DELETE FROM day_draws WHERE sample_date = $d AND eligible = 0", {"d": day})


def record_draw(
    con: duckdb.DuckDBPyConnection,
    day: date,
    *,
    cases: int,
    eligible: int,
    sampled: int,
    strata: int,
    total: int,
    minimum_asked: int,
    minimum_used: int,
    seed: int,
    key: str | None = None,
) -> None:
    """Log the draw of ``day`` (inside the caller's transaction that stores the sample)."""
    con.execute(
        "INSERT INTO day_draws (sample_date, drawn_at, cases, eligible, sampled, strata, total, "
        "minimum_asked, minimum_used, seed, prn_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            day,
            datetime.now(UTC),
            cases,
            eligible,
            sampled,
            strata,
            total,
            minimum_asked,
            minimum_used,
            seed,
            key,
        ],
    )


def mark_late(con: duckdb.DuckDBPyConnection) -> dict[date, int]:
    """Count cases loaded after their day was closed as ineligible ``late``.

    Idempotent: returns the counts by day of the cases newly marked by this call.
    """
    rows = con.sql(
        "INSERT INTO ineligible (sample_date, case_id, reason) "
        "SELECT c.service_date, c.case_id, $late FROM cases c "
        "JOIN day_draws d ON d.sample_date = c.service_date AND d.eligible > 0 "
        "WHERE c.loaded_at > d.drawn_at "
        "ON CONFLICT DO NOTHING RETURNING sample_date",
        params={"late": LATE},
    ).fetchall()
    counts: dict[date, int] = {}
    for (day,) in rows:
        counts[day] = counts.get(day, 0) + 1
    return counts
def drawn_days(con: duckdb.DuckDBPyConnection, dates: Iterable[date | None]) -> set[date]:
    """Those of ``dates`` whose day is closed (drawn with eligible cases).

    A closed day's frame is fixed: a later change to one of its cases must not
    move the case in or out of the frame the sample was drawn from.
    """
    return closed_days(con, (day for day in dates if day is not None))


def commit_selection_key(con: duckdb.DuckDBPyConnection, month: str, commitment: str) -> None:
    """Store a month's commitment once (it never changes afterwards)."""
    con.execute(
        "INSERT INTO selection_keys (month, commitment, committed_at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [month, commitment, datetime.now(UTC)],
    )


def reveal_selection_key(con: duckdb.DuckDBPyConnection, month: str, secret: str) -> None:
    """Publish a closed month's secret, so anyone can re-derive its draws."""
    con.execute(
        "UPDATE selection_keys SET secret = ?, revealed_at = coalesce(revealed_at, ?) "
        "WHERE month = ?",
        [secret, datetime.now(UTC), month],
    )
