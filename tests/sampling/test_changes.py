"""sampling.changes: month-on-month and year-on-year changes; the 1/π-weighted integrity rate."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from minyi.columns import (
    BASE_MONTH,
    CHANGE,
    CHANGE_SE,
    COMPARISON,
    INCLUSION_PROB,
    INTEGRITY_RATE,
    INTEGRITY_REPORT,
    MONTH,
    N_EFF,
    RESPONDENTS,
    SATISFACTION_RATE,
    SIGNIFICANT,
    UNIT_ID,
)
from sampling.changes import REPORTS, changes, integrity_rate
from sampling.errors import InvalidParameterError, JudgementInputError


def _monthly(rows: list[tuple[str, str, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=[UNIT_ID, MONTH, SATISFACTION_RATE, N_EFF], orient="row")


def test_month_on_month_and_year_on_year_by_hand() -> None:
    monthly = _monthly(
        [
            ("U1", "2024-03", 0.80, 100.0),
            ("U1", "2025-02", 0.90, 200.0),
            ("U1", "2025-03", 0.70, 100.0),
            ("U2", "2025-03", 0.85, 50.0),
        ]
    )
    out = changes(monthly)
    assert out.select(UNIT_ID, MONTH, COMPARISON, BASE_MONTH).rows() == [
        ("U1", "2025-03", "month_on_month", "2025-02"),
        ("U1", "2025-03", "year_on_year", "2024-03"),
    ]
    mom = out.row(0, named=True)
    assert mom[CHANGE] == pytest.approx(-0.20)
    se = np.sqrt(0.7 * 0.3 / 100 + 0.9 * 0.1 / 200)
    assert mom[CHANGE_SE] == pytest.approx(se, rel=1e-12)
    assert mom[SIGNIFICANT] is True
    yoy = out.row(1, named=True)
    assert yoy[CHANGE] == pytest.approx(-0.10)
    assert yoy[SIGNIFICANT] is False  # 0.10 against an SE of 0.061


def test_january_compares_with_december() -> None:
    out = changes(_monthly([("U1", "2024-12", 0.8, 100.0), ("U1", "2025-01", 0.8, 100.0)]))
    assert out[BASE_MONTH].to_list() == ["2024-12"]
    assert out[SIGNIFICANT].to_list() == [False]


def test_a_rate_of_one_is_not_certain() -> None:
    out = changes(_monthly([("U1", "2025-01", 1.0, 30.0), ("U1", "2025-02", 0.9, 30.0)]))
    smooth = 30.5 / 31
    se = np.sqrt(smooth * (1 - smooth) / 30 + 0.9 * 0.1 / 30)
    assert out[CHANGE_SE][0] == pytest.approx(se, rel=1e-12)
    assert out[SIGNIFICANT][0] is False


def test_level_sets_the_bar() -> None:
    monthly = _monthly([("U1", "2025-01", 0.80, 400.0), ("U1", "2025-02", 0.85, 400.0)])
    z = 0.05 / np.sqrt(0.8 * 0.2 / 400 + 0.85 * 0.15 / 400)  # about 1.87
    assert 1.645 < z < 1.96
    assert changes(monthly)[SIGNIFICANT][0] is False
    assert changes(monthly, level=0.90)[SIGNIFICANT][0] is True


def test_changes_refuse_bad_input() -> None:
    with pytest.raises(JudgementInputError, match="YYYY-MM"):
        changes(_monthly([("U1", "2025-1", 0.8, 10.0)]))
    with pytest.raises(JudgementInputError, match="repeats"):
        changes(_monthly([("U1", "2025-01", 0.8, 10.0), ("U1", "2025-01", 0.7, 10.0)]))
    with pytest.raises(InvalidParameterError):
        changes(_monthly([("U1", "2025-01", 0.8, 10.0)]), level=1.5)


def test_integrity_rate_is_weighted_by_the_inverse_inclusion_probability() -> None:
    answers = pl.DataFrame(
        {
            UNIT_ID: ["A", "A", "A", "B", "B"],
            INCLUSION_PROB: [0.76, 0.76, 0.07, 0.07, 0.07],
            INTEGRITY_REPORT: [True, False, False, True, False],
        }
    )
    out = integrity_rate(answers)
    a = (1 / 0.76) / (2 / 0.76 + 1 / 0.07)
    assert out.rows() == [("A", 3, 1, pytest.approx(a)), ("B", 2, 1, pytest.approx(0.5))]
    assert out.columns == [UNIT_ID, RESPONDENTS, REPORTS, INTEGRITY_RATE]


def test_integrity_rate_refuses_bad_probabilities_and_handles_empty() -> None:
    bad = pl.DataFrame({UNIT_ID: ["A"], INCLUSION_PROB: [0.0], INTEGRITY_REPORT: [True]})
    with pytest.raises(JudgementInputError, match="inclusion_prob"):
        integrity_rate(bad)
    assert integrity_rate(bad.head(0)).height == 0
