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


# --- the channel experiment (METHODS.md "Channels") ---------------------------------------

EXPERIMENT = Policy(
    sequence=("sms", "voice", "manual"),
    waits=(timedelta(hours=24), timedelta(hours=12)),
    manual_capacity=10_000,
    windows=((time(9), time(12)), (time(14), time(20))),
    zone=ZONE,
    randomised_share=0.3,
    seed=20260101,
)


def test_a_random_share_gets_a_random_first_channel_reproducibly() -> None:
    import hashlib

    ids = [f"C{i:05d}" for i in range(6000)]
    plan = due(_state([(c, 0, None, False) for c in ids]), MONDAY_10, EXPERIMENT)
    assert plan.height == len(ids) and (plan["step"] == 1).all()
    chosen = plan.filter(pl.col("assigned_channel").is_not_null())
    share = chosen.height / len(ids)
    assert abs(share - 0.3) < 4 * (0.3 * 0.7 / len(ids)) ** 0.5
    # the assigned channel is the first one, each equally likely
    assert (chosen["channel"] == chosen["assigned_channel"]).all()
    counts = chosen["assigned_channel"].value_counts().sort("assigned_channel")
    third = chosen.height / 3
    assert all(abs(n - third) < 4 * (third * 2 / 3) ** 0.5 for n in counts["count"])
    assert set(chosen["offered_channels"]) == {"sms,voice,manual"}
    # outside the experiment: SMS first, nothing recorded
    rest = plan.filter(pl.col("assigned_channel").is_null())
    assert (rest["channel"] == "sms").all() and rest["offered_channels"].is_null().all()
    # auditable from the seed and case_id alone: u_c = SHA-256("seed:channel:case_id")
    for row in chosen.head(50).iter_rows(named=True):
        digest = hashlib.sha256(f"20260101:channel:{row['case_id']}".encode()).digest()
        u = (int.from_bytes(digest[:8], "big") >> 11) / 2**53
        assert u < 0.3 and EXPERIMENT.sequence[int(u / 0.3 * 3)] == row["assigned_channel"]
    # the same inputs, the same assignment, whatever the row order
    again = due(_state([(c, 0, None, False) for c in reversed(ids)]), MONDAY_10, EXPERIMENT)
    assert again.equals(plan)


def test_after_the_assigned_channel_the_usual_sequence_follows_with_its_waits() -> None:
    from channels.schedule import assigned_channel

    ids = [f"C{i:05d}" for i in range(400)]
    voice_first = next(c for c in ids if assigned_channel(c, EXPERIMENT) == "voice")
    manual_first = next(c for c in ids if assigned_channel(c, EXPERIMENT) == "manual")
    recent = MONDAY_10 - timedelta(hours=13)  # after the 12 h wait of voice, not the 24 h of sms
    state = _state([(voice_first, 1, recent, False), (manual_first, 1, recent, False)])
    state = state.with_columns(pl.Series("assigned_channel", ["voice", "manual"]))
    plan = due(state, MONDAY_10, EXPERIMENT)
    # voice → sms after voice's wait (12 h); manual → sms after the longest wait (24 h): not yet
    assert plan.select("case_id", "channel", "step").rows() == [(voice_first, "sms", 2)]
    later = due(state, MONDAY_10 + timedelta(hours=24), EXPERIMENT)  # Tuesday 10:00
    assert later.filter(pl.col("case_id") == manual_first)["channel"].to_list() == ["sms"]
    # the recorded assignment wins over the computation (a changed share changes nothing)
    recorded = state.head(1).with_columns(
        pl.lit("manual").alias("assigned_channel"), pl.lit(2, dtype=pl.Int32).alias("last_step")
    )
    plan = due(recorded, MONDAY_10 + timedelta(hours=24), EXPERIMENT)
    assert plan.select("channel", "step").rows() == [("voice", 3)]  # manual, sms, voice


def test_no_experiment_with_one_channel_or_no_share() -> None:
    ids = [f"C{i:05d}" for i in range(300)]
    state = _state([(c, 0, None, False) for c in ids])
    for policy in (
        Policy(("manual",), (), 10_000, EXPERIMENT.windows, ZONE, randomised_share=0.5, seed=1),
        Policy(EXPERIMENT.sequence, EXPERIMENT.waits, 10_000, EXPERIMENT.windows, ZONE),
    ):
        plan = due(state, MONDAY_10, policy)
        assert plan["assigned_channel"].is_null().all()
        assert (plan["channel"] == policy.sequence[0]).all()
