"""Direct estimates for judging, and the case-mix and channel-mix adjustments.

METHODS.md "Judging performance" and "Channels".  Everything here prepares the
inputs of :func:`sampling.judgement.judge`; it is pure (polars frames in and
out, no I/O).

**The respondents frame** (one row per respondent of the judgement window,
i.e. of one or more months; ``v_responses`` rows of those months):

=================  ==========================================================
``unit_id``        unit (String)
``stratum``        sample date × category; identifies a stratum across the
                   whole window (the date makes it unique per month)
``final_weight``   nonresponse-adjusted weight of its month (> 0)
``satisfied``      Boolean or 0/1
``category``       case category (String), for the case mix
``channel``        channel the satisfaction item was answered on (String)
``month``          ``YYYY-MM`` (String); or ``sample_date`` (Date), from which
                   the month is taken
=================  ==========================================================

``stratum_population`` is not needed (no finite population correction).

**Direct estimate** (:func:`direct_estimates`).  The weighted rate
p = Σwy/Σw of each unit over the window (months pooled by pooling their
strata: the rate of all the window's cases), with the Taylor variance v of
:func:`sampling.estimation.domain_estimates` **without** the finite population
correction (``fpc=False``: the unit is judged as a process, not as this
month's finite set of cases).  The effective size n_eff = p(1 − p)/v is capped
at the respondents n (design effect ≥ 1); where p is 0 or 1 (v = 0) n_eff is
Kish's (Σw)²/Σw², also ≤ n.  The reported ``se`` is √(p(1 − p)/n_eff).  On the
logit scale we use the empirical logit of x* = n_eff·p successes in n_eff
trials, log((x* + ½)/(n_eff − x* + ½)), whose bias is O(n⁻²) and which is
finite at p = 0 or 1 (Cox 1970, *The Analysis of Binary Data*, §3.2; Gart &
Zweifel 1967, Biometrika 54, 181–187); ``logit_se`` is Gart–Zweifel's
√(1/(x* + ½) + 1/(n_eff − x* + ½)).  (The model itself evaluates the sampling
variance at a smoothed rate instead, see :mod:`sampling.judgement`.)

**Case mix** (:mod:`sampling.case_mix`): the expected rate E of the unit's
category mix at the district's category rates for a standard unit.
**Channel mix** (:mod:`sampling.channel_mix`): channel effects γ from the
randomised share and the unit's offset c = Σ_c (s_c − s̄_c)·γ_c.

**Adjusted rates** (:func:`adjusted_rates`): with p_ref the district's rate over
the window, the case-mix adjusted rate is expit(logit p_ref + logit p −
logit E) and the adjusted rate expit(logit p_ref + logit p − logit E − c):
what the unit would score with the district's category and channel mix
(logit-additive; a unit with the district's mix keeps its own rate).  Rates
of 0 and 1 stay 0 and 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import special

from minyi.columns import (
    ADJUSTED_RATE,
    CASE_MIX_RATE,
    CASE_MIX_SE,
    CATEGORY,
    CHANNEL,
    CHANNEL_OFFSET,
    CHANNEL_OFFSET_SE,
    EXPECTED_RATE,
    FINAL_WEIGHT,
    LOGIT,
    LOGIT_SE,
    MONTH,
    MONTHS,
    N_EFF,
    REFERENCE_RATE,
    RESPONDED,
    RESPONDENTS,
    SAMPLE_DATE,
    SATISFACTION_RATE,
    SATISFIED,
    SE,
    STRATUM,
    STRATUM_POPULATION,
    UNADJUSTED_RATE,
    UNIT_ID,
)
from sampling.case_mix import case_mix
from sampling.channel_mix import channel_offsets
from sampling.errors import JudgementInputError
from sampling.estimation import domain_estimates

__all__ = ["adjusted_rates", "direct_estimates", "judgement_inputs"]

_KEY = "__domain"
_W = "__w"
_Y = "__y"
_EPS = 1e-9


def _require(frame: pl.DataFrame, name: str, cols: Sequence[str]) -> None:
    for col in cols:
        if col not in frame.columns:
            raise JudgementInputError(name, col, "缺少该列 / missing")
        if frame[col].null_count():
            raise JudgementInputError(name, col, "有空值 / has nulls")


def _with_month(responses: pl.DataFrame) -> pl.DataFrame:
    if MONTH in responses.columns:
        return responses
    if SAMPLE_DATE not in responses.columns:
        raise JudgementInputError("responses", MONTH, f"缺少 month 或 {SAMPLE_DATE} / missing")
    return responses.with_columns(pl.col(SAMPLE_DATE).dt.strftime("%Y-%m").alias(MONTH))


def _weighted(responses: pl.DataFrame) -> pl.DataFrame:
    return responses.with_columns(
        pl.col(FINAL_WEIGHT).cast(pl.Float64).alias(_W),
        pl.col(SATISFIED).cast(pl.Float64).alias(_Y),
    )


def _logit(p: np.ndarray | pl.Series) -> np.ndarray:
    return np.asarray(special.logit(np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)))


def direct_estimates(responses: pl.DataFrame, by: Sequence[str] = (UNIT_ID,)) -> pl.DataFrame:
    """The direct estimate for judging, per value of the ``by`` columns.

    Args:
        responses: the respondents frame (module docstring); needs ``stratum``,
            ``final_weight``, ``satisfied`` and the ``by`` columns.
        by: the domain, e.g. ``("unit_id",)`` for the window or
            ``("unit_id", "month")`` per month.

    Returns:
        One row per domain, sorted by it: the ``by`` columns, ``respondents``
        (Int64), ``satisfaction_rate``, ``se`` (√(p(1 − p)/n_eff)), ``n_eff``
        (≤ respondents, never null), ``logit`` and ``logit_se`` (empirical
        logit and its Gart–Zweifel SE).
    """
    by = list(by)
    _require(responses, "responses", [STRATUM, FINAL_WEIGHT, SATISFIED, *by])
    frame = responses
    if STRATUM_POPULATION not in frame.columns:  # not used without fpc
        frame = frame.with_columns(pl.len().over(STRATUM).alias(STRATUM_POPULATION))
    keyed = frame.with_columns(
        pl.concat_str([pl.col(c).cast(pl.String) for c in by], separator="\x1f").alias(_KEY)
    )
    est = domain_estimates(
        keyed.select(STRATUM, STRATUM_POPULATION, FINAL_WEIGHT, SATISFIED, _KEY),
        domain=_KEY,
        fpc=False,
        cap_n_eff=True,
    )
    kish = (
        _weighted(keyed)
        .group_by(_KEY)
        .agg(
            *[pl.col(c).first() for c in by],
            (pl.col(_W).sum() ** 2 / (pl.col(_W) ** 2).sum()).alias("__kish"),
        )
    )
    out = est.join(kish, on=_KEY).with_columns(
        pl.when(pl.col(N_EFF).is_not_null())
        .then(pl.col(N_EFF))
        .otherwise(pl.min_horizontal(pl.col("__kish"), pl.col(RESPONDED).cast(pl.Float64)))
        .alias(N_EFF)
    )
    p = out[SATISFACTION_RATE].to_numpy()
    n_eff = out[N_EFF].to_numpy()
    x = n_eff * p
    return out.select(
        *by,
        pl.col(RESPONDED).cast(pl.Int64).alias(RESPONDENTS),
        SATISFACTION_RATE,
        pl.Series(SE, np.sqrt(p * (1.0 - p) / n_eff)),
        N_EFF,
        pl.Series(LOGIT, np.log((x + 0.5) / (n_eff - x + 0.5))),
        pl.Series(LOGIT_SE, np.sqrt(1.0 / (x + 0.5) + 1.0 / (n_eff - x + 0.5))),
    ).sort(by)


def judgement_inputs(responses: pl.DataFrame, effects: pl.DataFrame | None = None) -> pl.DataFrame:
    """The ``direct`` frame of :func:`sampling.judgement.judge`: one row per unit of the window.

    Args:
        responses: the respondents frame of the window (module docstring).
        effects: :func:`channel_effects` output, or None for no channel
            adjustment (offsets 0).

    Returns:
        One row per unit with respondents, sorted by ``unit_id``: ``unit_id``,
        ``months`` (Int64, months with respondents), ``respondents``,
        ``satisfaction_rate`` (p, the unadjusted direct rate), ``se``,
        ``n_eff``, ``expected_rate`` (E), ``case_mix_se`` (SE of logit E),
        ``channel_offset`` (c),
        ``channel_offset_se``, ``reference_rate`` (p_ref, the district's rate
        over the window), ``case_mix_rate`` and ``adjusted_rate`` (module
        docstring).
    """
    _require(responses, "responses", [UNIT_ID, STRATUM, FINAL_WEIGHT, SATISFIED, CATEGORY, CHANNEL])
    frame = _with_month(responses)
    if frame.height == 0:
        raise JudgementInputError("responses", UNIT_ID, "没有应答 / no respondents")
    weighted = _weighted(frame)
    w, y = weighted[_W].to_numpy(), weighted[_Y].to_numpy()
    p_ref = float((w * y).sum() / w.sum())
    months = frame.group_by(UNIT_ID).agg(pl.col(MONTH).n_unique().cast(pl.Int64).alias(MONTHS))
    direct = direct_estimates(frame).select(UNIT_ID, RESPONDENTS, SATISFACTION_RATE, SE, N_EFF)
    if effects is None:
        offsets = (
            frame.select(UNIT_ID)
            .unique()
            .with_columns(pl.lit(0.0).alias(CHANNEL_OFFSET), pl.lit(0.0).alias(CHANNEL_OFFSET_SE))
        )
    else:
        offsets = channel_offsets(frame, effects)
    expected = case_mix(frame, effects)
    out = (
        direct.join(months, on=UNIT_ID)
        .join(expected, on=UNIT_ID)
        .join(offsets, on=UNIT_ID)
        .with_columns(pl.lit(p_ref).alias(REFERENCE_RATE))
        .sort(UNIT_ID)
    )
    p = out[SATISFACTION_RATE].to_numpy()
    base = _logit(np.full(p.shape, p_ref)) + _logit(p) - _logit(out[EXPECTED_RATE].to_numpy())
    edge = (p <= 0.0) | (p >= 1.0)
    case_rate = np.where(edge, p, special.expit(base))
    adj_rate = np.where(edge, p, special.expit(base - out[CHANNEL_OFFSET].to_numpy()))
    return out.select(
        UNIT_ID,
        MONTHS,
        RESPONDENTS,
        SATISFACTION_RATE,
        SE,
        N_EFF,
        EXPECTED_RATE,
        CASE_MIX_SE,
        CHANNEL_OFFSET,
        CHANNEL_OFFSET_SE,
        REFERENCE_RATE,
        pl.Series(CASE_MIX_RATE, case_rate),
        pl.Series(ADJUSTED_RATE, adj_rate),
    )


def adjusted_rates(responses: pl.DataFrame, effects: pl.DataFrame | None = None) -> pl.DataFrame:
    """Unadjusted and adjusted rates per unit (for the bulletin's two columns).

    Returns one row per unit: ``unit_id``, ``respondents``,
    ``unadjusted_rate`` (the weighted direct rate), ``case_mix_rate``
    (category mix only), ``adjusted_rate`` (category and channel mix),
    ``expected_rate`` and ``channel_offset``.
    """
    inputs = judgement_inputs(responses, effects)
    return inputs.select(
        UNIT_ID,
        RESPONDENTS,
        pl.col(SATISFACTION_RATE).alias(UNADJUSTED_RATE),
        CASE_MIX_RATE,
        ADJUSTED_RATE,
        EXPECTED_RATE,
        CHANNEL_OFFSET,
    )
