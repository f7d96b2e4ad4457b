"""Stage, at a month's close: judging performance, changes over time, integrity rates.

METHODS.md "Judging performance" and "Channels" (issue 11). Describing the month
(the design-based rate and interval, equal to R ``survey``) stays in
:func:`flows.month.close_month`; this module *judges*: is a unit better or worse
than its peers beyond chance? Each closed month stores, per unit:

* three judgements (``unit_judgement``, view ``v_unit_judgement``), each
  :func:`sampling.judgement.judge` on the respondents of a window of closed months,
  every month at its own stored cut-off (a late answer never enters one), with the
  case-mix and channel adjustments of :func:`sampling.adjustment.judgement_inputs`:

  - ``evidence``: the last ``MINYI_EVIDENCE_MONTHS`` (3) months ending with the
    month — the bulletin's evidence (``flag``), adjusted rate, interval and rank
    interval, and ``conduct.csv``'s metric. Three months, not one: in the study
    (studies/README.md) a single month of 30–59 answers catches 39% of units 25
    points under their peers, three months 99%, at a false ``below`` rate of 0.08%.
  - ``honour``: 十佳 over the decision period so far — ``MINYI_HONOUR_MONTHS`` (12)
    months aligned on the calendar year (12: January–December), from its first
    month to this one: each month's list is the *leading* list, the period's last
    month gives the 十佳.
  - ``last``: 末位 over the last ``MINYI_LAST_MONTHS`` (3–12) months; a mark needs 3
    pooled months at least (:mod:`sampling.verdicts`).

  Windows that are the same months are judged once.
* the channel effects (``channel_effects``): :func:`sampling.channel_mix.channel_effects`
  from the channel experiment's respondents of the last ``MINYI_CHANNEL_MONTHS`` (12)
  closed months, against ``MINYI_REFERENCE_CHANNEL``; they enter every judgement above.
* changes (``unit_changes``): :func:`sampling.changes.changes`, month-on-month (环比)
  and year-on-year (同比), for units with ``MINYI_MIN_RESPONDENTS`` in both months;
  ``significant`` at ``MINYI_CHANGE_LEVEL``.
* the 1/π-weighted rate of integrity reports (:func:`sampling.changes.integrity_rate`):
  a lead to verify, shown as a rate only so weighted, never a veto.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from minyi import months as mo
from minyi.columns import (
    BASE_MONTH,
    CASE_MIX_RATE,
    CHANGE,
    CHANGE_SE,
    CHANNEL,
    CHANNEL_EFFECT,
    CHANNEL_OFFSET,
    COMPARISON,
    EXPECTED_RATE,
    FIRST_MONTH,
    INTEGRITY_RATE,
    LAST_MONTH,
    MONTH,
    N_EFF,
    PEER_GROUP,
    PURPOSE,
    RESPONDENTS,
    SATISFACTION_RATE,
    SATISFIED,
    SE,
    SIGNIFICANT,
    UNIT_ID,
)
from minyi.settings import Settings
from sampling.adjustment import direct_estimates, judgement_inputs
from sampling.changes import changes, integrity_rate
from sampling.channel_mix import REFERENCE, channel_effects
from sampling.judgement import JUDGEMENT_COLUMNS, judge
from warehouse import monthly

EVIDENCE, HONOUR, LAST = "evidence", "honour", "last"


@dataclass(frozen=True)
class Windows:
    """The closed months each judgement pools (oldest first; a month not closed is left out)."""

    evidence: tuple[str, ...]
    honour: tuple[str, ...]
    last: tuple[str, ...]
    channels: tuple[str, ...]

    def of(self, purpose: str) -> tuple[str, ...]:
        return {EVIDENCE: self.evidence, HONOUR: self.honour, LAST: self.last}[purpose]


def _back(month: str, n: int) -> list[str]:
    """``n`` months ending with ``month``, oldest first."""
    return [mo.previous(month, k) for k in reversed(range(n))]


def windows(settings: Settings, month: str, closed: set[str]) -> Windows:
    """The windows of ``month``'s judgements (module docstring)."""
    period = settings.honour_months
    start = (int(month[5:7]) - 1) // period * period + 1
    honour = _back(month, int(month[5:7]) - start + 1)

    def keep(ms: list[str]) -> tuple[str, ...]:
        return tuple(m for m in ms if m in closed)

    return Windows(
        keep(_back(month, settings.evidence_months)),
        keep(honour),
        keep(_back(month, settings.last_months)),
        keep(_back(month, settings.channel_months)),
    )


def _satisfied(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(SATISFIED).cast(pl.Boolean))


