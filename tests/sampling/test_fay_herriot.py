"""sampling.fay_herriot: REML and the hierarchical-Bayes posterior (R comparison: test_judgement_r)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from sampling.fay_herriot import hb_posterior, reml, restricted_loglik


def _group(seed: int, k: int, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    psi = 1.0 / (rng.integers(30, 300, k) * 0.12)
    theta = 2.0 + rng.normal(0.0, sigma, k)
    return theta + rng.normal(0.0, np.sqrt(psi)), psi


def test_reml_maximises_the_restricted_likelihood() -> None:
    y, psi = _group(1, 12, 0.5)
    fit = reml(y, psi)
    grid = np.linspace(0.0, 2.0, 20001)
    best = grid[np.argmax(restricted_loglik(grid, y, psi))]
    assert fit.tau2 == pytest.approx(best, abs=2e-4)
    assert fit.tau2 > 0
    w = 1.0 / (fit.tau2 + psi)
    assert fit.beta[0] == pytest.approx(np.sum(w * y) / np.sum(w), rel=1e-12)
    b = psi / (fit.tau2 + psi)
    np.testing.assert_allclose(fit.eblup, (1 - b) * y + b * fit.beta[0], rtol=1e-12)


def test_reml_is_zero_without_real_spread() -> None:
    y = np.full(6, 2.0) + np.array([0.01, -0.01, 0.0, 0.02, -0.02, 0.0])
    fit = reml(y, np.full(6, 0.1))
    assert fit.tau2 == 0.0
    np.testing.assert_allclose(fit.eblup, np.full(6, y.mean()), rtol=1e-12)


def test_one_unit_is_its_own_estimate() -> None:
    post = hb_posterior(np.array([1.5]), np.array([0.04]))
    assert post.mean()[0] == pytest.approx(1.5, abs=1e-10)
    assert post.sd()[0] == pytest.approx(0.2, rel=1e-8)
    assert np.isnan(reml(np.array([1.5]), np.array([0.04])).tau2)


def test_posterior_shrinks_towards_the_group_and_less_with_more_data() -> None:
    y = np.array([1.0, 2.0, 2.1, 1.9, 2.0, 2.05, 1.95, 3.0])
    psi = np.array([0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.01])
    post = hb_posterior(y, psi)
    mean = post.mean()
    assert y[0] < mean[0] < y[1:].mean()  # noisy low unit pulled up
    assert abs(mean[7] - y[7]) < abs(mean[0] - y[0])  # precise unit moves less
    assert post.sd()[0] < np.sqrt(psi[0])  # borrowing strength narrows the noisy unit


def test_quantiles_invert_the_mixture_cdf_and_draws_agree() -> None:
    y, psi = _group(3, 8, 0.4)
    post = hb_posterior(y, psi)
    lo, hi = post.quantile(0.025), post.quantile(0.975)
    s = np.sqrt(post._cond_var())
    for q, bound in ((0.025, lo), (0.975, hi)):
        cdf = post.weight @ stats.norm.cdf((bound[None, :] - post.m) / s)
        np.testing.assert_allclose(cdf, q, atol=1e-10)
    draws = post.draws(np.random.default_rng(5), 200_000)
    np.testing.assert_allclose(draws.mean(axis=0), post.mean(), atol=0.01)
    np.testing.assert_allclose(draws.std(axis=0), post.sd(), rtol=0.02)
    np.testing.assert_allclose(np.quantile(draws, 0.975, axis=0), hi, atol=0.02)
    rate_mean, rate_sd = post.rate_moments()
    r = special.expit(draws)
    np.testing.assert_allclose(r.mean(axis=0), rate_mean, atol=0.002)
    np.testing.assert_allclose(r.std(axis=0), rate_sd, rtol=0.03)


def test_draws_carry_the_shared_uncertainty_of_the_group_mean() -> None:
    # Equal units: the posterior of their mean is uncertain, so their draws
    # are positively correlated (the B·X·A·Xᵀ·B term).
    post = hb_posterior(np.full(6, 2.0), np.full(6, 0.2))
    d = post.draws(np.random.default_rng(2), 50_000)
    corr = np.corrcoef(d.T)[np.triu_indices(6, 1)]
    assert (corr > 0.1).all()


def test_draws_are_reproducible() -> None:
    y, psi = _group(4, 6, 0.3)
    post = hb_posterior(y, psi)
    a = post.draws(np.random.default_rng(9), 100)
    b = post.draws(np.random.default_rng(9), 100)
    np.testing.assert_array_equal(a, b)


def test_flat_prior_on_sigma_is_narrower_than_on_sigma_squared() -> None:
    y, psi = _group(6, 6, 0.1)
    wide = hb_posterior(y, psi)
    narrow = hb_posterior(y, psi, prior_power=0.0)
    assert (narrow.sd() <= wide.sd() + 1e-12).all()


@pytest.mark.parametrize(
    ("y", "psi"),
    [
        (np.array([1.0, np.nan]), np.array([0.1, 0.1])),
        (np.array([1.0, 2.0]), np.array([0.1, 0.0])),
        (np.array([1.0, 2.0]), np.array([0.1])),
    ],
)
def test_bad_input_is_refused(y: np.ndarray, psi: np.ndarray) -> None:
    with pytest.raises(ValueError):
        reml(y, psi)
    with pytest.raises(ValueError):
        hb_posterior(y, psi)
