"""The day's frame and eligibility, and storing a drawn sample (METHODS.md "Frame and eligibility").

Eligibility is decided here, in SQL over the warehouse, because it needs the
contact history; the draw itself is ``sampling.selection`` (pure). Every
ineligible case is kept with its first reason, in this order:

no_mobile:<status> · excluded_category · opted_out · do_not_contact ·
cooldown · repeat_same_day (another case of the same number was chosen for the day; it
stands for this one through its multiplicity weight) · late (arrived after its day was drawn)
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from warehouse import draws
from warehouse.db import transaction

REASONS = (
    "no_mobile",
    "excluded_category",
    "opted_out",
    "do_not_contact",
    "cooldown",
    "repeat_same_day",
    "late",  # completed on a day already drawn (warehouse.draws)
)


# Every per-number fact (opted out, do-not-contact, sampled within the cooldown) goes into
# one small table keyed by number, joined once to the day's cases. Narrow on purpose: a
# window function carrying the case columns over millions of rows, or joining the whole
# contact history to all cases, is what made this slow (bench/sampling_bench.py).
# A number left with several eligible cases: they compete by u' = SHA-256("<seed>:number:
# <case_id>") (the same byte layout as the selection PRN, another message), the smallest
# wins and carries the number's count of competing cases as its multiplicity; the others
# are 'repeat_same_day', represented by the winner (see day_frame).
_FRAME_SQL = """
WITH day_cases AS (
    SELECT case_id, unit_id, category, phone_e164, phone_status
    FROM cases WHERE service_date = $day),
recent AS (  -- today's numbers sampled in [day - cooldown, day); see day_frame
    SELECT c.phone_e164 FROM cases c
    SEMI JOIN day_cases d ON d.phone_e164 = c.phone_e164
    SEMI JOIN samples s ON s.case_id = c.case_id
        AND s.sample_date >= $day - to_days($cooldown) AND s.sample_date < $day
    WHERE c.service_date >= $day - to_days($cooldown) AND c.service_date < $day),
marks AS (
    SELECT phone_e164, 3 AS rank FROM opt_outs
    UNION ALL SELECT phone_e164, 4 FROM do_not_contact
    UNION ALL SELECT phone_e164, 5 FROM recent),
numbers AS (SELECT phone_e164, min(rank) AS rank FROM marks GROUP BY phone_e164),
checked AS (
    SELECT d.case_id, d.unit_id, d.category, d.phone_e164,
           CASE
             WHEN d.phone_status <> 'mobile' THEN 'no_mobile:' || d.phone_status
             WHEN list_contains($excluded, d.category) THEN 'excluded_category'
             WHEN m.rank = 3 THEN 'opted_out'
             WHEN m.rank = 4 THEN 'do_not_contact'
             WHEN m.rank = 5 THEN 'cooldown'
           END AS reason
    FROM day_cases d
    LEFT JOIN numbers m ON m.phone_e164 = d.phone_e164),
repeated AS (  -- numbers with more than one case still eligible today
    SELECT phone_e164 FROM checked WHERE reason IS NULL
    GROUP BY phone_e164 HAVING count(*) > 1),
competing AS (
    SELECT c.phone_e164, c.case_id,
           ((('0x' || left(sha256($key || ':number:' || c.case_id), 16))::UBIGINT
             >> 11)::DOUBLE / 9007199254740992.0) AS u
    FROM checked c SEMI JOIN repeated r ON r.phone_e164 = c.phone_e164
    WHERE c.reason IS NULL),
chosen AS (
    SELECT phone_e164, min({'u': u, 'id': case_id}).id AS winner, count(*) AS m
    FROM competing GROUP BY phone_e164)
SELECT c.case_id, c.unit_id, c.category,
       CASE WHEN c.reason IS NULL AND c.case_id <> w.winner THEN 'repeat_same_day'
            ELSE c.reason END AS reason,
       CASE WHEN c.reason IS NULL AND c.case_id <> w.winner THEN w.winner END AS represented_by,
       CASE WHEN c.reason IS NULL THEN coalesce(w.m, 1) END::INTEGER AS multiplicity
