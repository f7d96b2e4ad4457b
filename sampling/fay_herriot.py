"""The Fay–Herriot area-level model: REML fit and the hierarchical-Bayes posterior.

Model (Fay & Herriot 1979; Rao & Molina 2015, *Small Area Estimation*, ch. 6).
For the k units of one peer group,

    y_i = θ_i + e_i,   e_i ~ N(0, ψ_i)  (ψ_i known: the sampling variance),
    θ_i = x_iᵀβ + v_i,  v_i ~ N(0, σ²)  (σ²: the real between-unit variance),

so y ~ N(Xβ, V) with V = diag(σ² + ψ_i).  Everything here is numpy over one
peer group; :mod:`sampling.judgement` builds y, ψ and X.

**REML.**  σ̂² maximises the restricted log-likelihood (Patterson & Thompson
1971; Harville 1977)

    l_R(σ²) = −½ [Σ log(σ² + ψ_i) + log|XᵀV⁻¹X| + rᵀV⁻¹r],  r = y − Xβ̂(σ²),

over σ² ≥ 0 (bounded Brent search; the boundary 0 is a legitimate answer),
β̂ = (XᵀV⁻¹X)⁻¹XᵀV⁻¹y.  :class:`RemlFit` also carries the empirical BLUP
θ̃_i = (1 − B_i) y_i + B_i x_iᵀβ̂ with B_i = ψ_i/(σ̂² + ψ_i).  This is what R's
``metafor::rma(yi, vi, mods, method = "REML")`` and ``blup()`` compute
(checked in tests/sampling/test_fay_herriot.py).

**Posterior: hierarchical Bayes, not plug-in EB.**  With 6–16 units a peer
group's σ² is poorly determined and REML often returns 0; plugging σ̂² = 0 in
would shrink every unit onto the group mean with a falsely small variance
(the "usual correction" of Prasad & Rao 1990 / Morris 1983 patches the
variance but not the shape).  We integrate σ² out instead: flat priors on β
and on σ² ∈ [0, σ_max²] (Morris 1983, "Parametric empirical Bayes inference",
JASA 78, 47–55; Datta, Rao & Smith 2005, Biometrika 92, 183–196, show this
prior gives posterior variances that match the frequentist MSE to second
order).  Under a flat prior on β the marginal likelihood of σ² *is* the
restricted likelihood (Harville 1974), so

    p(σ² | y) ∝ exp l_R(σ²)   on [0, σ_max²],
    β | σ², y ~ N(β̂(σ²), A),  A = (XᵀV⁻¹X)⁻¹,
    θ | σ², y ~ N(m, C),  m = (1 − B)⊙y + B⊙Xβ̂,
                          C = diag(σ²ψ/(σ² + ψ)) + (B⊙X) A (B⊙X)ᵀ,

the last two exact given σ².  σ² is integrated on a midpoint grid of ``grid``
points in σ over (0, σ_max] with weights ∝ exp l_R(σ_j²)·σ_j (the Jacobian of
the flat prior on σ²).  σ_max = 3 on the logit scale (a between-unit SD of 3
logits would put one peer group's rates between 5% and 99.9%) only bounds the
prior's tail; with k ≥ 4 units the restricted likelihood decays like
σ^−(k−p) and the cap hardly matters.

The posterior of each θ_i is then a finite mixture of normals: its mean and
variance are exact sums, its quantiles are found by bisection on the mixture
CDF, the moments of expit(θ_i) by 40-point Gauss–Hermite quadrature, and joint
draws (for ranks and peer comparisons) come from drawing a grid point by its
weight and then θ from N(m, C) as m + √g₁⊙z + (B⊙X)Lu (L Lᵀ = A).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

__all__ = ["Posterior", "RemlFit", "hb_posterior", "reml", "restricted_loglik"]

SIGMA_MAX = 3.0  # cap of the flat prior on σ (logit scale)
GRID = 1000  # midpoint grid points in σ
PRIOR_POWER = 1.0  # p(σ) ∝ σ^power: 1 = flat on σ², 0 = flat on σ
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()
_BISECTIONS = 80


def _design(y: np.ndarray, psi: np.ndarray, x: np.ndarray | None) -> np.ndarray:
    if y.ndim != 1 or psi.shape != y.shape:
        raise ValueError("y and psi must be 1-d arrays of the same length")
    if not (np.isfinite(y).all() and np.isfinite(psi).all() and (psi > 0).all()):
        raise ValueError("y must be finite and psi finite and > 0")
    x = np.ones((y.size, 1)) if x is None else np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise ValueError("x must be a (k, p) matrix")
    return x


def _gls(
    tau2: np.ndarray, y: np.ndarray, psi: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each τ² of a 1-d array: (A = (XᵀV⁻¹X)⁻¹, β̂, V diagonal, log|XᵀV⁻¹X|)."""
    v = tau2[:, None] + psi[None, :]  # (G, k)
    xtvx = np.einsum("ki,gk,kj->gij", x, 1.0 / v, x)  # (G, p, p)
    xtvy = np.einsum("ki,gk,k->gi", x, 1.0 / v, y)  # (G, p)
    a = np.linalg.inv(xtvx)
    beta = np.einsum("gij,gj->gi", a, xtvy)
    _, logdet = np.linalg.slogdet(xtvx)
    return a, beta, v, logdet


