"""The funnel plot and the raw ranking: pictures of the month, not judgements.

METHODS.md "Describing the month" and "Judging performance".  Whether a unit
is better or worse than its peers beyond chance is decided by
:func:`sampling.judgement.judge` (hierarchical model, stated probabilities);
this module only draws the month: reportability, the rank of the raw rates and
the funnel.  It raises no flag and names no 十佳 (the overdispersion-funnel
flag and the district-wide top ten of raw rates are gone: with 6–16 units per
peer group the first could hardly flag anything, and the second rewarded the
units with the largest sampling fractions).

Input is :func:`sampling.estimation.domain_estimates` output (domain
``unit_id``; pass ``cap_n_eff=True`` so that the ``n_eff`` shown on the chart is
the information used here) and the units registry (``unit_id``,
``peer_group``).

**Information per unit.**  The process information n = min(n_eff, respondents)
(design effect at least 1: the fpc of a nearly complete small category says
nothing about the unit's service); where se = 0 (a rate of 0 or 1), the
respondents.

**Reportable.**  ``responded >= min_respondents`` (default 30); otherwise the
unit is shown as "样本不足" and gets no rank, rank interval or funnel limits.

**Rank.**  Within the peer group, among reportable units, by the raw
``satisfaction_rate`` descending, 1 = best; exactly equal rates share the
smallest rank ("min").  ``rank_low``/``rank_high`` here are the 2.5% and 97.5%
quantiles of the rank over ``draws`` draws from each unit's beta posterior
Beta(a + x, b + n − x) under an empirical-Bayes beta-binomial prior fitted to
the group (Laird & Louis 1989; Goldstein & Spiegelhalter 1996, JRSS A 159(3),
§4), x = n·p: a picture of how loosely the raw ranks are held.  (The month's close
stores the judgement's ranks and rank intervals in ``v_unit_month`` instead; these are
for callers who want the raw picture.)  The generator of a
peer group is seeded from (``seed``, SHA-256 of the group's name), units in
``unit_id`` order, so the result does not depend on row order or on other
groups.

**Funnel.**  Spiegelhalter (2005), "Funnel plots for comparing institutional
performance", *Stat. Med.* 24(8), 1185–1202, §3.2, binomial (process) limits
on the variance-stabilising arcsine scale, with no overdispersion term: the
target is the group's pooled rate p₀ = Σ n·p / Σ n over its reportable units,
and a unit's limits at level L are sin²(asin √p₀ ± z_L/(2√n)),
z_L = Φ⁻¹((1 + L)/2), the angle clipped to [0, π/2].  :func:`funnel` returns
the 95% and 99.8% limits; :func:`compare_units` the ``funnel_level`` one
(``funnel_low``/``funnel_high``).  Points outside are visible as such; the
chart claims nothing more.
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
    "FUNNEL_LEVELS",
    "FUNNEL_LOW",
    "INFORMATION",
    "ComparisonInputError",
    "compare_units",
    "funnel",
]

# Not yet in minyi.columns:
FUNNEL_LOW = "funnel_low"
FUNNEL_HIGH = "funnel_high"
INFORMATION = "information"  # min(n_eff, respondents): the funnel's n
TARGET = "target"
TAU2 = "tau2"
PHI = "phi"
Z = "z"
UNITS = "units"
FUNNEL_LEVELS = (0.95, 0.998)

_LOG_M_BOUNDS = (np.log(1e-3), np.log(1e8))
_RANK_QUANTILES = (0.025, 0.975)


class ComparisonInputError(ValueError):
    """Estimates or registry cannot be compared (missing column, unit without peer group).

    Terminal: the same input always fails.  Carries the offending ``column``
    and a ``reason``; the message is built from them.
    """

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"cannot compare units: column {column!r} {reason}")


def _level_column(prefix: str, level: float) -> str:
    """``funnel_low_95`` for 0.95, ``funnel_low_998`` for 0.998."""
    permille = round(level * 1000)
    return f"{prefix}_{permille // 10 if permille % 10 == 0 else permille}"


def _prepare(est: pl.DataFrame, units: pl.DataFrame, min_respondents: int) -> pl.DataFrame:
    for frame, cols in (
        (est, (UNIT_ID, RESPONDED, SATISFACTION_RATE, SE, N_EFF)),
        (units, (UNIT_ID, PEER_GROUP)),
    ):
        for col in cols:
            if col not in frame.columns:
                raise ComparisonInputError(col, "is missing")
    registry = units.select(UNIT_ID, PEER_GROUP)
    if registry[UNIT_ID].n_unique() != registry.height:
        raise ComparisonInputError(UNIT_ID, "repeats in the units registry")
    per = est.join(registry, on=UNIT_ID, how="left").sort(UNIT_ID)
    missing = per.filter(pl.col(PEER_GROUP).is_null())
    if missing.height:
        raise ComparisonInputError(PEER_GROUP, f"is missing for unit {missing[UNIT_ID][0]!r}")
    respondents = pl.col(RESPONDED).cast(pl.Float64)
    return per.with_columns(
        (pl.col(RESPONDED) >= min_respondents).alias(REPORTABLE),
        pl.when(pl.col(SE) > 0)
        .then(pl.min_horizontal(pl.col(N_EFF), respondents))
        .otherwise(respondents)
        .alias(INFORMATION),
    )


def _limits(target: float, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    z = float(stats.norm.ppf((1.0 + level) / 2.0))
    theta0 = np.arcsin(np.sqrt(target))
    half = z / (2.0 * np.sqrt(n))
    low = np.sin(np.clip(theta0 - half, 0.0, np.pi / 2)) ** 2
    high = np.sin(np.clip(theta0 + half, 0.0, np.pi / 2)) ** 2
    return low, high


def _groups(per: pl.DataFrame) -> list[tuple[object, pl.DataFrame]]:
    return [
        (key[0], frame.filter(pl.col(REPORTABLE)).sort(UNIT_ID))
        for key, frame in sorted(per.group_by(PEER_GROUP), key=lambda g: str(g[0][0]))
    ]


def _target(rep: pl.DataFrame) -> float:
    p, n = rep[SATISFACTION_RATE].to_numpy(), rep[INFORMATION].to_numpy()
    return float((p * n).sum() / n.sum())


def funnel(
    est: pl.DataFrame,
    units: pl.DataFrame,
    *,
    min_respondents: int = 30,
    levels: Sequence[float] = FUNNEL_LEVELS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Binomial funnel limits per reportable unit at each of ``levels``.

    Returns ``(per_unit, groups)``.  ``per_unit``: one row per unit of
    ``est`` (sorted by ``unit_id``) with ``unit_id``, ``peer_group``,
    ``reportable``, ``information`` (the funnel's n) and, per level,
    ``funnel_low_95``/``funnel_high_95`` and ``funnel_low_998``/
    ``funnel_high_998`` (null for units that are not reportable).
    ``groups``: ``peer_group``, ``target`` (p₀, null without reportable units)
    and ``units`` (reportable units).
    """
    if not all(0.0 < lv < 1.0 for lv in levels):
        raise ComparisonInputError("levels", f"must be in (0, 1), got {list(levels)!r}")
    per = _prepare(est, units, min_respondents)
    rows, params = [], []
    for group, rep in _groups(per):
        if rep.height == 0:
            params.append({PEER_GROUP: group, TARGET: None, UNITS: 0})
            continue
        target = _target(rep)
        params.append({PEER_GROUP: group, TARGET: target, UNITS: rep.height})
        cols = []
        for level in levels:
            low, high = _limits(target, rep[INFORMATION].to_numpy(), level)
            cols += [
                pl.Series(_level_column("funnel_low", level), low),
                pl.Series(_level_column("funnel_high", level), high),
            ]
        rows.append(rep.select(UNIT_ID).with_columns(cols))
    names = [_level_column(f"funnel_{s}", lv) for lv in levels for s in ("low", "high")]
    schema = {UNIT_ID: per.schema[UNIT_ID], **dict.fromkeys(names, pl.Float64())}
    limits = pl.concat(rows) if rows else pl.DataFrame(schema=schema)
    out = per.select(UNIT_ID, PEER_GROUP, REPORTABLE, INFORMATION).join(
        limits, on=UNIT_ID, how="left"
    )
    groups = pl.DataFrame(
        params,
        schema={PEER_GROUP: per.schema[PEER_GROUP], TARGET: pl.Float64(), UNITS: pl.Int64()},
    )
    return out, groups


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
    """2.5% and 97.5% rank quantiles (1 = best) from beta-binomial EB posterior draws."""
    a, b = _beta_prior(x, n)
    theta = rng.beta(a + x, b + n - x, size=(draws, x.size))
    ranks = np.argsort(np.argsort(-theta, axis=1), axis=1) + 1
    q = np.quantile(ranks, _RANK_QUANTILES, axis=0, method="inverted_cdf")
    return q[0].astype(np.int64), q[1].astype(np.int64)


