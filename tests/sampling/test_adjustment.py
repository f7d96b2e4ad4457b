"""sampling.adjustment, case_mix and channel_mix: direct estimates and the two adjustments."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import special

from minyi.columns import (
    ADJUSTED_RATE,
    ASSIGNED_CHANNEL,
    CASE_MIX_RATE,
    CASE_MIX_SE,
    CATEGORY,
    CHANNEL,
    CHANNEL_EFFECT,
    CHANNEL_OFFSET,
    CHANNEL_OFFSET_SE,
    EXPECTED_RATE,
    FINAL_WEIGHT,
    LOGIT,
    MONTH,
    MONTHS,
    N_EFF,
    RESPONDENTS,
    SAMPLE_DATE,
    SATISFACTION_RATE,
    SATISFIED,
    SE,
    STRATUM,
    STRATUM_POPULATION,
    UNADJUSTED_RATE,
    UNIT_ID,
)
from sampling.adjustment import adjusted_rates, direct_estimates, judgement_inputs
from sampling.case_mix import CATEGORY_EFFECT, case_mix, category_rates
from sampling.channel_mix import REFERENCE, channel_effects, channel_offsets
from sampling.errors import JudgementInputError
from sampling.estimation import domain_estimates


def _responses(
    rng: np.random.Generator,
    cells: list[tuple[str, str, str, int, float]],
    months: tuple[str, ...] = ("2025-01",),
) -> pl.DataFrame:
    """Respondents from (unit, category, channel, count, rate) cells, several strata each."""
    rows = []
    for month in months:
        for unit, cat, channel, count, rate in cells:
            for i in range(count):
                rows.append(
                    {
                        UNIT_ID: unit,
                        CATEGORY: cat,
                        CHANNEL: channel,
                        STRATUM: f"{month}-{i % 5 + 1:02d}|{cat}",
                        FINAL_WEIGHT: float(rng.uniform(5, 15)),
                        SATISFIED: bool(rng.random() < rate),
                        MONTH: month,
                    }
                )
    return pl.DataFrame(rows)


# --- direct estimates -------------------------------------------------------


def test_direct_estimate_is_the_no_fpc_design_estimate_with_n_eff_capped() -> None:
    rng = np.random.default_rng(1)
    resp = _responses(rng, [("U1", "a", "sms", 80, 0.8), ("U2", "b", "sms", 40, 0.9)])
    direct = direct_estimates(resp)
    ref = domain_estimates(
        resp.with_columns(pl.lit(10**6).alias(STRATUM_POPULATION)), fpc=False
    ).sort(UNIT_ID)
    np.testing.assert_allclose(direct[SATISFACTION_RATE], ref[SATISFACTION_RATE], rtol=1e-12)
    p, n = direct[SATISFACTION_RATE].to_numpy(), direct[RESPONDENTS].to_numpy()
    assert (direct[N_EFF].to_numpy() <= n).all()
    np.testing.assert_allclose(direct[SE] ** 2, p * (1 - p) / direct[N_EFF], rtol=1e-12)
    uncapped = p * (1 - p) / ref[SE].to_numpy() ** 2
    np.testing.assert_allclose(direct[N_EFF], np.minimum(uncapped, n), rtol=1e-9)


def test_rate_one_gets_kish_n_eff_and_a_finite_logit() -> None:
    resp = pl.DataFrame(
        {
            UNIT_ID: ["U1"] * 4,
            STRATUM: ["s1", "s1", "s2", "s2"],
            FINAL_WEIGHT: [1.0, 1.0, 3.0, 3.0],
            SATISFIED: [True] * 4,
        }
    )
    row = direct_estimates(resp).row(0, named=True)
    assert row[SATISFACTION_RATE] == 1.0
    assert row[SE] == 0.0
    assert row[N_EFF] == pytest.approx(64 / 20)  # (Σw)²/Σw²
    assert row[LOGIT] == pytest.approx(np.log((3.2 + 0.5) / 0.5))


def test_direct_estimates_by_unit_and_month() -> None:
    rng = np.random.default_rng(2)
    resp = _responses(rng, [("U1", "a", "sms", 30, 0.8)], months=("2025-01", "2025-02"))
    both = direct_estimates(resp, by=(UNIT_ID, MONTH))
    assert both.select(UNIT_ID, MONTH).rows() == [("U1", "2025-01"), ("U1", "2025-02")]
    jan = direct_estimates(resp.filter(pl.col(MONTH) == "2025-01"))
    assert both[SATISFACTION_RATE][0] == pytest.approx(jan[SATISFACTION_RATE][0], rel=1e-12)
    assert both[N_EFF][0] == pytest.approx(jan[N_EFF][0], rel=1e-9)


# --- case mix ---------------------------------------------------------------


def _confounded(rng: np.random.Generator) -> pl.DataFrame:
    # Category "x" is served mostly by the good unit G (0.95) and a little by
    # the poor unit P (0.75); within each unit every category does alike.
    return _responses(
        rng,
        [
            ("G", "x", "sms", 900, 0.95),
            ("G", "g", "sms", 300, 0.95),
            ("P", "x", "sms", 100, 0.75),
            ("P", "p", "sms", 600, 0.75),
        ],
    )


def test_category_rates_are_for_a_standard_unit_not_the_units_that_serve_them() -> None:
    resp = _confounded(np.random.default_rng(3))
    rates = category_rates(resp)
    plain = dict(zip(rates[CATEGORY], rates[SATISFACTION_RATE], strict=True))
    assert plain["x"] - plain["p"] > 0.1  # the plain rates blame the company each keeps
    assert float(rates[CATEGORY_EFFECT].abs().max()) < 0.2  # type: ignore[arg-type]  # no category effect within units
    mix = case_mix(resp)
    e = dict(zip(mix[UNIT_ID], mix[EXPECTED_RATE], strict=True))
    assert abs(e["G"] - e["P"]) < 0.02
    assert (mix[CASE_MIX_SE] > 0).all()


def test_a_harder_category_lowers_the_expected_rate() -> None:
    rng = np.random.default_rng(4)
    resp = _responses(
        rng,
        [
            ("A", "easy", "sms", 400, 0.93),
            ("A", "hard", "sms", 400, 0.70),
            ("B", "easy", "sms", 700, 0.93),
            ("B", "hard", "sms", 100, 0.70),
            ("C", "hard", "sms", 300, 0.70),
        ],
    )
    rates = category_rates(resp)
    beta = dict(zip(rates[CATEGORY], rates[CATEGORY_EFFECT], strict=True))
    assert beta["hard"] - beta["easy"] == pytest.approx(
        special.logit(0.70) - special.logit(0.93), abs=0.25
    )
    e = dict(zip(case_mix(resp)[UNIT_ID], case_mix(resp)[EXPECTED_RATE], strict=True))
    assert e["C"] < e["A"] < e["B"]
    # calibrated: at the district's category mix the expected rate is the district's rate
    w = resp.group_by(CATEGORY).agg(pl.col(FINAL_WEIGHT).sum()).sort(CATEGORY)
    share = (w[FINAL_WEIGHT] / w[FINAL_WEIGHT].sum()).to_numpy()
    w_all, y_all = resp[FINAL_WEIGHT].to_numpy(), resp[SATISFIED].to_numpy()
    p_ref = float((w_all * y_all).sum() / w_all.sum())
    assert float(share @ rates.sort(CATEGORY)[EXPECTED_RATE].to_numpy()) == pytest.approx(p_ref)


def test_case_mix_se_shrinks_with_more_answers() -> None:
    small = _confounded(np.random.default_rng(5))
    big = pl.concat([_confounded(np.random.default_rng(s)) for s in range(5, 9)])
    assert (case_mix(big)[CASE_MIX_SE] < case_mix(small)[CASE_MIX_SE]).all()


# --- channel effects and offsets ------------------------------------------


def _experiment(rng: np.random.Generator, n: int, effects: dict[str, float]) -> pl.DataFrame:
    assigned = rng.choice(list(effects), n)
    fallback = rng.random(n) < 0.1
    channel = np.where(fallback, "manual", assigned)
    cat = rng.choice(["a", "b", "c"], n)
    cat_effect = {"a": 0.0, "b": -0.5, "c": 0.4}
    eta = (
        1.2
        + np.array([effects.get(c, 0.6) for c in channel])
        + np.array([cat_effect[c] for c in cat])
    )
    return pl.DataFrame(
        {
            ASSIGNED_CHANNEL: assigned,
            CHANNEL: channel,
            CATEGORY: cat,
            SATISFIED: rng.random(n) < special.expit(eta),
        }
    )


def test_channel_effects_recover_the_mode_effects() -> None:
    truth = {"sms": 0.0, "voice": 0.4, "manual": 0.8}
    data = _experiment(np.random.default_rng(6), 9000, truth)
    eff = channel_effects(data)
    assert eff[CHANNEL].to_list() == ["sms", "manual", "voice"]
    assert eff[REFERENCE].to_list() == [True, False, False]
    got = dict(zip(eff[CHANNEL], eff[CHANNEL_EFFECT], strict=True))
    se = dict(zip(eff[CHANNEL], eff[SE], strict=True))
    assert got["sms"] == 0.0 and se["sms"] == 0.0
    for c in ("voice", "manual"):
        assert abs(got[c] - truth[c]) < 3.5 * se[c]  # type: ignore[operator]
        assert 0.03 < se[c] < 0.15  # type: ignore[operator]
    # answers on a fallback channel are not counted for the assigned one
    kept = data.filter(pl.col(ASSIGNED_CHANNEL) == pl.col(CHANNEL)).height
    assert int(eff[RESPONDENTS].sum()) == kept


def test_a_channel_without_enough_answers_gets_no_effect() -> None:
    data = _experiment(np.random.default_rng(7), 3000, {"sms": 0.0, "voice": 0.3})
    extra = pl.DataFrame(
        {
            ASSIGNED_CHANNEL: ["manual"] * 5,
            CHANNEL: ["manual"] * 5,
            CATEGORY: ["a"] * 5,
            SATISFIED: [True, False, True, True, True],
        }
    )
    eff = channel_effects(pl.concat([data, extra]))
    row = eff.filter(pl.col(CHANNEL) == "manual").row(0, named=True)
    assert row[CHANNEL_EFFECT] is None and row[SE] is None and row[RESPONDENTS] == 5
    # without the reference nothing is estimated
    no_ref = channel_effects(data, reference="manual")
    assert no_ref[CHANNEL_EFFECT].is_null().all()


def test_channel_offsets_by_hand() -> None:
    resp = pl.DataFrame(
        {
            UNIT_ID: ["U1", "U1", "U2", "U2"],
            CHANNEL: ["sms", "voice", "sms", "sms"],
            FINAL_WEIGHT: [1.0, 1.0, 1.0, 1.0],
        }
    )
    effects = pl.DataFrame({CHANNEL: ["sms", "voice"], CHANNEL_EFFECT: [0.0, 0.5], SE: [0.0, 0.2]})
    out = channel_offsets(resp, effects)
    # district voice share 1/4; U1 has 1/2 (+1/4), U2 has 0 (−1/4)
    np.testing.assert_allclose(out[CHANNEL_OFFSET], [0.125, -0.125], rtol=1e-12)
    np.testing.assert_allclose(out[CHANNEL_OFFSET_SE], [0.05, 0.05], rtol=1e-12)


# --- inputs of the judgement -----------------------------------------------


def test_a_unit_with_the_district_mix_keeps_its_rate() -> None:
    rng = np.random.default_rng(8)
    resp = _responses(rng, [("U1", "a", "sms", 60, 0.8), ("U1", "b", "voice", 40, 0.9)])
    rates = adjusted_rates(resp)
    row = rates.row(0, named=True)
    assert row[CASE_MIX_RATE] == pytest.approx(row[UNADJUSTED_RATE], rel=1e-9)
    assert row[ADJUSTED_RATE] == pytest.approx(row[UNADJUSTED_RATE], rel=1e-9)


def test_voice_heavy_unit_is_adjusted_down_and_rates_of_one_stay() -> None:
    rng = np.random.default_rng(9)
    resp = _responses(
        rng,
        [
            ("V", "a", "voice", 80, 0.9),
            ("V", "a", "sms", 20, 0.8),
            ("S", "a", "sms", 100, 0.8),
            ("T", "a", "sms", 12, 1.0),
        ],
    )
    effects = pl.DataFrame({CHANNEL: ["sms", "voice"], CHANNEL_EFFECT: [0.0, 0.6], SE: [0.0, 0.1]})
    inputs = judgement_inputs(resp, effects)
    assert inputs.columns[:3] == [UNIT_ID, MONTHS, RESPONDENTS]
    by_unit = {r[UNIT_ID]: r for r in inputs.iter_rows(named=True)}
    assert by_unit["V"][CHANNEL_OFFSET] > 0 > by_unit["S"][CHANNEL_OFFSET]
    assert by_unit["V"][ADJUSTED_RATE] < by_unit["V"][CASE_MIX_RATE]
    assert by_unit["S"][ADJUSTED_RATE] > by_unit["S"][CASE_MIX_RATE]
    assert by_unit["T"][SATISFACTION_RATE] == 1.0 and by_unit["T"][ADJUSTED_RATE] == 1.0
    assert inputs[MONTHS].to_list() == [1, 1, 1]


def test_month_is_taken_from_the_sample_date() -> None:
    rng = np.random.default_rng(10)
    resp = _responses(rng, [("U1", "a", "sms", 30, 0.8)], months=("2025-01", "2025-02"))
    dated = resp.drop(MONTH).with_columns(
        pl.col(STRATUM).str.slice(0, 10).str.to_date().alias(SAMPLE_DATE)
    )
    assert judgement_inputs(dated)[MONTHS].to_list() == [2]


def test_missing_column_is_refused_in_both_languages() -> None:
    resp = _responses(np.random.default_rng(11), [("U1", "a", "sms", 10, 0.8)])
    with pytest.raises(JudgementInputError, match=r"缺少该列.*cannot judge.*channel"):
        judgement_inputs(resp.drop(CHANNEL))
