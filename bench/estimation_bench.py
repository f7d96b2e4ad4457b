"""How fast the month's estimation is at scale, against R's ``survey`` package.

    uv run python -m bench.estimation_bench [--rows N] [--units U] [--r-rows M] [--repeat K]

Generates one month of respondents (default 30,000,000 rows, 500 units, 30 days ×
50 categories = 1,500 strata of very unequal size, weights N_h/n_h times a
nonresponse factor per stratum, Enum keys as the warehouse hands them over),
then times :func:`sampling.estimation.domain_estimates` (rate, Taylor SE,
Korn–Graubard interval per unit; best and median of ``--repeat`` runs).

If ``Rscript`` with the ``survey`` package is installed it also writes the first
a random ``--r-rows`` rows (default 1,000,000; every stratum keeps its N_h) to a CSV, times the reference
``svydesign`` + ``svyby(~satisfied, ~unit_id, des, svymean)`` inside R (reading
the CSV is not timed), times our function on the same subset, checks that rates
and SEs agree, and prints the per-row speed ratio
(R seconds per row) / (our seconds per row on the full month).
Targets: full month ≤ 2 s, ratio ≥ 300×. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from minyi.columns import (
    FINAL_WEIGHT,
    SATISFACTION_RATE,
    SATISFIED,
    SE,
    STRATUM,
    STRATUM_POPULATION,
    UNIT_ID,
)
from sampling.estimation import domain_estimates

DAYS, CATEGORIES = 30, 50

_R_SCRIPT = r"""
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], colClasses = c("character", "numeric", "numeric", "integer", "character"))
t <- system.time({
  des <- svydesign(ids = ~1, strata = ~stratum, weights = ~final_weight,
                   fpc = ~stratum_population, data = d)
  est <- svyby(~satisfied, ~unit_id, des, svymean)
})[["elapsed"]]
write.csv(data.frame(unit_id = est$unit_id, rate = est$satisfied, se = est$se),
          args[2], row.names = FALSE)
