"""Sample allocation across strata (METHODS.md, "Strata and allocation").

    n_h = min(N_h, max(m_h, λ·a_h)),   m_h = min(m, N_h),   Σ_h n_h = n

with a_h = 1 (equal, the default of seed 002: spread evenly over the day's
categories with a guaranteed total), a_h = N_h (proportional) or a_h = N_h·S_h
(Neyman; with box constraints this is the exact optimum, Wesołowski, Wieczorkowski
& Wójciak 2021, "Optimality of the recursive Neyman allocation", J. Surv. Stat.
Methodol.). Take-all strata (n_h = N_h) release their share to the others.

How it is computed
------------------
* If Σ N_h ≤ n every eligible case is taken (n_h = N_h).
* Else if Σ m_h > n the minimum cannot be honoured within the total: we **raise**
  :class:`MinimumExceedsTotalError` (carrying the largest feasible minimum) rather
  than silently exceed the total or drop the guarantee; the caller decides.
* Else λ is found exactly by water-filling: f(λ) = Σ clip(λ·a_h, m_h, N_h) is
  piecewise linear and non-decreasing with breakpoints m_h/a_h and N_h/a_h; we
  sort them, find the segment where f crosses n and solve the linear equation in
  exact rational arithmetic (``fractions.Fraction``; S_h floats convert exactly).
* Integers by largest remainder: floor every real target, then give one more
  case to the strata with the largest fractional parts, ties broken by
  **ascending ``stratum`` string (Unicode code point = UTF-8 byte order, as polars
  sorts String)**. Floors stay ≥ m_h and the extra case never passes N_h, so the
  caps and the minimum hold after rounding and Σ n_h = n exactly.

Neyman edge cases: S_h must be present, finite, ≥ 0 and not null for every stratum,
and positive for at least one stratum with N_h > 0 (:class:`StratumSdError`).
A stratum with S_h = 0 gets only its minimum; if every stratum with S_h > 0 is
take-all and n is still not reached we raise :class:`TotalUnreachableError`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal, get_args

import polars as pl

from minyi.columns import STRATUM, STRATUM_POPULATION, STRATUM_SAMPLE
from sampling.errors import (
    InvalidParameterError,
    InvalidValuesError,
    MinimumExceedsTotalError,
    MissingColumnsError,
    StratumSdError,
    TotalUnreachableError,
)

Method = Literal["equal", "proportional", "neyman"]

from minyi.columns import STRATUM_SD  # noqa: E402  S_h for Neyman


def allocate(
    strata: pl.DataFrame, total: int, minimum: int = 1, method: Method = "equal"
) -> pl.DataFrame:
    """Allocate ``total`` sample cases to strata by the rule of METHODS.md.

    ``strata`` has one row per stratum: ``stratum`` (String, unique), ``stratum_population``
    (integer N_h ≥ 0) and, for ``method="neyman"``, ``stratum_sd`` (S_h ≥ 0). Other
    columns are carried through. Returns the strata sorted by ``stratum`` with
    ``stratum_sample`` (Int64 n_h) added (replaced if already present).
    """
    _check_int("total", total)
    _check_int("minimum", minimum)
    if method not in get_args(Method):
        raise InvalidParameterError("method", method, f"one of {get_args(Method)}")
    table = _validated(strata, method)
    keys: list[str] = table[STRATUM].to_list()
    pop: list[int] = table[STRATUM_POPULATION].to_list()
    floors = [min(minimum, n) for n in pop]

    if sum(pop) <= total:
        sample = pop
    elif sum(floors) > total:
        raise MinimumExceedsTotalError(total, minimum, sum(floors), _feasible_minimum(pop, total))
    elif sum(floors) == total:
        sample = floors
    else:
        weights = _weights(table, method)
        reachable = sum(hi if a > 0 else lo for a, lo, hi in zip(weights, floors, pop, strict=True))
        if reachable < total:
            zero = [k for k, a, n in zip(keys, weights, pop, strict=True) if a == 0 and n > 0]
            raise TotalUnreachableError(total, reachable, zero)
        targets = _water_fill(weights, floors, pop, total)
        sample = _largest_remainder(targets, total)
    return table.with_columns(pl.Series(STRATUM_SAMPLE, sample, dtype=pl.Int64))


def _check_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameterError(name, value, "a non-negative int")


def _validated(strata: pl.DataFrame, method: Method) -> pl.DataFrame:
    """Check the strata frame's contract and return it sorted by stratum."""
    required = [STRATUM, STRATUM_POPULATION]
    missing = [c for c in required if c not in strata.columns]
    if missing:
        raise MissingColumnsError("strata", missing)
    if method == "neyman" and STRATUM_SD not in strata.columns:
        raise StratumSdError(f"column {STRATUM_SD!r} is missing")
    if strata.schema[STRATUM] != pl.String:
        raise InvalidValuesError("strata", STRATUM, f"must be String, not {strata.schema[STRATUM]}")
    if strata[STRATUM].null_count():
        raise InvalidValuesError("strata", STRATUM, "must not contain nulls")
    dupes = strata.filter(pl.col(STRATUM).is_duplicated())[STRATUM].unique().sort().to_list()
    if dupes:
        raise InvalidValuesError("strata", STRATUM, "must be unique", dupes)
    population = strata[STRATUM_POPULATION]
    if not population.dtype.is_integer():
        raise InvalidValuesError(
            "strata", STRATUM_POPULATION, f"must be an integer type, not {population.dtype}"
        )
    bad = strata.filter(pl.col(STRATUM_POPULATION).is_null() | (pl.col(STRATUM_POPULATION) < 0))
    if bad.height:
        raise InvalidValuesError(
            "strata", STRATUM_POPULATION, "must be a non-null count ≥ 0", bad[STRATUM].to_list()
        )
    table = strata.sort(STRATUM)
    if method == "neyman":
        _check_sd(table)
    return table


