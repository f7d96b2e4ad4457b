"""Allocation across strata (METHODS.md, "Strata and allocation")."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from minyi.columns import STRATUM, STRATUM_POPULATION, STRATUM_SAMPLE
from sampling.allocation import STRATUM_SD, Method, allocate
from sampling.errors import (
    InvalidParameterError,
    InvalidValuesError,
    MinimumExceedsTotalError,
    MissingColumnsError,
    StratumSdError,
    TotalUnreachableError,
)


def _strata(
    pop: list[int], sd: list[Any] | None = None, keys: list[str] | None = None
) -> pl.DataFrame:
    data: dict[str, Any] = {
        STRATUM: keys or [chr(ord("a") + i) for i in range(len(pop))],
        STRATUM_POPULATION: pop,
    }
    if sd is not None:
        data[STRATUM_SD] = sd
    return pl.DataFrame(data, schema_overrides={STRATUM_POPULATION: pl.Int64})


def _n(strata: pl.DataFrame, total: int, minimum: int = 1, method: Method = "equal") -> list[int]:
    return allocate(strata, total, minimum, method)[STRATUM_SAMPLE].to_list()


# --- golden values, worked by hand ----------------------------------------------------


def test_equal_golden_with_take_all_strata() -> None:
    # N = [5, 100, 100, 3], n = 60, m = 2, a_h = 1: n_h = min(N_h, max(2, λ)).
    # Try λ ≥ 5: a and d are take-all (5 + 3 = 8) and release their share, so
    # b and c share 60 − 8 = 52: λ = 26 ≥ 5, consistent. No rounding needed.
    assert _n(_strata([5, 100, 100, 3]), 60, 2) == [5, 26, 26, 3]


def test_equal_largest_remainder_tie_goes_to_first_stratum_key() -> None:
    # Same strata, n = 61: b and c share 53, λ = 26.5; floors 5 + 26 + 26 + 3 = 60, one
    # case left, b and c tie on remainder 0.5 and "b" < "c" wins.
    assert _n(_strata([5, 100, 100, 3]), 61, 2) == [5, 27, 26, 3]
    # The tie-break is by key, not input row order: feed the rows reversed, rename b/c.
    reversed_rows = _strata([3, 100, 100, 5], keys=["d", "c", "b", "a"])
    assert _n(reversed_rows, 61, 2) == [5, 27, 26, 3]
    assert _n(_strata([100, 100], keys=["z", "y"]), 3, 0) == [2, 1]  # rows sorted: y, z


def test_equal_three_way_tie() -> None:
    # 10 over 3 strata: λ = 10/3, floors 3 each, one extra to the first key.
    assert _n(_strata([50, 50, 50], keys=["区B", "区A", "区C"]), 10) == [4, 3, 3]


def test_proportional_golden_and_tie_break() -> None:
    # a_h = N_h, ΣN = 100, n = 25: λ = 1/4, targets [2.5, 5, 7.5, 10]; floors sum 24,
    # remainders a = c = 0.5 tie, "a" < "c" gets the extra case.
    assert _n(_strata([10, 20, 30, 40]), 25, 0, "proportional") == [3, 5, 7, 10]


def test_proportional_golden_with_minimum_and_take_all() -> None:
    # N = [2, 50, 948], n = 100, m = 5 → m_h = [2, 5, 5].  a is take-all (2).  If b were
    # above its minimum (λ > 0.1), 2 + 998λ = 100 gives λ = 0.0982 < 0.1, contradiction;
    # so b sits at 5 and 2 + 5 + 948λ = 100 → λ = 93/948, c gets exactly 93.
    assert _n(_strata([2, 50, 948]), 100, 5, "proportional") == [2, 5, 93]


def test_neyman_golden() -> None:
    # a_h = N_h·S_h = [50, 40, 120], Σ = 210, n = 42: λ = 0.2 → [10, 8, 24].
    assert _n(_strata([100, 200, 300], [0.5, 0.2, 0.4]), 42, 2, "neyman") == [10, 8, 24]


def test_neyman_golden_with_rounding_and_take_all() -> None:
    # a_h = [100, 200, 300], n = 10, m = 0: targets [10/6, 20/6, 5] → floors [1, 3, 5],
    # the extra case goes to the largest remainder (a: 2/3 > b: 1/3).
    assert _n(_strata([100, 100, 100], [1.0, 2.0, 3.0]), 10, 0, "neyman") == [2, 3, 5]
    # a_h = [100, 100, 100] equal, n = 100 → 33.3 each, but a is capped at N = 10;
    # its share goes to b and c: 45 each.
    assert _n(_strata([10, 1000, 1000], [10.0, 0.1, 0.1]), 100, 1, "neyman") == [10, 45, 45]


def test_neyman_zero_sd_stratum_gets_its_minimum() -> None:
    assert _n(_strata([50, 50], [0.0, 0.3]), 20, 2, "neyman") == [2, 18]


def test_take_all_when_population_fits() -> None:
    assert _n(_strata([3, 4, 0]), 10, 2) == [3, 4, 0]
    assert _n(_strata([3, 4]), 7, 2) == [3, 4]


def test_empty_strata_get_zero_and_small_strata_their_size() -> None:
    assert _n(_strata([0, 1, 100, 100]), 20, 3) == [0, 1, 10, 9]


def test_minimum_exactly_fills_total() -> None:
    assert _n(_strata([10, 10, 10, 1]), 7, 2) == [2, 2, 2, 1]


def test_minimum_exceeding_total_raises_with_fields() -> None:
    # Σ min(2, N_h) = 2 + 2 + 2 + 1 = 7 > 5; with m' = 1 it is 4 ≤ 5.
    with pytest.raises(MinimumExceedsTotalError) as caught:
        allocate(_strata([10, 10, 10, 1]), 5, 2)
    error = caught.value
    assert (error.total, error.minimum, error.required, error.feasible_minimum) == (5, 2, 7, 1)
    assert "lower minimum to 1" in str(error)


def test_output_keeps_columns_sorted_by_stratum_and_replaces_old_sample() -> None:
    strata = pl.DataFrame(
        {
            STRATUM: ["b", "a"],
            STRATUM_POPULATION: [10, 10],
            "note": ["x", "y"],
            STRATUM_SAMPLE: [9, 9],
        }
    )
    expected = pl.DataFrame(
        {
            STRATUM: ["a", "b"],
            STRATUM_POPULATION: [10, 10],
            "note": ["y", "x"],
            STRATUM_SAMPLE: [2, 2],
        },
        schema_overrides={STRATUM_SAMPLE: pl.Int64},
    )
    assert_frame_equal(allocate(strata, 4), expected)


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sd", "fragment"),
    [
        (None, "missing"),
        ([0.0, 0.0], "zero in every"),
        ([0.3, None], "null"),
        ([0.3, -0.1], "finite"),
        ([0.3, math.nan], "finite"),
        ([0.3, math.inf], "finite"),
    ],
)
def test_neyman_needs_usable_sd(sd: list[Any] | None, fragment: str) -> None:
    with pytest.raises(StratumSdError, match=fragment):
        allocate(_strata([10, 10], sd), 5, 1, "neyman")


def test_neyman_total_unreachable() -> None:
    # b (S = 1) is take-all at 10, a (S = 0) holds its minimum 1: at most 11 < 30.
    with pytest.raises(TotalUnreachableError) as caught:
        allocate(_strata([50, 10], [0.0, 1.0]), 30, 1, "neyman")
    assert (caught.value.reachable, caught.value.zero_sd_strata) == (11, ("a",))


@pytest.mark.parametrize(
    ("strata", "error"),
    [
        (pl.DataFrame({STRATUM: ["a"]}), MissingColumnsError),
        (pl.DataFrame({STRATUM: ["a", "a"], STRATUM_POPULATION: [1, 2]}), InvalidValuesError),
        (pl.DataFrame({STRATUM: ["a", None], STRATUM_POPULATION: [1, 2]}), InvalidValuesError),
        (pl.DataFrame({STRATUM: ["a", "b"], STRATUM_POPULATION: [1, -2]}), InvalidValuesError),
        (pl.DataFrame({STRATUM: ["a", "b"], STRATUM_POPULATION: [1, None]}), InvalidValuesError),
        (pl.DataFrame({STRATUM: ["a", "b"], STRATUM_POPULATION: [1.0, 2.0]}), InvalidValuesError),
        (pl.DataFrame({STRATUM: [1, 2], STRATUM_POPULATION: [1, 2]}), InvalidValuesError),
    ],
)
def test_invalid_strata_frames(strata: pl.DataFrame, error: type[Exception]) -> None:
    with pytest.raises(error):
        allocate(strata, 5)


@pytest.mark.parametrize(
    ("total", "minimum", "method"),
    [(-1, 1, "equal"), (5, -1, "equal"), (5, 1, "optimal"), (True, 1, "equal"), (5.0, 1, "equal")],
)
def test_invalid_parameters(total: Any, minimum: Any, method: Any) -> None:
    with pytest.raises(InvalidParameterError):
        allocate(_strata([10, 10]), total, minimum, method)


# --- properties ------------------------------------------------------------------------

_keys = st.text(st.characters(codec="utf-8"), min_size=1, max_size=3)


@st.composite
def _designs(draw: st.DrawFn) -> tuple[pl.DataFrame, int, int, Method]:
    keys = draw(st.lists(_keys, min_size=1, max_size=12, unique=True))
    pop = draw(st.lists(st.integers(0, 300), min_size=len(keys), max_size=len(keys)))
    sd = draw(st.lists(st.floats(0.01, 5.0), min_size=len(keys), max_size=len(keys)))
    total = draw(st.integers(0, 1500))
    minimum = draw(st.integers(0, 8))
    method: Method = draw(st.sampled_from(["equal", "proportional", "neyman"]))
    return _strata(pop, sd, keys), total, minimum, method


def _reference_targets(
    pop: list[int], a: list[float], floors: list[int], total: int
) -> list[float]:
    """Independent real targets by floating bisection on λ (tests only)."""

    def fill(lam: float) -> list[float]:
        return [min(n, max(m, lam * w)) for n, m, w in zip(pop, floors, a, strict=True)]

    low, high = 0.0, max(n / w for n, w in zip(pop, a, strict=True) if w > 0) + 1.0
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if sum(fill(mid)) < total else (low, mid)
    return fill(high)


@settings(max_examples=300, deadline=None)
@given(_designs())
def test_allocation_properties(design: tuple[pl.DataFrame, int, int, Method]) -> None:
    strata, total, minimum, method = design
    pop = strata[STRATUM_POPULATION].to_list()
    floors = [min(minimum, n) for n in pop]
    if sum(pop) > total and sum(floors) > total:
        with pytest.raises(MinimumExceedsTotalError):
            allocate(strata, total, minimum, method)
        return
    result = allocate(strata, total, minimum, method)
    assert result[STRATUM].to_list() == sorted(strata[STRATUM].to_list())
    table = strata.sort(STRATUM)
    pop = table[STRATUM_POPULATION].to_list()
    floors = [min(minimum, n) for n in pop]
    sample = result[STRATUM_SAMPLE].to_list()
    assert sum(sample) == min(total, sum(pop))
    assert all(f <= s <= n for f, s, n in zip(floors, sample, pop, strict=True))
    # Invariant to the order of the input rows.
    assert_frame_equal(allocate(strata.reverse(), total, minimum, method), result)
    if sum(pop) <= total:
        assert sample == pop
        return
    weights = {
        "equal": [1.0] * len(pop),
        "proportional": [float(n) for n in pop],
        "neyman": [n * s for n, s in zip(pop, table[STRATUM_SD].to_list(), strict=True)],
    }[method]
    targets = _reference_targets(pop, weights, floors, total)
    assert all(abs(s - x) < 1 + 1e-6 for s, x in zip(sample, targets, strict=True))
    if method == "equal":
        free = [s for s, f, n in zip(sample, floors, pop, strict=True) if f < s < n]
        assert not free or max(free) - min(free) <= 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=8), st.integers(0, 200))
def test_more_total_never_means_fewer_in_a_stratum_for_equal(pop: list[int], total: int) -> None:
    # Equal allocation without a minimum is monotone in n (λ grows with n, and the
    # largest-remainder ties are broken the same way every time).
    before = _n(_strata(pop), total, 0)
    after = _n(_strata(pop), total + 1, 0)
    assert all(b <= a for b, a in zip(before, after, strict=True))