FROM checked c
LEFT JOIN chosen w ON w.phone_e164 = c.phone_e164
ORDER BY c.case_id
"""


def day_frame(
    con: duckdb.DuckDBPyConnection,
    day: date,
    cooldown_days: int,
    excluded: tuple[str, ...],
    *,
    seed: int,
    key: str | None = None,
) -> pl.DataFrame:
    """Every case completed on ``day``: ``case_id``, ``unit_id``, ``category``, ``reason``
    (null = eligible), ``represented_by`` and ``multiplicity``.

    Sorted by ``case_id``. A number is in its cooldown when a case with that number was
    sampled on one of the ``cooldown_days`` days before ``day``. A case is only ever
    sampled on the day it was completed (the frame of day d is the cases completed on d,
    and :func:`store_sample` stores them with ``sample_date`` d), so only the cases
    completed in those days are looked up, not the whole history.

    **Repeat visitors** (METHODS.md "Frame and eligibility"; :mod:`sampling.selection`).
    The cases of a number that pass every other check compete: the one with the smallest
    u' = SHA-256(``"<key>:number:<case_id>"``) (the day's selection key, else the seed) (ties by ``case_id``) stays eligible with
    ``multiplicity`` m = the number of competing cases, so its design weight becomes
    m · N_h / n_h; each other one is ``repeat_same_day`` with ``represented_by`` naming
    the winner (stored in ``ineligible``, so ``v_sample_audit`` re-derives the choice).
    ``multiplicity`` is 1 for a number's only case and null for ineligible cases.
    """
    return con.sql(
        _FRAME_SQL,
        params={
            "day": day,
            "cooldown": cooldown_days,
            "excluded": list(excluded) if excluded else [""],
            "key": str(seed) if key is None else key,
        },
    ).pl()


def stored_sample(con: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM v_sample WHERE sample_date = $day ORDER BY stratum, case_id",
        params={"day": day},
    ).pl()


def store_sample(
    con: duckdb.DuckDBPyConnection,
    day: date,
    frame: pl.DataFrame,
    allocation: pl.DataFrame,
    sample: pl.DataFrame,
    *,
    method: str,
    total: int,
    minimum_asked: int,
    minimum_used: int,
    seed: int,
    key: str | None = None,
) -> None:
    """Store the ineligible reasons, the allocation, the sample and the draw log of ``day``,
    in one transaction (a day is drawn whole or not at all)."""
    ineligible = frame.filter(pl.col("reason").is_not_null()).select(
        pl.lit(day).alias("sample_date"),
        "case_id",
        "reason",
        *(["represented_by"] if "represented_by" in frame.columns else []),
    )
    alloc = allocation.select(
        pl.lit(day).alias("sample_date"),
        "stratum",
        pl.col("stratum").str.split_exact("|", 1).struct.field("field_1").alias("category"),
        "stratum_population",
        "stratum_sample",
        pl.lit(method).alias("method"),
        pl.lit(total).alias("total"),
        pl.lit(minimum_used).alias("minimum"),
        pl.lit(seed).alias("seed"),
    )
    rows = sample.select(
        "case_id",
        pl.lit(day).alias("sample_date"),
        "stratum",
        "prn",
        "inclusion_prob",
        "design_weight",
        pl.lit(seed).cast(pl.Int64).alias("seed"),
        (pl.col("multiplicity") if "multiplicity" in sample.columns else pl.lit(1))
        .cast(pl.Int32)
        .alias("multiplicity"),
    )
    with transaction(con):
        draws.reopen_empty_day(con, day)
        for name, part in (("ineligible", ineligible), ("allocations", alloc), ("samples", rows)):
            con.register("_part", part.to_arrow())
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _part")
            con.unregister("_part")
        draws.record_draw(
            con,
            day,
            cases=frame.height,
            eligible=frame.height - ineligible.height,
            sampled=rows.height,
            strata=alloc.height,
            total=total,
            minimum_asked=minimum_asked,
            minimum_used=minimum_used,
            seed=seed,
            key=key,
        )


def split_frame(frame: pl.DataFrame, day: date) -> tuple[pl.DataFrame, dict[str, int]]:
    """The eligible cases of ``day_frame`` with their ``stratum`` (date|category), and the
    ineligible counts by reason (without the detail after ':')."""
    reasons = (
        frame.filter(pl.col("reason").is_not_null())
        .group_by(pl.col("reason").str.replace(r":.*", ""))
        .len()
    )
    ineligible = dict(zip(reasons["reason"].to_list(), reasons["len"].to_list(), strict=True))
    eligible = (
        frame.filter(pl.col("reason").is_null())
        .drop("represented_by", strict=False)
        .with_columns(stratum=pl.lit(day.isoformat() + "|") + pl.col("category"))
    )
    return eligible, ineligible