def _check_sd(table: pl.DataFrame) -> None:
    """Neyman needs S_h finite, ≥ 0, non-null, and > 0 in some stratum with N_h > 0."""
    sd = table[STRATUM_SD]
    if not sd.dtype.is_numeric():
        raise StratumSdError(f"column {STRATUM_SD!r} must be numeric, not {sd.dtype}")
    keys = table[STRATUM].to_list()
    values = sd.cast(pl.Float64).to_list()
    nulls = [k for k, s in zip(keys, values, strict=True) if s is None]
    if nulls:
        raise StratumSdError("null S_h", nulls)
    invalid = [k for k, s in zip(keys, values, strict=True) if not (math.isfinite(s) and s >= 0)]
    if invalid:
        raise StratumSdError("S_h must be finite and ≥ 0", invalid)
    populated = [s for s, n in zip(values, table[STRATUM_POPULATION].to_list(), strict=True) if n]
    if populated and not any(populated):
        raise StratumSdError("S_h is zero in every non-empty stratum")


def _weights(table: pl.DataFrame, method: Method) -> list[Fraction]:
    """a_h as exact rationals: 1, N_h or N_h·S_h (the float S_h converted exactly)."""
    pop = table[STRATUM_POPULATION].to_list()
    if method == "equal":
        return [Fraction(1)] * len(pop)
    if method == "proportional":
        return [Fraction(n) for n in pop]
    sds = table[STRATUM_SD].cast(pl.Float64).to_list()
    return [n * Fraction(s) for n, s in zip(pop, sds, strict=True)]


def _fill(lam: Fraction, a: list[Fraction], lo: list[int], hi: list[int]) -> list[Fraction]:
    return [
        min(Fraction(h), max(Fraction(low), lam * w)) for w, low, h in zip(a, lo, hi, strict=True)
    ]


def _water_fill(a: list[Fraction], lo: list[int], hi: list[int], total: int) -> list[Fraction]:
    """Exact real targets x_h = clip(λ·a_h, m_h, N_h) with Σ x_h = total.

    Requires Σ lo < total ≤ Σ_{a>0} hi + Σ_{a=0} lo. f(λ) = Σ x_h(λ) is linear between
    consecutive breakpoints, so λ is found by bisection over the *sorted breakpoints*
    (exact comparisons, O(H log H)) and one linear solve on that segment.
    """
    points = sorted(
        {Fraction(0)}
        | {b / w for w, low, h in zip(a, lo, hi, strict=True) if w > 0 for b in (low, h)}
    )
    below, above = 0, len(points) - 1  # invariant: f(points[below]) < total ≤ f(points[above])
    while above - below > 1:
        mid = (below + above) // 2
        if sum(_fill(points[mid], a, lo, hi)) < total:
            below = mid
        else:
            above = mid
    left, right = points[below], points[above]
    f_left, f_right = sum(_fill(left, a, lo, hi)), sum(_fill(right, a, lo, hi))
    lam = left + (total - f_left) * (right - left) / (f_right - f_left)
    targets = _fill(lam, a, lo, hi)
    assert sum(targets) == total  # exact arithmetic: a failure here is a bug
    return targets


def _largest_remainder(targets: list[Fraction], total: int) -> list[int]:
    """Hamilton rounding; targets are in ascending stratum order, so ties go to the earlier key."""
    floors = [math.floor(x) for x in targets]
    extra = total - sum(floors)
    order = sorted(range(len(targets)), key=lambda i: (-(targets[i] - floors[i]), i))
    for i in order[:extra]:
        floors[i] += 1
    return floors


def _feasible_minimum(pop: list[int], total: int) -> int:
    """Largest m' ≥ 0 with Σ min(m', N_h) ≤ total (integer bisection; the sum grows with m')."""
    low, high = 0, max(pop, default=0)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(mid, n) for n in pop) <= total:
            low = mid
        else:
            high = mid - 1
    return low