cat(sprintf("%.6f\n", t))
"""


def _enum(name: str, dtype: pl.Enum, codes: np.ndarray) -> pl.Series:
    return pl.Series(name, dtype.categories).cast(dtype).gather(pl.Series(codes))


def make_month(rows: int, units: int, seed: int = 2026) -> pl.DataFrame:
    """A synthetic month of respondents with the columns domain_estimates reads."""
    rng = np.random.default_rng(seed)
    strata = DAYS * CATEGORIES
    share = rng.lognormal(0.0, 1.0, strata)
    n_h = np.maximum(1, np.floor(share / share.sum() * rows)).astype(np.int64)
    n_h[0] += rows - n_h.sum()  # exactly `rows`
    big_n = np.ceil(n_h * rng.uniform(1.5, 20.0, strata))
    big_n[:3] = n_h[:3]  # a few censuses (f_h = 0)
    s_code = np.repeat(np.arange(strata, dtype=np.uint32), n_h)
    unit_p = rng.zipf(1.6, units).astype(np.float64)
    unit_p = np.minimum(unit_p, 50.0)
    unit_p /= unit_p.sum()
    u_code = rng.choice(units, size=rows, p=unit_p).astype(np.uint32)
    p_unit = 1 / (1 + np.exp(-rng.normal(2.0, 0.5, units)))
    y = rng.random(rows) < p_unit[u_code]
    weight = (big_n / n_h * rng.uniform(1.0, 1.6, strata))[s_code]
    strata_enum = pl.Enum(
        [f"2026-06-{d + 1:02d}|c{c:02d}" for d in range(DAYS) for c in range(CATEGORIES)]
    )
    unit_enum = pl.Enum([f"U{u:04d}" for u in range(units)])
    return pl.DataFrame(
        [
            _enum(STRATUM, strata_enum, s_code),
            pl.Series(STRATUM_POPULATION, big_n[s_code]),
            pl.Series(FINAL_WEIGHT, weight),
            pl.Series(SATISFIED, y),
            _enum(UNIT_ID, unit_enum, u_code),
        ]
    )


def _time(frame: pl.DataFrame, repeat: int) -> tuple[list[float], pl.DataFrame]:
    times, est = [], pl.DataFrame()
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        est = domain_estimates(frame)
        times.append(time.perf_counter() - start)
    return times, est


def _run_r(frame: pl.DataFrame) -> tuple[float, pl.DataFrame] | str:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found: R comparison skipped"
    with tempfile.TemporaryDirectory() as tmp:
        data, out, script = Path(tmp, "d.csv"), Path(tmp, "est.csv"), Path(tmp, "b.R")
        frame.with_columns(
            pl.col(STRATUM).cast(pl.String),
            pl.col(SATISFIED).cast(pl.Int32),
            pl.col(UNIT_ID).cast(pl.String),
        ).select(STRATUM, STRATUM_POPULATION, FINAL_WEIGHT, SATISFIED, UNIT_ID).write_csv(data)
        script.write_text(_R_SCRIPT, encoding="utf-8")
        done = subprocess.run(
            [rscript, str(script), str(data), str(out)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            return f"R failed (is the survey package installed?): {done.stderr.strip()[-300:]}"
        return float(done.stdout.strip().splitlines()[-1]), pl.read_csv(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Time domain_estimates on a month of respondents and compare with R survey. "
        "Example: uv run python -m bench.estimation_bench --rows 30000000"
    )
    parser.add_argument("--rows", type=int, default=30_000_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--r-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    month = make_month(args.rows, args.units)
    print(
        f"generated {month.height:,} rows, {args.units} units, {DAYS * CATEGORIES} strata "
        f"in {time.perf_counter() - start:.1f} s ({month.estimated_size('mb'):,.0f} MB)"
    )
    times, est = _time(month, args.repeat)
    best, median = min(times), statistics.median(times)
    print(
        f"domain_estimates, {month.height:,} rows: best {best:.2f} s, median {median:.2f} s "
        f"over {args.repeat} runs ({est.height} units; target <= 2 s: "
        f"{'met' if median <= 2 else 'NOT met'})"
    )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory of this process so far (generation + estimation): {peak:.1f} GiB")
    subset = month.sample(n=min(args.r_rows, month.height), seed=1)  # every stratum, N_h kept
    del month
    gc.collect()
    ours_sub, est_sub = _time(subset, args.repeat)
    print(f"domain_estimates, {subset.height:,}-row subset: best {min(ours_sub):.3f} s")
    r = _run_r(subset)
    if isinstance(r, str):
        print(r)
        return
    r_seconds, r_est = r
    ours = est_sub.with_columns(pl.col(UNIT_ID).cast(pl.String)).join(
        r_est.rename({"rate": "r_rate", "se": "r_se"}), on=UNIT_ID
    )
    rate_diff = (ours[SATISFACTION_RATE] - ours["r_rate"]).abs().max() or 0.0
    se_rel = (
        ours.filter(pl.col("r_se") > 1e-12)
        .select(((pl.col(SE) - pl.col("r_se")).abs() / pl.col("r_se")).max())
        .item()
    ) or 0.0
    print(
        f"R survey svydesign + svyby(svymean), {subset.height:,} rows: {r_seconds:.1f} s "
        f"({ours.height} of {est_sub.height} units matched; max |rate diff| {rate_diff:.1e}, "
        f"max SE rel. diff {se_rel:.1e})"
    )
    per_row_r = r_seconds / subset.height
    per_row_ours = median / args.rows
    ratio = per_row_r / per_row_ours
    print(
        f"per-row speed: R {per_row_r * 1e6:.2f} µs/row, ours {per_row_ours * 1e9:.1f} ns/row "
        f"(full month, median) -> {ratio:,.0f}x (target >= 300x: {'met' if ratio >= 300 else 'NOT met'}); "
        f"same 1M rows: {r_seconds / min(ours_sub):,.0f}x"
    )


if __name__ == "__main__":
    main()
