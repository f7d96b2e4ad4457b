"""Binomial logistic regression on grouped counts, optionally with a ridge prior.

Newton–Raphson (= IRLS for the canonical link; McCullagh & Nelder 1989,
*Generalized Linear Models*, §4.4) on cells with ``trials`` answers of which
``successes`` were satisfied, with an optional known ``offset`` and a normal
prior N(0, 1/λ_j) on coefficient j (λ_j = ``prior_precision[j]``, 0 = flat):
the penalised log-likelihood Σ [s η − t log(1 + e^η)] − ½ Σ λ_j β_j² is
maximised; the returned covariance is the inverse of the penalised
information Xᵀ W X + diag(λ).  With no prior this is R's
``glm(cbind(s, t − s) ~ …, family = binomial)``.  Used by
:mod:`sampling.case_mix` and :mod:`sampling.channel_mix`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["fit_logistic"]

_TOL = 1e-10
_MAX_ITER = 100


def fit_logistic(
    x: np.ndarray,
    successes: np.ndarray,
    trials: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    prior_precision: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(β̂, covariance) of the (penalised) binomial logit model (module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    s = np.asarray(successes, dtype=np.float64)
    t = np.asarray(trials, dtype=np.float64)
    off = np.zeros(t.size) if offset is None else np.asarray(offset, dtype=np.float64)
    lam = np.zeros(x.shape[1]) if prior_precision is None else np.asarray(prior_precision)
    beta = np.zeros(x.shape[1])
    for _ in range(_MAX_ITER):
        mu = special.expit(x @ beta + off)
        info = (x * (t * mu * (1.0 - mu))[:, None]).T @ x + np.diag(lam)
        step = np.linalg.solve(info, x.T @ (s - t * mu) - lam * beta)
        beta = beta + step
        if np.max(np.abs(step)) < _TOL:
            break
    mu = special.expit(x @ beta + off)
    info = (x * (t * mu * (1.0 - mu))[:, None]).T @ x + np.diag(lam)
    return beta, np.linalg.inv(info)
