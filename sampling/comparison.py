"""Fair comparison of units: reportability, ranks with intervals, funnel flags.

Method (METHODS.md, "Fair comparison").  Input is the output of
:func:`sampling.estimation.domain_estimates` (domain ``unit_id``) and the units
registry (``unit_id``, ``peer_group``).

**Information per unit.**  Everything below uses the unit's design effective
sample size n_eff = p(1 − p)/se².  When se = 0 (a rate of 0 or 1, or a unit
observed only in census strata) n_eff is undefined and we use the number of
respondents instead; the effective count of satisfied respondents is
x_eff = p · n_eff.

**Reportable.**  ``responded >= min_respondents`` (default 30); otherwise the
unit is shown as "样本不足" and gets no rank, rank interval, funnel limits or flag.

**Rank.**  Within the peer group, among reportable units, by
``satisfaction_rate`` descending, 1 = best.  Exactly equal rates share the
smallest rank ("min", competition ranking 1, 2, 2, 4).

**Rank interval.**  Empirical Bayes beta-binomial (Laird & Louis 1989;
Goldstein & Spiegelhalter 1996, JRSS A 159(3), §4): per peer group a
Beta(a, b) prior is fitted to (x_eff, n_eff) of its reportable units — its
mean a/(a + b) is the pooled rate p₀ = Σ x_eff / Σ n_eff (the funnel's
target), its size a + b maximises the beta-binomial marginal likelihood with
real-valued counts (bounded Brent search on log(a + b) over [1e-3, 1e8]; the
upper bound is the "no real differences" limit, also used for a group of one
unit or a pooled rate of 0 or 1); each unit's posterior is
Beta(a + x_eff, b + n_eff − x_eff).  ``draws`` joint draws are ranked within
the peer group and the 2.5% and 97.5% quantiles (inverted CDF, so integers)
are ``rank_low``/``rank_high``.
The generator of a peer group is seeded from (``seed``, SHA-256 of the peer
group's name) and its units are drawn in ``unit_id`` order, so the result does
not depend on row order or on the other peer groups.

**Funnel.**  Spiegelhalter (2005), "Funnel plots for comparing institutional
performance", *Stat. Med.* 24(8), 1185–1202, §3.2 and §5, as FunnelPlotR
implements it for proportions (``data_type = "PR"``): y = asin(√p),
s = 1/(2√n_eff), target θ₀ = asin(√p₀) with p₀ = Σ x_eff / Σ n_eff over the
peer group's reportable units (the pooled rate, i.e. the n_eff-weighted mean
rate — n_eff, not the raw respondent count, is the information a weighted
estimate carries); z = (y − θ₀)/s, Winsorised at its 10% and 90% quantiles
(R's type 7); φ = mean(z_W²); if k·φ > k − 1 the additive between-unit
variance τ² = (kφ − (k − 1)) / (Σw − Σw²/Σw), w = 1/s², else 0 (also 0 when
k < 2).  A unit's limits are sin²(θ₀ ± z_q √(s² + τ²)) with
z_q = Φ⁻¹((1 + level)/2), the angle clipped to [0, π/2] so that the limits stay
in [0, 1] and monotone (FunnelPlotR does not clip: beyond π/2 its upper limit
folds back below 1).

**Flags.**  ``below`` when the rate is under the lower limit, ``above`` when it
is over the upper limit.  ``top`` (十佳) marks the ``top_n`` reportable units
with the highest rates district-wide, across peer groups, among units **not**
flagged ``below`` (ties at the boundary are all included, so there may be more
than ``top_n``).  Precedence: ``below`` > ``top`` > ``above``; a ``top`` unit
that is also over its upper limit shows ``top`` (rate > ``funnel_high`` still
tells).  ``top`` is a ranking honour, not evidence of a real difference; only
``above``/``below`` are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import optimize, special, stats

from minyi.columns import (
    FLAG,
    N_EFF,
    PEER_GROUP,
    RANK,
    RANK_HIGH,
    RANK_LOW,
    REPORTABLE,
    RESPONDED,
    SATISFACTION_RATE,
    SE,
    UNIT_ID,
)

__all__ = [
    "FUNNEL_HIGH",
    "FUNNEL_LOW",
    "ComparisonInputError",
    "compare_units",
]

# Not yet in minyi.columns:
FUNNEL_LOW = "funnel_low"
FUNNEL_HIGH = "funnel_high"
TARGET = "target"
TAU2 = "tau2"
PHI = "phi"
Z = "z"
UNITS = "units"

_WINSOR = 0.1
_LOG_M_BOUNDS = (np.log(1e-3), np.log(1e8))
_RANK_QUANTILES = (0.025, 0.975)
_INFO = "_info"


class ComparisonInputError(ValueError):
    """Estimates or registry cannot be compared (missing column, unit without peer group).

    Terminal: the same input always fails.  Carries the offending ``column``
    and a ``reason``; the message is built from them.
    """

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"cannot compare units: column {column!r} {reason}")


def _require(frame: pl.DataFrame, cols: Sequence[str]) -> None:
    for col in cols:
        if col not in frame.columns:
            raise ComparisonInputError(col, "is missing")


def _beta_prior(x: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Beta(a, b) prior: mean = pooled rate, a + b by marginal ML (beta-binomial)."""
    mu = float(x.sum() / n.sum())
    if x.size < 2 or mu in (0.0, 1.0):
        m = float(np.exp(_LOG_M_BOUNDS[1]))
        mu = min(max(mu, 1e-9), 1.0 - 1e-9)
        return mu * m, (1.0 - mu) * m

    def nll(log_m: float) -> float:
        m = np.exp(log_m)
        a, b = mu * m, (1.0 - mu) * m
        return -float(np.sum(special.betaln(a + x, b + n - x) - special.betaln(a, b)))

    fit = optimize.minimize_scalar(
        nll, bounds=_LOG_M_BOUNDS, method="bounded", options={"xatol": 1e-6}
    )
    m = float(np.exp(fit.x))
    return mu * m, (1.0 - mu) * m


