"""Does the judgement find the units that are really worse, and only those?

A Monte Carlo study of :func:`sampling.judgement.judge` on a production-like
design (METHODS.md "Judging performance", targets at the end).  Each
replicate is a year (``months``) of one synthetic district whose truth is
known:

* **District.** 3 peer groups (base rates 0.80, 0.88, 0.93) of 6–16 units
  each (drawn per replicate); 12 case categories with the demo's very unequal
  volumes (24% … 1.5% of 1,500 cases per working day, 22 working days a
  month).  Each unit handles 2–5 categories, and each category is shared by
  the units that handle it (in proportion to their volume, lognormal).
* **Strata and sample** exactly as in production: stratum = day × category,
  shared by the units; :func:`sampling.allocation.allocate` with the equal
  rule, total 300 a day, minimum 2 — it binds: the smallest categories are
  taken whole while the largest are sampled at about 7%; simple random
  sampling without replacement within strata (the distribution of the PRN
  selection of :func:`sampling.selection.draw`).
* **Contact**: SMS → voice → evaluator's call; uptake varies by unit (SMS
  logit sd 0.5 around 35%, voice sd 0.4 around 34%, manual sd 0.3 around
  58%; the evaluators' capacity of 320 calls a day is never reached by the
  ~130 cases left).  5% of the sample get a randomly chosen first channel
  (the channel experiment), the rest of their sequence in the usual order.
* **Answers**: satisfied ~ Bernoulli(expit(α_g + a_u + b_h + g_c)): unit
  effect a_u ~ N(0, ``spread``²) (0.35 logit: peers within about ±6 points),
  category effect b_h ~ N(0, 0.4²), channel (mode) effect g_c = 0, +0.35,
  +0.55 for SMS, voice, manual (the demo's +4 and +6 points).  Nonresponse is
  at random given unit and channel.
* **Weights and estimates**: the real pipeline —
  :func:`sampling.weights.nonresponse_adjust` (class = category, per month),
  :func:`sampling.adjustment.channel_effects` on the randomised respondents
  of all months so far, :func:`sampling.adjustment.judgement_inputs` and
  :func:`sampling.judgement.judge` over a window of 1 month (monthly
  evidence), 3 months (the 末位 window) and the whole year (十佳).

**Truth.**  A unit's true (adjusted) rate is its process rate with the
district's category mix and channel mix: Σ_h W_h Σ_c S_c expit(α_g + a_u +
b_h + g_c), W_h the categories' share of cases and S_c the expected share of
(weighted) answers by channel — what the adjusted rate estimates.  The peer
mean of a unit is the mean true rate of the *other* reportable units of its
group in that window (the judgement's own definition).  "Truly below" =
true rate < peer mean − δ; a `below` flag on any other unit is false.

Scenarios:

* ``null`` — no real differences (a_u = 0): units differ only by case mix,
  channel mix, uptake and size.  Every `below` is false.
* ``spread`` — real differences, a_u ~ N(0, 0.35²).
* ``shortfall`` — as ``spread``, and in each peer group one unit is planted
  ``s`` points under the mean of its peers (s cycles over 5, 10, 15, 25 and
  30 points): power by shortfall.

Reported per scenario: false `below` per unit-month (flagged, not truly more
than δ under), and the stricter-to-pass "false against a unit at or above its
peer mean"; power by planted shortfall; 95% interval coverage of the true rate
by band of respondents in the window; 十佳 (year window) precision: share of
honoured units truly in their group's top k, against the naive "top k raw
rates"; 末位 (3-month windows): marks, share truly last and truly below,
against the naive "last raw rate".

Run: ``nice uv run python -m studies.flag_study`` (full, about 15 minutes) or
``--quick`` (seconds; used by the tests).  The last full run's tables and how
they stand against the targets (two readings of the power targets: see
:func:`studies.flag_tables.targets`) are in ``studies/README.md``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import optimize, special

from minyi.columns import (
    ASSIGNED_CHANNEL,
    CASE_ID,
    CATEGORY,
    CHANNEL,
    CI_HIGH,
    CI_LOW,
    DESIGN_WEIGHT,
    ESTIMATE,
    FINAL_WEIGHT,
    MONTH,
    PEER_GROUP,
    REPORTABLE,
    RESPONDED,
    SATISFIED,
    STRATUM,
    STRATUM_POPULATION,
    STRATUM_SAMPLE,
    TOP_K,
    UNADJUSTED_RATE,
    UNIT_ID,
    WEIGHT_CLASS,
)
from sampling.adjustment import judgement_inputs
from sampling.allocation import allocate
from sampling.channel_mix import channel_effects
from sampling.judgement import judge
from sampling.weights import nonresponse_adjust
from studies.flag_tables import PLANTED, TRUE, summarise, targets

SCENARIOS = ("null", "spread", "shortfall")
CHANNELS = ("sms", "voice", "manual")
CATEGORY_SHARES = (0.24, 0.17, 0.12, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.035, 0.02, 0.015)
RANDOMISED = "randomised"


@dataclass(frozen=True)
class Design:
    groups: tuple[tuple[str, float], ...] = (
        ("agency", 0.80),
        ("department", 0.88),
        ("window", 0.93),
    )
    group_sizes: tuple[int, int] = (6, 16)
    months: int = 12
    days: int = 22
    cases_per_day: int = 1500
    daily_total: int = 300
    minimum: int = 2
    spread: float = 0.35
    category_sd: float = 0.4
    mode_effects: tuple[float, float, float] = (0.0, 0.35, 0.55)  # sms, voice, manual
    uptake: tuple[float, float, float] = (0.35, 0.34, 0.58)
    uptake_sd: tuple[float, float, float] = (0.5, 0.4, 0.3)
    randomised_share: float = 0.05
    shortfalls: tuple[float, ...] = (0.05, 0.10, 0.15, 0.25, 0.30)
    delta: float = 0.05
    draws: int = 2000
    windows: tuple[int, ...] = (1, 3)  # rolling evidence windows (months); plus the year
    judge_options: dict[str, object] = field(default_factory=dict)


@dataclass
class District:
    group: np.ndarray  # (U,) group index
    unit_ids: list[str]
    base: np.ndarray  # (U,) α_g + a_u
    cat_effect: np.ndarray  # (H,)
    lam: np.ndarray  # (U, H) expected daily cases
    uptake: np.ndarray  # (U, 3) answer probability per contact
    true: np.ndarray  # (U,) true adjusted rate
    planted: np.ndarray  # (U,) planted shortfall or nan


# --quick: a smaller district-month (10 days of 700 cases, 150 sampled a day), 3 months
QUICK = Design(months=3, days=10, cases_per_day=700, daily_total=150, draws=400)
QUICK_REPS = 2


def _mode(design: Design) -> np.ndarray:
    return np.asarray(design.mode_effects)


def _answer_shares(uptake: np.ndarray) -> np.ndarray:
    """(U, 3) P(answer on c | answered) under SMS → voice → manual."""
    s, v, m = uptake[:, 0], uptake[:, 1], uptake[:, 2]
    p = np.column_stack([s, (1 - s) * v, (1 - s) * (1 - v) * m])
    return p / p.sum(axis=1, keepdims=True)


def _true_rates(
    base: np.ndarray, cat: np.ndarray, w_h: np.ndarray, s_c: np.ndarray, mode: np.ndarray
) -> np.ndarray:
    eta = base[:, None, None] + cat[None, :, None] + mode[None, None, :]
    return np.asarray(
        (special.expit(eta) * w_h[None, :, None] * s_c[None, None, :]).sum(axis=(1, 2))
    )


def build_district(scenario: str, design: Design, rng: np.random.Generator, rep: int) -> District:
    sizes = rng.integers(design.group_sizes[0], design.group_sizes[1] + 1, len(design.groups))
    group = np.repeat(np.arange(len(design.groups)), sizes)
    n_units, n_cat = group.size, len(CATEGORY_SHARES)
    unit_ids = [f"{design.groups[g][0][0].upper()}{i:02d}" for i, g in enumerate(group)]
    alpha = special.logit(np.array([p for _, p in design.groups]))[group]
    spread = 0.0 if scenario == "null" else design.spread
    a = rng.normal(0.0, spread, n_units) if spread else np.zeros(n_units)
    cat = rng.normal(0.0, design.category_sd, n_cat)
    volume = rng.lognormal(0.0, 0.8, n_units)
    handles = np.zeros((n_units, n_cat), dtype=bool)
    for u in range(n_units):
        handles[u, rng.choice(n_cat, size=int(rng.integers(2, 6)), replace=False)] = True
    for h in np.flatnonzero(~handles.any(axis=0)):
        handles[rng.integers(n_units), h] = True
    affinity = handles * volume[:, None] * rng.uniform(0.5, 1.5, (n_units, n_cat))
    w_h = np.asarray(CATEGORY_SHARES) / sum(CATEGORY_SHARES)
    lam = affinity / affinity.sum(axis=0, keepdims=True) * (design.cases_per_day * w_h)[None, :]
    uptake = special.expit(
        special.logit(np.asarray(design.uptake))[None, :]
        + rng.normal(0.0, 1.0, (n_units, 3)) * np.asarray(design.uptake_sd)[None, :]
    )
    # S_c: the weighted answers' channel mix (each unit's answers by its case volume)
    share = _answer_shares(uptake)
    s_c = (share * lam.sum(axis=1)[:, None]).sum(axis=0) / lam.sum()
    mode = _mode(design)
    base = alpha + a
    planted = np.full(n_units, np.nan)
    if scenario == "shortfall":
        for g in range(len(design.groups)):
            members = np.flatnonzero(group == g)
            u = int(rng.choice(members))
            s = design.shortfalls[(rep * len(design.groups) + g) % len(design.shortfalls)]
            others = members[members != u]
            target = float(_true_rates(base[others], cat, w_h, s_c, mode).mean()) - s

            def gap(b: float, target: float = target) -> float:
                return float(_true_rates(np.array([b]), cat, w_h, s_c, mode)[0]) - target

            base[u] = optimize.brentq(gap, -10.0, 10.0, xtol=1e-12)
            planted[u] = s
    true = _true_rates(base, cat, w_h, s_c, mode)
    return District(group, unit_ids, base, cat, lam, uptake, true, planted)


def simulate_month(
    district: District, design: Design, month: int, rng: np.random.Generator
) -> pl.DataFrame:
    """One month's respondents (the respondents frame of sampling.adjustment, plus experiment columns)."""
    n_units, n_cat = district.lam.shape
    days = design.days
    counts = rng.poisson(np.broadcast_to(district.lam, (days, n_units, n_cat)))  # (D, U, H)
    d_idx, u_idx, h_idx = np.nonzero(counts)
    reps = counts[d_idx, u_idx, h_idx]
    day = np.repeat(d_idx, reps)
    unit = np.repeat(u_idx, reps)
    cat = np.repeat(h_idx, reps)
    stratum = day * n_cat + cat
    pop = np.bincount(stratum, minlength=days * n_cat)
    take = np.zeros(days * n_cat, dtype=np.int64)
    for d in range(days):
        strata = pl.DataFrame(
            {
                STRATUM: [f"{h:02d}" for h in range(n_cat)],
                STRATUM_POPULATION: pl.Series(pop[d * n_cat : (d + 1) * n_cat], dtype=pl.Int64),
            }
        )
        alloc = allocate(strata, design.daily_total, design.minimum, "equal")
        take[d * n_cat : (d + 1) * n_cat] = alloc[STRATUM_SAMPLE].to_numpy()
    u = rng.random(stratum.size)
    order = np.lexsort((u, stratum))
    first = np.searchsorted(stratum[order], np.arange(days * n_cat))
    rank = np.empty(stratum.size, dtype=np.int64)
    rank[order] = np.arange(stratum.size) - first[stratum[order]]
    chosen = rank < take[stratum]
    day, unit, cat, stratum = day[chosen], unit[chosen], cat[chosen], stratum[chosen]
    n = unit.size
    weight = pop[stratum] / take[stratum]
    randomised = rng.random(n) < design.randomised_share
    first_channel = np.where(randomised, rng.integers(0, 3, n), 0)
    sequence = np.array([[0, 1, 2], [1, 0, 2], [2, 0, 1]])[first_channel]
    answered = np.full(n, -1)
    for step in range(3):
        c = sequence[:, step]
        hit = (answered < 0) & (rng.random(n) < district.uptake[unit, c])
        answered[hit] = c[hit]
    responded = answered >= 0
    eta = district.base[unit] + district.cat_effect[cat] + _mode(design)[np.maximum(answered, 0)]
    satisfied = rng.random(n) < special.expit(eta)
    names = np.array(CHANNELS)
    sampled = pl.DataFrame(
        {
            CASE_ID: np.arange(n),
            UNIT_ID: np.array(district.unit_ids)[unit],
            CATEGORY: pl.Series([f"c{h:02d}" for h in cat]),
            STRATUM: pl.Series(
                [f"{month:02d}-{d:02d}|c{h:02d}" for d, h in zip(day, cat, strict=True)]
            ),
            DESIGN_WEIGHT: weight.astype(np.float64),
            RESPONDED: responded,
            SATISFIED: satisfied & responded,
            CHANNEL: names[np.maximum(answered, 0)],
            ASSIGNED_CHANNEL: names[first_channel],
            RANDOMISED: randomised,
        }
    ).with_columns(pl.col(CATEGORY).alias(WEIGHT_CLASS), pl.lit(f"2025-{month:02d}").alias(MONTH))
    weighted = nonresponse_adjust(sampled, WEIGHT_CLASS)
    return weighted.filter(pl.col(RESPONDED) & pl.col(FINAL_WEIGHT).is_not_null()).drop(
        CASE_ID, DESIGN_WEIGHT, RESPONDED, WEIGHT_CLASS
    )


