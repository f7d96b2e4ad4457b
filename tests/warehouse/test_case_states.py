"""The dispatcher's view of the sampled cases reads only what may still be contacted,
and plans exactly what reading every sampled case planned."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from channels.schedule import Policy, due
from flows.intake import draw_day, import_files
from minyi.settings import load_settings
from minyi.vocab import CLOSING_KINDS
from warehouse import fieldwork
from warehouse.contacts import add_do_not_contact, add_opt_outs
from warehouse.loaders import load_units

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 10, 12)

# every sampled case, as the dispatcher read them before: the reference
EVERY_CASE = f"""
    WITH attempts AS (
        SELECT case_id, max(step) AS last_step, max(sent_at) AS last_sent_at,
               bool_or(status = 'failed') AS failed
        FROM outbox WHERE status IN ('sent', 'failed') GROUP BY case_id),
    answered AS (SELECT DISTINCT case_id FROM answers WHERE item = 'satisfaction'),
    closing AS (SELECT DISTINCT case_id FROM events
                WHERE kind IN {CLOSING_KINDS!r} AND occurred_at <= $at)
    SELECT s.case_id, s.sample_date, c.phone_e164,
           coalesce(a.last_step, 0)::INTEGER AS last_step,
           a.last_sent_at::TIMESTAMPTZ AS last_sent_at,
           (an.case_id IS NOT NULL OR cl.case_id IS NOT NULL OR coalesce(a.failed, false)
            OR o.phone_e164 IS NOT NULL OR d.phone_e164 IS NOT NULL) AS closed,
           x.assigned_channel
    FROM samples s
    JOIN cases c USING (case_id)
    LEFT JOIN channel_assignments x USING (case_id)
    LEFT JOIN attempts a USING (case_id)
    LEFT JOIN answered an USING (case_id)
    LEFT JOIN closing cl USING (case_id)
    LEFT JOIN opt_outs o ON o.phone_e164 = c.phone_e164 AND o.opted_out_at <= $at
    LEFT JOIN do_not_contact d ON d.phone_e164 = c.phone_e164
    WHERE s.sample_date < CAST($at AS DATE) + 1
    ORDER BY s.sample_date, s.case_id
"""


def _event(key: str, case: str, kind: str, at: datetime, detail: str = "{}") -> dict[str, object]:
    return {
        "event_key": key,
        "provider_sid": None,
        "attempt_id": f"{case}:1",
        "case_id": case,
        "channel": "sms",
        "kind": kind,
        "occurred_at": at,
        "detail": detail,
    }


def test_the_plan_is_the_same_as_from_every_sampled_case(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    settings = load_settings(tmp_path / "home", daily_total=12, min_per_stratum=0)
    load_units(con, units_file)
    cases = tmp_path / "cases.csv"
    rows = [f"K{i:02d},U1,户籍,{DAY} 10:{i:02d}:00,1390000{i:04d}" for i in range(12)]
    rows.append(f"K99,U2,户籍,{DAY} 11:00:00,010-66668888")  # no mobile: never contacted
    cases.write_text("case_id,unit_id,category,completed_at,phone\n" + "\n".join(rows) + "\n")
    import_files(con, settings, [cases])
    assert draw_day(con, settings, DAY, DAY + timedelta(days=1)).sampled == 12
    first = datetime.combine(DAY + timedelta(days=1), time(10), ZONE)
    actions = pl.DataFrame({"case_id": [f"K{i:02d}" for i in range(12)], "channel": "sms", "step": 1})
    attempts = fieldwork.write_outbox(con, actions, "twilio", first)["attempt_id"].to_list()
    fieldwork.mark_attempts(
        con,
        [(a, "failed" if a == "K01:1" else "sent", None, None, None, first) for a in attempts if a != "K11:1"],
    )  # K11 left pending (a crash)
    for step, channel in ((2, "voice"), (3, "manual")):  # K02 went through the whole sequence
        later = first + timedelta(days=step)
        fieldwork.write_outbox(
            con, pl.DataFrame({"case_id": ["K02"], "channel": channel, "step": step}), "twilio", later
        )
        fieldwork.mark_attempts(con, [(f"K02:{step}", "sent", None, None, None, later)])
    fieldwork.ingest(
        con,
        pl.DataFrame(
            [
                _event("a3", "K03", "answer", first, '{"item": "satisfaction", "value": "4"}'),
                _event("r4", "K04", "refused", first),
                _event("w5", "K05", "wrong_number", first + timedelta(days=5)),  # after some `at`s
                _event("o6", "K06", "opted_out", first),
            ],
            schema=fieldwork.EVENT_SCHEMA,
        ),
    )
    add_do_not_contact(con, ["13900000007"], "本人要求")
    add_opt_outs(con, ["13900000008"], "sms", first + timedelta(days=3))  # later than some `at`s
    policy = Policy(
        sequence=("sms", "voice", "manual"),
        waits=(timedelta(hours=24), timedelta(hours=24)),
        manual_capacity=2,
        windows=settings.calling_windows,
        zone=ZONE,
    )
    for days in (0, 1, 2, 4, 6):
        at = first + timedelta(days=days)
        old = con.sql(EVERY_CASE, params={"at": at}).pl()
        new = fieldwork.case_states(con, at)
        assert set(new["case_id"]) < set(old["case_id"])  # finished cases are not read
        assert_frame_equal(new, old.filter(pl.col("case_id").is_in(new["case_id"].implode())))
        assert_frame_equal(due(new, at, policy), due(old, at, policy))
    assert not due(fieldwork.case_states(con, first + timedelta(days=1)), first + timedelta(days=1), policy).is_empty()
    assert con.sql("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]
    assert datetime.now(UTC) > first  # (the clock the events were stamped with)
