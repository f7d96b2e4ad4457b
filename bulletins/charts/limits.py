"""Binomial (process) control limits for a funnel plot.

Spiegelhalter DJ. Funnel plots for comparing institutional performance.
Stat Med 2005;24:1185-1202, appendix A.1.1: for a target proportion θ and n
cases, the limit at probability q is (r_q − α)/n, with r_q the q-quantile of
Binomial(n, θ) and α = (F(r_q) − q) / (F(r_q) − F(r_q − 1)) interpolating
between integers so the limit is a smooth function of n. These are *process*
limits: the spread expected from chance alone if every unit worked at θ.
"""

from __future__ import annotations

import math

from scipy.stats import binom


def binomial_limit(target: float, n: int, q: float) -> float:
    """The funnel limit at ``n`` respondents and probability ``q`` (e.g. 0.001 for 99.8% lower).

    Raises ValueError for ``n`` < 1 or ``target``/``q`` outside (0, 1).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q}")
    if not 0.0 <= target <= 1.0 or math.isnan(target):
        raise ValueError(f"target must be in [0, 1], got {target}")
    if target in (0.0, 1.0):
        return target
    r = float(binom.ppf(q, n, target))
    f_r = float(binom.cdf(r, n, target))
    f_below = float(binom.cdf(r - 1, n, target))
    alpha = (f_r - q) / (f_r - f_below) if f_r > f_below else 0.0
    return min(max((r - alpha) / n, 0.0), 1.0)


# Two-sided coverages drawn on every funnel: (lower q, upper q, dashed)
LIMITS: tuple[tuple[float, float, bool], ...] = ((0.025, 0.975, True), (0.001, 0.999, False))
