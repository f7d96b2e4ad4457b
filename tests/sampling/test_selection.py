"""PRNs, child generators and stratified SRSWOR selection (METHODS.md, "Selection")."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import sampling.selection
from minyi.columns import (
    CASE_ID,
    DESIGN_WEIGHT,
    INCLUSION_PROB,
    PRN,
    SEED,
    STRATUM,
    STRATUM_POPULATION,
    STRATUM_SAMPLE,
)
from sampling.allocation import STRATUM_SD, allocate
from sampling.errors import (
    DuplicateCaseIdsError,
    InvalidParameterError,
    InvalidValuesError,
    MissingColumnsError,
    PopulationMismatchError,
    StratumSdError,
)
from sampling.random_state import generator, prn
from sampling.selection import draw, select


def _u(seed: int, case_id: str) -> float:
    """Independent PRN: first 8 digest bytes, big-endian, top 53 bits over 2**53."""
    digest = hashlib.sha256(f"{seed}:{case_id}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / 2**53


def _frame(sizes: dict[str, int]) -> pl.DataFrame:
    rows = [(f"{s}-{i:03d}", s, i) for s, n in sizes.items() for i in range(n)]
    return pl.DataFrame(rows, schema=[CASE_ID, STRATUM, "payload"], orient="row")


def _allocation(frame: pl.DataFrame, total: int, minimum: int = 1) -> pl.DataFrame:
    strata = frame.group_by(STRATUM).agg(pl.len().cast(pl.Int64).alias(STRATUM_POPULATION))
    return allocate(strata, total, minimum)


# --- permanent random numbers ----------------------------------------------------------


def test_prn_byte_layout_is_pinned() -> None:
    ids = pl.Series(CASE_ID, ["C-0001", "案件-甲", ""])
    values = prn(20240501, ids)
    assert values.name == PRN
    assert values.dtype == pl.Float64
    assert values.to_list() == [_u(20240501, c) for c in ids]
    # Literal from the hex digest 4c25a61403833034…: (0x4c25a61403833034 >> 11) / 2**53.
    assert values[0] == 0.29744947422615264
    assert values[0] * 2**53 == float(0x4C25A61403833034 >> 11)


def test_prn_range_and_seed_dependence() -> None:
    ids = pl.Series(CASE_ID, [f"C{i}" for i in range(2000)])
    u = prn(1, ids)
    assert u.min() >= 0.0 and u.max() < 1.0  # type: ignore[operator]
    assert abs(u.mean() - 0.5) < 0.03  # type: ignore[operator]
    assert (u != prn(2, ids)).all()
    assert prn(1, ids.reverse()).to_list() == u.reverse().to_list()
    assert prn(1, pl.Series(CASE_ID, [], dtype=pl.String)).len() == 0


@pytest.mark.parametrize(
    ("seed", "ids", "error"),
    [
        (-1, ["a"], InvalidParameterError),
        (2**63, ["a"], InvalidParameterError),
        (True, ["a"], InvalidParameterError),
        (1, [1, 2], InvalidValuesError),
        (1, ["a", None], InvalidValuesError),
    ],
)
def test_prn_rejects_bad_input(seed: Any, ids: list[Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        prn(seed, pl.Series(CASE_ID, ids))


# --- child generators ------------------------------------------------------------------


def test_generator_is_deterministic_keyed_and_leaves_global_state_alone() -> None:
    before = np.random.get_state()
    draws = generator(7, "2024-05-01", "户籍").random(4)
    assert np.array_equal(draws, generator(7, "2024-05-01", "户籍").random(4))
    others = [
        generator(8, "2024-05-01", "户籍"),
        generator(7, "2024-05-01", "社保"),
        generator(7, "2024-05-01"),
        generator(7),
        generator(7, "户籍", "2024-05-01"),
    ]
    assert all(not np.array_equal(draws, g.random(4)) for g in others)
    assert not np.array_equal(generator(7, 1).random(4), generator(7, "1").random(4))
    after = np.random.get_state()
    assert np.array_equal(after[1], before[1]) and after[2:] == before[2:]  # type: ignore[index]
    with pytest.raises(InvalidParameterError):
        generator(7, 1.5)  # type: ignore[arg-type]


# --- selection ---------------------------------------------------------------------------


def test_select_golden_against_independent_prns() -> None:
    frame = _frame({"a": 6, "b": 4, "c": 1})
    allocation = allocate(
        pl.DataFrame({STRATUM: ["a", "b", "c"], STRATUM_POPULATION: [6, 4, 1]}), 6, 1
    )
    assert allocation[STRATUM_SAMPLE].to_list() == [3, 2, 1]  # 6 = 3 + 2 + 1 (c take-all)
    sample = select(frame, allocation, seed=99)
    expected_ids: list[str] = []
    for stratum, n_h in [("a", 3), ("b", 2), ("c", 1)]:
        ids = frame.filter(pl.col(STRATUM) == stratum)[CASE_ID].to_list()
        expected_ids += sorted(ids, key=lambda c: (_u(99, c), c))[:n_h]
    assert sample[CASE_ID].to_list() == expected_ids
    assert sample.columns == [
        CASE_ID, STRATUM, "payload", PRN, STRATUM_POPULATION, STRATUM_SAMPLE,
        INCLUSION_PROB, DESIGN_WEIGHT, SEED,
    ]  # fmt: skip
    first = sample.row(0, named=True)
    assert first[STRATUM_POPULATION] == 6 and first[STRATUM_SAMPLE] == 3
    assert first[INCLUSION_PROB] == 0.5 and first[DESIGN_WEIGHT] == 2.0 and first[SEED] == 99
    assert sample.schema[SEED] == pl.Int64


def test_prn_ties_are_broken_by_case_id(monkeypatch: pytest.MonkeyPatch) -> None:
    def constant(seed: int, case_ids: pl.Series) -> pl.Series:
        return pl.Series(PRN, [0.5] * case_ids.len(), dtype=pl.Float64)

    monkeypatch.setattr(sampling.selection, "prn", constant)
    frame = pl.DataFrame({CASE_ID: ["z", "b", "y", "a"], STRATUM: ["s"] * 4})
    allocation = pl.DataFrame({STRATUM: ["s"], STRATUM_POPULATION: [4], STRATUM_SAMPLE: [2]})
    assert select(frame, allocation, 1)[CASE_ID].to_list() == ["a", "b"]


def test_srswor_first_and_second_order_inclusion_frequencies() -> None:
    # N = 10, n = 3: π_i = 0.3 and π_ij = n(n−1)/(N(N−1)) = 1/15 for SRSWOR.
    frame = _frame({"s": 10})
    allocation = _allocation(frame, 3)
    runs = 2000
    singles: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for seed in range(runs):
        ids = sorted(select(frame, allocation, seed)[CASE_ID].to_list())
        singles.update(ids)
        pairs.update(itertools.combinations(ids, 2))
    ids = frame[CASE_ID].to_list()
    assert all(abs(singles[c] / runs - 0.3) < 5 * (0.3 * 0.7 / runs) ** 0.5 for c in ids)
    pi2 = 1 / 15
    assert all(
        abs(pairs[p] / runs - pi2) < 5 * (pi2 * (1 - pi2) / runs) ** 0.5
        for p in itertools.combinations(sorted(ids), 2)
    )


def test_draw_end_to_end_with_neyman() -> None:
    frame = _frame({"a": 40, "b": 40, "c": 5})
    sd = pl.DataFrame({STRATUM: ["a", "b", "c", "unused"], STRATUM_SD: [0.1, 0.3, 0.5, 1.0]})
    # a_h = N_h·S_h = [4, 12, 2.5], Σ = 18.5, n = 20: λ = 40/37, no caps bind; targets
    # [4.32, 12.97, 2.70] → floors [4, 12, 2] = 18, the 2 extra go to b (.97) and c (.70).
    allocation, sample = draw(frame, 20, 1, "neyman", 5, stratum_sd=sd)
    assert allocation[STRATUM_SAMPLE].to_list() == [4, 13, 3]
    assert sample.group_by(STRATUM).len().sort(STRATUM)["len"].to_list() == [4, 13, 3]
    assert_frame_equal(sample, select(frame, allocation, 5))
    with pytest.raises(StratumSdError, match="null"):
        draw(frame, 20, 1, "neyman", 5, stratum_sd=sd.filter(pl.col(STRATUM) != "b"))


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (pl.DataFrame({CASE_ID: ["x"]}), MissingColumnsError),
        (pl.DataFrame({CASE_ID: ["x", "x"], STRATUM: ["a", "b"]}), DuplicateCaseIdsError),
        (pl.DataFrame({CASE_ID: ["x", None], STRATUM: ["a", "a"]}), InvalidValuesError),
        (pl.DataFrame({CASE_ID: [1, 2], STRATUM: ["a", "a"]}), InvalidValuesError),
        (pl.DataFrame({CASE_ID: ["x"], STRATUM: ["a"], PRN: [0.1]}), InvalidValuesError),
    ],
)
def test_invalid_frames(frame: pl.DataFrame, error: type[Exception]) -> None:
    allocation = pl.DataFrame(
        {STRATUM: ["a", "b"], STRATUM_POPULATION: [1, 1], STRATUM_SAMPLE: [1, 1]}
    )
    with pytest.raises(error):
        select(frame, allocation, 1)


def test_population_mismatch_is_reported_per_stratum() -> None:
    frame = _frame({"a": 5, "b": 3})
    allocation = pl.DataFrame(
        {STRATUM: ["a", "c", "d"], STRATUM_POPULATION: [6, 2, 0], STRATUM_SAMPLE: [1, 1, 0]}
    )
    with pytest.raises(PopulationMismatchError) as caught:
        select(frame, allocation, 1)
    # d (N_h = 0, absent from the frame) is consistent; a, b and c are not.
    assert caught.value.mismatches == (("a", 5, 6), ("b", 3, 0), ("c", 0, 2))


def test_allocation_with_sample_above_population_is_rejected() -> None:
    allocation = pl.DataFrame({STRATUM: ["a"], STRATUM_POPULATION: [2], STRATUM_SAMPLE: [3]})
    with pytest.raises(InvalidValuesError):
        select(_frame({"a": 2}), allocation, 1)


# --- properties ------------------------------------------------------------------------


@st.composite
def _cases(draw_: st.DrawFn) -> tuple[pl.DataFrame, int, int, int, list[int]]:
    sizes = draw_(st.lists(st.integers(1, 40), min_size=1, max_size=6))
    frame = _frame({f"s{i}": n for i, n in enumerate(sizes)})
    total = draw_(st.integers(len(sizes), 150))
    seed = draw_(st.integers(0, 2**63 - 1))
    order = draw_(st.permutations(list(range(frame.height))))
    return frame, total, 1, seed, order


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_selection_properties(case: tuple[pl.DataFrame, int, int, int, list[int]]) -> None:
    frame, total, minimum, seed, order = case
    allocation = _allocation(frame, total, minimum)
    sample = select(frame, allocation, seed)
    # Invariant to the row order of the frame.
    assert_frame_equal(select(frame[order], allocation, seed), sample)
    assert_frame_equal(sample, sample.sort([STRATUM, PRN, CASE_ID]))
    # Other columns are carried through unchanged.
    original = frame.join(sample.select(CASE_ID, PRN), on=CASE_ID).sort([STRATUM, PRN, CASE_ID])
    assert_frame_equal(sample.select(frame.columns), original.select(frame.columns))
    design = allocation.select(STRATUM, STRATUM_POPULATION, STRATUM_SAMPLE)
    per_stratum = sample.group_by(STRATUM).agg(
        pl.len().cast(pl.Int64).alias("count"),
        pl.col(DESIGN_WEIGHT).sum().alias("weight_sum"),
        (pl.col(INCLUSION_PROB) * pl.col(STRATUM_POPULATION)).first().alias("pi_times_n"),
        pl.col(PRN).max().alias("max_selected"),
    )
    checked = design.join(per_stratum, on=STRATUM, how="left").sort(STRATUM)
    assert checked["count"].to_list() == checked[STRATUM_SAMPLE].to_list()
    # Σ over the stratum population of π_i = N_h · n_h/N_h = n_h; Σ_sample d_i = N_h.
    assert np.allclose(checked["pi_times_n"], checked[STRATUM_SAMPLE], rtol=1e-12)
    assert np.allclose(checked["weight_sum"], checked[STRATUM_POPULATION], rtol=1e-12)
    assert (sample[DESIGN_WEIGHT] >= 1).all()
    assert np.allclose(sample[DESIGN_WEIGHT] * sample[INCLUSION_PROB], 1.0, rtol=1e-15)
    # The selected cases are the n_h smallest PRNs of their stratum.
    rest = frame.join(sample.select(CASE_ID), on=CASE_ID, how="anti")
    rest = rest.with_columns(prn(seed, rest[CASE_ID])).join(checked, on=STRATUM)
    assert (rest[PRN] > rest["max_selected"]).all()


def test_stratum_with_zero_sample_contributes_no_rows() -> None:
    frame = _frame({"a": 5, "b": 5})
    allocation = pl.DataFrame(
        {STRATUM: ["a", "b"], STRATUM_POPULATION: [5, 5], STRATUM_SAMPLE: [0, 2]}
    )
    sample = select(frame, allocation, 3)
    assert sample[STRATUM].to_list() == ["b", "b"]


# --- repeat visitors: multiplicity (METHODS.md "Frame and eligibility") --------------------


def test_multiplicity_enters_the_inclusion_probability_and_the_weight() -> None:
    from minyi.columns import MULTIPLICITY

    frame = _frame({"a": 6, "b": 3}).with_columns(
        pl.Series(MULTIPLICITY, [1, 3, 1, 2, 1, 1, 4, 1, 1], dtype=pl.Int32)
    )
    allocation = _allocation(frame, 5)
    sample = select(frame, allocation, seed=7)
    m = sample[MULTIPLICITY].cast(pl.Float64)
    ratio = sample[STRATUM_POPULATION] / sample[STRATUM_SAMPLE]
    assert (sample[DESIGN_WEIGHT] - m * ratio).abs().max() < 1e-12
    assert (sample[INCLUSION_PROB] * sample[DESIGN_WEIGHT] - 1.0).abs().max() < 1e-12
    # the draw itself does not depend on the multiplicity: the same cases are selected
    plain = select(frame.drop(MULTIPLICITY), allocation, seed=7)
    assert sample[CASE_ID].to_list() == plain[CASE_ID].to_list()
    assert (plain[DESIGN_WEIGHT] == plain[STRATUM_POPULATION] / plain[STRATUM_SAMPLE]).all()
    for bad in ([0] * 9, [None] * 9, [1.5] * 9):
        with pytest.raises(InvalidValuesError, match=MULTIPLICITY):
            select(frame.with_columns(pl.Series(MULTIPLICITY, bad)), allocation, seed=7)


def test_the_two_phase_weights_are_unbiased_for_all_cases() -> None:
    """Numbers with several cases keep one by u' = prn(seed, "number:" + case_id) (as
    ``warehouse.design.day_frame`` does in SQL), the kept ones are drawn by stratum, and
    Σ d·y over the sample estimates the total over *all* cases without bias — while keeping
    only a number's first case, as before, is biased when repeat visitors differ."""
    from minyi.columns import MULTIPLICITY

    rng = np.random.default_rng(3)
    n_cases = 120
    number = rng.integers(0, 60, size=n_cases)  # ~2 cases per number, some with many
    strata = np.where(np.arange(n_cases) % 3 == 0, "x", "y")
    cases = pl.DataFrame(
        {CASE_ID: [f"K{i:04d}" for i in range(n_cases)], STRATUM: strata, "number": number}
    ).with_columns(pl.len().over("number").alias("visits"))
    # repeat visitors are the dissatisfied ones: y depends on the number's visits
    y = (cases["visits"] >= 3).cast(pl.Float64).to_numpy() * 10.0 + rng.random(n_cases)
    cases = cases.with_columns(pl.Series("y", y))
    truth = float(y.sum())
    firsts = cases.group_by("number").agg(pl.all().sort_by(CASE_ID).first())
    firsts = firsts.select(CASE_ID, STRATUM, "y")
    estimates, first_only = [], []
    for seed in range(300):
        u = prn(seed, "number:" + cases[CASE_ID])
        keyed = cases.with_columns(u.alias("__u"))
        kept = (
            keyed.sort("__u", CASE_ID)
            .group_by("number", maintain_order=True)
            .agg(pl.all().first(), pl.len().cast(pl.Int32).alias(MULTIPLICITY))
            .drop("__u")
        )
        _, sample = draw(kept.select(CASE_ID, STRATUM, MULTIPLICITY, "y"), 12, 1, "equal", seed)
        estimates.append(float((sample[DESIGN_WEIGHT] * sample["y"]).sum()))
        _, old = draw(firsts, 12, 1, "equal", seed)
        first_only.append(float((old[DESIGN_WEIGHT] * old["y"]).sum()))
    mean, sd = float(np.mean(estimates)), float(np.std(estimates))
    assert abs(mean - truth) < 4 * sd / len(estimates) ** 0.5
    old_mean, old_sd = float(np.mean(first_only)), float(np.std(first_only))
    assert abs(old_mean - truth) > 6 * old_sd / len(first_only) ** 0.5
