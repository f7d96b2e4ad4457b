"""How often does a `below` flag accuse a unit that is not really below its peers?

A Monte Carlo study of the bulletin's comparison rules (METHODS.md, "Fair
comparison") against the rule people reach for without it: "the last-ranked
unit of each peer group" (末位). Each replicate is one month of one district
whose true satisfaction is known:

* **District.** 3 peer groups × ``units`` units; each unit handles cases in
  1-4 categories (the strata) with N_h ~ lognormal (median 300, some take-all).
  A case is satisfied with probability p_h = the unit's p plus a category
  effect (logit scale, sd 0.3), so units are mixtures, as in the demo.
* **Truth.** A unit's true rate is the **finite-population** share of its
  month's cases that would answer satisfied (Σ_h X_h / Σ_h N_h), which is what
  the design estimates. Nonresponse is at random within category (response
  probability 0.45-0.85 by category), the model the weighting assumes.
* **Sample.** Equal allocation, n_h = min(N_h, m); SRSWOR within strata;
  design weight N_h/n_h; then the real pipeline:
  :func:`sampling.weights.nonresponse_adjust` (class = category),
  :func:`sampling.estimation.domain_estimates`,
  :func:`sampling.comparison.compare_units`.

Scenarios:

* ``null`` — every unit of a peer group has the same p (0.80, 0.88, 0.93 by
  group; only category mix and sampling differ). A `below` is false unless the
  month's finite population itself fell short by chance (a small unit can:
  the truth is the realised share, defined as below).
* ``spread`` — units differ for real: logit p ~ N(logit p_g, 0.35²) (the
  overdispersion the demo shows, φ ≈ 4-9) and one unit in six is truly
  poor (p_g − 0.15). "Truly below" = true rate below the peer group's true
  rate (all its cases pooled) by more than ``margin`` (default 5 points).

Reported per scenario and rule: unit-months (reportable), flags, false alarms
(flagged but not truly below), the false-alarm rate per unit-month (target
≤ 1% for `below`), the share of flags that are false, and the power (truly
below units flagged); and the coverage of the 95% Korn-Graubard intervals
(share of reportable unit-months whose interval contains the true rate;
target 95% ± 2%).

Run: ``uv run python -m studies.flag_study [--reps 1000]`` (about 30 s).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from minyi.columns import (
    CASE_ID,
    CI_HIGH,
    CI_LOW,
    DESIGN_WEIGHT,
    FINAL_WEIGHT,
    FLAG,
    PEER_GROUP,
    RANK,
    REPORTABLE,
    RESPONDED,
    SATISFIED,
    STRATUM,
    STRATUM_POPULATION,
    UNIT_ID,
    WEIGHT_CLASS,
)
from sampling.comparison import compare_units
from sampling.estimation import domain_estimates
from sampling.weights import nonresponse_adjust

GROUPS = (("agency", 0.80), ("department", 0.88), ("window", 0.93))
SCENARIOS = ("null", "spread")
TRUE = "true_rate"
TRULY_BELOW = "truly_below"


@dataclass(frozen=True)
class Design:
    units: int = 12  # per peer group
    take: int = 60  # m: sample per stratum (equal allocation)
    margin: float = 0.05  # "truly below": under the group's rate by more than this
    min_respondents: int = 30


def _logit(p: float | np.ndarray) -> np.ndarray:
    return np.log(np.asarray(p) / (1 - np.asarray(p)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_month(
    scenario: str, design: Design, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One district-month: (respondent rows for estimation, units with their truth)."""
    unit_rows = []
    strata: list[tuple[str, str, int, int, float]] = []  # stratum, unit, N_h, X_h, response p
    for group, p_g in GROUPS:
        for u in range(design.units):
            uid = f"{group[0]}{u:02d}"
            if scenario == "null":
                p_u = p_g
            else:
                p_u = float(_expit(_logit(p_g) + rng.normal(0, 0.35)))
                if rng.random() < 1 / 6:
                    p_u = p_g - 0.15
            total_n = total_x = 0
            for k in range(int(rng.integers(1, 5))):
                n_pop = max(5, int(rng.lognormal(math.log(300), 0.9)))
                shift = 0.0 if scenario == "null" else rng.normal(0, 0.3)
                p_h = float(_expit(_logit(p_u) + shift))
                x = int(rng.binomial(n_pop, p_h))
                strata.append((f"{uid}-{k}", uid, n_pop, x, float(rng.uniform(0.45, 0.85))))
                total_n += n_pop
                total_x += x
            unit_rows.append(
                {UNIT_ID: uid, PEER_GROUP: group, TRUE: total_x / total_n, "_n": total_n}
            )
    rows: dict[str, list[object]] = {
        k: [] for k in (STRATUM, UNIT_ID, STRATUM_POPULATION, DESIGN_WEIGHT, SATISFIED, RESPONDED)
    }
    for stratum, uid, n_pop, x, r in strata:
        n = min(n_pop, design.take)
        ys = rng.permutation(np.r_[np.ones(x, bool), np.zeros(n_pop - x, bool)])[:n]  # SRSWOR
        resp = rng.random(n) < r
        rows[STRATUM] += [stratum] * n
        rows[UNIT_ID] += [uid] * n
        rows[STRATUM_POPULATION] += [n_pop] * n
        rows[DESIGN_WEIGHT] += [n_pop / n] * n
        rows[SATISFIED] += ys.tolist()
        rows[RESPONDED] += resp.tolist()
    sampled = (
        pl.DataFrame(rows).with_row_index(CASE_ID).with_columns(pl.col(STRATUM).alias(WEIGHT_CLASS))
    )
    weighted = nonresponse_adjust(sampled, WEIGHT_CLASS)
    respondents = weighted.filter(pl.col(RESPONDED) & pl.col(FINAL_WEIGHT).is_not_null())
    units = pl.DataFrame(unit_rows)
    group_rate = (pl.col(TRUE) * pl.col("_n")).sum().over(PEER_GROUP) / pl.col("_n").sum().over(
        PEER_GROUP
    )
    units = units.with_columns((pl.col(TRUE) < group_rate - design.margin).alias(TRULY_BELOW)).drop(
        "_n"
    )
    return respondents.select(STRATUM, STRATUM_POPULATION, FINAL_WEIGHT, SATISFIED, UNIT_ID), units


