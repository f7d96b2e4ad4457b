"""The suites really run in Great Expectations and catch what they promise to."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from expectations.validate import validate


def test_sample_suite_passes_good_rows_and_names_bad_ones() -> None:
    good = pl.DataFrame(
        {
            "case_id": ["a", "b"],
            "stratum": ["s", "s"],
            "inclusion_prob": [0.5, 0.5],
            "design_weight": [2.0, 2.0],
            "stratum_population": [4, 4],
            "stratum_sample": [2, 2],
        }
    )
    assert validate(good, "sample").success
    bad = good.with_columns(
        pl.Series("case_id", ["a", "a"]),
        pl.Series("inclusion_prob", [0.5, 1.5]),
        pl.Series("design_weight", [2.0, 0.5]),
    )
    outcome = validate(bad, "sample")
    failed = {(f.expectation, f.column): f.unexpected_rows for f in outcome.failures}
    assert failed[("ExpectColumnValuesToBeUnique", "case_id")] == (0, 1)
    assert failed[("ExpectColumnValuesToBeBetween", "inclusion_prob")] == (1,)
    assert failed[("ExpectColumnValuesToBeBetween", "design_weight")] == (1,)
    assert outcome.blocking_failed


def test_answers_must_come_after_the_send() -> None:
    sent = datetime(2026, 10, 9, 2, tzinfo=UTC)
    answers = pl.DataFrame(
        {
            "case_id": ["a", "b"],
            "item": ["satisfaction", "satisfaction"],
            "value": ["5", "9"],
            "answered_at": [sent.replace(hour=3), sent.replace(hour=1)],
            "sent_at": [sent, sent],
            "channel": ["sms", "voice"],
        }
    )
    outcome = validate(answers, "answers")
    failed = {f.expectation: f.unexpected_rows for f in outcome.failures}
    assert failed == {
        "ExpectColumnValuesToBeInSet": (1,),
        "ExpectColumnPairValuesAToBeGreaterThanB": (1,),
    }


def test_dispositions_need_one_row_per_sampled_case() -> None:
    frame = pl.DataFrame({"case_id": ["a", "b"], "aapor_code": ["1.1", "2.20"]})
    assert validate(frame, "dispositions", sampled=2).success
    assert not validate(frame, "dispositions", sampled=3).success


def test_an_expectation_that_cannot_run_counts_as_failed() -> None:
    frame = pl.DataFrame({"case_id": ["a"]})  # aapor_code column missing
    outcome = validate(frame, "dispositions")
    assert not outcome.success
    assert any("error" in f.expectation for f in outcome.failures)
