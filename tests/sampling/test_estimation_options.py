"""sampling.estimation's two additions: ``cap_n_eff`` and ``fpc=False`` (R: test_judgement_r)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from minyi.columns import (
    CI_HIGH,
    CI_LOW,
    FINAL_WEIGHT,
    N_EFF,
    RESPONDED,
    SATISFACTION_RATE,
    SATISFIED,
    SE,
    STRATUM,
    STRATUM_POPULATION,
    UNIT_ID,
)
from sampling.estimation import domain_estimates, overall_estimate
from tests.sampling.test_estimation import synthetic_responses


def _census_heavy() -> pl.DataFrame:
    """A unit whose 16 respondents sit in nearly complete strata, next to an ordinary one."""
    rng = np.random.default_rng(3)
    rows = []
    for h in range(4):
        for _ in range(4):
            rows.append((f"small{h}", 5, "W", int(rng.random() < 0.8)))
        for _ in range(30):
            rows.append((f"big{h}", 600, "A", int(rng.random() < 0.8)))
    return pl.DataFrame(
        rows, schema=[STRATUM, STRATUM_POPULATION, UNIT_ID, SATISFIED], orient="row"
    ).with_columns((pl.col(STRATUM_POPULATION) / pl.len().over(STRATUM)).alias(FINAL_WEIGHT))


def test_capped_n_eff_never_exceeds_the_respondents() -> None:
    data = _census_heavy()
    raw = domain_estimates(data).sort(UNIT_ID)
    capped = domain_estimates(data, cap_n_eff=True).sort(UNIT_ID)
    w = raw.filter(pl.col(UNIT_ID) == "W").row(0, named=True)
    assert w[N_EFF] > 2 * w[RESPONDED]  # the fpc's illusion
    cw = capped.filter(pl.col(UNIT_ID) == "W").row(0, named=True)
    assert cw[N_EFF] == w[RESPONDED]
    assert cw[CI_HIGH] - cw[CI_LOW] > w[CI_HIGH] - w[CI_LOW]
    # rates and SEs are R's either way
    assert capped[SATISFACTION_RATE].to_list() == raw[SATISFACTION_RATE].to_list()
    assert capped[SE].to_list() == raw[SE].to_list()
    assert (capped[N_EFF] <= capped[RESPONDED]).all()


def test_without_fpc_the_variance_is_the_process_variance() -> None:
    data = _census_heavy()
    with_fpc = domain_estimates(data).sort(UNIT_ID)
    without = domain_estimates(data, fpc=False).sort(UNIT_ID)
    assert (without[SE] > with_fpc[SE]).all()
    assert without[SATISFACTION_RATE].to_list() == with_fpc[SATISFACTION_RATE].to_list()
    # a census stratum contributes to the process variance
    census = synthetic_responses(20240601).filter(pl.col(STRATUM) == "2024-06-11|census")
    assert domain_estimates(census)[SE].to_list() == [0.0, 0.0]
    assert (domain_estimates(census, fpc=False)[SE] > 0).all()


def test_overall_estimate_passes_the_options_on() -> None:
    data = synthetic_responses(20240601)
    plain = overall_estimate(data)
    both = overall_estimate(data, cap_n_eff=True, fpc=False)
    assert both[SATISFACTION_RATE] == pytest.approx(plain[SATISFACTION_RATE], rel=1e-15)
    assert both[SE] > plain[SE]
    assert both[N_EFF] <= both[RESPONDED]
