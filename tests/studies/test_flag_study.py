"""A tiny run of the flag study: its shape, and that 末位 accuses far more often than `below`."""

from __future__ import annotations

import polars as pl

from studies.flag_study import Design, main, run_study


def test_tiny_study_shape_and_verdict() -> None:
    flags, cover = run_study(reps=6, seed=7, design=Design(units=8))
    assert flags.columns == [
        "scenario",
        "rule",
        "unit_months",
        "flags",
        "false_alarms",
        "false_alarm_rate",
        "false_share_of_flags",
        "truly_below",
        "power",
    ]
    assert flags.height == 4 and cover.height == 2
    assert set(flags["rule"]) == {"below flag", "last-ranked"}
    null = flags.filter(pl.col("scenario") == "null")
    ours = null.filter(pl.col("rule") == "below flag")["false_alarm_rate"][0]
    naive = null.filter(pl.col("rule") == "last-ranked")["false_alarm_rate"][0]
    assert naive >= 0.05  # one accused unit per group-month, of 8
    assert ours <= naive / 5
    assert (cover["coverage"] > 0.85).all()
    assert (flags["unit_months"] > 0).all()


def test_cli_prints_the_tables(capsys) -> None:  # type: ignore[no-untyped-def]
    main(["--reps", "2"])
    out = capsys.readouterr().out
    assert "last-ranked" in out and "coverage" in out and "targets:" in out
