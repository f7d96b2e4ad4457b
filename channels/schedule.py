"""Which contact work is due at a moment: the per-case sequence SMS → IVR → evaluators.

Pure: takes the state of every open sampled case and the clock, returns the
attempts to make now. Contact happens only inside calling windows on working
days; the next channel follows after a configurable wait without an answer;
the evaluators' worklist is capped by their daily capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from channels.hours import in_window

STATE_COLUMNS = ("case_id", "sample_date", "phone_e164", "last_step", "last_sent_at", "closed")


@dataclass(frozen=True)
class Policy:
    sequence: tuple[str, ...]  # channel of step 1, 2, …
    waits: tuple[timedelta, ...]  # wait after step k before step k+1
    manual_capacity: int  # evaluators' calls per day
    windows: tuple[tuple[time, time], ...]
    zone: ZoneInfo


def due(
    state: pl.DataFrame, at: datetime, policy: Policy, manual_used_today: int = 0
) -> pl.DataFrame:
    """Attempts to start at ``at``: columns ``case_id``, ``sample_date``, ``channel``, ``step``.

    ``state`` has one row per sampled case with ``STATE_COLUMNS``: ``last_step``
    is 0 before any attempt, ``closed`` is true once the case needs no more
    contact (answered, opted out, refused, number unusable, sequence exhausted).
    """
    empty = pl.DataFrame(
        schema={
            "case_id": pl.String,
            "sample_date": pl.Date,
            "channel": pl.String,
            "step": pl.Int32,
        }
    )
    if state.is_empty() or not in_window(at, policy.windows, policy.zone):
        return empty
    waits = [timedelta(0), *policy.waits]
    open_cases = state.filter(~pl.col("closed") & pl.col("phone_e164").is_not_null()).with_columns(
        pl.col("last_sent_at").cast(pl.Datetime("us", "UTC"))
    )
    parts = []
    for step, channel in enumerate(policy.sequence, start=1):
        wait = waits[step - 1]
        chosen = open_cases.filter(
            (pl.col("last_step") == step - 1)
            & (
                (step == 1)
                | (pl.col("last_sent_at") <= pl.lit(at - wait).cast(pl.Datetime("us", "UTC")))
            )
        )
        if channel == "manual":
            room = max(0, policy.manual_capacity - manual_used_today)
            chosen = chosen.sort("sample_date", "case_id").head(room)
        parts.append(
            chosen.select(
                "case_id",
                "sample_date",
                pl.lit(channel).alias("channel"),
                pl.lit(step, dtype=pl.Int32).alias("step"),
            )
        )
    return pl.concat([empty, *parts]).sort("sample_date", "case_id", "step")