def _group_rng(seed: int, group: object) -> np.random.Generator:
    digest = hashlib.sha256(str(group).encode("utf-8")).digest()
    return np.random.default_rng(
        np.random.SeedSequence([seed, int.from_bytes(digest[:8], "little")])
    )


def _rank_interval(
    x: np.ndarray, n: np.ndarray, rng: np.random.Generator, draws: int
) -> tuple[np.ndarray, np.ndarray]:
    """2.5% and 97.5% rank quantiles (1 = best) from EB posterior draws."""
    a, b = _beta_prior(x, n)
    theta = rng.beta(a + x, b + n - x, size=(draws, x.size))
    ranks = np.argsort(np.argsort(-theta, axis=1), axis=1) + 1
    q = np.quantile(ranks, _RANK_QUANTILES, axis=0, method="inverted_cdf")
    return q[0].astype(np.int64), q[1].astype(np.int64)


def _funnel(
    p: np.ndarray, n: np.ndarray, z_q: float
) -> tuple[float, float, float, np.ndarray, np.ndarray]:
    """Target, τ², φ and each unit's limits (Spiegelhalter 2005; FunnelPlotR "PR")."""
    k = p.size
    target = float((p * n).sum() / n.sum())
    theta0 = np.arcsin(np.sqrt(target))
    y = np.arcsin(np.sqrt(p))
    s = 1.0 / (2.0 * np.sqrt(n))
    z = (y - theta0) / s
    lo_z, hi_z = np.quantile(z, [_WINSOR, 1.0 - _WINSOR])
    phi = float(np.mean(np.clip(z, lo_z, hi_z) ** 2))
    w = 1.0 / s**2
    tau2 = 0.0
    if k >= 2 and k * phi > k - 1:
        tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    half = z_q * np.sqrt(s**2 + tau2)
    low = np.sin(np.clip(theta0 - half, 0.0, np.pi / 2)) ** 2
    high = np.sin(np.clip(theta0 + half, 0.0, np.pi / 2)) ** 2
    return target, tau2, phi, low, high


