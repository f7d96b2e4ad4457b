"""sampling.comparison: reportability, raw ranks and rank intervals, binomial funnel limits."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

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
from sampling.comparison import (
    FUNNEL_HIGH,
    FUNNEL_LOW,
    INFORMATION,
    ComparisonInputError,
    compare_units,
    funnel,
)


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


# --- funnel: binomial (process) limits, a picture only ------------------


def test_funnel_limits_are_binomial_on_the_arcsine_scale() -> None:
    rates, n = [0.90, 0.85, 0.80, 0.95, 0.70, 0.88], [120.0, 80.0, 200.0, 60.0, 150.0, 90.0]
    est = _est(rates, n)
    per, groups = funnel(est, _units(est), min_respondents=1)
    target = float(np.dot(rates, n) / np.sum(n))
    assert groups.row(0, named=True) == {
        PEER_GROUP: "G",
        "target": pytest.approx(target),
        "units": 6,
    }
    theta0 = np.arcsin(np.sqrt(target))
    for level, suffix in ((0.95, "95"), (0.998, "998")):
        z = stats.norm.ppf((1 + level) / 2)
        half = z / (2 * np.sqrt(np.asarray(n)))
        np.testing.assert_allclose(
            per[f"funnel_low_{suffix}"], np.sin(theta0 - half) ** 2, rtol=1e-12
        )
        np.testing.assert_allclose(
            per[f"funnel_high_{suffix}"], np.sin(theta0 + half) ** 2, rtol=1e-12
        )
    assert (per["funnel_low_998"] < per["funnel_low_95"]).all()


def test_funnel_information_is_capped_at_the_respondents() -> None:
    # n_eff 2,000 from the fpc of a census-like small category: the funnel uses 50
    est = _est([0.8, 0.9, 0.85], [2000.0, 100.0, 100.0], responded=[50, 100, 100])
    per, _ = funnel(est, _units(est))
    assert per[INFORMATION].to_list() == [50.0, 100.0, 100.0]
    # se = 0 (rate 1): the respondents
    est = _est([1.0, 0.8, 0.85], [0.0, 100.0, 100.0], responded=[64, 100, 100])
    per, groups = funnel(est, _units(est))
    assert per[INFORMATION][0] == 64.0
    assert groups["target"][0] == pytest.approx((64 + 80 + 85) / 264, rel=1e-12)


def test_limits_stay_in_the_unit_interval() -> None:
    est = _est([0.99, 0.999, 0.5, 0.2], [40.0, 35.0, 50.0, 31.0])
    per, _ = compare_units(est, _units(est), seed=1)
    assert per[FUNNEL_LOW].min() >= 0  # type: ignore[operator]
    assert per[FUNNEL_HIGH].max() <= 1  # type: ignore[operator]
    assert (per[FUNNEL_LOW] <= per[FUNNEL_HIGH]).all()


def test_compare_units_draws_the_outer_funnel_and_raises_no_flag() -> None:
    # A unit far below a tight group is outside the funnel, but the funnel is a
    # picture: the flag column stays empty (the judgement decides), tau2 is 0.
    rates = [0.90, 0.91, 0.89, 0.90, 0.92, 0.88, 0.90, 0.91, 0.89, 0.90, 0.60]
    est = _est(rates, [300.0] * len(rates))
    per, params = compare_units(est, _units(est), seed=1, top_n=3)
    assert per[FLAG].is_null().all()
    assert params["tau2"].to_list() == [0.0]
    assert params["phi"][0] > 1  # the dispersion diagnostic sees the outlier
    low = per.filter(pl.col(UNIT_ID) == "u10")[FUNNEL_LOW][0]
    assert rates[-1] < low
    pictured, _ = funnel(est, _units(est))
    np.testing.assert_allclose(per[FUNNEL_LOW], pictured["funnel_low_998"], rtol=1e-12)
    np.testing.assert_allclose(per[FUNNEL_HIGH], pictured["funnel_high_998"], rtol=1e-12)


def test_ties_share_the_smallest_rank() -> None:
    est = _est([0.9, 0.8, 0.8, 0.7], [100.0] * 4)
    per, _ = compare_units(est, _units(est), seed=1)
    assert per[RANK].to_list() == [1, 2, 2, 4]


def test_unreportable_units_get_no_rank_or_limits() -> None:
    est = _est([0.5, 0.9, 0.91, 0.89, 0.2], [300.0, 300.0, 300.0, 300.0, 20.0])
    per, params = compare_units(est, _units(est), seed=1, min_respondents=30)
    small = per.filter(pl.col(UNIT_ID) == "u04").row(0, named=True)
    assert small[REPORTABLE] is False
    for col in (RANK, RANK_LOW, RANK_HIGH, FUNNEL_LOW, FUNNEL_HIGH, FLAG):
        assert small[col] is None
    assert per.filter(pl.col(REPORTABLE))[RANK].sort().to_list() == [1, 2, 3, 4]
    assert params["units"][0] == 4
    pictured, _ = funnel(est, _units(est), min_respondents=30)
    assert pictured.filter(pl.col(UNIT_ID) == "u04")["funnel_low_95"][0] is None


def test_group_without_reportable_units_has_null_params() -> None:
    est = _est([0.5, 0.6], [10.0, 12.0])
    per, params = compare_units(est, _units(est), seed=1)
    assert per[RANK].is_null().all()
    assert params.row(0, named=True) == {
        PEER_GROUP: "G",
        "target": None,
        "tau2": 0.0,
        "phi": None,
        "z": pytest.approx(3.090232306167813),
        "units": 0,
    }
    _, groups = funnel(est, _units(est))
    assert groups.row(0, named=True) == {PEER_GROUP: "G", "target": None, "units": 0}


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