def restricted_loglik(
    tau2: np.ndarray | float, y: np.ndarray, psi: np.ndarray, x: np.ndarray | None = None
) -> np.ndarray:
    """l_R(σ²) (without the constant) at each value of ``tau2``."""
    x = _design(y, psi, x)
    t = np.atleast_1d(np.asarray(tau2, dtype=np.float64))
    _, beta, v, logdet = _gls(t, y, psi, x)
    r = y[None, :] - beta @ x.T
    return -0.5 * (np.log(v).sum(axis=1) + logdet + (r * r / v).sum(axis=1))


@dataclass(frozen=True)
class RemlFit:
    """REML estimates of one peer group's Fay–Herriot model."""

    tau2: float  # σ̂² (nan when k ≤ p: not identified)
    beta: np.ndarray  # β̂(σ̂²)
    beta_cov: np.ndarray  # (XᵀV̂⁻¹X)⁻¹
    eblup: np.ndarray  # θ̃_i
    shrinkage: np.ndarray  # B_i = ψ_i/(σ̂² + ψ_i)


def reml(y: np.ndarray, psi: np.ndarray, x: np.ndarray | None = None) -> RemlFit:
    """REML fit (module docstring).  ``x`` defaults to an intercept."""
    y = np.asarray(y, dtype=np.float64)
    psi = np.asarray(psi, dtype=np.float64)
    x = _design(y, psi, x)
    k, p = x.shape
    if k <= p:
        tau2 = float("nan")
        t = np.zeros(1)
    else:
        upper = 10.0 * (float(np.var(y)) + float(psi.max())) + 1.0

        def nll(t2: float) -> float:
            return -float(restricted_loglik(t2, y, psi, x)[0])

        fit = optimize.minimize_scalar(
            nll, bounds=(0.0, upper), method="bounded", options={"xatol": 1e-12}
        )
        tau2 = float(fit.x) if nll(float(fit.x)) < nll(0.0) else 0.0
        t = np.array([tau2])
    a, beta, v, _ = _gls(t, y, psi, x)
    b = psi / v[0]
    eblup = (1.0 - b) * y + b * (x @ beta[0])
    return RemlFit(tau2, beta[0], a[0], eblup, b)


