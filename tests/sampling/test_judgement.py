"""sampling.judgement.judge: evidence, ranks, 十佳 and 末位 from one posterior."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from minyi.columns import (
    ADJUSTED_RATE,
    CASE_MIX_SE,
    CHANNEL_OFFSET,
    CHANNEL_OFFSET_SE,
    CI_HIGH,
    CI_LOW,
    ESTIMATE,
    EVIDENCE,
    EXPECTED_RATE,
    HONOUR,
    LAST,
    MONTHS,
    N_EFF,
    P_ABOVE,
    P_BELOW,
    P_LAST,
    P_TOP,
    PEER_GROUP,
    RANK,
    RANK_HIGH,
    RANK_LOW,
    REFERENCE_RATE,
    REPORTABLE,
    RESPONDENTS,
    SATISFACTION_RATE,
    SE,
    TOP_K,
    UNIT_ID,
)
from sampling.errors import InvalidParameterError, JudgementInputError
from sampling.judgement import JUDGEMENT_COLUMNS, judge
from sampling.verdicts import Rules, verdicts

# CONTRACT.md "Conduct export": the judgement's names are used as they are
CONDUCT = (UNIT_ID, PEER_GROUP, MONTHS, RESPONDENTS, ESTIMATE, SE, CI_LOW, CI_HIGH, RANK,
           RANK_LOW, RANK_HIGH, P_BELOW, EVIDENCE, HONOUR)  # fmt: skip


def _direct(
    rates: list[float] | np.ndarray,
    n: list[int] | np.ndarray,
    *,
    prefix: str = "u",
    months: int = 1,
) -> pl.DataFrame:
    p = np.asarray(rates, dtype=float)
    k = p.size
    return pl.DataFrame(
        {
            UNIT_ID: [f"{prefix}{i:02d}" for i in range(k)],
            MONTHS: [months] * k,
            RESPONDENTS: np.asarray(n, dtype=np.int64),
            SATISFACTION_RATE: p,
            N_EFF: np.asarray(n, dtype=float),
            EXPECTED_RATE: [0.85] * k,
            CASE_MIX_SE: [0.0] * k,
            CHANNEL_OFFSET: [0.0] * k,
            CHANNEL_OFFSET_SE: [0.0] * k,
            REFERENCE_RATE: [0.85] * k,
            ADJUSTED_RATE: p,
        }
    )


def _units(direct: pl.DataFrame, group: str = "G") -> pl.DataFrame:
    return pl.DataFrame({UNIT_ID: direct[UNIT_ID], PEER_GROUP: [group] * direct.height})


def _binomial(rng: np.random.Generator, true: np.ndarray, n: np.ndarray) -> np.ndarray:
    return rng.binomial(n, true) / n


def test_output_columns_carry_the_conduct_export_names() -> None:
    d = _direct([0.8, 0.85, 0.9], [100, 100, 100])
    out = judge(d, _units(d), seed=1, draws=500)
    assert tuple(out.columns) == JUDGEMENT_COLUMNS
    assert set(CONDUCT) <= set(out.columns)
    assert out[EVIDENCE].is_in(["below", "none", "above"]).all()


def test_a_unit_far_below_its_peers_is_flagged_and_the_others_are_not() -> None:
    rates = [0.90, 0.91, 0.89, 0.90, 0.92, 0.88, 0.90, 0.62]
    d = _direct(rates, [150] * 8)
    out = judge(d, _units(d), seed=1)
    ev = dict(zip(out[UNIT_ID], out[EVIDENCE], strict=True))
    assert ev["u07"] == "below"
    assert [ev[f"u{i:02d}"] for i in range(7)] == ["none"] * 7
    poor = out.filter(pl.col(UNIT_ID) == "u07").row(0, named=True)
    assert poor[P_BELOW] > 0.99 and poor[P_ABOVE] == 0.0
    assert poor[RANK] == 8 and poor[RANK_LOW] >= 7


def test_a_unit_far_above_is_flagged_above() -> None:
    d = _direct([0.70, 0.72, 0.69, 0.71, 0.70, 0.95], [200] * 6)
    out = judge(d, _units(d), seed=2)
    assert out.filter(pl.col(UNIT_ID) == "u05")[EVIDENCE][0] == "above"


def test_no_real_differences_raise_no_flags() -> None:
    rng = np.random.default_rng(20251)
    flags = 0
    for rep in range(40):
        n = rng.integers(30, 300, 10)
        d = _direct(_binomial(rng, np.full(10, 0.85), n), n)
        out = judge(d, _units(d), seed=rep, draws=1000)
        flags += int((out[EVIDENCE] != "none").sum())
    assert flags == 0


def test_probabilities_are_coherent() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(40, 400, 12)
    d = _direct(_binomial(rng, rng.uniform(0.7, 0.95, 12), n), n)
    out = judge(d, _units(d), seed=3, top_k=10)
    k_g = out[TOP_K][0]
    assert k_g == 3  # ⌊12/4⌋
    assert out[P_TOP].sum() == pytest.approx(k_g)  # k_g places in every draw
    assert out[P_LAST].sum() == pytest.approx(1.0)
    assert ((out[P_BELOW] + out[P_ABOVE]) <= 1.0).all()
    assert (out[RANK_LOW] <= out[RANK]).all() and (out[RANK] <= out[RANK_HIGH]).all()
    assert (out[CI_LOW] < out[ESTIMATE]).all() and (out[ESTIMATE] < out[CI_HIGH]).all()


@pytest.mark.parametrize(("m", "top_k", "expected"), [(6, 10, 1), (12, 10, 3), (16, 10, 4),
                                                        (16, 2, 2), (40, 10, 10), (8, 0, 0)])  # fmt: skip
def test_top_list_is_a_share_of_the_group(m: int, top_k: int, expected: int) -> None:
    d = _direct(np.linspace(0.7, 0.95, m), [100] * m)
    out = judge(d, _units(d), seed=1, top_k=top_k, draws=200)
    assert out[TOP_K].unique().to_list() == [expected]
    if expected == 0:
        assert not out[HONOUR].any() and out[P_TOP].is_null().all()


def test_honour_needs_a_probable_top_place() -> None:
    clear = _direct([0.98, 0.80, 0.81, 0.79, 0.80, 0.82, 0.80, 0.81], [400] * 8)
    out = judge(clear, _units(clear), seed=4)
    assert out.filter(pl.col(HONOUR))[UNIT_ID].to_list() == ["u00"]
    equal = _direct([0.85] * 8, [100] * 8)
    assert not judge(equal, _units(equal), seed=4)[HONOUR].any()


@pytest.mark.parametrize(("months", "last"), [(1, False), (3, True), (12, True), (13, False)])
def test_last_needs_below_a_probable_last_place_and_a_pooled_window(
    months: int, last: bool
) -> None:
    d = _direct([0.90, 0.91, 0.89, 0.90, 0.92, 0.60], [300] * 6, months=months)
    out = judge(d, _units(d), seed=5)
    worst = out.filter(pl.col(UNIT_ID) == "u05").row(0, named=True)
    assert worst[EVIDENCE] == "below" and worst[P_LAST] > 0.9
    assert worst[LAST] is last
    assert out.filter(pl.col(UNIT_ID) != "u05")[LAST].sum() == 0


def test_last_place_without_evidence_is_not_last() -> None:
    d = _direct([0.90, 0.91, 0.89, 0.90, 0.92, 0.84], [2000] * 6, months=3)
    out = judge(d, _units(d), seed=6)
    worst = out.filter(pl.col(UNIT_ID) == "u05").row(0, named=True)
    assert worst[P_LAST] > 0.9 and worst[EVIDENCE] == "none" and worst[LAST] is False


def test_unreportable_units_are_estimated_but_not_judged() -> None:
    d = _direct([0.9, 0.88, 0.91, 0.5], [200, 200, 200, 12])
    out = judge(d, _units(d), seed=7)
    small = out.filter(pl.col(UNIT_ID) == "u03").row(0, named=True)
    assert small[REPORTABLE] is False and small[ESTIMATE] is not None
    for col in (RANK, RANK_LOW, RANK_HIGH, P_BELOW, P_ABOVE, EVIDENCE, TOP_K, P_TOP, P_LAST):
        assert small[col] is None, col
    assert small[HONOUR] is False and small[LAST] is False
    assert out.filter(pl.col(REPORTABLE))[RANK].sort().to_list() == [1, 2, 3]


def test_a_group_of_one_has_no_peers() -> None:
    d = _direct([0.6], [100])
    row = judge(d, _units(d), seed=8).row(0, named=True)
    assert row[EVIDENCE] == "none" and row[P_BELOW] is None and row[RANK] == 1
    # nor a 十佳 place: better than nobody is no honour (a real home may have such groups)
    assert row[HONOUR] is False and row[TOP_K] == 0 and row[P_TOP] is None
    assert Rules().top_places(1) == 0 and Rules().top_places(2) == 1


def test_same_seed_same_result_whatever_the_row_order_and_other_groups() -> None:
    rng = np.random.default_rng(9)
    a = _direct(rng.uniform(0.7, 0.95, 9), rng.integers(30, 300, 9), prefix="a")
    b = _direct(rng.uniform(0.7, 0.95, 7), rng.integers(30, 300, 7), prefix="b")
    both = pl.concat([a, b])
    units = pl.concat([_units(a, "A"), _units(b, "B")])
    first = judge(both, units, seed=11, draws=800)
    again = judge(
        both.sample(fraction=1.0, shuffle=True, seed=1), units.reverse(), seed=11, draws=800
    )
    assert_frame_equal(first, again)
    alone = judge(a, _units(a, "A"), seed=11, draws=800)
    assert_frame_equal(alone, first.filter(pl.col(PEER_GROUP) == "A"))
    other = judge(both, units, seed=12, draws=800)
    assert not other[P_TOP].equals(first[P_TOP])


def test_pooling_months_sharpens_the_judgement() -> None:
    one = _direct([0.88, 0.89, 0.87, 0.88, 0.90, 0.78], [60] * 6)
    three = _direct([0.88, 0.89, 0.87, 0.88, 0.90, 0.78], [180] * 6, months=3)
    p1 = judge(one, _units(one), seed=1)[P_BELOW][5]
    p3 = judge(three, _units(three), seed=1)[P_BELOW][5]
    assert p3 > p1


@pytest.mark.parametrize(
    ("option", "value"),
    [("delta", -0.1), ("prob", 0.4), ("top_k", -1), ("top_share", 0.0), ("last_prob", 0.0),
     ("last_months", (4, 3)), ("min_respondents", 0), ("level", 1.0), ("draws", 10)],
)  # fmt: skip
def test_bad_settings_are_refused(option: str, value: object) -> None:
    d = _direct([0.8, 0.9], [100, 100])
    with pytest.raises(InvalidParameterError, match=option):
        judge(d, _units(d), seed=1, **{option: value})  # type: ignore[arg-type]


def test_bad_inputs_are_refused() -> None:
    d = _direct([0.8, 0.9], [100, 100])
    with pytest.raises(JudgementInputError, match="peer_group"):
        judge(d, _units(d).head(1), seed=1)
    with pytest.raises(JudgementInputError, match="repeats"):
        judge(pl.concat([d, d]), _units(d), seed=1)
    with pytest.raises(JudgementInputError, match="n_eff"):
        judge(d.with_columns(pl.lit(500.0).alias(N_EFF)), _units(d), seed=1)
    with pytest.raises(JudgementInputError, match="missing"):
        judge(d.drop(CASE_MIX_SE), _units(d), seed=1)


def test_verdicts_from_hand_made_draws() -> None:
    # unit 0 is always last and more than 5 points under the others' mean;
    # unit 3 is first in 3 draws of 4
    rates = np.array(
        [
            [0.60, 0.90, 0.88, 0.95],
            [0.62, 0.91, 0.89, 0.94],
            [0.61, 0.92, 0.90, 0.91],
            [0.63, 0.90, 0.89, 0.93],
        ]
    )
    v = verdicts(rates, rates.mean(axis=0), np.array([3, 3, 3, 3]), Rules(top_k=1))
    assert v.rank.tolist() == [4, 2, 3, 1]
    # the others are more than 5 points over the mean of *their* peers, which include unit 0
    assert v.evidence.tolist() == ["below", "above", "above", "above"]
    assert v.p_below.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert v.top_k == 1 and v.p_top.tolist() == [0.0, 0.25, 0.0, 0.75]
    assert v.honour.tolist() == [False, False, False, False]  # 0.75 < 0.8
    assert v.p_last.tolist() == [1.0, 0.0, 0.0, 0.0] and v.last.tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert Rules(honour_prob=0.7, top_k=1).top_places(4) == 1
    v = verdicts(rates, rates.mean(axis=0), np.array([3] * 4), Rules(top_k=1, honour_prob=0.7))
    assert v.honour.tolist() == [False, False, False, True]