def compare_units(
    est: pl.DataFrame,
    units: pl.DataFrame,
    seed: int,
    min_respondents: int = 30,
    top_n: int = 10,
    funnel_level: float = 0.998,
    draws: int = 4000,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reportability, raw ranks with intervals, and the funnel at ``funnel_level``.

    The month's picture for the bulletin (module docstring); the judgement is
    :func:`sampling.judgement.judge`.  ``top_n`` is accepted for the callers
    written before the judgement and ignored: there is no raw-rate 十佳.

    Returns:
        ``(per_unit, funnel_params)``.  ``per_unit``: the rows of ``est``
        sorted by ``unit_id`` plus ``peer_group``, ``reportable``, ``rank``,
        ``rank_low``, ``rank_high``, ``funnel_low``, ``funnel_high`` (null for
        units that are not reportable) and ``flag`` (always null: flags come
        from the judgement).  ``funnel_params``: one row per peer group with
        ``peer_group``, ``target`` (p₀), ``tau2`` (0: binomial limits),
        ``phi`` (the mean squared z-score on the arcsine scale, a dispersion
        diagnostic only), ``z`` and ``units`` (reportable units); target and
        phi are null for a group without reportable units.

    Raises:
        ComparisonInputError: a column is missing, ``unit_id`` repeats in
            ``units``, or a unit of ``est`` has no peer group.
    """
    del top_n
    if not 0.0 < funnel_level < 1.0:
        raise ComparisonInputError("funnel_level", f"must be in (0, 1), got {funnel_level!r}")
    if draws < 1:
        raise ComparisonInputError("draws", f"must be >= 1, got {draws!r}")
    per = _prepare(est, units, min_respondents)
    z_q = float(stats.norm.ppf((1.0 + funnel_level) / 2.0))
    rows: list[pl.DataFrame] = []
    params: list[dict[str, object]] = []
    for group, rep in _groups(per):
        k = rep.height
        if k == 0:
            params.append({PEER_GROUP: group, TARGET: None, TAU2: 0.0, PHI: None, Z: z_q, UNITS: 0})
            continue
        p = rep[SATISFACTION_RATE].to_numpy()
        n = rep[INFORMATION].to_numpy()
        target = _target(rep)
        z = (np.arcsin(np.sqrt(p)) - np.arcsin(np.sqrt(target))) * 2.0 * np.sqrt(n)
        params.append(
            {
                PEER_GROUP: group,
                TARGET: target,
                TAU2: 0.0,
                PHI: float(np.mean(z**2)),
                Z: z_q,
                UNITS: k,
            }
        )
        r_low, r_high = _rank_interval(p * n, n, _group_rng(seed, group), draws)
        low, high = _limits(target, n, funnel_level)
        rows.append(
            rep.select(
                UNIT_ID,
                pl.col(SATISFACTION_RATE).rank("min", descending=True).cast(pl.Int64).alias(RANK),
            ).with_columns(
                pl.Series(RANK_LOW, r_low),
                pl.Series(RANK_HIGH, r_high),
                pl.Series(FUNNEL_LOW, low),
                pl.Series(FUNNEL_HIGH, high),
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
    per = (
        per.join(ranked, on=UNIT_ID, how="left")
        .drop(INFORMATION)
        .with_columns(pl.lit(None, dtype=pl.String).alias(FLAG))
    )
    params_schema: dict[str, pl.DataType] = {
        PEER_GROUP: per.schema[PEER_GROUP],
        TARGET: pl.Float64(),
        TAU2: pl.Float64(),
        PHI: pl.Float64(),
        Z: pl.Float64(),
        UNITS: pl.Int64(),
    }
    return per, pl.DataFrame(params, schema=params_schema)
