from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from channels.hours import in_window, is_working_day, next_window_start
from channels.schedule import Policy, due

ZONE = ZoneInfo("Asia/Shanghai")
POLICY = Policy(
    sequence=("sms", "voice", "manual"),
    waits=(timedelta(hours=24), timedelta(hours=24)),
    manual_capacity=1,
    windows=((time(9), time(12)), (time(14), time(20))),
    zone=ZONE,
)
MONDAY_10 = datetime(2026, 10, 12, 10, 0, tzinfo=ZONE)


def _state(rows: list[tuple[str, int, datetime | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "sample_date": [date(2026, 10, 9)] * len(rows),
            "phone_e164": ["+8613800000000"] * len(rows),
            "last_step": [r[1] for r in rows],
            "last_sent_at": [r[2].astimezone(UTC) if r[2] else None for r in rows],
            "closed": [r[3] for r in rows],
        },
        schema_overrides={"last_sent_at": pl.Datetime("us", "UTC"), "last_step": pl.Int32},
    )


def test_sequence_waits_and_capacity() -> None:
    day_ago = MONDAY_10 - timedelta(hours=25)
    state = _state(
        [
            ("new", 0, None, False),
            ("sms-old", 1, day_ago, False),
            ("sms-fresh", 1, MONDAY_10 - timedelta(hours=2), False),
            ("voice-old-a", 2, day_ago, False),
            ("voice-old-b", 2, day_ago, False),
            ("done", 3, day_ago, False),
            ("answered", 1, day_ago, True),
        ]
    )
    plan = due(state, MONDAY_10, POLICY, manual_used_today=0)
    assert plan.select("case_id", "channel").rows() == [
        ("new", "sms"),
        ("sms-old", "voice"),
        ("voice-old-a", "manual"),
    ]
    assert (
        due(state, MONDAY_10, POLICY, manual_used_today=1)
        .filter(pl.col("channel") == "manual")
        .is_empty()
    )


def test_nothing_outside_windows_or_on_holidays() -> None:
    state = _state([("new", 0, None, False)])
    assert due(state, MONDAY_10.replace(hour=13), POLICY).is_empty()
    assert due(state, MONDAY_10.replace(hour=21), POLICY).is_empty()
    national_day = datetime(2026, 10, 2, 10, tzinfo=ZONE)
    assert due(state, national_day, POLICY).is_empty()


def test_working_days_follow_the_holiday_schedule() -> None:
    assert not is_working_day(date(2026, 10, 1))  # 国庆
    assert is_working_day(date(2026, 10, 10))  # adjusted working Saturday (调休)
    assert not is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert in_window(MONDAY_10, POLICY.windows, ZONE)
    start = next_window_start(datetime(2026, 9, 30, 20, 30, tzinfo=ZONE), POLICY.windows, ZONE)
    assert start == datetime(2026, 10, 8, 9, 0, tzinfo=ZONE)  # holiday is 1–7 October
