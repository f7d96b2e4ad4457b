"""sampling.comparison: ranks, rank intervals, funnel limits and flags."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

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
from sampling.comparison import FUNNEL_HIGH, FUNNEL_LOW, ComparisonInputError, compare_units


def _est(
    rates: list[float] | np.ndarray,
    n_eff: list[float] | np.ndarray,
    responded: list[int] | np.ndarray | None = None,
    prefix: str = "u",
) -> pl.DataFrame:
    """domain_estimates-shaped rows with se = √(p(1 − p)/n_eff)."""
    p = np.asarray(rates, dtype=float)
    n = np.asarray(n_eff, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n > 0, np.sqrt(p * (1 - p) / n), 0.0)
    return pl.DataFrame(
        {
            UNIT_ID: [f"{prefix}{i:02d}" for i in range(p.size)],
            RESPONDED: np.asarray(
                responded if responded is not None else n.round(), dtype=np.int64
            ),
            SATISFACTION_RATE: p,
            SE: se,
            N_EFF: pl.Series(np.where(se > 0, n, np.nan)).fill_nan(None),
        }
    )


def _units(est: pl.DataFrame, group: str = "G") -> pl.DataFrame:
    return pl.DataFrame({UNIT_ID: est[UNIT_ID], PEER_GROUP: [group] * est.height})


def _binomial_est(rng: np.random.Generator, k: int, p: float, prefix: str = "u") -> pl.DataFrame:
    n = rng.integers(30, 400, k)
    x = rng.binomial(n, p)
    rates = x / n
    est = _est(rates, n.astype(float), n, prefix)
    return est


# --- funnel against a transcription of FunnelPlotR's "PR" path in R --------
# tests/sampling values: R 4.2.2 base code copying FunnelPlotR's
# transformed_zscore (PR), winsorisation (quantile type 7), phi_func, tau_func
# and OD_limits (PR) with z = qnorm(0.999).  One deliberate difference:
# FunnelPlotR does not clip the angle, so where θ₀ + z·√(s² + τ²) > π/2 its
# upper limit folds back below 1 (unit 3 of the overdispersed group: R gives
# 0.99997603); we clip the angle to [0, π/2] and the limit is 1.

_OD_P = [0.90, 0.85, 0.80, 0.95, 0.70, 0.88, 0.60, 0.92]
_OD_N = [120, 80, 200, 60, 150, 90, 100, 300]
_OD_R = {
    "target": 0.83018181818181824,
    "phi": 7.8708158408343349,
    "tau2": 0.015163344679640924,
    "low": [0.45488317035676862, 0.44287075586189512, 0.46477684378149747, 0.43122771128765658,
            0.45979740653194484, 0.44683261100112293, 0.45003225588156315, 0.46982347491725607],
    "high": [0.99964219023378309, 0.99995320166792157, 0.99916831704778319, 1.0,
             0.99943132207741259, 0.99988277695122296, 0.99980277971744302, 0.99885120353125778],
}  # fmt: skip
_FLAT_P = [0.84, 0.86, 0.85, 0.83, 0.87, 0.85]
_FLAT_N = [100, 200, 150, 120, 180, 90]
_FLAT_R = {
    "target": 0.85261904761904772,
    "phi": 0.12082925812593501,
    "tau2": 0.0,
    "low": [0.72810687080459124, 0.76738963336916688, 0.75295754661099101, 0.74000258181547984,
            0.76237721428605276, 0.72063787799930856],
    "high": [0.94372486279022083, 0.92107860734624647, 0.92995040682900043, 0.93735987710882007,
             0.92423595224132304, 0.94751489885018447],
}  # fmt: skip


@pytest.mark.parametrize(
    ("rates", "n", "ref"), [(_OD_P, _OD_N, _OD_R), (_FLAT_P, _FLAT_N, _FLAT_R)]
)
def test_funnel_matches_funnelplotr_transcription(
    rates: list[float], n: list[int], ref: dict[str, Any]
) -> None:
    est = _est(rates, [float(v) for v in n])
    per, params = compare_units(est, _units(est), seed=1, min_respondents=1)
    row = params.row(0, named=True)
    assert row["target"] == pytest.approx(ref["target"], rel=1e-12)
    assert row["phi"] == pytest.approx(ref["phi"], rel=1e-10)
    assert row["tau2"] == pytest.approx(ref["tau2"], rel=1e-10, abs=0)
    assert row["z"] == pytest.approx(3.090232306167813, rel=1e-12)
    assert row["units"] == len(rates)
    np.testing.assert_allclose(per[FUNNEL_LOW], ref["low"], rtol=1e-10)
    np.testing.assert_allclose(per[FUNNEL_HIGH], ref["high"], rtol=1e-10)


def test_overdispersion_is_detected() -> None:
    rng = np.random.default_rng(3)
    true = rng.uniform(0.6, 0.95, 30)
    n = np.full(30, 500)
    est = _est(rng.binomial(n, true) / n, n.astype(float))
    _, params = compare_units(est, _units(est), seed=1)
    assert params["phi"][0] > 1
    assert params["tau2"][0] > 0


def test_limits_stay_in_the_unit_interval() -> None:
    est = _est([0.99, 0.999, 0.5, 0.2], [40.0, 35.0, 50.0, 31.0])
    per, _ = compare_units(est, _units(est), seed=1)
    assert per[FUNNEL_LOW].min() >= 0  # type: ignore[operator]
    assert per[FUNNEL_HIGH].max() <= 1  # type: ignore[operator]
    assert (per[FUNNEL_LOW] <= per[FUNNEL_HIGH]).all()


# --- flags ----------------------------------------------------------------


def test_unit_far_below_a_tight_peer_group_is_flagged_below() -> None:
    rates = [0.90, 0.91, 0.89, 0.90, 0.92, 0.88, 0.90, 0.91, 0.89, 0.90, 0.60]
    est = _est(rates, [300.0] * len(rates))
    per, _ = compare_units(est, _units(est), seed=1, top_n=0)
    flags = dict(zip(per[UNIT_ID], per[FLAG], strict=True))
    assert flags["u10"] == "below"
    assert [f for u, f in flags.items() if u != "u10"] == [None] * 10


def test_homogeneous_peer_group_raises_few_false_alarms() -> None:
    # 200 months of a 25-unit peer group with one true rate: at 99.8% limits
    # about 0.2% of unit-months fall outside by chance (≈ 10 of 5000).
    rng = np.random.default_rng(20240601)
    start = time.perf_counter()
    flagged = 0
    for rep in range(200):
        est = _binomial_est(rng, 25, 0.85)
        per, _ = compare_units(est, _units(est), seed=rep, top_n=0, draws=20)
        flagged += int(per[FLAG].is_not_null().sum())
    assert flagged <= 25
    assert time.perf_counter() - start < 3.0


def test_top_marks_the_best_reportable_units_district_wide() -> None:
    a = _est([0.95, 0.90, 0.85, 0.80, 0.75], [200.0] * 5, prefix="a")
    b = _est([0.93, 0.70, 0.92], [200.0] * 3, prefix="b")
    small = _est([0.99], [10.0], prefix="s")  # best rate but not reportable
    est = pl.concat([a, b, small])
    units = pl.concat([_units(a, "A"), _units(b, "B"), _units(small, "A")])
    per, _ = compare_units(est, units, seed=1, top_n=3)
    top = per.filter(pl.col(FLAG) == "top")[UNIT_ID].sort().to_list()
    assert top == ["a00", "b00", "b02"]


def test_below_wins_over_top_and_top_over_above() -> None:
    # Group A is uniformly excellent, so a00 is below its peers though its rate
    # is the fourth best district-wide; b00 is far above group B and best overall.
    a = _est([0.90, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99], [400.0] * 8, prefix="a")
    b = _est([0.99, 0.70, 0.71, 0.69, 0.70, 0.72, 0.70, 0.71], [400.0] * 8, prefix="b")
    est = pl.concat([a, b])
    units = pl.concat([_units(a, "A"), _units(b, "B")])
    per, _ = compare_units(est, units, seed=1, top_n=20)
    flags = dict(zip(per[UNIT_ID], per[FLAG], strict=True))
    row = per.filter(pl.col(UNIT_ID) == "b00").row(0, named=True)
    assert row[SATISFACTION_RATE] > row[FUNNEL_HIGH]  # above, shown as top
    assert flags["b00"] == "top"
    assert flags["a00"] == "below"


def test_ties_share_the_smallest_rank_and_may_widen_top() -> None:
    est = _est([0.9, 0.8, 0.8, 0.7], [100.0] * 4)
    per, _ = compare_units(est, _units(est), seed=1, top_n=2)
    assert per[RANK].to_list() == [1, 2, 2, 4]
    assert per.filter(pl.col(FLAG) == "top")[UNIT_ID].to_list() == ["u00", "u01", "u02"]


def test_unreportable_units_get_no_rank_limits_or_flag() -> None:
    est = _est([0.5, 0.9, 0.91, 0.89, 0.2], [300.0, 300.0, 300.0, 300.0, 20.0])
    per, params = compare_units(est, _units(est), seed=1, min_respondents=30)
    small = per.filter(pl.col(UNIT_ID) == "u04").row(0, named=True)
    assert small[REPORTABLE] is False
    for col in (RANK, RANK_LOW, RANK_HIGH, FUNNEL_LOW, FUNNEL_HIGH, FLAG):
        assert small[col] is None
    assert per.filter(pl.col(REPORTABLE))[RANK].sort().to_list() == [1, 2, 3, 4]
    assert params["units"][0] == 4


def test_group_without_reportable_units_has_null_params() -> None:
    est = _est([0.5, 0.6], [10.0, 12.0])
    per, params = compare_units(est, _units(est), seed=1)
    assert per[RANK].is_null().all()
    assert params.row(0, named=True) == {
        PEER_GROUP: "G",
        "target": None,
        "tau2": None,
        "phi": None,
        "z": pytest.approx(3.090232306167813),
        "units": 0,
    }


def test_se_zero_unit_uses_respondents_as_information() -> None:
    est = _est([1.0, 0.8, 0.85], [0.0, 100.0, 100.0], responded=[64, 100, 100])
    assert est[N_EFF][0] is None
    per, params = compare_units(est, _units(est), seed=1, top_n=0)
    target = (64 * 1.0 + 100 * 0.8 + 100 * 0.85) / 264
    assert params["target"][0] == pytest.approx(target, rel=1e-12)
    half = params["z"][0] * np.sqrt(1 / (4 * 64) + params["tau2"][0])
    low = np.sin(max(np.arcsin(np.sqrt(target)) - half, 0.0)) ** 2
    assert per[FUNNEL_LOW][0] == pytest.approx(low, rel=1e-12)


# --- rank intervals -------------------------------------------------------


def test_rank_intervals_are_deterministic_and_order_free() -> None:
    rng = np.random.default_rng(1)
    a = _binomial_est(rng, 12, 0.8, prefix="a")
    b = _binomial_est(rng, 9, 0.7, prefix="b")
    est = pl.concat([a, b])
    units = pl.concat([_units(a, "A"), _units(b, "B")])
    first = compare_units(est, units, seed=99)
    again = compare_units(est.sample(fraction=1.0, shuffle=True, seed=5), units.reverse(), seed=99)
    assert_frame_equal(first[0], again[0])
    assert_frame_equal(first[1], again[1])
    # a group's intervals do not depend on the other groups
    alone = compare_units(a, _units(a, "A"), seed=99)[0]
    assert_frame_equal(
        alone.select(UNIT_ID, RANK_LOW, RANK_HIGH),
        first[0].filter(pl.col(PEER_GROUP) == "A").select(UNIT_ID, RANK_LOW, RANK_HIGH),
    )


def test_rank_intervals_reflect_the_evidence() -> None:
    # Clear separation: intervals collapse onto the ranks.
    est = _est([0.98, 0.85, 0.70, 0.55, 0.40], [2000.0] * 5)
    per, _ = compare_units(est, _units(est), seed=1)
    assert per[RANK_LOW].to_list() == [1, 2, 3, 4, 5]
    assert per[RANK_HIGH].to_list() == [1, 2, 3, 4, 5]
    # No real differences: every interval is wide.
    same = _est([0.85] * 10, [100.0] * 10)
    per, _ = compare_units(same, _units(same), seed=1)
    assert (per[RANK_LOW] <= 2).all()
    assert (per[RANK_HIGH] >= 9).all()


def test_rank_intervals_contain_the_rank() -> None:
    rng = np.random.default_rng(11)
    est = _binomial_est(rng, 30, 0.8)
    per, _ = compare_units(est, _units(est), seed=3)
    assert (per[RANK_LOW] <= per[RANK]).all()
    assert (per[RANK] <= per[RANK_HIGH]).all()


# --- input checks ---------------------------------------------------------


def test_unit_without_peer_group_is_refused() -> None:
    est = _est([0.8, 0.9], [100.0, 100.0])
    with pytest.raises(ComparisonInputError, match="peer_group"):
        compare_units(est, _units(est).head(1), seed=1)


def test_repeated_unit_in_registry_is_refused() -> None:
    est = _est([0.8, 0.9], [100.0, 100.0])
    with pytest.raises(ComparisonInputError, match="repeats"):
        compare_units(est, pl.concat([_units(est), _units(est)]), seed=1)
