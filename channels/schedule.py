"""Which contact work is due at a moment: the per-case sequence SMS → IVR → evaluators.

Pure: takes the state of every open sampled case and the clock, returns the
attempts to make now. Contact happens only inside calling windows on working
days; the next channel follows after a configurable wait without an answer;
the evaluators' worklist is capped by their daily capacity.

**The channel experiment** (METHODS.md "Channels").  A random share of the sample
(``Policy.randomised_share``, default 5%) gets a randomly chosen first channel among
the provider's channels, so that channel (mode) effects are measured in-house.  For a
case, u_c = SHA-256(``"<seed>:channel:<case_id>"``) read as the selection PRN is (first
8 bytes, big-endian, >> 11, / 2⁵³); the case is in the experiment when u_c < share, and
its first channel is ``sequence[⌊u_c / share · k⌋]`` (k channels; given u_c < share,
u_c / share is uniform, so each channel is equally likely and independent of
everything else about the case).  Seeded, reproducible and auditable from the seed
and ``case_id`` alone; it needs at least two channels.  After the assigned channel the
case follows the usual sequence without it; the wait after a channel is the wait that
follows it in the usual sequence (after the usual last one, the longest wait).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from channels.hours import in_window

STATE_COLUMNS = ("case_id", "sample_date", "phone_e164", "last_step", "last_sent_at", "closed")
ASSIGNED = "assigned_channel"  # optional state column; in the plan: the experiment's channel
OFFERED = "offered_channels"  # in the plan: the channels the first one was drawn from
_SCALE = 1.0 / 2**53


@dataclass(frozen=True)
class Policy:
    sequence: tuple[str, ...]  # channel of step 1, 2, …
    waits: tuple[timedelta, ...]  # wait after step k before step k+1
    manual_capacity: int  # evaluators' calls per day
    windows: tuple[tuple[time, time], ...]
    zone: ZoneInfo
    randomised_share: float = 0.0  # share of cases with a random first channel (experiment)
    seed: int = 0  # seed of the experiment's assignment (the sample seed)


def channel_fraction(seed: int, case_id: str) -> float:
    """u_c of the channel experiment (module docstring)."""
    digest = hashlib.sha256(f"{seed}:channel:{case_id}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) * _SCALE


def assigned_channel(case_id: str, policy: Policy) -> str | None:
    """The randomly chosen first channel of ``case_id``, or None outside the experiment."""
    k = len(policy.sequence)
    share = policy.randomised_share
    if k < 2 or share <= 0:
        return None
    u = channel_fraction(policy.seed, case_id)
    if u >= share:
        return None
    return policy.sequence[min(k - 1, int(u / share * k))]


def _order(policy: Policy, first: str | None) -> tuple[str, ...]:
    if first is None or first not in policy.sequence:
        return policy.sequence
    return (first, *(c for c in policy.sequence if c != first))


def _wait_after(policy: Policy, channel: str) -> timedelta:
    i = policy.sequence.index(channel)
    if i < len(policy.waits):
        return policy.waits[i]
    return max(policy.waits, default=timedelta(0))


def due(
    state: pl.DataFrame, at: datetime, policy: Policy, manual_used_today: int = 0
) -> pl.DataFrame:
    """Attempts to start at ``at``: ``case_id``, ``sample_date``, ``channel``, ``step``,
    ``assigned_channel`` and ``offered_channels`` (both null outside the experiment).

    ``state`` has one row per sampled case with ``STATE_COLUMNS``: ``last_step``
    is 0 before any attempt, ``closed`` is true once the case needs no more
    contact (answered, opted out, refused, number unusable, sequence exhausted).
    An optional ``assigned_channel`` column holds the experiment's recorded
    assignment (used for the later steps; a case without one gets it computed).
    """
    empty = pl.DataFrame(
        schema={
            "case_id": pl.String,
            "sample_date": pl.Date,
            "channel": pl.String,
            "step": pl.Int32,
            ASSIGNED: pl.String,
            OFFERED: pl.String,
        }
    )
    if state.is_empty() or not in_window(at, policy.windows, policy.zone):
        return empty
    if ASSIGNED not in state.columns:
        state = state.with_columns(pl.lit(None, dtype=pl.String).alias(ASSIGNED))
    open_cases = state.filter(~pl.col("closed") & pl.col("phone_e164").is_not_null()).with_columns(
        pl.col("last_sent_at").cast(pl.Datetime("us", "UTC"))
    )
    if open_cases.is_empty():
        return empty
    recorded = open_cases[ASSIGNED].to_list()
    assigned = [
        r if r is not None else assigned_channel(case, policy)
        for case, r in zip(open_cases["case_id"].to_list(), recorded, strict=True)
    ]
    open_cases = open_cases.with_columns(pl.Series(ASSIGNED, assigned, dtype=pl.String))
    offered = ",".join(policy.sequence)
    parts: list[pl.DataFrame] = []
    manual: list[pl.DataFrame] = []
    firsts: list[str | None] = [*sorted({a for a in assigned if a is not None}), None]
    for first in firsts:
        group = open_cases.filter(
            pl.col(ASSIGNED).is_null() if first is None else pl.col(ASSIGNED) == first
        )
        if group.is_empty():
            continue
        order = _order(policy, first)
        for step, channel in enumerate(order, start=1):
            wait = timedelta(0) if step == 1 else _wait_after(policy, order[step - 2])
            chosen = group.filter(
                (pl.col("last_step") == step - 1)
                & (
                    (step == 1)
                    | (pl.col("last_sent_at") <= pl.lit(at - wait).cast(pl.Datetime("us", "UTC")))
                )
            ).select(
                "case_id",
                "sample_date",
                pl.lit(channel).alias("channel"),
                pl.lit(step, dtype=pl.Int32).alias("step"),
                ASSIGNED,
                pl.when(pl.col(ASSIGNED).is_not_null())
                .then(pl.lit(offered))
                .otherwise(None)
                .alias(OFFERED),
            )
            (manual if channel == "manual" else parts).append(chosen)
    if manual:
        room = max(0, policy.manual_capacity - manual_used_today)
        parts.append(pl.concat(manual).sort("sample_date", "case_id").head(room))
    return pl.concat([empty, *parts]).sort("sample_date", "case_id", "step")