def _evaluate(
    verdict: pl.DataFrame, district: District, design: Design, window: str
) -> pl.DataFrame:
    truth = pl.DataFrame(
        {UNIT_ID: district.unit_ids, TRUE: district.true, PLANTED: district.planted},
        schema={UNIT_ID: pl.String, TRUE: pl.Float64, PLANTED: pl.Float64},
    ).with_columns(pl.col(PLANTED).fill_nan(None))
    out = verdict.join(truth, on=UNIT_ID)
    rep = pl.col(REPORTABLE)
    t_rep = pl.when(rep).then(pl.col(TRUE))
    m = rep.sum().over(PEER_GROUP)
    peer = (t_rep.sum().over(PEER_GROUP) - pl.col(TRUE)) / (m - 1)
    true_rank = pl.when(rep).then(pl.col(TRUE)).rank("ordinal", descending=True).over(PEER_GROUP)
    raw_rank = (
        pl.when(rep).then(pl.col(UNADJUSTED_RATE)).rank("ordinal", descending=True).over(PEER_GROUP)
    )
    return out.with_columns(
        pl.lit(window).alias("window"),
        (peer - pl.col(TRUE)).alias("shortfall"),
        (pl.col(TRUE) < peer - design.delta).alias("truly_below"),
        (pl.col(TRUE) >= peer).alias("at_or_above"),
        ((pl.col(CI_LOW) <= pl.col(TRUE)) & (pl.col(TRUE) <= pl.col(CI_HIGH))).alias("covered"),
        (true_rank <= pl.col(TOP_K)).alias("truly_top"),
        (true_rank == m).alias("truly_last"),
        (raw_rank <= pl.col(TOP_K)).alias("raw_top"),
        (raw_rank == m).alias("raw_last"),
        (pl.col(ESTIMATE) - pl.col(TRUE)).alias("error"),
    ).filter(pl.col(PEER_GROUP).is_not_null())


