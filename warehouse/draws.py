"""Reading back a stored draw: what the day's frame looked like when it was drawn."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb


@dataclass(frozen=True)
class StoredDraw:
    cases: int
    eligible: int  # Σ N_h at draw time
    sampled: int
    strata: int
    ineligible: dict[str, int]  # by reason, without the detail after ':'


def stored_draw(con: duckdb.DuckDBPyConnection, day: date) -> StoredDraw | None:
    """The draw of ``day`` as stored, or None when the day has not been drawn."""
    alloc = con.sql(
        "SELECT count(*), coalesce(sum(stratum_population), 0), coalesce(sum(stratum_sample), 0) "
        "FROM allocations WHERE sample_date = $d",
        params={"d": day},
    ).fetchall()[0]
    drawn = con.sql(
        "SELECT count(*) FROM samples WHERE sample_date = $d", params={"d": day}
    ).fetchall()[0][0]
    if alloc[0] == 0 and drawn == 0:
        return None
    reasons = con.sql(
        "SELECT regexp_replace(reason, ':.*', '') AS r, count(*) FROM ineligible "
        "WHERE sample_date = $d GROUP BY r ORDER BY r",
        params={"d": day},
    ).fetchall()
    ineligible = {str(r): int(n) for r, n in reasons}
    eligible = int(alloc[1])
    return StoredDraw(
        cases=eligible + sum(ineligible.values()),
        eligible=eligible,
        sampled=int(drawn),
        strata=int(alloc[0]),
        ineligible=ineligible,
    )


def drawn_days(con: duckdb.DuckDBPyConnection, dates: Iterable[date | None]) -> set[date]:
    """Those of ``dates`` already drawn: ``allocations`` or ``samples`` has rows for the day.

    A drawn day's frame is fixed: a later change to one of its cases must not
    move the case in or out of the frame the sample was drawn from.
    """
    days = sorted({day for day in dates if day is not None})
    if not days:
        return set()
    rows = con.sql(
        "SELECT sample_date FROM allocations WHERE sample_date IN (SELECT unnest($d::DATE[])) "
        "UNION SELECT sample_date FROM samples WHERE sample_date IN (SELECT unnest($d::DATE[]))",
        params={"d": days},
    ).fetchall()
    return {row[0] for row in rows}
