"""Verdicts from a peer group's posterior draws: ranks, evidence, 十佳 and 末位.

METHODS.md "Judging performance".  Input: joint posterior draws of the
adjusted rates of a peer group's m reportable units (draws × m, from
:func:`sampling.judgement.judge`), their posterior means and their pooled
months.  Every statement is a probability under the same posterior
(Goldstein & Spiegelhalter 1996, "League tables and their limitations", JRSS
A 159(3), 385–443: rank intervals from the posterior).

* ``rank`` (1 = best, by the posterior mean, ties share the smallest rank)
  and ``rank_low``/``rank_high``: the 2.5% and 97.5% quantiles of the unit's
  rank over the draws (inverted CDF, so integers).
* ``p_below`` = P(rate_i < peer mean − δ), ``p_above`` = P(rate_i > peer
  mean + δ), the peer mean being the mean rate of the *other* units of the
  group (the unit under test does not pull its own yardstick).
  ``evidence`` is ``below`` when p_below ≥ ``prob`` (0.95), ``above`` when
  p_above ≥ ``prob``, else ``none`` (also for a group of one, whose
  probabilities are null).
* 十佳: the group's list has k_g = min(``top_k``, ⌊``top_share``·m⌋) places
  (at least 1 when ``top_k`` > 0 and m ≥ 2; none for a group of one): with the defaults 10 and ¼ a group of 6
  has 1 place, of 12 has 3, of 16 has 4, of 40 has 10 — the district's three
  groups together about ten, and never a list that takes half a small group.
  ``p_top`` = P(rank ≤ k_g); ``honour`` marks, among the k_g units with the
  highest p_top (ties by posterior mean), those with p_top ≥ ``honour_prob``
  (0.8): a honour states that the unit is in its group's top k_g and is true
  at least four times in five.  The list may have fewer than k_g names when
  the data cannot tell (the study: about 60% of the places filled over a year,
  95% of them truly top).
* 末位: ``p_last`` = P(rank = m); ``last`` only when p_last ≥ ``last_prob``
  (0.9) **and** ``evidence`` is ``below`` **and** the unit's pooled months
  are within ``last_months`` (3–12): being last of six by a hair is not a
  finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from sampling.errors import InvalidParameterError

__all__ = ["Rules", "Verdicts", "verdicts"]

_RANK_Q = (0.025, 0.975)


@dataclass(frozen=True)
class Rules:
    """The settings of the verdicts (module docstring); checked on creation."""

    delta: float = 0.05
    prob: float = 0.95
    top_k: int = 10
    top_share: float = 0.25
    honour_prob: float = 0.8
    last_prob: float = 0.9
    last_months: tuple[int, int] = (3, 12)

    def __post_init__(self) -> None:
        checks = (
            ("delta", self.delta, 0.0 <= self.delta < 1.0, "in [0, 1)"),
            ("prob", self.prob, 0.5 < self.prob < 1.0, "in (0.5, 1)"),
            ("top_k", self.top_k, isinstance(self.top_k, int) and self.top_k >= 0, "an int >= 0"),
            ("top_share", self.top_share, 0.0 < self.top_share <= 1.0, "in (0, 1]"),
            ("honour_prob", self.honour_prob, 0.0 <= self.honour_prob <= 1.0, "in [0, 1]"),
            ("last_prob", self.last_prob, 0.0 < self.last_prob <= 1.0, "in (0, 1]"),
            (
                "last_months",
                self.last_months,
                1 <= self.last_months[0] <= self.last_months[1],
                "1 <= lo <= hi",
            ),
        )
        for name, value, ok, requirement in checks:
            if not ok:
                raise InvalidParameterError(name, value, requirement)

    def top_places(self, m: int) -> int:
        """k_g for a group of ``m`` reportable units (none for a group of one: a unit
        with no peers is better than nobody)."""
        if m < 2 or self.top_k == 0:
            return 0
        return max(1, min(self.top_k, math.floor(self.top_share * m)))


@dataclass(frozen=True)
class Verdicts:
    """Per reportable unit, in the order of the draws' columns (nan: not defined)."""

    rank: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    p_below: np.ndarray
    p_above: np.ndarray
    evidence: np.ndarray  # "below" / "none" / "above"
    top_k: int
    p_top: np.ndarray
    honour: np.ndarray
    p_last: np.ndarray
    last: np.ndarray


def _ranks(rates: np.ndarray) -> np.ndarray:
    """Ranks 1 = highest along the last axis (ordinal; exact ties have probability 0)."""
    return np.argsort(np.argsort(-rates, axis=-1), axis=-1) + 1


def verdicts(rates: np.ndarray, estimate: np.ndarray, months: np.ndarray, rules: Rules) -> Verdicts:
    """The verdicts of one peer group's reportable units (module docstring).

    Args:
        rates: joint posterior draws of the adjusted rates, shape (draws, m).
        estimate: posterior means, shape (m,).
        months: pooled months per unit, shape (m,).
        rules: the settings.
    """
    m = rates.shape[1]
    ranks = _ranks(rates)
    rank = pl.Series(estimate).rank("min", descending=True).cast(pl.Int64).to_numpy()
    q = np.quantile(ranks, _RANK_Q, axis=0, method="inverted_cdf").astype(np.int64)
    p_below = np.full(m, np.nan)
    p_above = np.full(m, np.nan)
    evidence = np.full(m, "none", dtype=object)
    if m >= 2:
        peer = (rates.sum(axis=1, keepdims=True) - rates) / (m - 1)
        p_below = (rates < peer - rules.delta).mean(axis=0)
        p_above = (rates > peer + rules.delta).mean(axis=0)
        evidence[p_below >= rules.prob] = "below"
        evidence[p_above >= rules.prob] = "above"
    k_g = rules.top_places(m)
    p_top = np.full(m, np.nan)
    honour = np.zeros(m, dtype=bool)
    if k_g:
        p_top = (ranks <= k_g).mean(axis=0)
        chosen = np.lexsort((-estimate, -p_top))[:k_g]
        honour[chosen] = p_top[chosen] >= rules.honour_prob
    p_last = (ranks == m).mean(axis=0)
    lo, hi = rules.last_months
    last = (months >= lo) & (months <= hi) & (p_last >= rules.last_prob) & (evidence == "below")
    return Verdicts(
        rank, q[0], q[1], p_below, p_above, evidence, k_g, p_top, honour, p_last, np.asarray(last)
    )