def one_year(
    scenario: str, design: Design, rng: np.random.Generator, rep: int, seed: int
) -> pl.DataFrame:
    """Every judgement of one replicate year, evaluated against the truth."""
    district = build_district(scenario, design, rng, rep)
    units = pl.DataFrame(
        {UNIT_ID: district.unit_ids, PEER_GROUP: [design.groups[g][0] for g in district.group]}
    )
    months = [simulate_month(district, design, t + 1, rng) for t in range(design.months)]
    options = {"seed": seed, "delta": design.delta, "draws": design.draws, **design.judge_options}
    rows = []

    def run(first: int, last: int, window: str) -> None:
        resp = pl.concat(months[first : last + 1])
        effects = channel_effects(pl.concat(months[: last + 1]).filter(pl.col(RANDOMISED)))
        verdict = judge(judgement_inputs(resp, effects), units, **options)  # type: ignore[arg-type]
        rows.append(
            _evaluate(verdict, district, design, window).with_columns(pl.lit(last + 1).alias(MONTH))
        )

    for w in design.windows:
        for last in range(w - 1, design.months, w):
            run(last - w + 1, last, f"{w}m")
    run(0, design.months - 1, "year")
    return pl.concat(rows, how="diagonal_relaxed").with_columns(pl.lit(rep).alias("rep"))


