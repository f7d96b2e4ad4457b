"""Fieldwork state in the warehouse: the outbox, inbound events, answers, opt-outs, follow-ups.

The outbox row of an attempt is committed before the provider is asked to
send; its ``attempt_id`` is deterministic (``case_id:step``), so a crash and a
restart find the row and reconcile it instead of contacting anyone twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from minyi.vocab import CLOSING_KINDS, CONTACT_SEQUENCE, DISSATISFIED_MAX
from warehouse.db import transaction


def _sampled_cases(con: duckdb.DuckDBPyConnection, name: str, keys: str) -> None:
    """Temp table ``name``: ``case_id, unit_id, category, service_date, phone_e164`` of the
    sampled cases whose ids the query ``keys`` yields.

    Found by id *and* sample day (a sampled case's ``service_date`` is its sample date), so
    DuckDB reads only those days' row groups of ``cases`` whatever the ids look like, and
    the time does not grow with the years of cases behind them. A case not found that way
    (should its date ever differ) is looked up by id alone.
    """
    columns = "c.case_id, c.unit_id, c.category, c.service_date, c.phone_e164"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {columns} "
        f"FROM (SELECT DISTINCT case_id FROM ({keys})) k JOIN samples s USING (case_id) "
        "JOIN cases c ON c.case_id = s.case_id AND c.service_date = s.sample_date"
    )
    missing = f"SELECT case_id FROM ({keys}) EXCEPT SELECT case_id FROM {name}"
    if con.sql(f"SELECT count(*) FROM ({missing})").fetchall()[0][0]:
        con.execute(
            f"INSERT INTO {name} SELECT {columns} FROM cases c WHERE c.case_id IN ({missing})"
        )


def case_states(con: duckdb.DuckDBPyConnection, at: datetime) -> pl.DataFrame:
    """The sampled cases drawn by ``at`` that may still be contacted, with their contact state
    (see channels.schedule) and the first channel the channel experiment assigned it (null
    outside it).

    Cases whose fieldwork is over (answered, closed by an event, failed, or every step of the
    contact sequence tried) are left out: ``channels.schedule.due`` never picks them, and
    reading their numbers would mean reading every case ever sampled at every dispatch.
    """
    params = {"at": at}
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _open_samples AS
        WITH attempts AS (
            SELECT case_id, max(step) AS last_step, max(sent_at) AS last_sent_at,
                   bool_or(status = 'failed') AS failed
            FROM outbox WHERE status IN ('sent', 'failed') GROUP BY case_id),
        answered AS (SELECT DISTINCT case_id FROM answers WHERE item = 'satisfaction'),
        closing AS (SELECT DISTINCT case_id FROM events
                    WHERE kind IN {CLOSING_KINDS!r} AND occurred_at <= $at)
        SELECT s.case_id, s.sample_date, coalesce(a.last_step, 0)::INTEGER AS last_step,
               a.last_sent_at::TIMESTAMPTZ AS last_sent_at
        FROM samples s
        LEFT JOIN attempts a USING (case_id)
        WHERE s.sample_date < CAST($at AS DATE) + 1
          AND NOT coalesce(a.failed, false)
          AND coalesce(a.last_step, 0) < {len(CONTACT_SEQUENCE)}
          AND s.case_id NOT IN (SELECT case_id FROM answered)
          AND s.case_id NOT IN (SELECT case_id FROM closing)
        """,
        params,
    )
    try:
        _sampled_cases(con, "_open_cases", "SELECT case_id FROM _open_samples")
        return con.sql(
            """
            SELECT s.case_id, s.sample_date, c.phone_e164, s.last_step, s.last_sent_at,
                   (o.phone_e164 IS NOT NULL OR d.phone_e164 IS NOT NULL) AS closed,
                   x.assigned_channel
            FROM _open_samples s
            JOIN _open_cases c USING (case_id)
            LEFT JOIN channel_assignments x USING (case_id)
            LEFT JOIN opt_outs o ON o.phone_e164 = c.phone_e164 AND o.opted_out_at <= $at
            LEFT JOIN do_not_contact d ON d.phone_e164 = c.phone_e164
            ORDER BY s.sample_date, s.case_id
            """,
            params=params,
        ).pl()
    finally:
        con.execute("DROP TABLE IF EXISTS _open_samples")
        con.execute("DROP TABLE IF EXISTS _open_cases")


def manual_used(con: duckdb.DuckDBPyConnection, at: datetime, zone: ZoneInfo) -> int:
    """Evaluators' calls already started on the local day of ``at``."""
    local_day = at.astimezone(zone).date()
    rows = con.sql(
        "SELECT count(*) FROM outbox WHERE channel = 'manual' "
        "AND CAST(timezone($zone, created_at) AS DATE) = $day",
        params={"zone": zone.key, "day": local_day},
    ).fetchall()
    return int(rows[0][0])


