"""sampling.weights: nonresponse adjustment within weighting classes, checked by hand."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from minyi.columns import CASE_ID, DESIGN_WEIGHT, FINAL_WEIGHT, RESPONDED, SAMPLED, WEIGHT_CLASS
from sampling.weights import WeightingInputError, classes_without_respondents, nonresponse_adjust


def _sampled() -> pl.DataFrame:
    return pl.DataFrame(
        {
            CASE_ID: ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "c1", "c2"],
            DESIGN_WEIGHT: [10.0, 10.0, 20.0, 20.0, 5.0, 5.0, 5.0, 8.0, 4.0],
            RESPONDED: [True, False, True, False, True, True, True, False, False],
            WEIGHT_CLASS: ["A", "A", "A", "A", "B", "B", "B", "C", "C"],
        }
    )


def test_hand_checked_weights() -> None:
    # A: sampled Σd = 60, respondents Σd = 30 → factor 2.  B: all respond → 1.
    # C: nobody responds → no weight for anyone.
    got = nonresponse_adjust(_sampled())
    expected = _sampled().with_columns(
        pl.Series(FINAL_WEIGHT, [20.0, None, 40.0, None, 5.0, 5.0, 5.0, None, None])
    )
    assert_frame_equal(got, expected)


def test_unequal_design_weights_within_class() -> None:
    d = pl.DataFrame(
        {
            CASE_ID: [1, 2, 3],
            DESIGN_WEIGHT: [3.0, 1.0, 4.0],
            RESPONDED: [True, True, False],
            WEIGHT_CLASS: ["k", "k", "k"],
        }
    )
    # factor = 8 / 4 = 2
    assert nonresponse_adjust(d)[FINAL_WEIGHT].to_list() == [6.0, 2.0, None]


def test_custom_class_column_and_row_order_kept() -> None:
    d = _sampled().rename({WEIGHT_CLASS: "cls"}).reverse()
    got = nonresponse_adjust(d, class_col="cls")
    assert got[CASE_ID].to_list() == d[CASE_ID].to_list()
    assert got[FINAL_WEIGHT].to_list() == [None, None, 5.0, 5.0, 5.0, None, 40.0, None, 20.0]


def test_classes_without_respondents_are_listed() -> None:
    got = classes_without_respondents(_sampled())
    expected = pl.DataFrame({WEIGHT_CLASS: ["C"], SAMPLED: [2], DESIGN_WEIGHT: [12.0]})
    assert_frame_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["x", "y", "z"]),
            st.floats(0.5, 500.0, allow_nan=False),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_respondents_carry_the_class_design_weight(
    cases: list[tuple[str, float, bool]],
) -> None:
    d = pl.DataFrame(
        {
            CASE_ID: list(range(len(cases))),
            WEIGHT_CLASS: [c[0] for c in cases],
            DESIGN_WEIGHT: [c[1] for c in cases],
            RESPONDED: [c[2] for c in cases],
        }
    )
    got = nonresponse_adjust(d)
    per_class = got.group_by(WEIGHT_CLASS).agg(
        pl.col(DESIGN_WEIGHT).sum(),
        pl.col(FINAL_WEIGHT).sum(),
        pl.col(RESPONDED).any().alias("any"),
    )
    for row in per_class.iter_rows(named=True):
        if row["any"]:
            assert row[FINAL_WEIGHT] == pytest.approx(row[DESIGN_WEIGHT], rel=1e-12)
        else:
            assert row[FINAL_WEIGHT] == 0.0  # all null
    # a respondent's class always has a respondent: weighted iff responded
    assert (got[FINAL_WEIGHT].is_not_null() == got[RESPONDED]).all()
    assert (got.filter(pl.col(RESPONDED))[FINAL_WEIGHT] > 0).all()


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (pl.lit(0.0), DESIGN_WEIGHT),
        (pl.lit(float("inf")), DESIGN_WEIGHT),
        (pl.lit(1), RESPONDED),  # not Boolean
        (pl.lit(None, dtype=pl.String), WEIGHT_CLASS),
        (pl.lit("same"), CASE_ID),
    ],
)
def test_bad_input_is_refused(change: pl.Expr, column: str) -> None:
    with pytest.raises(WeightingInputError) as err:
        nonresponse_adjust(_sampled().with_columns(change.alias(column)))
    assert err.value.column == column


def test_missing_column_is_refused() -> None:
    with pytest.raises(WeightingInputError, match="responded"):
        nonresponse_adjust(_sampled().drop(RESPONDED))
