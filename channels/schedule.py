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


def _wait_before(policy: Policy, order: tuple[str, ...], step: int) -> timedelta:
    """The wait before ``step`` of ``order``: the one that follows the previous channel in
    the usual sequence (after its last channel, the longest wait)."""
    if step == 1:
        return timedelta(0)
    i = policy.sequence.index(order[step - 2])
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
    assignment (used for the later steps); a case not contacted yet without one
    gets it computed, a contacted case without one is outside the experiment.
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
    # a case not yet contacted gets its assignment computed; a contacted one keeps the
    # recorded one (none: its first contact was outside the experiment)
    recorded = open_cases[ASSIGNED].to_list()
    fresh = (open_cases["last_step"] == 0).to_list()
    assigned = [
        assigned_channel(case, policy) if r is None and new else r
        for case, r, new in zip(open_cases["case_id"].to_list(), recorded, fresh, strict=True)
    ]
    open_cases = open_cases.with_columns(pl.Series(ASSIGNED, assigned, dtype=pl.String))
    # (first channel, step) → channel and the wait before it, for every order in use
    firsts: list[str | None] = [None, *sorted({a for a in assigned if a is not None})]
    plan = pl.DataFrame(
        [
            (first, step, channel, _wait_before(policy, order, step))
            for first in firsts
            for order in [_order(policy, first)]
            for step, channel in enumerate(order, start=1)
        ],
        schema={"__first": pl.String, "step": pl.Int32, "channel": pl.String, "__wait": pl.Duration("us")},
        orient="row",
    )
    chosen = (
        open_cases.with_columns(
            pl.col(ASSIGNED).alias("__first"), (pl.col("last_step") + 1).cast(pl.Int32).alias("step")
        )
        .join(plan, on=["__first", "step"], how="inner", nulls_equal=True)
        .filter(
            (pl.col("step") == 1)
            | (pl.col("last_sent_at") <= pl.lit(at).cast(pl.Datetime("us", "UTC")) - pl.col("__wait"))
        )
        .select(
            "case_id",
            "sample_date",
            "channel",
            "step",
            ASSIGNED,
            pl.when(pl.col(ASSIGNED).is_not_null())
            .then(pl.lit(",".join(policy.sequence)))
            .otherwise(None)
            .alias(OFFERED),
        )
    )
    room = max(0, policy.manual_capacity - manual_used_today)
    parts = [
        chosen.filter(pl.col("channel") != "manual"),
        chosen.filter(pl.col("channel") == "manual").sort("sample_date", "case_id").head(room),
    ]
    return pl.concat([empty, *parts]).sort("sample_date", "case_id", "step")