def run_study(
    reps: int,
    seed: int = 20251,
    design: Design | None = None,
    scenarios: tuple[str, ...] = SCENARIOS,
) -> pl.DataFrame:
    """Evaluated judgements of ``reps`` replicate years per scenario."""
    design = design or Design()
    parts = []
    for s, scenario in enumerate(scenarios):
        children = np.random.SeedSequence([seed, s]).spawn(reps)
        for i, child in enumerate(children):
            year = one_year(scenario, design, np.random.default_rng(child), i, seed + i)
            parts.append(year.with_columns(pl.lit(scenario).alias("scenario")))
    return pl.concat(parts, how="diagonal_relaxed")


def main(argv: list[str] | None = None) -> dict[str, pl.DataFrame]:
    parser = argparse.ArgumentParser(
        description="Monte Carlo study of the judgement (below/above, 十佳, 末位, intervals). "
        "Example: nice uv run python -m studies.flag_study --reps 40"
    )
    parser.add_argument(
        "--reps", type=int, default=None, help="replicate years per scenario (default 40; quick 2)"
    )
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument(
        "--quick", action="store_true", help="a small run (seconds): 2 replicates of 3 short months"
    )
    parser.add_argument(
        "--save", default=None, help="also write the evaluated judgements (Parquet)"
    )
    args = parser.parse_args(argv)
    design, reps = (QUICK, QUICK_REPS) if args.quick else (Design(), 40)
    reps = args.reps or reps
    start = time.perf_counter()
    results = run_study(reps, args.seed, design)
    if args.save:
        results.write_parquet(args.save)
    tables = summarise(results, design.delta)
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=220,
        float_precision=4,
        tbl_hide_dataframe_shape=True,
    ):
        print(
            f"Judgement study: {reps} replicate years x {design.months} months per scenario "
            f"(3 peer groups of {design.group_sizes[0]}-{design.group_sizes[1]} units)"
        )
        for name, table in tables.items():
            print(f"\n[{name}]")
            print(table)
    print()
    for label, figure, met in targets(tables):
        print(f"target: {label}: {figure} -> {'met' if met else 'NOT met'}")
    print(f"({time.perf_counter() - start:.0f} s)")
    return tables


if __name__ == "__main__":
    main()
