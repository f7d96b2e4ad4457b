"""sampling.estimation against R's survey package and hand-checked cases.

The fixture in tests/fixtures/r_survey/ is R's answer (survey 4.1.1) on a
seeded synthetic month; regenerate it with
``.venv/bin/python -m tests.sampling.test_estimation`` (needs Rscript).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from minyi.columns import (
    CI_HIGH,
    CI_LOW,
    FINAL_WEIGHT,
    N_EFF,
    RESPONDED,
    SATISFACTION_RATE,
    SATISFIED,
    SE,
    STRATUM,
    STRATUM_POPULATION,
    UNIT_ID,
)
from sampling.estimation import DF, EstimationInputError, domain_estimates, overall_estimate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
R_SCRIPT = FIXTURES / "make_r_fixtures.R"
R_DIR = FIXTURES / "r_survey"
FIXTURE_SEED = 20240601

RATE_RTOL = 1e-12
SE_RTOL = 1e-9
CI_ATOL = 1e-6


# --- synthetic month ------------------------------------------------------


def synthetic_responses(seed: int, scale: int = 1) -> pl.DataFrame:
    """A seeded month of respondents exercising every branch of the variance.

    Strata: ordinary ones (n_h from 8·scale to 40·scale); two lonely strata
    (n_h = 1, N_h > 1); a census stratum (N_h = n_h); a lonely census stratum
    (n_h = N_h = 1).  Units: U01–U03 ordinary; U04 all satisfied (rate 1);
    U05 none satisfied (rate 0); U06 one respondent in each of three strata
    (df = 0); U07 only in the census stratum (se = 0, 0 < p < 1); U08 the
    single respondent of a lonely stratum.  Weights vary within strata.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []

    def add(stratum: str, pop: int, unit: str, y: int, base_weight: float) -> None:
        rows.append(
            {
                STRATUM: stratum,
                STRATUM_POPULATION: pop,
                FINAL_WEIGHT: float(base_weight * np.exp(rng.normal(0.0, 0.3))),
                SATISFIED: y,
                UNIT_ID: unit,
            }
        )

    rates = {"U01": 0.85, "U02": 0.7, "U03": 0.55}
    for h in range(1, 9):
        stratum = f"2024-06-{h:02d}|cat{h % 3}"
        n_ord = int(rng.integers(8, 41)) * scale
        special: list[tuple[str, int]] = []
        if h in (1, 2, 3):
            special.append(("U06", h % 2))  # y = 1, 0, 1
        if h in (2, 4, 6, 7):
            special += [("U04", 1)] * int(rng.integers(1, 4))
        if h in (3, 5, 8):
            special += [("U05", 0)] * int(rng.integers(1, 4))
        n_h = n_ord + len(special)
        pop = int(n_h * rng.uniform(1.5, 20.0))
        for unit, y in special:
            add(stratum, pop, unit, y, pop / n_h)
        units = rng.choice(list(rates), size=n_ord, p=[0.5, 0.3, 0.2])
        for unit in units:
            add(stratum, pop, str(unit), int(rng.random() < rates[str(unit)]), pop / n_h)
    add("2024-06-09|lonely", 12, "U08", int(rng.random() < 0.8), 12.0)
    add("2024-06-10|lonely", 30, "U02", int(rng.random() < 0.8), 30.0)
    census = [("U07", 1), ("U07", 0), ("U07", 1), ("U07", 1), ("U01", 1), ("U01", 0)]
    for unit, y in census:
        add("2024-06-11|census", len(census), unit, y, 1.0)
    add("2024-06-12|census1", 1, "U01", 1, 1.0)
    order = rng.permutation(len(rows))
    return pl.DataFrame(rows).with_columns(pl.col(SATISFIED).cast(pl.Int64))[order]


