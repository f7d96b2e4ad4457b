"""The casework mirror: what of follow-ups, complaints, appeals and polls the month stage reads
and staff may see, without personal data.

The casework itself lives in ``<home>/casework.sqlite`` (the staff web writes it);
the flows copy its publishable state here (migration 6) after every change they
see: no phone, no name, no citizen's words (a reason or a complaint appears as
its coded theme only). Times are **local** (``MINYI_TIMEZONE``), as the views
promise. ``response_exclusions`` holds the answers an upheld appeal took out of
the statistics; ``v_responses`` leaves them out, so every estimate, weight and
count made from it does too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import duckdb
import polars as pl

MIGRATION: Final = [
    """CREATE TABLE cw_followups (
        followup_id VARCHAR PRIMARY KEY,
        case_id VARCHAR NOT NULL,          -- the evaluated case, or a complaint's 登记号
        unit_id VARCHAR,
        kind VARCHAR NOT NULL,             -- dissatisfied, integrity, complaint
        status VARCHAR NOT NULL,           -- open, assigned, replied, revisited, closed, overdue
        month VARCHAR NOT NULL,            -- the month it counts in (sample month, month received)
        category VARCHAR,
        theme VARCHAR,                     -- coded reason (never the words)
        opened_at TIMESTAMP NOT NULL,      -- local time
        due_date DATE,
        replied_at TIMESTAMP,
        revisited_at TIMESTAMP,
        closed_at TIMESTAMP,
        revisit_satisfaction INTEGER,
        was_overdue BOOLEAN NOT NULL,
        round INTEGER NOT NULL,
        verification VARCHAR,              -- integrity / complaint: verified, unfounded
        closed_by_appeal BOOLEAN NOT NULL)""",
    """CREATE TABLE cw_complaints (
        complaint_id VARCHAR PRIMARY KEY,  -- 登记号
        channel VARCHAR NOT NULL,          -- sms, phone, web
        received_at TIMESTAMP NOT NULL,
        month VARCHAR NOT NULL,
        unit_id VARCHAR,
        theme VARCHAR,
        named BOOLEAN NOT NULL)""",
    """CREATE TABLE cw_appeals (
        appeal_id VARCHAR PRIMARY KEY,
        case_id VARCHAR NOT NULL,
        unit_id VARCHAR NOT NULL,
        ground VARCHAR NOT NULL,           -- not_our_case, wrong_person, malicious
        status VARCHAR NOT NULL,           -- pending, upheld, rejected
        month VARCHAR NOT NULL,
        filed_at TIMESTAMP NOT NULL,
        decided_at TIMESTAMP)""",
    # answers an upheld appeal took out of the statistics (v_responses leaves them out)
    """CREATE TABLE response_exclusions (
        case_id VARCHAR PRIMARY KEY,
        appeal_id VARCHAR NOT NULL,
        ground VARCHAR NOT NULL,
        decided_at TIMESTAMP NOT NULL,     -- local time of the director's decision
        first_seen TIMESTAMPTZ NOT NULL)   -- when the warehouse first held it (vs month_closes)""",
    # verified 一票否决 inputs: the verifier is a staff account; the evidence stays in casework
    """CREATE TABLE cw_vetoes (
        ticket_id VARCHAR PRIMARY KEY,
        month VARCHAR NOT NULL,            -- the report's month (verified by its cut-off) or the verification's
        unit_id VARCHAR NOT NULL,
        item VARCHAR NOT NULL,             -- a veto code of conduct.toml
        verifier VARCHAR NOT NULL,
        verified_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE cw_polls (
        poll_id VARCHAR PRIMARY KEY,
        title VARCHAR NOT NULL,
        subject_kind VARCHAR NOT NULL,     -- decision, document, project
        target VARCHAR NOT NULL,           -- sample (probability), open (non-probability)
        starts DATE NOT NULL,
        ends DATE NOT NULL,
        status VARCHAR NOT NULL,
        sampled INTEGER NOT NULL,
        responded INTEGER NOT NULL,
        created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE cw_poll_results (
        poll_id VARCHAR NOT NULL,
        item VARCHAR NOT NULL,
        question VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        option VARCHAR NOT NULL,           -- an option's text, a scale level, or a theme
        respondents INTEGER NOT NULL,      -- who answered the item
        chosen INTEGER NOT NULL,           -- who chose this option
        estimate DOUBLE,                   -- weighted share (sample) or plain share (open)
        se DOUBLE,
        ci_low DOUBLE,
        ci_high DOUBLE,
        method VARCHAR NOT NULL,           -- design (weighted, Korn-Graubard) or unweighted
        PRIMARY KEY (poll_id, item, option))""",
    """CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        logged_at TIMESTAMP NOT NULL,      -- local time (v_audit shows it as "at")
        actor VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        target VARCHAR)""",
    # each re-issue of a month whose statistics an upheld appeal changed (更正说明)
    """CREATE TABLE bulletin_corrections (
        month VARCHAR NOT NULL,
        corrected_at TIMESTAMPTZ NOT NULL,
        excluded INTEGER NOT NULL,
        appeals VARCHAR NOT NULL,
        PRIMARY KEY (month, corrected_at))""",
]

MIRRORS: Final = (
    "cw_followups",
    "cw_complaints",
    "cw_appeals",
    "response_exclusions",
    "cw_vetoes",
    "cw_polls",
    "cw_poll_results",
    "audit_log",
)

VIEWS: Final[dict[str, str]] = {
    "v_followups": """
        SELECT followup_id, case_id, unit_id, kind, status, opened_at, due_date, closed_at,
               revisit_satisfaction, month, replied_at, was_overdue, verification
        FROM cw_followups""",
    "v_complaints": """
        SELECT c.complaint_id, c.channel, c.received_at, c.month, c.unit_id, c.theme,
               f.status, f.due_date, f.replied_at, f.closed_at, f.revisit_satisfaction,
               f.was_overdue, f.verification
        FROM cw_complaints c LEFT JOIN cw_followups f
            ON f.case_id = c.complaint_id AND f.kind = 'complaint'""",
    "v_appeals": """
        SELECT appeal_id, case_id, unit_id, ground, status, month, filed_at, decided_at
        FROM cw_appeals""",
    "v_polls": """
        SELECT poll_id, title, subject_kind, target, starts, ends, status, sampled, responded,
               CASE WHEN target = 'sample' AND sampled > 0 THEN responded / sampled END
                   AS response_rate
        FROM cw_polls""",
    "v_poll_results": """
        SELECT poll_id, item, question, kind, option, respondents, chosen, estimate, se,
               ci_low, ci_high, method
        FROM cw_poll_results""",
    # per unit and month, as of now (the bulletin's table is the same as of the month's cut-off)
    "v_unit_followups": """
        WITH t AS (
            SELECT *, replied_at IS NOT NULL OR due_date < current_date AS due
            FROM cw_followups
            WHERE kind IN ('dissatisfied', 'complaint') AND unit_id IS NOT NULL AND NOT closed_by_appeal)
        SELECT month, unit_id, count(*) AS tickets,
               count(*) FILTER (WHERE replied_at IS NOT NULL) AS replied,
               CASE WHEN count(*) FILTER (WHERE due) > 0 THEN
                   count(*) FILTER (WHERE due AND CAST(replied_at AS DATE) <= due_date)
                   / count(*) FILTER (WHERE due) END AS on_time_rate,
               count(*) FILTER (WHERE status = 'overdue') AS overdue,
               count(*) FILTER (WHERE revisit_satisfaction IS NOT NULL) AS revisited,
               CASE WHEN count(*) FILTER (WHERE revisit_satisfaction IS NOT NULL) > 0 THEN
                   count(*) FILTER (WHERE revisit_satisfaction >= (
                       SELECT CAST(value AS INTEGER) FROM config WHERE key = 'satisfied_min_level'))
                   / count(*) FILTER (WHERE revisit_satisfaction IS NOT NULL) END
                   AS revisit_satisfaction_rate
        FROM t GROUP BY month, unit_id""",
    "v_audit": 'SELECT seq, logged_at AS "at", actor, role, action, target FROM audit_log',
}


def views_sql(schema: str | None = None) -> list[str]:
    """``CREATE OR REPLACE VIEW`` statements of the casework views (optionally in a catalog)."""
    prefix = f"{schema}." if schema else ""
    return [f"CREATE OR REPLACE VIEW {prefix}{name} AS {body}" for name, body in VIEWS.items()]


def replace_mirror(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the mirror tables named in ``frames`` whole, in one transaction."""
    from warehouse.db import transaction  # db imports the schema, which imports this module

    unknown = set(frames) - set(MIRRORS)
    if unknown:
        raise ValueError(f"not casework mirror tables: {sorted(unknown)}")
    if "response_exclusions" in frames:  # keep when each exclusion first reached the warehouse
        seen = con.sql("SELECT case_id, first_seen FROM response_exclusions").pl().with_columns(
            pl.col("first_seen").dt.convert_time_zone("UTC")
        )
        now = datetime.now(UTC)
        frame = frames["response_exclusions"].join(seen, on="case_id", how="left")
        frames = {**frames, "response_exclusions": frame.with_columns(
            pl.col("first_seen").fill_null(pl.lit(now).cast(pl.Datetime("us", "UTC")))
        )}
    with transaction(con):
        for table, frame in frames.items():
            con.execute(f"DELETE FROM {table}")
            if not frame.is_empty():
                con.register("_mirror", frame.to_arrow())
                try:
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _mirror")
                finally:
                    con.unregister("_mirror")
    return {table: frame.height for table, frame in frames.items()}


def table(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    if name not in (*MIRRORS, "bulletin_corrections"):
        raise ValueError(f"not a casework table: {name}")
    return con.sql(f"SELECT * FROM {name}").pl()


# --- what the month stage reads -------------------------------------------------------------


def followup_stats(
    con: duckdb.DuckDBPyConnection, month: str, cutoff_local: datetime, satisfied_min: int
) -> pl.DataFrame:
    """Per unit, the month's tickets (不满意 follow-ups and complaints routed to it) as of the
    cut-off: ``tickets``, ``on_time_rate`` (按期办结率: replied by the due date, among those due
    by the cut-off), ``overdue`` (due, no reply at the cut-off), ``revisit_satisfaction_rate``
    (回访满意率 among the 回访 answered by the cut-off). Tickets an upheld appeal closed are left out."""
    return con.sql(
        """
        WITH t AS (
            SELECT *, due_date <= CAST($cut AS DATE) AS due,
                   replied_at IS NOT NULL AND replied_at <= $cut AS replied
            FROM cw_followups
            WHERE month = $month AND kind IN ('dissatisfied', 'complaint') AND unit_id IS NOT NULL
              AND opened_at <= $cut AND NOT closed_by_appeal)
        SELECT unit_id,
               count(*)::INTEGER AS tickets,
               CASE WHEN count(*) FILTER (WHERE due) > 0 THEN
                   (count(*) FILTER (WHERE due AND replied AND CAST(replied_at AS DATE) <= due_date))
                   / count(*) FILTER (WHERE due) END AS on_time_rate,
               count(*) FILTER (WHERE due AND due_date < CAST($cut AS DATE) AND NOT replied)::INTEGER
                   AS overdue,
               CASE WHEN count(*) FILTER (WHERE revisited_at <= $cut AND revisit_satisfaction IS NOT NULL) > 0
                    THEN count(*) FILTER (WHERE revisited_at <= $cut AND revisit_satisfaction >= $sat)
                         / count(*) FILTER (WHERE revisited_at <= $cut AND revisit_satisfaction IS NOT NULL)
               END AS revisit_satisfaction_rate
        FROM t GROUP BY unit_id ORDER BY unit_id
        """,
        params={"month": month, "cut": cutoff_local, "sat": satisfied_min},
    ).pl()


def complaint_stats(con: duckdb.DuckDBPyConnection, month: str, cutoff_local: datetime) -> dict[str, int]:
    """The month's complaints as of the cut-off: received (by channel), routed, replied, overdue."""
    row = con.sql(
        """
        SELECT count(*),
               count(*) FILTER (WHERE c.channel = 'sms'),
               count(*) FILTER (WHERE c.channel = 'phone'),
               count(*) FILTER (WHERE c.channel = 'web'),
               count(*) FILTER (WHERE c.unit_id IS NOT NULL),
               count(*) FILTER (WHERE f.replied_at <= $cut),
               count(*) FILTER (WHERE f.due_date < CAST($cut AS DATE)
                                AND (f.replied_at IS NULL OR f.replied_at > $cut)),
               count(*) FILTER (WHERE f.closed_at <= $cut)
        FROM cw_complaints c LEFT JOIN cw_followups f
            ON f.case_id = c.complaint_id AND f.kind = 'complaint'
        WHERE c.month = $month AND c.received_at <= $cut
        """,
        params={"month": month, "cut": cutoff_local},
    ).fetchall()[0]
    keys = ("received", "sms", "phone", "web", "routed", "replied", "overdue", "closed")
    return dict(zip(keys, (int(v or 0) for v in row), strict=True))


def appeal_stats(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, int]:
    row = con.sql(
        "SELECT count(*), count(*) FILTER (WHERE status = 'upheld'), "
        "count(*) FILTER (WHERE status = 'rejected'), count(*) FILTER (WHERE status = 'pending') "
        "FROM cw_appeals WHERE month = $month",
        params={"month": month},
    ).fetchall()[0]
    return dict(zip(("filed", "upheld", "rejected", "pending"), (int(v or 0) for v in row), strict=True))


def polls_of(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    """Polls whose period touches the month, with their sample and respondents."""
    return con.sql(
        "SELECT poll_id, title, subject_kind, target, starts, ends, status, sampled, responded "
        "FROM cw_polls WHERE strftime(starts, '%Y-%m') <= $month AND strftime(ends, '%Y-%m') >= $month "
        "ORDER BY starts, poll_id",
        params={"month": month},
    ).pl()


def excluded_by_month(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Answers excluded by upheld appeals, by the sample month of their case."""
    rows = con.sql(
        "SELECT strftime(s.sample_date, '%Y-%m') AS month, count(*) FROM response_exclusions x "
        "JOIN samples s USING (case_id) GROUP BY 1"
    ).fetchall()
    return {str(m): int(n) for m, n in rows}


def record_correction(
    con: duckdb.DuckDBPyConnection, month: str, at: datetime, excluded: int, appeals: list[str]
) -> None:
    con.execute(
        "INSERT INTO bulletin_corrections VALUES (?, ?, ?, ?)",
        [month, at, excluded, ",".join(appeals)],
    )


def corrections(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    return con.sql(
        "SELECT * FROM bulletin_corrections WHERE month = $m ORDER BY corrected_at",
        params={"m": month},
    ).pl()


def excluded_in(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame:
    """The month's excluded answers: case, unit, appeal, ground."""
    return con.sql(
        "SELECT x.case_id, c.unit_id, x.appeal_id, x.ground, x.decided_at FROM response_exclusions x "
        "JOIN samples s USING (case_id) JOIN cases c USING (case_id) "
        "WHERE strftime(s.sample_date, '%Y-%m') = $m ORDER BY x.appeal_id",
        params={"m": month},
    ).pl()


# --- what the casework flow reads from the fieldwork ---------------------------------------------


def followup_signals(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every 不满意 answer and integrity report (the ``followups`` rows fieldwork derives), with
    what a ticket needs: the sample month, the category and the free-text reason (to code)."""
    return con.sql(
        """
        SELECT f.case_id, f.reason AS kind, f.unit_id, f.created_at,
               strftime(s.sample_date, '%Y-%m') AS month, c.category, a.value AS reason_text
        FROM followups f JOIN samples s USING (case_id) JOIN cases c USING (case_id)
        LEFT JOIN answers a ON a.case_id = f.case_id AND a.item = 'reason'
        ORDER BY f.created_at, f.case_id, f.reason
        """
    ).pl()


def phones_of(con: duckdb.DuckDBPyConnection, case_ids: list[str]) -> dict[str, str | None]:
    """The valid mobile number of each case (None when it has none)."""
    if not case_ids:
        return {}
    frame = pl.DataFrame({"case_id": case_ids}, schema={"case_id": pl.String})
    con.register("_ids", frame.to_arrow())
    try:
        rows = con.sql(
            "SELECT c.case_id, c.phone_e164 FROM cases c SEMI JOIN _ids USING (case_id)"
        ).fetchall()
    finally:
        con.unregister("_ids")
    return {str(case): phone for case, phone in rows}


def unit_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(u): str(n) for u, n in con.sql("SELECT unit_id, unit_name FROM units").fetchall()}


def month_closed_at(con: duckdb.DuckDBPyConnection, month: str) -> datetime | None:
    rows = con.sql("SELECT closed_at FROM month_closes WHERE month = $m", params={"m": month}).fetchall()
    return None if not rows else rows[0][0]


def new_exclusions(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Per closed month, the appeals whose exclusions reached the warehouse after its last close
    (those the month's statistics do not reflect yet)."""
    rows = con.sql(
        "SELECT strftime(s.sample_date, '%Y-%m') AS month, x.appeal_id FROM response_exclusions x "
        "JOIN samples s USING (case_id) JOIN month_closes mc ON mc.month = strftime(s.sample_date, '%Y-%m') "
        "WHERE x.first_seen > mc.closed_at ORDER BY 1, 2"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for month, appeal in rows:
        out.setdefault(str(month), []).append(str(appeal))
    return out