def compare_units(
    est: pl.DataFrame,
    units: pl.DataFrame,
    seed: int,
    min_respondents: int = 30,
    top_n: int = 10,
    funnel_level: float = 0.998,
    draws: int = 4000,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rank units within peer groups and flag them against a funnel.

    Args:
        est: :func:`sampling.estimation.domain_estimates` output with domain
            ``unit_id`` (needs ``responded``, ``satisfaction_rate``, ``se``,
            ``n_eff``).
        units: registry with ``unit_id`` (unique) and ``peer_group``; every
            unit of ``est`` must be in it.
        seed: seed of the rank-interval draws (same seed, same result).
        min_respondents: reportable threshold.
        top_n: size of the 十佳 list.
        funnel_level: two-sided level of the funnel limits.
        draws: posterior draws for the rank intervals.

    Returns:
        ``(per_unit, funnel_params)``.  ``per_unit``: the rows of ``est``
        sorted by ``unit_id`` plus ``peer_group``, ``reportable``, ``rank``,
        ``rank_low``, ``rank_high``, ``funnel_low``, ``funnel_high`` and
        ``flag`` (``"below"``, ``"above"``, ``"top"`` or null); all but
        ``reportable`` are null for units that are not reportable.
        ``funnel_params``: one row per peer group of ``per_unit`` with
        ``peer_group``, ``target`` (pooled rate p₀), ``tau2``, ``phi``, ``z``
        (the normal quantile) and ``units`` (reportable units used); target,
        tau2 and phi are null for a group without reportable units.  The
        funnel curves are sin²(asin(√target) ± z·√(1/(4n) + tau2)).

    Raises:
        ComparisonInputError: a column is missing, ``unit_id`` repeats in
            ``units``, or a unit of ``est`` has no peer group.

    Method and references: see the module docstring.
    """
    _require(est, (UNIT_ID, RESPONDED, SATISFACTION_RATE, SE, N_EFF))
    _require(units, (UNIT_ID, PEER_GROUP))
    if not 0.0 < funnel_level < 1.0:
        raise ComparisonInputError("funnel_level", f"must be in (0, 1), got {funnel_level!r}")
    if draws < 1:
        raise ComparisonInputError("draws", f"must be >= 1, got {draws!r}")
    registry = units.select(UNIT_ID, PEER_GROUP)
    if registry[UNIT_ID].n_unique() != registry.height:
        raise ComparisonInputError(UNIT_ID, "repeats in the units registry")
    per = est.join(registry, on=UNIT_ID, how="left").sort(UNIT_ID)
    missing = per.filter(pl.col(PEER_GROUP).is_null())
    if missing.height:
        raise ComparisonInputError(PEER_GROUP, f"is missing for unit {missing[UNIT_ID][0]!r}")

    per = per.with_columns(
        (pl.col(RESPONDED) >= min_respondents).alias(REPORTABLE),
        pl.when(pl.col(SE) > 0)
        .then(pl.col(N_EFF))
        .otherwise(pl.col(RESPONDED).cast(pl.Float64))
        .alias(_INFO),
    )
    z_q = float(stats.norm.ppf((1.0 + funnel_level) / 2.0))

    rows: list[pl.DataFrame] = []
    params: list[dict[str, object]] = []
    for (group,), frame in sorted(per.group_by(PEER_GROUP), key=lambda g: str(g[0][0])):
        rep = frame.filter(pl.col(REPORTABLE)).sort(UNIT_ID)
        k = rep.height
        if k == 0:
            params.append(
                {PEER_GROUP: group, TARGET: None, TAU2: None, PHI: None, Z: z_q, UNITS: 0}
            )
            continue
        p = rep[SATISFACTION_RATE].to_numpy()
        n = rep[_INFO].to_numpy()
        r_low, r_high = _rank_interval(p * n, n, _group_rng(seed, group), draws)
        target, tau2, phi, f_low, f_high = _funnel(p, n, z_q)
        params.append({PEER_GROUP: group, TARGET: target, TAU2: tau2, PHI: phi, Z: z_q, UNITS: k})
        rows.append(
            rep.select(
                UNIT_ID,
                pl.col(SATISFACTION_RATE).rank("min", descending=True).cast(pl.Int64).alias(RANK),
            ).with_columns(
                pl.Series(RANK_LOW, r_low),
                pl.Series(RANK_HIGH, r_high),
                pl.Series(FUNNEL_LOW, f_low),
                pl.Series(FUNNEL_HIGH, f_high),
            )
        )

    schema: dict[str, pl.DataType] = {
        UNIT_ID: per.schema[UNIT_ID],
        RANK: pl.Int64(),
        RANK_LOW: pl.Int64(),
        RANK_HIGH: pl.Int64(),
        FUNNEL_LOW: pl.Float64(),
        FUNNEL_HIGH: pl.Float64(),
    }
    ranked = pl.concat(rows) if rows else pl.DataFrame(schema=schema)
    per = per.join(ranked, on=UNIT_ID, how="left").drop(_INFO)

    rate = pl.col(SATISFACTION_RATE)
    below = pl.col(REPORTABLE) & (rate < pl.col(FUNNEL_LOW))
    above = pl.col(REPORTABLE) & (rate > pl.col(FUNNEL_HIGH))
    eligible = pl.col(REPORTABLE) & ~below
    top_rank = pl.when(eligible).then(rate).rank("min", descending=True)
    is_top = eligible & (top_rank <= top_n)
    per = per.with_columns(
        pl.when(below)
        .then(pl.lit("below"))
        .when(is_top)
        .then(pl.lit("top"))
        .when(above)
        .then(pl.lit("above"))
        .otherwise(None)
        .alias(FLAG)
    )
    params_schema: dict[str, pl.DataType] = {
        PEER_GROUP: per.schema[PEER_GROUP],
        TARGET: pl.Float64(),
        TAU2: pl.Float64(),
        PHI: pl.Float64(),
        Z: pl.Float64(),
        UNITS: pl.Int64(),
    }
    params_frame = pl.DataFrame(params, schema=params_schema)
    return per, params_frame
