"""Reading a month's fieldwork for estimation, and storing what the monthly flow computes."""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

from warehouse.db import transaction
from warehouse.fieldwork import month_bounds


def _replace(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: dict[str, object],
    frame: pl.DataFrame,
) -> None:
    with transaction(con):
        con.execute(f"DELETE FROM {table} WHERE {where}", params)
        if not frame.is_empty():
            con.register("_rows", frame.to_arrow())
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
            con.unregister("_rows")


def event_summary(con: duckdb.DuckDBPyConnection, month: str, at: datetime) -> pl.DataFrame:
    """Per sampled case of the month: what happened, for ``sampling.dispositions.assign``."""
    first, nxt = month_bounds(month)
    return con.sql(
        """
        WITH ev AS (
            SELECT case_id,
                   bool_or(kind = 'wrong_number') AS wrong_number,
                   bool_or(kind IN ('opted_out', 'refused')) AS refused,
                   bool_or(kind = 'break_off') AS break_off,
                   bool_or(kind = 'unreadable') AS unreadable,
                   bool_or(kind IN ('delivered', 'no_answer', 'busy', 'completed', 'answer')) AS contacted,
                   bool_or(kind IN ('undelivered', 'invalid_number')) AS undeliverable
            FROM events WHERE occurred_at <= $at GROUP BY case_id),
        att AS (
            SELECT case_id, count(*) FILTER (WHERE status IN ('sent', 'failed')) AS attempts,
                   arg_max(channel, step) AS last_channel, max(step) AS last_step,
                   bool_or(status = 'failed') AS failed
            FROM outbox GROUP BY case_id),
        ans AS (
            SELECT case_id,
                   bool_or(item = 'satisfaction' AND value IN ('1','2','3','4','5')) AS satisfaction_answered,
                   bool_or(item = 'satisfaction') AS satisfaction_any,
                   count(*) FILTER (WHERE item IN ('integrity', 'timeliness')) = 2 AS later_items_answered,
                   arg_min(channel, answered_at) FILTER (WHERE item = 'satisfaction') AS answer_channel
            FROM answers WHERE answered_at <= $at GROUP BY case_id)
        SELECT s.case_id, s.sample_date,
               coalesce(att.attempts, 0)::INTEGER AS attempts,
               coalesce(ans.answer_channel, att.last_channel) AS channel,
               coalesce(att.last_step, 0)::INTEGER AS last_step,
               coalesce(ans.satisfaction_any, false) AS satisfaction_answered,
               coalesce(ans.later_items_answered, false) AS later_items_answered,
               coalesce(ev.wrong_number, false) AS wrong_number,
               coalesce(ev.refused, false) AS refused,
               coalesce(ev.break_off, false) AS break_off,
               coalesce(ev.unreadable, false) AS unreadable,
               coalesce(ev.contacted, false) AS contacted,
               coalesce(ev.undeliverable, false) OR coalesce(att.failed, false) AS undeliverable
        FROM samples s
        LEFT JOIN ev USING (case_id) LEFT JOIN att USING (case_id) LEFT JOIN ans USING (case_id)
        WHERE s.sample_date >= $first AND s.sample_date < $next
        ORDER BY s.case_id
        """,
        params={"at": at, "first": first, "next": nxt},
    ).pl()


def store_dispositions(con: duckdb.DuckDBPyConnection, month: str, frame: pl.DataFrame) -> None:
    first, nxt = month_bounds(month)
    _replace(
        con,
        "dispositions",
        "sample_date >= $first AND sample_date < $next",
        {"first": first, "next": nxt},
        frame.select(
            "case_id", "sample_date", "channel", "attempts", "aapor_code", "is_final", "decided_at"
        ),
    )


