"""The judgement against an independent implementation in R (tests/fixtures/judgement/).

R's answers are committed (``make_judgement_fixtures.R``: ``metafor::rma``
REML and BLUPs, hierarchical-Bayes moments and quantiles by adaptive
quadrature, ``survey`` without fpc, ``glm`` for the channel effects, ``optim``
for the case-mix model); every run compares with them, and when ``Rscript`` is
installed one test re-runs R on freshly generated inputs.

Tolerances (stated here and in the report):

* direct rates 1e-12 relative, SEs and n_eff 1e-9 relative (same survey
  variance as R's ``svyby``), interval bounds 1e-6;
* REML σ² and β 1e-7 absolute, BLUPs 1e-7 (metafor's Fisher scoring to 1e-12
  against our bounded Brent search);
* channel effects, category effects, expected rates, offsets and their SEs
  1e-7 (both solve the same score equations to 1e-10 or better);
* posterior moments and quantiles of θ and of the rate 2e-5 absolute: our
  1,000-point midpoint grid over σ against R's adaptive quadrature.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from minyi.columns import (
    ADJUSTED_RATE,
    CASE_MIX_SE,
    CHANNEL,
    CHANNEL_EFFECT,
    CHANNEL_OFFSET,
    CHANNEL_OFFSET_SE,
    CI_HIGH,
    CI_LOW,
    ESTIMATE,
    EXPECTED_RATE,
    N_EFF,
    PEER_GROUP,
    REFERENCE_RATE,
    RESPONDENTS,
    SATISFACTION_RATE,
    SE,
    STRATUM,
    UNIT_ID,
)
from sampling.adjustment import judgement_inputs
from sampling.case_mix import CATEGORY_EFFECT, category_rates
from sampling.channel_mix import channel_effects
from sampling.estimation import domain_estimates
from sampling.fay_herriot import hb_posterior, reml
from sampling.judgement import fit_peer_group, judge
from tests.sampling.judgement_fixtures import (
    JUDGEMENT_DIR,
    fh_input,
    respondents,
    run_r,
    write_inputs,
)

POSTERIOR_ATOL = 2e-5
REML_ATOL = 1e-7
MODEL_ATOL = 1e-7


def _read(directory: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(
        directory / name,
        null_values="NA",
        schema_overrides={UNIT_ID: pl.String, "group": pl.String, STRATUM: pl.String},
        infer_schema_length=None,
    )


def _window(directory: Path) -> pl.DataFrame:
    return _read(directory, "respondents.csv").with_columns(pl.col("randomised").cast(pl.Boolean))


def _effects(window: pl.DataFrame) -> pl.DataFrame:
    return channel_effects(window.filter(pl.col("randomised")))


def _compare_fay_herriot(directory: Path) -> None:
    data = _read(directory, "fh_input.csv")
    ref_reml = _read(directory, "fh_reml.csv")
    ref_hb = _read(directory, "fh_hb.csv")
    for (group,), frame in data.group_by("group"):
        x = (
            np.column_stack([np.ones(frame.height), frame["x1"]])
            if (frame["x1"] != 0).any()
            else None
        )
        y, psi = frame["y"].to_numpy(), frame["psi"].to_numpy()
        fit = reml(y, psi, x)
        r = ref_reml.filter(pl.col("group") == group)
        assert fit.tau2 == pytest.approx(r["tau2"][0], abs=REML_ATOL)
        assert fit.beta[0] == pytest.approx(r["beta0"][0], abs=REML_ATOL)
        if x is not None:
            assert fit.beta[1] == pytest.approx(r["beta1"][0], abs=REML_ATOL)
        np.testing.assert_allclose(fit.eblup, r["blup"].to_numpy(), atol=REML_ATOL, rtol=0)
        post = hb_posterior(y, psi, x)
        h = ref_hb.filter(pl.col("group") == group)
        rate_mean, rate_sd = post.rate_moments()
        for ours, col in (
            (post.mean(), "mean"),
            (post.sd(), "sd"),
            (post.quantile(0.025), "q025"),
            (post.quantile(0.975), "q975"),
            (rate_mean, "rate_mean"),
            (rate_sd, "rate_sd"),
        ):
            np.testing.assert_allclose(ours, h[col].to_numpy(), atol=POSTERIOR_ATOL, rtol=0)


def _compare_survey_options(directory: Path) -> None:
    survey = _read(directory, "survey.csv")
    ref = _read(directory, "survey_options.csv").sort(UNIT_ID)
    nofpc = domain_estimates(survey, fpc=False)
    np.testing.assert_allclose(nofpc[SATISFACTION_RATE], ref["rate_nofpc"], rtol=1e-12)
    np.testing.assert_allclose(nofpc[SE], ref["se_nofpc"], rtol=1e-9)
    capped = domain_estimates(survey, cap_n_eff=True)
    assert capped[UNIT_ID].to_list() == ref[UNIT_ID].to_list()
    has = ref["capped_low"].is_not_null()
    np.testing.assert_allclose(
        capped.filter(has)[CI_LOW], ref.filter(has)["capped_low"], atol=1e-6, rtol=0
    )
    np.testing.assert_allclose(
        capped.filter(has)[CI_HIGH], ref.filter(has)["capped_high"], atol=1e-6, rtol=0
    )


def _compare_window(directory: Path) -> None:
    window = _window(directory)
    effects = _effects(window)
    ref_eff = _read(directory, "channel_effects.csv")
    ours = effects.join(ref_eff, on=CHANNEL, suffix="_r")
    assert ours.height == ref_eff.height
    np.testing.assert_allclose(ours[CHANNEL_EFFECT], ours["channel_effect_r"], atol=MODEL_ATOL)
    np.testing.assert_allclose(ours[SE], ours["se_r"], atol=MODEL_ATOL)

    cats = category_rates(window, effects).join(
        _read(directory, "case_mix.csv"), on="category", suffix="_r"
    )
    np.testing.assert_allclose(cats[CATEGORY_EFFECT], cats["category_effect_r"], atol=MODEL_ATOL)
    np.testing.assert_allclose(cats[EXPECTED_RATE], cats["expected_rate_r"], atol=MODEL_ATOL)

    ref = _read(directory, "judgement.csv").sort(UNIT_ID)
    direct = judgement_inputs(window, effects)
    assert direct[UNIT_ID].to_list() == ref[UNIT_ID].to_list()
    assert direct[RESPONDENTS].to_list() == ref[RESPONDENTS].to_list()
    np.testing.assert_allclose(direct[SATISFACTION_RATE], ref[SATISFACTION_RATE], rtol=1e-12)
    np.testing.assert_allclose(direct[N_EFF], ref[N_EFF], rtol=1e-9)
    np.testing.assert_allclose(direct[REFERENCE_RATE], ref[REFERENCE_RATE], rtol=1e-12)
    for col in (EXPECTED_RATE, CASE_MIX_SE, CHANNEL_OFFSET, CHANNEL_OFFSET_SE, ADJUSTED_RATE):
        np.testing.assert_allclose(direct[col], ref[col], atol=MODEL_ATOL, rtol=0, err_msg=col)

    units = window.select(UNIT_ID, PEER_GROUP).unique()
    verdict = judge(direct, units, seed=1).sort(UNIT_ID)
    for col in (ESTIMATE, SE, CI_LOW, CI_HIGH):
        np.testing.assert_allclose(verdict[col], ref[col], atol=POSTERIOR_ATOL, err_msg=col)
    for (group,), frame in ref.group_by(PEER_GROUP):
        d = direct.filter(pl.col(UNIT_ID).is_in(frame[UNIT_ID].to_list())).sort(UNIT_ID)
        y, psi, _ = fit_peer_group(
            d[N_EFF].to_numpy(),
            d[SATISFACTION_RATE].to_numpy(),
            d[EXPECTED_RATE].to_numpy(),
            d[CASE_MIX_SE].to_numpy(),
            d[CHANNEL_OFFSET].to_numpy(),
            d[CHANNEL_OFFSET_SE].to_numpy(),
            float(d[REFERENCE_RATE][0]),
        )
        f = frame.sort(UNIT_ID)
        np.testing.assert_allclose(y, f["y"], atol=MODEL_ATOL, err_msg=str(group))
        np.testing.assert_allclose(psi, f["psi"], atol=POSTERIOR_ATOL, err_msg=str(group))


def test_fixture_inputs_are_the_seeded_generators() -> None:
    committed = _read(JUDGEMENT_DIR, "fh_input.csv")
    np.testing.assert_allclose(committed["y"], fh_input()["y"], rtol=1e-15)
    window = _read(JUDGEMENT_DIR, "respondents.csv")
    assert window.height == respondents().height
    assert window[UNIT_ID].to_list() == respondents()[UNIT_ID].to_list()


def test_fay_herriot_matches_r_fixture() -> None:
    _compare_fay_herriot(JUDGEMENT_DIR)


def test_estimation_options_match_r_fixture() -> None:
    _compare_survey_options(JUDGEMENT_DIR)


def test_window_pipeline_matches_r_fixture() -> None:
    _compare_window(JUDGEMENT_DIR)


@pytest.mark.r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_matches_live_r(tmp_path: Path) -> None:
    write_inputs(tmp_path)
    run_r(tmp_path, tmp_path)
    _compare_fay_herriot(tmp_path)
    _compare_survey_options(tmp_path)
    _compare_window(tmp_path)