def run_r(responses: pl.DataFrame, out_dir: Path) -> None:
    """Write responses.csv into out_dir and run the R reference script there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "responses.csv"
    responses.write_csv(path, float_precision=17)
    subprocess.run(["Rscript", str(R_SCRIPT), str(path), str(out_dir)], check=True)


def _read(out_dir: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(
        out_dir / name,
        null_values="NA",
        schema_overrides={"unit_id": pl.String},
        infer_schema_length=None,
    )


# --- comparison with R ----------------------------------------------------


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)
    return float(np.max(np.where(a == b, 0.0, r), initial=0.0))


def _assert_matches_r(responses: pl.DataFrame, out_dir: Path) -> dict[str, float]:
    """Compare with R's output in out_dir; returns the worst discrepancies."""
    ref = _read(out_dir, "by_unit.csv")
    worst = {"rate": 0.0, "se": 0.0, "ci": 0.0}
    for level in (0.95, 0.90):
        r = ref.filter(pl.col("level") == level).sort("unit_id")
        est = domain_estimates(responses, level=level)
        assert est[UNIT_ID].to_list() == r["unit_id"].to_list()
        assert est[RESPONDED].to_list() == r["nrow"].to_list()
        assert est[DF].to_list() == r["degf"].to_list()
        rate_err = _rel(est[SATISFACTION_RATE].to_numpy(), r["rate"].to_numpy())
        se_err = _rel(est[SE].to_numpy(), r["se"].to_numpy())
        assert rate_err <= RATE_RTOL
        assert se_err <= SE_RTOL
        # The bulletin interval equals R's svyciprop wherever R gives one and se > 0.
        kg = r.filter(pl.col("se") > 0)
        mine = est.filter(pl.col(SE) > 0)
        assert mine[CI_LOW].is_null().to_list() == kg["kg_low"].is_null().to_list()
        ci_err = 0.0
        for a, b in ((CI_LOW, "ci_low"), (CI_HIGH, "ci_high")):
            assert est[a].is_null().to_list() == r[b].is_null().to_list()
            both = est[a].is_not_null().to_numpy()
            diff = np.abs(est[a].to_numpy()[both] - r[b].to_numpy()[both])
            ci_err = max(ci_err, float(diff.max(initial=0.0)))
        assert ci_err <= CI_ATOL
        # Rates 0 and 1: Clopper–Pearson, checked against binom.test.
        cp = r.filter(pl.col("cp_low").is_not_null()).join(est, on=UNIT_ID)
        np.testing.assert_allclose(cp[CI_LOW], cp["cp_low"], rtol=0, atol=CI_ATOL)
        np.testing.assert_allclose(cp[CI_HIGH], cp["cp_high"], rtol=0, atol=CI_ATOL)
        worst = {
            "rate": max(worst["rate"], rate_err),
            "se": max(worst["se"], se_err),
            "ci": max(worst["ci"], ci_err),
        }

    ref_all = _read(out_dir, "overall.csv")
    for row in ref_all.iter_rows(named=True):
        got = overall_estimate(responses, level=row["level"])
        assert got[RESPONDED] == row["nrow"]
        assert got[DF] == row["degf"]
        assert got[SATISFACTION_RATE] == pytest.approx(row["rate"], rel=RATE_RTOL)
        assert got[SE] == pytest.approx(row["se"], rel=SE_RTOL)
        assert got[CI_LOW] == pytest.approx(row["kg_low"], abs=CI_ATOL)
        assert got[CI_HIGH] == pytest.approx(row["kg_high"], abs=CI_ATOL)
    return worst


def test_fixture_covers_every_branch() -> None:
    ref = _read(R_DIR, "by_unit.csv").filter(pl.col("level") == 0.95)
    rate = dict(zip(ref["unit_id"], ref["rate"], strict=True))
    se = dict(zip(ref["unit_id"], ref["se"], strict=True))
    degf = dict(zip(ref["unit_id"], ref["degf"], strict=True))
    assert rate["U04"] == 1 and rate["U05"] == 0
    assert se["U07"] == 0 and 0 < rate["U07"] < 1
    assert degf["U06"] == 0 and se["U06"] > 0
    assert ref.filter(pl.col("unit_id") == "U06")["kg_low"].is_null().all()