def write_outbox(
    con: duckdb.DuckDBPyConnection,
    actions: pl.DataFrame,
    provider: str,
    at: datetime,
    *,
    randomised_share: float = 0.0,
    seed: int = 0,
) -> pl.DataFrame:
    """Commit ``pending`` outbox rows for the actions; returns every row now to send.

    Those are the new rows and any left ``pending`` by a crash or marked ``retry``.
    Actions whose attempt already exists (a rerun at the same clock) are skipped.
    A first attempt of the channel experiment (``assigned_channel`` and
    ``offered_channels`` set, see ``channels.schedule``) also records the assignment
    in ``channel_assignments``, with ``randomised_share`` and ``seed``, in the same
    transaction, once.
    """
    if actions.is_empty():
        return pending_attempts(con)
    rows = actions.with_columns(
        attempt_id=pl.col("case_id") + ":" + pl.col("step").cast(pl.String),
        provider=pl.lit(provider),
        created_at=pl.lit(at).cast(pl.Datetime("us", "UTC")),
    )
    experiment = (
        rows.filter((pl.col("step") == 1) & pl.col("assigned_channel").is_not_null())
        if "assigned_channel" in rows.columns
        else rows.clear()
    )
    con.register("_actions", rows.to_arrow())
    try:
        with transaction(con):
            con.execute(
                "INSERT INTO outbox (attempt_id, case_id, channel, step, provider, status, created_at) "
                "SELECT attempt_id, case_id, channel, step, provider, 'pending', created_at "
                "FROM _actions ON CONFLICT DO NOTHING"
            )
            if experiment.height:
                con.execute(
                    "INSERT INTO channel_assignments "
                    "SELECT case_id, sample_date, assigned_channel, offered_channels, "
                    "$share, $seed, created_at FROM _actions "
                    "WHERE step = 1 AND assigned_channel IS NOT NULL ON CONFLICT DO NOTHING",
                    {"share": randomised_share, "seed": seed},
                )
    finally:
        con.unregister("_actions")
    return pending_attempts(con)


