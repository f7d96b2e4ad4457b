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

**Case mix** (:func:`case_mix`): indirect standardisation (Breslow & Day
1987, *Statistical Methods in Cancer Research* II, §2.3).  r_h is the
district's weighted rate in category h over the window, smoothed as
(n_h r_h + ½)/(n_h + 1) (n_h respondents) so that no category rate is 0 or 1;
a unit's expected rate is E = Σ_h s_h r_h with s_h the unit's weighted share
of category h.  E is what the unit would score if each of its categories did
as well as the district's.  A category served by one unit alone cannot be
separated from that unit: its r_h is the unit's own rate (a limit of any
case-mix adjustment, said in the method note).

**Channel effects** (:func:`channel_effects`): the randomised share of the
sample gets a randomly chosen first channel.  Among its respondents who
answered on their assigned channel (so the channel compared is the one the
chance chose, not one the person fell back to), a logistic regression
satisfied ~ channel + category (unweighted: randomisation makes the arms
comparable within the sample; category only adds precision) estimates γ_c,
the log-odds effect of channel c against the reference channel (default
``sms``), with its SE from the inverse Fisher information (IRLS; R ``glm(...,
family = binomial)``).  A channel with fewer than ``min_respondents`` such
respondents, or whose respondents all answered alike, gets no estimate (null
effect, no adjustment for it); so do all channels when the reference has
none.  Categories whose respondents all answered alike carry no information
on the effects and are left out of the regression.