def measure_channel_effects(
    con: duckdb.DuckDBPyConnection, settings: Settings, months: tuple[str, ...]
) -> pl.DataFrame | None:
    """Channel effects from the experiment's respondents of ``months`` (None without any)."""
    randomised = monthly.randomised_responses(con, list(months))
    if randomised.is_empty():
        return None
    return channel_effects(_satisfied(randomised), reference=settings.reference_channel)


def judge_window(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    months: tuple[str, ...],
    units: pl.DataFrame,
    effects: pl.DataFrame | None,
) -> pl.DataFrame | None:
    """:func:`sampling.judgement.judge` on the respondents of ``months`` (None without any),
    with the unit's expected rate, channel offset and case-mix-only rate added."""
    responses = monthly.window_responses(con, list(months))
    if responses.is_empty():
        return None
    inputs = judgement_inputs(_satisfied(responses), effects)
    judged = judge(
        inputs,
        units.select(UNIT_ID, PEER_GROUP),
        seed=settings.sample_seed,
        delta=settings.judge_delta,
        prob=settings.evidence_prob,
        top_k=settings.top_n,
        top_share=settings.top_share,
        honour_prob=settings.honour_prob,
        last_prob=settings.last_prob,
        last_months=(3, 12),
        min_respondents=settings.min_respondents,
    )
    return judged.join(
        inputs.select(UNIT_ID, CASE_MIX_RATE, EXPECTED_RATE, CHANNEL_OFFSET), on=UNIT_ID, how="left"
    )


@dataclass(frozen=True)
class Judged:
    """What :func:`judge_month` stored: the judgements (every purpose) and the effects."""

    judgements: pl.DataFrame
    effects: pl.DataFrame | None
    windows: Windows


def judge_month(con: duckdb.DuckDBPyConnection, settings: Settings, month: str) -> Judged:
    """The month's judgements and channel effects, stored (``unit_judgement``,
    ``channel_effects``); the month must be closed (its cut-off recorded)."""
    w = windows(settings, month, set(monthly.closed_months(con)))
    units = monthly.units(con)
    effects = measure_channel_effects(con, settings, w.channels)
    stored_effects = (
        pl.DataFrame()
        if effects is None
        else effects.select(
            CHANNEL,
            pl.lit(w.channels[0]).alias(FIRST_MONTH),
            pl.lit(w.channels[-1]).alias(LAST_MONTH),
            RESPONDENTS,
            CHANNEL_EFFECT,
            SE,
            REFERENCE,
        )
    )
    monthly.store_channel_effects(con, month, stored_effects)
    done: dict[tuple[str, ...], pl.DataFrame | None] = {}
    parts = []
    for purpose in (EVIDENCE, HONOUR, LAST):
        window = w.of(purpose)
        if not window:
            continue
        if window not in done:
            done[window] = judge_window(con, settings, window, units, effects)
        judged = done[window]
        if judged is not None:
            parts.append(
                judged.with_columns(
                    pl.lit(purpose).alias(PURPOSE),
                    pl.lit(window[0]).alias(FIRST_MONTH),
                    pl.lit(window[-1]).alias(LAST_MONTH),
                )
            )
    frame = pl.concat(parts) if parts else pl.DataFrame()
    monthly.store_judgement(con, month, frame)
    return Judged(frame, effects, w)


def month_marks(judged: Judged) -> pl.DataFrame:
    """Per unit, the marks ``v_unit_month`` shows: ``rank``, ``rank_low``, ``rank_high``,
    ``flag`` (below/above of the evidence window, else null) and ``honour`` ("top" in the
    decision period's list so far, else null)."""
    schema = {
        UNIT_ID: pl.String,
        "rank": pl.Int64,
        "rank_low": pl.Int64,
        "rank_high": pl.Int64,
        "flag": pl.String,
        "honour": pl.String,
    }
    if judged.judgements.is_empty():
        return pl.DataFrame(schema=schema)
    evidence = judged.judgements.filter(pl.col(PURPOSE) == EVIDENCE).select(
        UNIT_ID,
        "rank",
        "rank_low",
        "rank_high",
        pl.when(pl.col("evidence").is_in(["below", "above"]))
        .then(pl.col("evidence"))
        .otherwise(None)
        .alias("flag"),
    )
    honour = judged.judgements.filter(pl.col(PURPOSE) == HONOUR).select(
        UNIT_ID, pl.when(pl.col("honour")).then(pl.lit("top")).otherwise(None).alias("honour")
    )
    return evidence.join(honour, on=UNIT_ID, how="full", coalesce=True).cast(schema)  # type: ignore[arg-type]