def sampled_for_weighting(
    con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime
) -> pl.DataFrame:
    """Sampled cases of the month with design weight, weighting class (category) and response
    (an answer by the month's cut-off)."""
    first, nxt = month_bounds(month)
    return con.sql(
        """
        SELECT s.case_id, s.design_weight, c.category AS weight_class, c.unit_id,
               EXISTS (SELECT 1 FROM answers a WHERE a.case_id = s.case_id
                       AND a.item = 'satisfaction' AND a.value IN ('1','2','3','4','5')
                       AND a.answered_at <= $cutoff)
               AND s.case_id NOT IN (SELECT case_id FROM response_exclusions) AS responded
        FROM samples s JOIN cases c USING (case_id)
        WHERE s.sample_date >= $first AND s.sample_date < $next
        ORDER BY s.case_id
        """,
        params={"first": first, "next": nxt, "cutoff": cutoff},
    ).pl()


def store_weights(con: duckdb.DuckDBPyConnection, month: str, weights: pl.DataFrame) -> None:
    rows = weights.filter(pl.col("final_weight").is_not_null()).select(
        "case_id", pl.lit(month).alias("month"), "weight_class", "final_weight"
    )
    _replace(con, "response_weights", "month = $month", {"month": month}, rows)


def responses(con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime) -> pl.DataFrame:
    """The month's respondents: answers given by the cut-off (a later answer is kept as data
    but never changes a closed month)."""
    first, nxt = month_bounds(month)
    return con.sql(
        "SELECT * FROM v_responses WHERE sample_date >= $first AND sample_date < $next "
        "AND answered_at <= $cutoff ORDER BY case_id",
        params={"first": first, "next": nxt, "cutoff": cutoff},
    ).pl()


def cutoff_of(con: duckdb.DuckDBPyConnection, month: str) -> datetime | None:
    """The cut-off a month was closed at, or None when it was not closed yet."""
    rows = con.sql(
        "SELECT cutoff FROM month_closes WHERE month = $m", params={"m": month}
    ).fetchall()
    return None if not rows else rows[0][0]


def record_close(con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime) -> None:
    con.execute(
        "INSERT OR REPLACE INTO month_closes VALUES (?, ?, current_timestamp)", [month, cutoff]
    )


