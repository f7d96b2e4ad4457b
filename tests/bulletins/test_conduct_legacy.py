"""The conduct-score export: weighted satisfaction index, points, vetoes, CSV."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from bulletins.conduct import (
    COLUMNS,
    ConductConfig,
    ConductError,
    VetoItem,
    conduct_csv,
    conduct_scores,
    level_counts_of,
    load_config,
)

UNITS = pl.DataFrame(
    {
        "unit_id": ["A", "B", "C", "D"],
        "unit_name": ["区教育局", "区住建局", "区档案馆", "区民政局"],
        "peer_group": ["department"] * 4,
    }
)


def _counts() -> pl.DataFrame:
    # A: 40 respondents, all level 5 but half the weight sits on level 1 answers
    # B: 30 respondents, levels 4 and 2 with equal weight
    # C: 5 respondents (not reportable); D: none
    return pl.DataFrame(
        {
            "month": ["2026-10"] * 5,
            "unit_id": ["A", "A", "B", "B", "C"],
            "level": [5, 1, 4, 2, 3],
            "respondents": [30, 10, 15, 15, 5],
            "weighted": [300.0, 300.0, 150.0, 150.0, 50.0],
        }
    )


NO_VETO = pl.DataFrame(schema={"unit_id": pl.String, "item": pl.String})


@pytest.fixture(scope="module")
def config() -> ConductConfig:
    return load_config()


def test_packaged_config(config: ConductConfig) -> None:
    assert config.points == {5: 100, 4: 80, 3: 60, 2: 30, 1: 0}
    assert config.weight == 0.2 and config.total == 100 and config.min_respondents == 30
    assert "integrity_verified" in {v.code for v in config.veto_items}
    assert config.version


def test_index_uses_the_final_weights(config: ConductConfig) -> None:
    out = conduct_scores(_counts(), UNITS, NO_VETO, config)
    assert out.columns == list(COLUMNS)
    row = {r["unit_id"]: r for r in out.iter_rows(named=True)}
    # A: weighted (100·300 + 0·300)/600 = 50, though 3 of 4 respondents gave 100
    assert row["A"]["satisfaction_index"] == pytest.approx(50.0)
    assert row["A"]["index_points"] == pytest.approx(10.0)  # 50/100 · 0.2 · 100
    assert row["B"]["satisfaction_index"] == pytest.approx(55.0)
    assert row["B"]["conduct_points"] == pytest.approx(11.0)
    assert row["A"]["month"] == "2026-10" and row["A"]["config_version"] == config.version


def test_not_reportable_units_get_counts_only(config: ConductConfig) -> None:
    out = conduct_scores(_counts(), UNITS, NO_VETO, config)
    row = {r["unit_id"]: r for r in out.iter_rows(named=True)}
    assert row["C"]["reportable"] is False and row["C"]["respondents"] == 5
    assert row["C"]["satisfaction_index"] is None and row["C"]["conduct_points"] is None
    assert row["D"]["respondents"] == 0 and row["D"]["reportable"] is False


def test_a_veto_overrides_the_index(config: ConductConfig) -> None:
    vetoes = pl.DataFrame(
        {"unit_id": ["B", "B", "C"], "item": ["integrity_verified"] * 2 + ["integrity_verified"]}
    )
    out = conduct_scores(_counts(), UNITS, vetoes, config)
    row = {r["unit_id"]: r for r in out.iter_rows(named=True)}
    assert row["B"]["veto"] is True and row["B"]["veto_items"] == "integrity_verified"
    assert row["B"]["index_points"] == pytest.approx(11.0)  # still shown
    assert row["B"]["conduct_points"] == 0.0
    assert row["C"]["conduct_points"] == 0.0  # vetoed though not reportable
    assert row["A"]["veto"] is False and row["A"]["conduct_points"] == pytest.approx(10.0)


def test_the_mapping_is_configurable(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        'version = "t1"\n[index]\npoints = { 5 = 100, 4 = 100, 3 = 50, 2 = 0, 1 = 0 }\n'
        "weight = 0.5\ntotal = 40\nmin_respondents = 10\n[veto]\nscore = -5\n"
        '[[veto.items]]\ncode = "x"\n',
        encoding="utf-8",
    )
    cfg = load_config(toml)
    out = conduct_scores(_counts(), UNITS, pl.DataFrame({"unit_id": ["A"], "item": ["x"]}), cfg)
    row = {r["unit_id"]: r for r in out.iter_rows(named=True)}
    assert row["B"]["satisfaction_index"] == pytest.approx(50.0)
    assert row["B"]["index_points"] == pytest.approx(10.0)  # 50/100 · 0.5 · 40
    assert row["A"]["conduct_points"] == -5.0
    assert row["C"]["reportable"] is False  # 5 < 10


@pytest.mark.parametrize(
    ("points", "match"),
    [
        ({5: 100, 4: 80, 3: 60, 2: 30}, r"levels 1\.\.5"),
        ({5: 100, 4: 80, 3: 60, 2: 70, 1: 0}, "must not fall"),
        ({5: 120, 4: 80, 3: 60, 2: 30, 1: 0}, r"0\.\.100"),
    ],
)
def test_bad_configs_are_refused(points: dict[int, float], match: str) -> None:
    with pytest.raises(ConductError, match=match):
        ConductConfig("v", points, 0.2, 100, 30, 0, (VetoItem("x", "", ""),))


def test_bad_inputs_are_refused(config: ConductConfig) -> None:
    with pytest.raises(ConductError, match="not configured"):
        conduct_scores(_counts(), UNITS, pl.DataFrame({"unit_id": ["A"], "item": ["rude"]}), config)
    with pytest.raises(ConductError, match="not in the registry"):
        conduct_scores(_counts(), UNITS.filter(pl.col("unit_id") != "A"), NO_VETO, config)
    with pytest.raises(ConductError, match=r"outside 1\.\.5"):
        conduct_scores(_counts().with_columns(pl.lit(6).alias("level")), UNITS, NO_VETO, config)
    with pytest.raises(ConductError, match="several months"):
        two = _counts().with_columns(pl.Series("month", ["2026-10"] * 4 + ["2026-11"]))
        conduct_scores(two, UNITS, NO_VETO, config)


def test_level_counts_of_respondent_rows() -> None:
    responses = pl.DataFrame(
        {
            "unit_id": ["A", "A", "A", "B"],
            "satisfaction": [5, 5, None, 2],
            "final_weight": [1.5, 2.5, 9.0, 3.0],
        }
    )
    expected = pl.DataFrame(
        {"unit_id": ["A", "B"], "level": [5, 2], "respondents": [2, 1], "weighted": [4.0, 3.0]}
    )
    assert_frame_equal(level_counts_of(responses), expected)


def test_csv_has_bom_stable_headers_and_rounding(config: ConductConfig) -> None:
    out = conduct_scores(_counts(), UNITS, NO_VETO, config)
    data = conduct_csv(out)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    back = pl.read_csv(io.StringIO(text))
    assert back.height == 4
    assert "区档案馆" in text
    with pytest.raises(ConductError, match="lacks columns"):
        conduct_csv(out.drop("veto"))