def bulletin_judgement(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame | None:
    """The bulletin's ``judgement`` frame (``bulletins.model.JUDGEMENT_COLUMNS``, ``p_above``
    and ``last``): the evidence window's judgement with the honour window's 十佳 ("top") and
    the 末位 window's ``last`` (Boolean; null for a unit that window does not judge or when
    it is not stored); None for a month closed before judgements were stored."""
    evidence = monthly.judgement(con, month, EVIDENCE)
    if evidence.is_empty():
        return None
    honour = monthly.judgement(con, month, HONOUR).select(
        UNIT_ID, pl.when(pl.col("honour")).then(pl.lit("top")).otherwise(None).alias("honour")
    )
    last = monthly.judgement(con, month, LAST).select(UNIT_ID, pl.col(LAST).cast(pl.Boolean))
    keep = [c for c in JUDGEMENT_COLUMNS if c not in (HONOUR, LAST, "p_last", "p_top", "top_k")]
    return (
        evidence.select(keep)
        .join(honour, on=UNIT_ID, how="left")
        .join(last, on=UNIT_ID, how="left")
        .with_columns(pl.col("honour").cast(pl.String), pl.col(LAST).cast(pl.Boolean))
    )


def bulletin_channel_effects(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame | None:
    """The bulletin's ``channel_effects`` frame (``bulletins.model.CHANNEL_EFFECT_COLUMNS``
    and the window's ``first_month``/``last_month``): the effects stored at the month's
    close; None when none were estimated (no randomised respondents)."""
    stored = monthly.channel_effects(con, month)
    if stored.is_empty():
        return None
    return stored.select(
        CHANNEL, FIRST_MONTH, LAST_MONTH, RESPONDENTS, CHANNEL_EFFECT, SE, REFERENCE
    )


# --- changes over time ----------------------------------------------------------------

_BULLETIN_COMPARISON = {"month_on_month": "mom", "year_on_year": "yoy"}


def unit_changes(con: duckdb.DuckDBPyConnection, settings: Settings, month: str) -> pl.DataFrame:
    """环比 and 同比 of the month, stored in ``unit_changes`` (module docstring)."""
    closed = monthly.closed_months(con)
    wanted = [m for m in (month, mo.previous(month), mo.previous(month, 12)) if m in closed]
    empty = pl.DataFrame(
        schema={
            MONTH: pl.String,
            UNIT_ID: pl.String,
            COMPARISON: pl.String,
            BASE_MONTH: pl.String,
            CHANGE: pl.Float64,
            CHANGE_SE: pl.Float64,
            SIGNIFICANT: pl.Boolean,
        }
    )
    rows = empty
    responses = monthly.window_responses(con, wanted) if len(wanted) > 1 else pl.DataFrame()
    if responses.height:
        per = direct_estimates(_satisfied(responses), by=(UNIT_ID, MONTH)).filter(
            pl.col(RESPONDENTS) >= settings.min_respondents
        )
        found = changes(
            per.select(UNIT_ID, MONTH, SATISFACTION_RATE, N_EFF), level=settings.change_level
        ).filter(pl.col(MONTH) == month)
        rows = pl.concat([empty, found.select(empty.columns)], how="vertical_relaxed")
    monthly.store_changes(con, month, rows)
    return rows


def bulletin_changes(con: duckdb.DuckDBPyConnection, month: str) -> pl.DataFrame | None:
    """The bulletin's ``changes`` frame (comparison ``mom``/``yoy``), or None when none."""
    stored = monthly.changes(con, month)
    if stored.is_empty():
        return None
    return stored.select(
        UNIT_ID,
        pl.col(COMPARISON).replace_strict(_BULLETIN_COMPARISON).alias(COMPARISON),
        CHANGE,
        CHANGE_SE,
        SIGNIFICANT,
    )


# --- integrity reports ----------------------------------------------------------------


def integrity_rates(
    con: duckdb.DuckDBPyConnection, month: str, cutoff: datetime
) -> pl.DataFrame:
    """Per unit, the 1/π-weighted share of integrity answers reporting a problem."""
    answers = monthly.integrity_answers(con, month, cutoff)
    return integrity_rate(answers).select(UNIT_ID, INTEGRITY_RATE)


__all__ = [
    "Judged",
    "Windows",
    "bulletin_changes",
    "bulletin_channel_effects",
    "bulletin_judgement",
    "integrity_rates",
    "judge_month",
    "judge_window",
    "month_marks",
    "unit_changes",
    "windows",
]