def dispositions(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    first, nxt = month_bounds(month)
    return con.sql(
        "SELECT * FROM v_dispositions WHERE sample_date >= $first AND sample_date < $next",
        params={"first": first, "next": nxt},
    ).pl()


def units(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql(
        "SELECT unit_id, unit_name, unit_kind, peer_group FROM units ORDER BY unit_id"
    ).pl()


def store_unit_month(
    con: duckdb.DuckDBPyConnection, month: str, rows: pl.DataFrame, funnel: pl.DataFrame
) -> None:
    _replace(
        con,
        "unit_month",
        "month = $month",
        {"month": month},
        rows.with_columns(month=pl.lit(month)),
    )
    _replace(
        con,
        "funnel_month",
        "month = $month",
        {"month": month},
        funnel.with_columns(month=pl.lit(month)),
    )


def fieldwork_counts(
    con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime
) -> dict[str, int]:
    first, nxt = month_bounds(month)
    row = con.sql(
        """
        SELECT (SELECT count(*) FROM cases WHERE service_date >= $first AND service_date < $next),
               (SELECT count(*) FROM cases c WHERE service_date >= $first AND service_date < $next
                  AND NOT EXISTS (SELECT 1 FROM ineligible i WHERE i.case_id = c.case_id)),
               (SELECT count(*) FROM samples WHERE sample_date >= $first AND sample_date < $next),
               (SELECT count(*) FROM v_responses WHERE sample_date >= $first AND sample_date < $next
                  AND answered_at <= $cutoff),
               (SELECT count(*) FROM followups f JOIN samples s USING (case_id)
                  WHERE f.reason = 'integrity' AND s.sample_date >= $first AND s.sample_date < $next),
               (SELECT count(DISTINCT f.unit_id) FROM followups f JOIN samples s USING (case_id)
                  WHERE f.reason = 'integrity' AND s.sample_date >= $first AND s.sample_date < $next),
               (SELECT count(*) FROM followups f JOIN samples s USING (case_id)
                  WHERE f.reason = 'dissatisfied' AND s.sample_date >= $first AND s.sample_date < $next)
        """,
        params={"first": first, "next": nxt, "cutoff": cutoff},
    ).fetchall()[0]
    keys = (
        "cases",
        "eligible",
        "sampled",
        "responded",
        "integrity_reports",
        "integrity_units",
        "dissatisfied_followups",
    )
    return dict(zip(keys, (int(v) for v in row), strict=True))


def channel_mix(con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime) -> pl.DataFrame:
    first, nxt = month_bounds(month)
    return con.sql(
        "SELECT unit_id, channel, count(*)::INTEGER AS responded FROM v_responses "
        "WHERE sample_date >= $first AND sample_date < $next AND answered_at <= $cutoff "
        "GROUP BY ALL ORDER BY ALL",
        params={"first": first, "next": nxt, "cutoff": cutoff},
    ).pl()


def channel_fieldwork(
    con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime
) -> pl.DataFrame:
    """Per channel: cases contacted on it and cases that answered on it."""
    first, nxt = month_bounds(month)
    return con.sql(
        """
        SELECT o.channel, count(DISTINCT o.case_id)::INTEGER AS contacted,
               count(DISTINCT r.case_id)::INTEGER AS responded
        FROM outbox o JOIN samples s USING (case_id)
        LEFT JOIN v_responses r ON r.case_id = o.case_id AND r.channel = o.channel
            AND r.answered_at <= $cutoff
        WHERE s.sample_date >= $first AND s.sample_date < $next AND o.status IN ('sent', 'failed')
        GROUP BY ALL ORDER BY ALL
        """,
        params={"first": first, "next": nxt, "cutoff": cutoff},
    ).pl()


def unit_month(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM v_unit_month WHERE month = $month ORDER BY peer_group, rank NULLS LAST, unit_id",
        params={"month": month},
    ).pl()


def funnel(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    return con.sql(
        "SELECT peer_group, target, tau2, phi, z, units FROM funnel_month WHERE month = $month",
        params={"month": month},
    ).pl()


def store_response_rates(con: duckdb.DuckDBPyConnection, month: str, rates: pl.DataFrame) -> None:
    """Rates from ``sampling.dispositions.rates`` with ``unit_id`` and ``channel`` ('*' = all)."""
    rows = rates.select(
        pl.lit(month).alias("month"),
        "unit_id",
        "channel",
        (
            pl.col("I")
            + pl.col("P")
            + pl.col("R")
            + pl.col("NC")
            + pl.col("O")
            + pl.col("U")
            + pl.col("NE")
        )
        .cast(pl.Int32)
        .alias("sampled"),
        *[pl.col(k).cast(pl.Int32).alias(k.lower()) for k in ("I", "P", "R", "NC", "O", "U", "NE")],
        *[pl.col(k).alias(k.lower()) for k in ("RR1", "RR3", "COOP1", "REF1", "CON1")],
    )
    _replace(con, "response_rates", "month = $month", {"month": month}, rows)


def reason_texts(con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime) -> list[str]:
    """The free-text reasons dissatisfied respondents gave (for coding into themes only)."""
    first, nxt = month_bounds(month)
    return [
        str(r[0])
        for r in con.sql(
            "SELECT a.value FROM answers a JOIN samples s USING (case_id) "
            "WHERE a.item = 'reason' AND a.value IS NOT NULL AND a.answered_at <= $cutoff "
            "AND s.sample_date >= $first AND s.sample_date < $next",
            params={"first": first, "next": nxt, "cutoff": cutoff},
        ).fetchall()
    ]


def category_counts(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    """Per case category of the month: completed ``cases`` and ``sampled``."""
    first, nxt = month_bounds(month)
    return con.sql(
        """
        SELECT c.category, count(*)::BIGINT AS cases, count(s.case_id)::BIGINT AS sampled
        FROM cases c LEFT JOIN samples s USING (case_id)
        WHERE c.service_date >= $first AND c.service_date < $next
        GROUP BY c.category ORDER BY c.category
        """,
        params={"first": first, "next": nxt},
    ).pl()


def issue_serial(con: duckdb.DuckDBPyConnection, month: str, year: int) -> int:
    """The month's bulletin serial in ``year`` (the 发文字号): kept once given, else the next."""
    rows = con.sql("SELECT serial FROM bulletin_issues WHERE month = $m", params={"m": month}).fetchall()
    if rows:
        return int(rows[0][0])
    serial = int(
        con.sql(
            "SELECT coalesce(max(serial), 0) + 1 FROM bulletin_issues WHERE year = $y",
            params={"y": year},
        ).fetchall()[0][0]
    )
    con.execute(
        "INSERT INTO bulletin_issues VALUES (?, ?, ?, current_timestamp)", [month, year, serial]
    )
    return serial


# --- judging performance (flows.month.judge_month) -------------------------------------


def closed_months(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """Every closed month and its cut-off."""
    return dict(con.sql("SELECT month, cutoff FROM month_closes ORDER BY month").fetchall())


def window_responses(con: duckdb.DuckDBPyConnection, months: list[str]) -> pl.DataFrame:
    """The respondents of the given closed months, each at its own stored cut-off (so a late
    answer never enters a judgement), with ``month``; the frame of ``sampling.adjustment``."""
    return con.sql(
        """
        SELECT r.*, mc.month FROM v_responses r
        JOIN month_closes mc ON mc.month = strftime(r.sample_date, '%Y-%m')
        WHERE list_contains($months, mc.month) AND r.answered_at <= mc.cutoff
          AND r.final_weight IS NOT NULL
        ORDER BY r.case_id
        """,
        params={"months": months or [""]},
    ).pl()


def randomised_responses(con: duckdb.DuckDBPyConnection, months: list[str]) -> pl.DataFrame:
    """Respondents of the channel experiment in the given closed months (at their cut-offs):
    ``case_id``, ``month``, ``category``, ``assigned_channel``, ``channel``, ``satisfied``."""
    return con.sql(
        """
        SELECT r.case_id, mc.month, r.category, x.assigned_channel, r.channel, r.satisfied
        FROM v_responses r
        JOIN channel_assignments x USING (case_id)
        JOIN month_closes mc ON mc.month = strftime(r.sample_date, '%Y-%m')
        WHERE list_contains($months, mc.month) AND r.answered_at <= mc.cutoff
        ORDER BY r.case_id
        """,
        params={"months": months or [""]},
    ).pl()


def integrity_answers(
    con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime
) -> pl.DataFrame:
    """Answers to the integrity item (吃拿卡要) of the month by its cut-off: ``unit_id``,
    ``inclusion_prob`` of the sampled case and ``integrity_report`` (a lead, never a veto)."""
    first, nxt = month_bounds(month)
    return con.sql(
        """
        SELECT c.unit_id, s.inclusion_prob, a.value = 'yes' AS integrity_report
        FROM answers a JOIN samples s USING (case_id) JOIN cases c USING (case_id)
        WHERE a.item = 'integrity' AND a.value IN ('yes', 'no') AND a.answered_at <= $cutoff
          AND s.sample_date >= $first AND s.sample_date < $next
        ORDER BY a.case_id
        """,
        params={"first": first, "next": nxt, "cutoff": cutoff},
    ).pl()


def store_judgement(con: duckdb.DuckDBPyConnection, month: str, frame: pl.DataFrame) -> None:
    """The month's judgements (every purpose) replace the stored ones."""
    _replace(
        con, "unit_judgement", "month = $month", {"month": month}, frame.with_columns(month=pl.lit(month))
    )


def judgement(con: duckdb.DuckDBPyConnection, month: str, purpose: str) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM unit_judgement WHERE month = $month AND purpose = $purpose "
        "ORDER BY peer_group, unit_id",
        params={"month": month, "purpose": purpose},
    ).pl()


def store_channel_effects(
    con: duckdb.DuckDBPyConnection, month: str, frame: pl.DataFrame
) -> None:
    _replace(
        con, "channel_effects", "month = $month", {"month": month}, frame.with_columns(month=pl.lit(month))
    )


def channel_effects(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM channel_effects WHERE month = $month ORDER BY NOT reference, channel",
        params={"month": month},
    ).pl()


def store_changes(con: duckdb.DuckDBPyConnection, month: str, frame: pl.DataFrame) -> None:
    _replace(con, "unit_changes", "month = $month", {"month": month}, frame)


def changes(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM unit_changes WHERE month = $month ORDER BY unit_id, comparison",
        params={"month": month},
    ).pl()