def one_month(scenario: str, design: Design, rng: np.random.Generator, seed: int) -> pl.DataFrame:
    """Per reportable unit: truth, our flag, the naive flag, interval coverage."""
    respondents, units = simulate_month(scenario, design, rng)
    est = domain_estimates(respondents)
    per, _ = compare_units(est, units, seed=seed, min_respondents=design.min_respondents, draws=200)
    out = per.join(units.select(UNIT_ID, TRUE, TRULY_BELOW), on=UNIT_ID).filter(pl.col(REPORTABLE))
    last = pl.col(RANK) == pl.col(RANK).max().over(PEER_GROUP)
    return out.select(
        TRULY_BELOW,
        (pl.col(FLAG) == "below").fill_null(False).alias("ours"),
        last.alias("naive"),
        ((pl.col(CI_LOW) <= pl.col(TRUE)) & (pl.col(TRUE) <= pl.col(CI_HIGH)))
        .fill_null(False)
        .alias("covered"),
    )


def run_study(
    reps: int,
    seed: int = 20251,
    design: Design | None = None,
    scenarios: tuple[str, ...] = SCENARIOS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(flag table, coverage table) over ``reps`` simulated months per scenario."""
    design = design or Design()
    flag_rows, cover_rows = [], []
    for s, scenario in enumerate(scenarios):
        children = np.random.SeedSequence([seed, s]).spawn(reps)
        month = pl.concat(
            [
                one_month(scenario, design, np.random.default_rng(c), seed + i)
                for i, c in enumerate(children)
            ]
        )
        n = month.height
        truly = int(month[TRULY_BELOW].sum())
        for rule in ("ours", "naive"):
            flagged = month[rule]
            false = int((flagged & ~month[TRULY_BELOW]).sum())
            hits = int((flagged & month[TRULY_BELOW]).sum())
            flag_rows.append(
                {
                    "scenario": scenario,
                    "rule": "below flag" if rule == "ours" else "last-ranked",
                    "unit_months": n,
                    "flags": int(flagged.sum()),
                    "false_alarms": false,
                    "false_alarm_rate": false / n,
                    "false_share_of_flags": false / int(flagged.sum()) if flagged.sum() else 0.0,
                    "truly_below": truly,
                    "power": hits / truly if truly else None,
                }
            )
        cov = float(month["covered"].mean())  # type: ignore[arg-type]
        cover_rows.append(
            {
                "scenario": scenario,
                "unit_months": n,
                "coverage": cov,
                "mc_se": math.sqrt(cov * (1 - cov) / n),
            }
        )
    return pl.DataFrame(flag_rows), pl.DataFrame(cover_rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Monte Carlo study of the `below` flag and the 95% intervals. "
        "Example: uv run python -m studies.flag_study --reps 1000"
    )
    parser.add_argument("--reps", type=int, default=1000, help="simulated months per scenario")
    parser.add_argument("--seed", type=int, default=20251)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    flags, cover = run_study(args.reps, args.seed)
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=200,
        float_precision=4,
        tbl_hide_dataframe_shape=True,
    ):
        print(
            f"Flag study: {args.reps} months per scenario, 3 peer groups x {Design().units} units"
        )
        print(flags)
        print(
            "Coverage of the 95% intervals (true rate = finite-population share of the month's cases):"
        )
        print(cover)
    ours = flags.filter(pl.col("rule") == "below flag")
    print(
        f"targets: below false-alarm rate <= 1%: {'met' if (ours['false_alarm_rate'] <= 0.01).all() else 'NOT met'}; "
        f"coverage 95% +/- 2%: {'met' if ((cover['coverage'] - 0.95).abs() <= 0.02).all() else 'NOT met'} "
        f"({time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    main()
