"""The benchmarks' own machinery, at a tiny scale: the references compute what ours computes,
the rounds run as production runs them. (The figures themselves come from running the benches.)"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench import estimation_bench, publish_bench, sampling_bench
from bench.common import in_child, spread


def test_the_estimation_references_compute_our_rates_and_ses(tmp_path: Path) -> None:
    path = tmp_path / "month.duckdb"
    assert estimation_bench.build(path, 20_000, 40)["reused"] is False
    assert estimation_bench.build(path, 20_000, 40)["reused"] is True
    ours = estimation_bench.run_ours(path)
    for reference in (estimation_bench.run_duckdb(path), estimation_bench.run_polars(path)):
        both = ours["est"].join(reference["est"], on="unit_id", suffix="_r")
        assert both.height == ours["est"].height == 40
        assert (both["satisfaction_rate"] - both["satisfaction_rate_r"]).abs().max() < 1e-12  # type: ignore[operator]
        assert ((both["se"] - both["se_r"]).abs() / both["se"]).max() < 1e-9  # type: ignore[operator]
    assert set(ours["laps"]) == {"total", "fetch", "estimate", "store"}


def test_the_month_has_the_warehouse_types() -> None:
    month = estimation_bench.make_month(5_000, 10)
    assert month.schema == pl.Schema(
        {
            "stratum": pl.String(),
            "stratum_population": pl.Int32(),
            "final_weight": pl.Float64(),
            "satisfied": pl.Boolean(),
            "unit_id": pl.String(),
        }
    )


@pytest.mark.flow
def test_a_dispatch_round_in_a_fresh_process_on_a_home_with_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    built = publish_bench.build(home, 20_000, 2)
    assert built["first_publish"][0] == "full" and built["second_publish"][0] == "copied"
    first = in_child(publish_bench.dispatch_round, home, 0)
    second = in_child(publish_bench.dispatch_round, home, 1)
    assert first["sent"] == publish_bench.DAY_SAMPLE
    assert second["answers"] > 0  # the simulated people's replies to the first round
    assert first["mode"] == second["mode"] == "incremental"
    assert first["rebuilt"] == second["rebuilt"] == []
    assert {"open", "ingest", "dispatch", "publish", "reference"} <= set(first["laps"])
    assert first["peak_mb"] > 0 and first["load"] >= 0


def test_spread_reports_the_first_call_beside_best_and_median() -> None:
    assert spread([3.0, 1.0, 2.0]) == "first   3.00 s  best   1.00 s  median   2.00 s"


def test_the_sampling_reference_draws_the_engines_sample(tmp_path: Path) -> None:
    path = tmp_path / "bench.duckdb"
    sampling_bench.build(path, 5_000, 20_000)
    params = {**sampling_bench._params(), "key": sampling_bench.day_key(tmp_path)}
    reference = in_child(sampling_bench.run_reference, path, params)
    engine = in_child(sampling_bench.run_engine, path, params)  # it wraps design's functions
    assert engine["ineligible"]["repeat_same_day"] > 0  # the competition is exercised
    assert (engine["sample"]["multiplicity"] > 1).any()
    assert sampling_bench.compare(engine, reference) == []


def test_the_province_deployments_point_at_a_flow() -> None:
    """A deployment's entrypoint must name a ``@flow``: the province's runs once crashed at
    load with "is not a flow" and the benchmark only counted them as failed."""
    from prefect import Flow
    from prefect.flows import load_flow_from_entrypoint

    loaded = load_flow_from_entrypoint("bench.province_flow:province_month_flow")
    assert isinstance(loaded, Flow) and loaded.name == "province-district-month"
