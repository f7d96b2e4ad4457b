"""The day's frame and eligibility, and storing a drawn sample (METHODS.md "Frame and eligibility").

Eligibility is decided here, in SQL over the warehouse, because it needs the
contact history; the draw itself is ``sampling.selection`` (pure). Every
ineligible case is kept with its first reason, in this order:

no_mobile:<status> · excluded_category · opted_out · do_not_contact ·
cooldown · repeat_same_day
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

REASONS = (
    "no_mobile",
    "excluded_category",
    "opted_out",
    "do_not_contact",
    "cooldown",
    "repeat_same_day",
)


def day_frame(
    con: duckdb.DuckDBPyConnection, day: date, cooldown_days: int, excluded: tuple[str, ...]
) -> pl.DataFrame:
    """Every case completed on ``day``: ``case_id``, ``unit_id``, ``category``, ``reason`` (null = eligible)."""
    return con.sql(
        """
        WITH day_cases AS (
            SELECT c.*, row_number() OVER (
                       PARTITION BY c.phone_e164 ORDER BY c.completed_at, c.case_id) AS nth
            FROM cases c WHERE c.service_date = $day),
        recent AS (
            SELECT DISTINCT c.phone_e164 FROM samples s JOIN cases c USING (case_id)
            WHERE s.sample_date < $day AND s.sample_date >= $day - to_days($cooldown)
              AND c.phone_e164 IS NOT NULL)
        SELECT d.case_id, d.unit_id, d.category,
               CASE
                 WHEN d.phone_status <> 'mobile' THEN 'no_mobile:' || d.phone_status
                 WHEN list_contains($excluded, d.category) THEN 'excluded_category'
                 WHEN o.phone_e164 IS NOT NULL THEN 'opted_out'
                 WHEN n.phone_e164 IS NOT NULL THEN 'do_not_contact'
                 WHEN r.phone_e164 IS NOT NULL THEN 'cooldown'
                 WHEN d.nth > 1 THEN 'repeat_same_day'
               END AS reason
        FROM day_cases d
        LEFT JOIN opt_outs o ON o.phone_e164 = d.phone_e164
        LEFT JOIN do_not_contact n ON n.phone_e164 = d.phone_e164
        LEFT JOIN recent r ON r.phone_e164 = d.phone_e164
        ORDER BY d.case_id
        """,
        params={
            "day": day,
            "cooldown": cooldown_days,
            "excluded": list(excluded) if excluded else [""],
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
    method: str,
    total: int,
    minimum: int,
    seed: int,
) -> None:
    """Store the ineligible reasons, the allocation table and the sample of ``day`` in one transaction."""
    ineligible = frame.filter(pl.col("reason").is_not_null()).select(
        pl.lit(day).alias("sample_date"), "case_id", "reason"
    )
    alloc = allocation.select(
        pl.lit(day).alias("sample_date"),
        "stratum",
        pl.col("stratum").str.split_exact("|", 1).struct.field("field_1").alias("category"),
        "stratum_population",
        "stratum_sample",
        pl.lit(method).alias("method"),
        pl.lit(total).alias("total"),
        pl.lit(minimum).alias("minimum"),
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
    )
    con.execute("BEGIN TRANSACTION")
    try:
        for name, part in (("ineligible", ineligible), ("allocations", alloc), ("samples", rows)):
            con.register("_part", part.to_arrow())
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _part")
            con.unregister("_part")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