@dataclass(frozen=True)
class Posterior:
    """Hierarchical-Bayes posterior of θ for one peer group (a mixture over a σ grid)."""

    sigma: np.ndarray  # (G,) grid of σ
    weight: np.ndarray  # (G,) posterior weights, sum 1
    m: np.ndarray  # (G, k) E[θ | σ, y]
    g1: np.ndarray  # (G, k) σ²ψ/(σ² + ψ)
    bx: np.ndarray  # (G, k, p) B⊙X
    chol_a: np.ndarray  # (G, p, p) Cholesky factor of A = (XᵀV⁻¹X)⁻¹

    def _cond_var(self) -> np.ndarray:
        """(G, k) Var[θ_i | σ, y] = g₁ + (B x_i)ᵀ A (B x_i)."""
        lbx = np.einsum("gkp,gpq->gkq", self.bx, self.chol_a)
        return self.g1 + (lbx * lbx).sum(axis=2)

    def mean(self) -> np.ndarray:
        """Posterior mean of each θ_i."""
        return np.asarray(self.weight @ self.m)

    def sd(self) -> np.ndarray:
        """Posterior standard deviation of each θ_i."""
        second = self.weight @ (self._cond_var() + self.m**2)
        return np.asarray(np.sqrt(np.maximum(second - self.mean() ** 2, 0.0)))

    def quantile(self, q: float) -> np.ndarray:
        """The q-quantile of each θ_i's marginal posterior (bisection on the mixture CDF)."""
        s = np.sqrt(self._cond_var())
        lo = (self.m - 12.0 * s).min(axis=0)
        hi = (self.m + 12.0 * s).max(axis=0)
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            cdf = self.weight @ special.ndtr((mid[None, :] - self.m) / s)
            below = cdf < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return np.asarray(0.5 * (lo + hi))

    def rate_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and SD of expit(θ_i) (Gauss–Hermite within each grid point)."""
        s = np.sqrt(self._cond_var())
        r = special.expit(self.m[:, :, None] + s[:, :, None] * _GH_NODES[None, None, :])
        first = self.weight @ (r @ _GH_WEIGHTS)
        second = self.weight @ ((r * r) @ _GH_WEIGHTS)
        return first, np.sqrt(np.maximum(second - first**2, 0.0))

    def draws(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` joint draws of θ, shape (n, k)."""
        j = rng.choice(self.weight.size, size=n, p=self.weight)
        k, p = self.bx.shape[1], self.bx.shape[2]
        z = rng.standard_normal((n, k))
        u = rng.standard_normal((n, p))
        shared = np.einsum("nkp,npq,nq->nk", self.bx[j], self.chol_a[j], u)
        return np.asarray(self.m[j] + np.sqrt(self.g1[j]) * z + shared)


def hb_posterior(
    y: np.ndarray,
    psi: np.ndarray,
    x: np.ndarray | None = None,
    *,
    sigma_max: float = SIGMA_MAX,
    grid: int = GRID,
    prior_power: float = PRIOR_POWER,
) -> Posterior:
    """The posterior of θ with σ² integrated out (module docstring).

    ``prior_power`` is the power of σ in the prior density of σ: 1 for the
    flat prior on σ² (default), 0 for a flat prior on σ.
    """
    y = np.asarray(y, dtype=np.float64)
    psi = np.asarray(psi, dtype=np.float64)
    x = _design(y, psi, x)
    if not (sigma_max > 0 and grid >= 10):
        raise ValueError("sigma_max must be > 0 and grid >= 10")
    sigma = (np.arange(grid) + 0.5) * (sigma_max / grid)
    tau2 = sigma**2
    a, beta, v, logdet = _gls(tau2, y, psi, x)
    r = y[None, :] - beta @ x.T
    loglik = -0.5 * (np.log(v).sum(axis=1) + logdet + (r * r / v).sum(axis=1))
    logw = loglik + prior_power * np.log(sigma)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    b = psi[None, :] / v
    m = (1.0 - b) * y[None, :] + b * (beta @ x.T)
    g1 = tau2[:, None] * b
    bx = b[:, :, None] * x[None, :, :]
    chol = np.linalg.cholesky(a)
    return Posterior(sigma, w, m, g1, bx, chol)
