"""Loading inbound events: each recorded once; events of no sampled case are quarantined."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from warehouse.fieldwork import EVENT_SCHEMA, ingest
from warehouse.loaders import load_cases, load_units

AT = datetime(2026, 10, 13, 2, 0, tzinfo=UTC)


def _events(rows: list[tuple[str, str | None, str, dict[str, str]]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_key": [r[0] for r in rows],
            "provider_sid": [r[0].split(":")[0] for r in rows],
            "attempt_id": [f"{r[1]}:1" if r[1] else None for r in rows],
            "case_id": [r[1] for r in rows],
            "channel": ["sms"] * len(rows),
            "kind": [r[2] for r in rows],
            "occurred_at": [AT] * len(rows),
            "detail": [json.dumps(r[3], ensure_ascii=False) for r in rows],
        },
        schema=EVENT_SCHEMA,
    )


def test_ingest_is_idempotent_and_quarantines_strangers(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    cases = tmp_path / "c.csv"
    cases.write_text(
        "case_id,unit_id,category,completed_at,phone\n"
        "S1,U1,户籍,2026-10-12 10:00,13812345678\nS2,U2,户籍,2026-10-12 10:00,13912345678\n"
        "X1,U1,户籍,2026-10-12 10:00,13712345678\n",
        encoding="utf-8",
    )
    load_cases(con, cases, ZoneInfo("Asia/Shanghai"))
    con.execute(
        "INSERT INTO samples (case_id, sample_date, stratum, prn, inclusion_prob, design_weight, seed) VALUES ('S1', DATE '2026-10-12', 's', 0.1, 0.5, 2, 1), "
        "('S2', DATE '2026-10-12', 's', 0.2, 0.5, 2, 1)"
    )
    frame = _events(
        [
            ("SM1:delivered", "S1", "delivered", {}),
            ("SM1:answer:satisfaction", "S1", "answer", {"item": "satisfaction", "value": "2"}),
            ("SM1:answer:satisfaction", "S1", "answer", {"item": "satisfaction", "value": "2"}),
            ("SM1:answer:integrity", "S1", "answer", {"item": "integrity", "value": "yes"}),
            ("SM2:opted_out", "S2", "opted_out", {}),
            ("SM9:delivered", None, "delivered", {}),
            ("SM3:answer:satisfaction", "X1", "answer", {"item": "satisfaction", "value": "5"}),
        ]
    )
    first = ingest(con, frame)
    assert (first.received, first.new, first.repeated, first.quarantined) == (7, 4, 1, 2)
    assert (first.respondents, first.opt_outs, first.followups) == (1, 1, 2)
    reasons = sorted(
        r[0] for r in con.sql("SELECT reason FROM quarantine WHERE source = 'events'").fetchall()
    )
    assert reasons == [
        "not sampled: case X1 is not in any sample",
        "unknown case: the event names no case (SID SM9)",
    ]
    tables = ("events", "answers", "opt_outs", "followups", "quarantine")
    before = {t: con.sql(f"SELECT count(*) FROM {t}").fetchall() for t in tables}
    second = ingest(con, frame)
    assert second.new == 0 and second.respondents == 0
    assert {t: con.sql(f"SELECT count(*) FROM {t}").fetchall() for t in tables} == before
    assert con.sql("SELECT phone_e164 FROM opt_outs").fetchall() == [("+8613912345678",)]