def test_matches_r_fixture() -> None:
    responses = pl.read_csv(R_DIR / "responses.csv", schema_overrides={STRATUM: pl.String})
    _assert_matches_r(responses, R_DIR)


def test_fixture_input_is_the_seeded_generator() -> None:
    committed = pl.read_csv(R_DIR / "responses.csv", schema_overrides={STRATUM: pl.String})
    assert_frame_equal(committed, synthetic_responses(FIXTURE_SEED), check_dtypes=False)


@pytest.mark.r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
@pytest.mark.parametrize("seed", [7, 8])
def test_matches_live_r(tmp_path: Path, seed: int) -> None:
    responses = synthetic_responses(seed, scale=3)
    run_r(responses, tmp_path)
    _assert_matches_r(responses, tmp_path)


# --- hand-checked and structural tests ------------------------------------


def _frame(rows: list[tuple[str, int, float, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=[STRATUM, STRATUM_POPULATION, FINAL_WEIGHT, SATISFIED, UNIT_ID],
        orient="row",
    )


def test_srs_single_stratum_by_hand() -> None:
    # One stratum, equal weights, whole design = SRSWOR: v = (1 − f) p(1 − p)/(n − 1)·... :
    # with z_i = (y_i − p)/n, v = f·n/(n−1)·Σ(z_i − 0)² = (1 − n/N)·p(1 − p)/(n − 1).
    n, big_n, x = 10, 50, 7
    d = _frame([("s", big_n, big_n / n, int(i < x), "A") for i in range(n)])
    got = overall_estimate(d)
    p = x / n
    assert got[SATISFACTION_RATE] == pytest.approx(p, rel=1e-15)
    assert got[SE] == pytest.approx(np.sqrt((1 - n / big_n) * p * (1 - p) / (n - 1)), rel=1e-13)
    assert got[DF] == n - 1
    # df ratio is 1, so the interval is the Clopper–Pearson form at n_eff
    m = p * (1 - p) / got[SE] ** 2
    assert got[CI_LOW] == pytest.approx(stats.beta.ppf(0.025, m * p, m * (1 - p) + 1))
    assert got[N_EFF] == pytest.approx(m)


def test_domain_is_not_a_cut_of_the_data() -> None:
    # Unit B's rows change A's se (n_h counts all respondents) but not A's rate.
    a_only = _frame([("s", 100, 5.0, y, "A") for y in (1, 1, 0, 1)])
    with_b = pl.concat([a_only, _frame([("s", 100, 5.0, y, "B") for y in (0, 1, 1, 0)])])
    a1 = domain_estimates(a_only).row(0, named=True)
    a2 = domain_estimates(with_b).filter(pl.col(UNIT_ID) == "A").row(0, named=True)
    assert a1[SATISFACTION_RATE] == a2[SATISFACTION_RATE]
    assert a1[SE] != pytest.approx(a2[SE])


def test_sparse_cell_table_matches_r(monkeypatch: pytest.MonkeyPatch) -> None:
    import sampling.estimation

    monkeypatch.setattr(sampling.estimation, "_MAX_DENSE_BINS", 0)
    responses = pl.read_csv(R_DIR / "responses.csv", schema_overrides={STRATUM: pl.String})
    _assert_matches_r(responses, R_DIR)


_ENUM = pl.Enum(["U00", *(f"U{i:02d}" for i in range(1, 9)), "U99"])  # U00, U99 unused


@pytest.mark.parametrize(
    ("key", "label"),
    [
        (pl.col(UNIT_ID).cast(pl.Categorical), str),
        (pl.col(UNIT_ID).cast(_ENUM), str),
        (pl.col(UNIT_ID).str.slice(1).cast(pl.Int64), lambda u: int(u[1:])),
    ],
)
def test_domain_key_types_give_the_same_numbers(
    key: pl.Expr, label: Callable[[str], object]
) -> None:
    d = synthetic_responses(5)
    base = domain_estimates(d)
    got = domain_estimates(d.with_columns(key.alias(UNIT_ID), pl.col(STRATUM).cast(pl.Categorical)))
    assert got[UNIT_ID].to_list() == [label(u) for u in base[UNIT_ID]]
    assert_frame_equal(got.drop(UNIT_ID), base.drop(UNIT_ID))


def test_stratum_as_domain() -> None:
    d = synthetic_responses(5)
    est = domain_estimates(d, domain=STRATUM)
    assert est.height == d[STRATUM].n_unique()
    assert est[DF].to_list() == (est[RESPONDED] - 1).to_list()


def test_row_order_and_boolean_satisfied_do_not_matter() -> None:
    d = synthetic_responses(3)
    base = domain_estimates(d)
    shuffled = d.sample(fraction=1.0, shuffle=True, seed=1).with_columns(
        pl.col(SATISFIED).cast(pl.Boolean)
    )
    assert_frame_equal(domain_estimates(shuffled), base, check_exact=False, rel_tol=1e-12)


def test_census_stratum_contributes_nothing() -> None:
    d = _frame([("c", 3, 1.0, y, "A") for y in (1, 0, 1)])
    got = domain_estimates(d).row(0, named=True)
    assert got[SE] == 0.0
    assert got[N_EFF] is None
    # se = 0 → Clopper–Pearson form at n = 3, x = 2
    assert got[CI_LOW] == pytest.approx(stats.beta.ppf(0.025, 2, 2))
    assert got[CI_HIGH] == pytest.approx(stats.beta.ppf(0.975, 3, 1))


@pytest.mark.parametrize(("y", "low", "high"), [(0, 0.0, None), (1, None, 1.0)])
def test_rate_zero_or_one_gets_clopper_pearson(
    y: int, low: float | None, high: float | None
) -> None:
    n = 12
    d = _frame([("s", 40, 2.0 + i, y, "A") for i in range(n)] + [("s", 40, 3.0, 1 - y, "B")])
    got = domain_estimates(d).filter(pl.col(UNIT_ID) == "A").row(0, named=True)
    assert got[SE] == 0.0
    exp_low = 0.0 if y == 0 else stats.beta.ppf(0.025, n, 1)
    exp_high = 1.0 if y == 1 else stats.beta.ppf(0.975, 1, n)
    assert got[CI_LOW] == pytest.approx(exp_low, abs=1e-12)
    assert got[CI_HIGH] == pytest.approx(exp_high, abs=1e-12)


def test_empty_input_gives_empty_frame() -> None:
    d = _frame([("s", 10, 1.0, 1, "A")]).clear()
    est = domain_estimates(d)
    assert est.height == 0
    assert est.columns == [UNIT_ID, RESPONDED, SATISFACTION_RATE, SE, CI_LOW, CI_HIGH, N_EFF, DF]


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (pl.col(FINAL_WEIGHT) * 0, FINAL_WEIGHT),
        (pl.col(SATISFIED) * 2, SATISFIED),
        (pl.int_range(pl.len()) + 100, STRATUM_POPULATION),  # varies within stratum
        (pl.lit(1), STRATUM_POPULATION),  # fewer than the respondents
        (pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col(UNIT_ID)), UNIT_ID),
    ],
)
def test_bad_input_is_refused(change: pl.Expr, column: str) -> None:
    d = _frame([("s", 10, 1.0, 1, "A"), ("s", 10, 1.0, 0, "B")])
    with pytest.raises(EstimationInputError) as err:
        domain_estimates(d.with_columns(change.alias(column)))
    assert err.value.column == column


def test_missing_column_is_refused() -> None:
    d = _frame([("s", 10, 1.0, 1, "A")]).drop(STRATUM_POPULATION)
    with pytest.raises(EstimationInputError, match="stratum_population"):
        domain_estimates(d)


def _regenerate() -> None:
    """Rewrite tests/fixtures/r_survey/ from the seeded generator and R."""
    if shutil.which("Rscript") is None:
        sys.exit("Rscript not found")
    run_r(synthetic_responses(FIXTURE_SEED), R_DIR)
    print(f"wrote {R_DIR}")


if __name__ == "__main__":
    _regenerate()