def pending_attempts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Outbox rows committed but not confirmed sent (new, or left by a crash, or to retry).

    With what a message or an evaluator may say about the case: unit name, category, date.
    """
    pending = "SELECT case_id FROM outbox WHERE status IN ('pending', 'retry')"
    _sampled_cases(con, "_pending_cases", pending)
    try:
        return con.sql(
            "SELECT o.attempt_id, o.case_id, o.channel, o.step, c.phone_e164, u.unit_name, "
            "c.category, strftime(c.service_date, '%Y-%m-%d') AS service_date "
            "FROM outbox o JOIN _pending_cases c USING (case_id) LEFT JOIN units u USING (unit_id) "
            "WHERE o.status IN ('pending', 'retry') ORDER BY o.created_at, o.attempt_id"
        ).pl()
    finally:
        con.execute("DROP TABLE IF EXISTS _pending_cases")


def mark_attempts(
    con: duckdb.DuckDBPyConnection,
    results: Sequence[tuple[str, str, str | None, str | None, str | None, datetime]],
) -> None:
    """Record send outcomes in one statement per batch:
    (attempt_id, status, provider_sid, error_code, error_message, at)."""
    if not results:
        return
    frame = pl.DataFrame(
        [list(r) for r in results],
        schema={
            "attempt_id": pl.String,
            "status": pl.String,
            "provider_sid": pl.String,
            "error_code": pl.String,
            "error_message": pl.String,
            "at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    con.register("_outcomes", frame.to_arrow())
    try:
        con.execute(
            "UPDATE outbox SET status = r.status, provider_sid = r.provider_sid, "
            "error_code = r.error_code, error_message = r.error_message, "
            "sent_at = CASE WHEN r.status IN ('sent', 'failed') THEN r.at ELSE outbox.sent_at END "
            "FROM _outcomes r WHERE outbox.attempt_id = r.attempt_id"
        )
    finally:
        con.unregister("_outcomes")


@dataclass(frozen=True)
class IngestReport:
    received: int
    new: int
    repeated: int
    answers: int  # new answer rows (one per item)
    respondents: int  # new satisfaction answers
    quarantined: int  # events that belong to no sampled case
    opt_outs: int
    followups: int


EVENT_SCHEMA = pl.Schema(
    {
        "event_key": pl.String(),
        "provider_sid": pl.String(),
        "attempt_id": pl.String(),
        "case_id": pl.String(),
        "channel": pl.String(),
        "kind": pl.String(),
        "occurred_at": pl.Datetime("us", "UTC"),
        "detail": pl.String(),
    }
)


def ingest(con: duckdb.DuckDBPyConnection, events: pl.DataFrame) -> IngestReport:
    """Load inbound events (``EVENT_SCHEMA``; detail as JSON text) once each.

    Derives answers (the first per case and item), opt-outs and follow-ups.
    """
    now = datetime.now(UTC)
    received = events.height
    frame = (
        events.select(list(EVENT_SCHEMA))
        .cast(EVENT_SCHEMA)
        .unique(  # type: ignore[arg-type]
            "event_key", keep="first", maintain_order=True
        )
    )
    con.register("_incoming", frame.to_arrow())
    try:
        with transaction(con):
            # an event must belong to a sampled case: anything else (a callback for an unknown
            # SID, an answer for a case never sampled) is quarantined with its reason, not lost
            con.execute(
                """
                INSERT INTO quarantine
                SELECT 'events', NULL, e.event_key, 0,
                       json_object('event_key', e.event_key, 'provider_sid', e.provider_sid,
                                   'attempt_id', e.attempt_id, 'case_id', e.case_id,
                                   'channel', e.channel, 'kind', e.kind,
                                   'occurred_at', e.occurred_at)::VARCHAR,
                       CASE WHEN e.case_id IS NULL
                            THEN 'unknown case: the event names no case (SID '
                                 || coalesce(e.provider_sid, '?') || ')'
                            ELSE 'not sampled: case ' || e.case_id || ' is not in any sample' END,
                       $now
                FROM _incoming e
                WHERE e.case_id IS NULL OR e.case_id NOT IN (SELECT case_id FROM samples)
                ON CONFLICT DO NOTHING
                """,
                {"now": now},
            )
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _events AS SELECT * FROM _incoming "
                "WHERE case_id IN (SELECT case_id FROM samples)"
            )
            quarantined = frame.height - _count(con, "_events")
            _sampled_cases(con, "_batch_cases", "SELECT case_id FROM _events")
            # one statement per table for the whole batch; counts from what each one wrote
            new = _written(
                con, "INSERT INTO events SELECT *, $now FROM _events ON CONFLICT DO NOTHING", {"now": now}
            )
            # first answer per case and item wins (a late SMS reply after an IVR interview is kept as an event only)
            items = con.execute(
                """
                INSERT INTO answers
                SELECT case_id, json_extract_string(detail, '$.item'), json_extract_string(detail, '$.value'),
                       channel, occurred_at, event_key
                FROM (SELECT *, row_number() OVER (PARTITION BY case_id, json_extract_string(detail, '$.item')
                                                    ORDER BY occurred_at, event_key) AS k
                      FROM _events WHERE kind = 'answer' AND case_id IS NOT NULL)
                WHERE k = 1
                ON CONFLICT DO NOTHING
                RETURNING item
                """
            ).fetchall()
            opt_outs = _written(
                con,
                """
                INSERT INTO opt_outs
                SELECT phone_e164, channel, occurred_at, event_key FROM (
                    SELECT c.phone_e164, e.channel, e.occurred_at, e.event_key,
                           row_number() OVER (PARTITION BY c.phone_e164 ORDER BY e.occurred_at) AS k
                    FROM _events e JOIN _batch_cases c USING (case_id)
                    WHERE e.kind = 'opted_out' AND c.phone_e164 IS NOT NULL)
                WHERE k = 1
                ON CONFLICT DO NOTHING
                """,
            )
            # follow-ups come from answers, and answers only from ingest: the batch's new
            # answers are the only ones that can open one (no scan of every answer)
            followups = _written(
                con,
                f"""
                INSERT INTO followups
                SELECT a.case_id, CASE WHEN a.item = 'integrity' THEN 'integrity' ELSE 'dissatisfied' END,
                       c.unit_id, a.answered_at, 'open'
                FROM answers a SEMI JOIN _events e USING (event_key) JOIN _batch_cases c USING (case_id)
                WHERE (a.item = 'integrity' AND a.value = 'yes')
                   OR (a.item = 'satisfaction' AND a.value IN
                       {tuple(str(v) for v in range(1, DISSATISFIED_MAX + 1))!r})
                ON CONFLICT DO NOTHING
                """,
            )
            report = IngestReport(
                received=received,
                new=new,
                repeated=received - new - quarantined,
                quarantined=quarantined,
                answers=len(items),
                respondents=sum(1 for (item,) in items if item == "satisfaction"),
                opt_outs=opt_outs,
                followups=followups,
            )
    finally:
        con.unregister("_incoming")
        con.execute("DROP TABLE IF EXISTS _events")
        con.execute("DROP TABLE IF EXISTS _batch_cases")
    return report


def _written(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> int:
    """Run an INSERT; the number of rows it wrote."""
    return int(con.execute(sql, params).fetchall()[0][0])


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def month_bounds(month: str) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def quarantine_answers(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, reason: str) -> int:
    """Move answer rows that failed a row-level expectation to quarantine, with its name."""
    if rows.is_empty():
        return 0
    keys = rows.select("event_key", "case_id", "item", "value", "channel").with_columns(
        pl.lit(reason).alias("reason")
    )
    con.register("_bad", keys.to_arrow())
    try:
        with transaction(con):
            con.execute(
                "INSERT INTO quarantine SELECT 'answers', NULL, event_key, 0, "
                "json_object('case_id', case_id, 'item', item, 'value', value, 'channel', channel)::VARCHAR, "
                "reason, now() FROM _bad ON CONFLICT DO NOTHING"
            )
            con.execute("DELETE FROM answers WHERE event_key IN (SELECT event_key FROM _bad)")
    finally:
        con.unregister("_bad")
    return rows.height