**Channel mix** (:func:`channel_offsets`): a unit's offset is
c = Σ_c (s_c − s̄_c)·γ_c, s_c its weighted share of answers on channel c and
s̄_c the district's; channels without an effect count as the reference.  Its
variance Σ_c (s_c − s̄_c)² se(γ_c)² ignores the covariance of the γ_c and the
correlation of the offsets across units: the offsets' errors are shared by
units with similar mixes and partly cancel in comparisons, so treating them
as independent is conservative (and small next to the sampling variance).
IVR and telephone respondents rate more positively (Elliott et al. 2009,
"Effects of survey mode, patient mix, and nonresponse on CAHPS hospital
survey scores", Health Services Research 44(2), 501–518).

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
    ASSIGNED_CHANNEL,
    CASE_MIX_RATE,
    CATEGORY,
    CHANNEL,
    CHANNEL_EFFECT,
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
from sampling.errors import JudgementInputError
from sampling.estimation import domain_estimates

__all__ = [
    "REFERENCE",
    "adjusted_rates",
    "case_mix",
    "category_rates",
    "channel_effects",
    "channel_offsets",
    "direct_estimates",
    "judgement_inputs",
]

REFERENCE = "reference"  # column of channel_effects: the reference channel's row
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


def category_rates(responses: pl.DataFrame) -> pl.DataFrame:
    """The district's weighted rate per category (raw and smoothed) over the window.

    Returns one row per category: ``category``, ``respondents``,
    ``satisfaction_rate`` (Σwy/Σw) and ``expected_rate`` ((n r + ½)/(n + 1)).
    """
    _require(responses, "responses", [CATEGORY, FINAL_WEIGHT, SATISFIED])
    n = pl.len().cast(pl.Int64)
    return (
        _weighted(responses)
        .group_by(CATEGORY)
        .agg(
            n.alias(RESPONDENTS),
            ((pl.col(_W) * pl.col(_Y)).sum() / pl.col(_W).sum()).alias(SATISFACTION_RATE),
        )
        .with_columns(
            (
                (pl.col(RESPONDENTS) * pl.col(SATISFACTION_RATE) + 0.5) / (pl.col(RESPONDENTS) + 1)
            ).alias(EXPECTED_RATE)
        )
        .sort(CATEGORY)
    )


def case_mix(responses: pl.DataFrame) -> pl.DataFrame:
    """Each unit's expected rate E = Σ_h s_h r_h (indirect standardisation).

    Returns one row per unit: ``unit_id`` and ``expected_rate``.
    """
    _require(responses, "responses", [UNIT_ID, CATEGORY, FINAL_WEIGHT, SATISFIED])
    rates = category_rates(responses).select(CATEGORY, EXPECTED_RATE)
    return (
        _weighted(responses)
        .join(rates, on=CATEGORY)
        .group_by(UNIT_ID)
        .agg(((pl.col(_W) * pl.col(EXPECTED_RATE)).sum() / pl.col(_W).sum()).alias(EXPECTED_RATE))
        .sort(UNIT_ID)
    )


def channel_effects(
    randomised: pl.DataFrame, *, reference: str = "sms", min_respondents: int = 30
) -> pl.DataFrame:
    """Channel effects (log-odds against ``reference``) from the randomised share.

    Args:
        randomised: one row per respondent of the randomised share (any number
            of months) with ``assigned_channel`` (the randomly chosen first
            channel), ``channel`` (the channel answered on), ``satisfied`` and
            ``category``.
        reference: the reference channel (effect 0).
        min_respondents: fewest respondents on the assigned channel for a
            channel to be estimated.

    Returns:
        One row per assigned channel (sorted, the reference first):
        ``channel``, ``respondents`` (answered on the assigned channel),
        ``channel_effect`` and ``se`` (0 for the reference; null when not
        estimated) and ``reference`` (Boolean).
    """
    _require(randomised, "randomised", [ASSIGNED_CHANNEL, CHANNEL, SATISFIED, CATEGORY])
    data = randomised.filter(pl.col(ASSIGNED_CHANNEL) == pl.col(CHANNEL)).with_columns(
        pl.col(SATISFIED).cast(pl.Float64).alias(_Y)
    )
    stats = data.group_by(CHANNEL).agg(
        pl.len().cast(pl.Int64).alias(RESPONDENTS),
        pl.col(_Y).min().alias("lo"),
        pl.col(_Y).max().alias("hi"),
    )
    channels = sorted(
        set(randomised[ASSIGNED_CHANNEL].unique().to_list()) | {reference},
        key=lambda c: (c != reference, c),
    )
    usable = set(
        stats.filter((pl.col(RESPONDENTS) >= min_respondents) & (pl.col("lo") < pl.col("hi")))[
            CHANNEL
        ].to_list()
    )
    effect: dict[str, float | None] = dict.fromkeys(channels)
    se: dict[str, float | None] = dict.fromkeys(channels)
    if reference in usable:
        effect[reference] = se[reference] = 0.0
        others = [c for c in channels if c != reference and c in usable]
        if others:
            fit_data = data.filter(pl.col(CHANNEL).is_in([reference, *others]))
            informative = fit_data.group_by(CATEGORY).agg(pl.col(_Y).n_unique().alias("u"))
            keep = informative.filter(pl.col("u") > 1)[CATEGORY].sort().to_list()
            fit_data = fit_data.filter(pl.col(CATEGORY).is_in(keep))
            beta, cov = _logistic(fit_data, others, keep)
            for j, c in enumerate(others, start=1):
                effect[c] = float(beta[j])
                se[c] = float(np.sqrt(cov[j, j]))
    counts = dict(zip(stats[CHANNEL].to_list(), stats[RESPONDENTS].to_list(), strict=True))
    return pl.DataFrame(
        {
            CHANNEL: channels,
            RESPONDENTS: [int(counts.get(c, 0)) for c in channels],
            CHANNEL_EFFECT: [effect[c] for c in channels],
            SE: [se[c] for c in channels],
            REFERENCE: [c == reference for c in channels],
        },
        schema={
            CHANNEL: pl.String,
            RESPONDENTS: pl.Int64,
            CHANNEL_EFFECT: pl.Float64,
            SE: pl.Float64,
            REFERENCE: pl.Boolean,
        },
    )


def _logistic(
    data: pl.DataFrame, channels: list[str], categories: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """IRLS for y ~ 1 + channel dummies + category dummies (first category = base)."""
    y = data[_Y].to_numpy()
    ch = data[CHANNEL].to_numpy()
    cat = data[CATEGORY].to_numpy()
    cols = [np.ones(y.size)]
    cols += [(ch == c).astype(np.float64) for c in channels]
    cols += [(cat == c).astype(np.float64) for c in categories[1:]]
    x = np.column_stack(cols)
    beta = np.zeros(x.shape[1])
    info = np.eye(x.shape[1])
    for _ in range(100):
        mu = special.expit(x @ beta)
        w = mu * (1.0 - mu)
        info = (x * w[:, None]).T @ x
        step = np.linalg.solve(info, x.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = special.expit(x @ beta)
    info = (x * (mu * (1.0 - mu))[:, None]).T @ x
    return beta, np.linalg.inv(info)


def channel_offsets(responses: pl.DataFrame, effects: pl.DataFrame) -> pl.DataFrame:
    """Each unit's channel offset c = Σ (s_c − s̄_c)·γ_c and its SE (module docstring).

    Returns one row per unit: ``unit_id``, ``channel_offset``, ``channel_offset_se``.
    """
    _require(responses, "responses", [UNIT_ID, CHANNEL, FINAL_WEIGHT])
    _require(effects, "effects", [CHANNEL])
    gamma = effects.select(
        CHANNEL,
        pl.col(CHANNEL_EFFECT).fill_null(0.0).alias("__g"),
        pl.col(SE).fill_null(0.0).alias("__s"),
    )
    w = pl.col(FINAL_WEIGHT).cast(pl.Float64)
    shares = (
        responses.group_by(UNIT_ID, CHANNEL)
        .agg(w.sum().alias(_W))
        .with_columns((pl.col(_W) / pl.col(_W).sum().over(UNIT_ID)).alias("__s_u"))
    )
    district = (
        responses.group_by(CHANNEL)
        .agg(w.sum().alias(_W))
        .with_columns((pl.col(_W) / pl.col(_W).sum()).alias("__s_d"))
    )
    units = responses.select(UNIT_ID).unique()
    grid = units.join(district.select(CHANNEL, "__s_d"), how="cross")
    dev = (
        grid.join(shares.select(UNIT_ID, CHANNEL, "__s_u"), on=[UNIT_ID, CHANNEL], how="left")
        .join(gamma, on=CHANNEL, how="left")
        .with_columns(
            (pl.col("__s_u").fill_null(0.0) - pl.col("__s_d")).alias("__d"),
            pl.col("__g").fill_null(0.0),
            pl.col("__s").fill_null(0.0),
        )
    )
    return (
        dev.group_by(UNIT_ID)
        .agg(
            (pl.col("__d") * pl.col("__g")).sum().alias(CHANNEL_OFFSET),
            ((pl.col("__d") * pl.col("__s")) ** 2).sum().sqrt().alias(CHANNEL_OFFSET_SE),
        )
        .sort(UNIT_ID)
    )


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
        ``n_eff``, ``expected_rate`` (E), ``channel_offset`` (c),
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
    out = (
        direct.join(months, on=UNIT_ID)
        .join(case_mix(frame), on=UNIT_ID)
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
