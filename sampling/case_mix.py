"""Case-mix adjustment: indirect standardisation against the district's category rates.

METHODS.md "Judging performance".  A unit's expected rate is

    E = Σ_h s_h r_h,

s_h its weighted share of answers in category h and r_h the district's rate
in category h (indirect standardisation: Breslow & Day 1987, *Statistical
Methods in Cancer Research* II, §2.3).  E is what the unit would score if
each of its categories did as well as in the district; the case-mix adjusted
rate compares the unit's rate with E.

**Which category rates.**  The plain district rate of a category mixes the
units that serve it: a category served mostly by the windows (true rates
around 0.93) has a high plain rate, so an agency (around 0.80) that serves it
too would be "expected" to reach 0.93 and look poor for the company it keeps.
In our production-like study this bias put the adjusted rates' 95% intervals
around the truth only 71% of the time at a year's data.  So r_h is the
district's rate in category h **for a standard unit**: the category effects
β_h come from a logistic model with a fixed effect per unit,

    logit P(satisfied) = α_unit + β_category + γ_channel  (γ known, an offset),

so β_h measures how category h differs from the others *within* the units
that serve it (the patient-mix adjustment of the HCAHPS survey, estimated
within hospitals: O'Malley et al. 2005, "Exploring the validity of
patient-mix adjustment", Health Services Research 40(6), 2162–2181), and
r_h = expit(μ + β_h) with μ such that Σ_h S_h r_h equals the district's
weighted rate p_ref (S_h: the district's weighted share of category h), so
that a unit with the district's mix is expected to score the district's rate.
The model is fitted on unweighted counts of unit × category × channel cells
(:func:`sampling.logistic.fit_logistic`) with a weak ridge prior — N(0, 2²)
on β_h, N(0, 10²) on α_unit — which keeps the fit finite when a unit or a
category answered all alike or when the units and categories fall apart into
unconnected sets (then β_h is shrunk towards 0: no adjustment without
evidence); with a few hundred answers in a category the prior moves β_h by
less than 1%.  A category served by one unit that serves nothing else is
confounded with that unit; the prior then leaves β_h near 0.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import optimize, special

from minyi.columns import (
    CASE_MIX_SE,
    CATEGORY,
    CHANNEL,
    CHANNEL_EFFECT,
    EXPECTED_RATE,
    FINAL_WEIGHT,
    RESPONDENTS,
    SATISFACTION_RATE,
    SATISFIED,
    UNIT_ID,
)
from sampling.errors import JudgementInputError
from sampling.logistic import fit_logistic

__all__ = ["CATEGORY_EFFECT", "case_mix", "category_rates"]

CATEGORY_EFFECT = "category_effect"  # β_h, logit
CATEGORY_PRIOR_SD = 2.0
UNIT_PRIOR_SD = 10.0
_W, _Y, _G = "__w", "__y", "__g"


def _category_effects(
    responses: pl.DataFrame, effects: pl.DataFrame | None
) -> tuple[pl.DataFrame, np.ndarray]:
    """β_h of the unit fixed-effects model (module docstring) and their covariance.

    The frame has one row per category, sorted; the covariance is in that order.
    """
    frame = responses.with_columns(pl.col(SATISFIED).cast(pl.Float64).alias(_Y))
    if effects is None:
        frame = frame.with_columns(pl.lit(0.0).alias(_G))
    else:
        gamma = effects.select(CHANNEL, pl.col(CHANNEL_EFFECT).fill_null(0.0).alias(_G))
        frame = frame.join(gamma, on=CHANNEL, how="left").with_columns(pl.col(_G).fill_null(0.0))
    cells = (
        frame.group_by(UNIT_ID, CATEGORY, _G)
        .agg(pl.len().alias("t"), pl.col(_Y).sum().alias("s"))
        .sort(UNIT_ID, CATEGORY, _G)
    )
    units = cells[UNIT_ID].unique().sort()
    cats = cells[CATEGORY].unique().sort()
    u_code = cells[UNIT_ID].cast(pl.Enum(units.cast(pl.String))).to_physical().to_numpy()
    h_code = cells[CATEGORY].cast(pl.Enum(cats.cast(pl.String))).to_physical().to_numpy()
    x = np.zeros((cells.height, units.len() + cats.len()))
    rows = np.arange(cells.height)
    x[rows, u_code] = 1.0
    x[rows, units.len() + h_code] = 1.0
    precision = np.r_[
        np.full(units.len(), UNIT_PRIOR_SD**-2), np.full(cats.len(), CATEGORY_PRIOR_SD**-2)
    ]
    beta, cov = fit_logistic(
        x,
        cells["s"].to_numpy(),
        cells["t"].to_numpy(),
        offset=cells[_G].to_numpy(),
        prior_precision=precision,
    )
    n_u = units.len()
    return pl.DataFrame({CATEGORY: cats, CATEGORY_EFFECT: beta[n_u:]}), cov[n_u:, n_u:]


def category_rates(responses: pl.DataFrame, effects: pl.DataFrame | None = None) -> pl.DataFrame:
    """The district's category rates for a standard unit (module docstring).

    Args:
        responses: the respondents frame of the window (``unit_id``,
            ``category``, ``channel``, ``final_weight``, ``satisfied``).
        effects: :func:`sampling.channel_mix.channel_effects` output (offsets
            γ in the model), or None.

    Returns:
        One row per category, sorted: ``category``, ``respondents``,
        ``satisfaction_rate`` (the plain weighted rate Σwy/Σw, for reference),
        ``category_effect`` (β_h) and ``expected_rate`` (r_h).
    """
    return _rates(responses, effects)[0]


def _rates(
    responses: pl.DataFrame, effects: pl.DataFrame | None
) -> tuple[pl.DataFrame, np.ndarray]:
    """:func:`category_rates` (with the district share S_h in ``__w``) and cov(β̂)."""
    JudgementInputError.require(
        responses, "responses", [UNIT_ID, CATEGORY, CHANNEL, FINAL_WEIGHT, SATISFIED]
    )
    weighted = responses.with_columns(
        pl.col(FINAL_WEIGHT).cast(pl.Float64).alias(_W),
        pl.col(SATISFIED).cast(pl.Float64).alias(_Y),
    )
    plain = weighted.group_by(CATEGORY).agg(
        pl.len().cast(pl.Int64).alias(RESPONDENTS),
        ((pl.col(_W) * pl.col(_Y)).sum() / pl.col(_W).sum()).alias(SATISFACTION_RATE),
        pl.col(_W).sum().alias(_W),
    )
    effects_frame, cov = _category_effects(responses, effects)
    table = plain.join(effects_frame, on=CATEGORY).sort(CATEGORY)
    share = table[_W].to_numpy() / table[_W].sum()
    beta = table[CATEGORY_EFFECT].to_numpy()
    w, y = weighted[_W].to_numpy(), weighted[_Y].to_numpy()
    p_ref = float(np.clip((w * y).sum() / w.sum(), 1e-9, 1 - 1e-9))

    def gap(mu: float) -> float:
        return float((share * special.expit(mu + beta)).sum()) - p_ref

    span = 50.0 + float(np.abs(beta).max())
    mu = optimize.brentq(gap, -span, span, xtol=1e-14)
    out = table.select(
        CATEGORY,
        RESPONDENTS,
        SATISFACTION_RATE,
        CATEGORY_EFFECT,
        pl.Series(EXPECTED_RATE, special.expit(mu + beta)),
        pl.Series(_W, share),
    )
    return out, cov


def case_mix(responses: pl.DataFrame, effects: pl.DataFrame | None = None) -> pl.DataFrame:
    """Each unit's expected rate E = Σ_h s_h r_h and the SE of logit E (module docstring).

    Args: as :func:`category_rates`.

    Returns:
        One row per unit, sorted: ``unit_id``, ``expected_rate`` and
        ``case_mix_se``.
    """
    rates, cov = _rates(responses, effects)
    cats = rates[CATEGORY]
    shares = (
        responses.group_by(UNIT_ID, CATEGORY)
        .agg(pl.col(FINAL_WEIGHT).cast(pl.Float64).sum().alias(_Y))
        .with_columns(pl.col(_Y) / pl.col(_Y).sum().over(UNIT_ID))
        .pivot(on=CATEGORY, index=UNIT_ID, values=_Y)
        .sort(UNIT_ID)
    )
    s = np.column_stack(
        [
            shares[c].fill_null(0.0).to_numpy() if c in shares.columns else np.zeros(shares.height)
            for c in cats.to_list()
        ]
    )
    r = rates[EXPECTED_RATE].to_numpy()
    q = r * (1.0 - r)
    big_s = rates[_W].to_numpy()
    expected = s @ r
    d_unit = s @ q
    grad = (s * q[None, :] - d_unit[:, None] * (big_s * q)[None, :] / (big_s @ q)) / (
        expected * (1.0 - expected)
    )[:, None]
    se = np.sqrt(np.maximum(np.einsum("uh,hk,uk->u", grad, cov, grad), 0.0))
    return pl.DataFrame(
        [shares[UNIT_ID], pl.Series(EXPECTED_RATE, expected), pl.Series(CASE_MIX_SE, se)]
    )
