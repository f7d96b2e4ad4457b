"""The judgement study in its quick form: the tables, and the verdicts that must hold even there."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from minyi.columns import EVIDENCE, REPORTABLE
from studies.flag_study import QUICK, QUICK_REPS, build_district, main, run_study
from studies.flag_tables import summarise


@pytest.fixture(scope="module")
def results() -> pl.DataFrame:
    return run_study(QUICK_REPS, seed=7, design=QUICK)


def test_tables_have_every_scenario_and_window(results: pl.DataFrame) -> None:
    tables = summarise(results, QUICK.delta)
    assert set(tables) == {"flags", "power", "coverage", "honours", "last"}
    flags = tables["flags"]
    assert set(flags["scenario"]) == {"null", "spread", "shortfall"}
    assert set(flags["window"]) == {"1m", "3m"}
    assert (flags["unit_months"] > 0).all()
    assert {"false_below_rate", "false_at_or_above_rate", "power_truly_below"} <= set(flags.columns)
    assert set(tables["coverage"]["band"]) >= {"30-59", "60-119"}


def test_no_real_difference_is_never_flagged_below(results: pl.DataFrame) -> None:
    null = results.filter((pl.col("scenario") == "null") & pl.col(REPORTABLE))
    assert null.height > 100
    assert (null[EVIDENCE] == "below").sum() == 0
    spread = results.filter((pl.col("scenario") != "null") & pl.col(REPORTABLE))
    false = spread.filter((pl.col(EVIDENCE) == "below") & ~pl.col("truly_below"))
    assert false.height <= 1


def test_intervals_cover_the_truth_most_of_the_time(results: pl.DataFrame) -> None:
    covered = results.filter(pl.col("scenario") == "spread")["covered"].mean()
    assert 0.85 <= covered <= 1.0  # type: ignore[operator]


def test_planted_shortfall_is_exactly_the_planted_distance() -> None:
    district = build_district("shortfall", QUICK, np.random.default_rng(1), rep=0)
    for g in range(len(QUICK.groups)):
        members = np.flatnonzero(district.group == g)
        planted = members[~np.isnan(district.planted[members])]
        assert planted.size == 1
        u = planted[0]
        peers = district.true[members[members != u]].mean()
        assert peers - district.true[u] == pytest.approx(district.planted[u], abs=1e-9)


def test_cli_prints_the_tables_and_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--quick", "--reps", "1"])
    out = capsys.readouterr().out
    for part in ("[flags]", "[power]", "[coverage]", "[honours]", "[last]", "target: false below"):
        assert part in out
