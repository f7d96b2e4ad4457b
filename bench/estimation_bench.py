"""The month's estimation as production runs it: a fresh process, string keys from DuckDB.

    uv run python -m bench.estimation_bench [--rows N] [--units U] [--repeat K] [--keep DIR]

Writes one month of respondents (default 30,000,000 rows, 500 units, 30 days ×
50 categories = 1,500 strata of very unequal size, weights N_h/n_h times a
nonresponse factor per stratum) into a DuckDB file, with the types the
warehouse hands over: ``stratum`` and ``unit_id`` VARCHAR, ``stratum_population``
INTEGER, ``final_weight`` DOUBLE, ``satisfied`` BOOLEAN.

Then, ``--repeat`` times, alternating, each in a freshly spawned process (the
first call of a process is the only call production makes):

* **ours**: fetch the five columns (``.pl()``), :func:`sampling.estimation.domain_estimates`
  (rate, Taylor SE, Korn–Graubard interval per unit), store the 500 rows;
* **DuckDB one pass**: one query computing the same rate and Taylor SE per unit
  inside DuckDB (one scan of the rows; the rest on the stratum × unit cells),
  stored;
* **polars one pass**: the same fetch, one polars ``group_by`` to the cells,
  numpy on the cells, stored.

Prints first, best and median of each, where our time goes (fetch, estimate,
store) and the ratios to both references. Target: ours ≤ 2 s and ≤ 1.5× the
one-pass reference. Checks that the references' rates and SEs equal ours.

If ``Rscript`` with the ``survey`` package is installed (``--r-rows``, default
1,000,000 rows), R's ``svydesign`` + ``svyby(svymean)`` is timed on a random
subset and the per-row speed ratio printed (target ≥ 300×).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench.common import Stopwatch, in_child, load, spread, verdict
from minyi.columns import (
    FINAL_WEIGHT,
    SATISFACTION_RATE,
    SATISFIED,
    SE,
    STRATUM,
    STRATUM_POPULATION,
    UNIT_ID,
)

DAYS, CATEGORIES = 30, 50
COLUMNS = f"{STRATUM}, {STRATUM_POPULATION}, {FINAL_WEIGHT}, {SATISFIED}, {UNIT_ID}"

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


def make_month(rows: int, units: int, seed: int = 2026) -> pl.DataFrame:
    """A synthetic month of respondents with the columns and types the warehouse delivers."""
    rng = np.random.default_rng(seed)
    strata = DAYS * CATEGORIES
    share = rng.lognormal(0.0, 1.0, strata)
    n_h = np.maximum(1, np.floor(share / share.sum() * rows)).astype(np.int64)
    n_h[0] += rows - n_h.sum()  # exactly `rows`
    big_n = np.ceil(n_h * rng.uniform(1.5, 20.0, strata))
    big_n[:3] = n_h[:3]  # a few censuses (f_h = 0)
    s_code = np.repeat(np.arange(strata, dtype=np.uint32), n_h)
    rng.shuffle(s_code)  # rows arrive in no particular order
    unit_p = np.minimum(rng.zipf(1.6, units).astype(np.float64), 50.0)
    unit_p /= unit_p.sum()
    u_code = rng.choice(units, size=rows, p=unit_p).astype(np.uint32)
    p_unit = 1 / (1 + np.exp(-rng.normal(2.0, 0.5, units)))
    y = rng.random(rows) < p_unit[u_code]
    weight = (big_n / n_h * rng.uniform(1.0, 1.6, strata))[s_code]
    strata_names = pl.Series([f"2026-06-{d + 1:02d}|c{c:02d}" for d in range(DAYS) for c in range(CATEGORIES)])
    unit_names = pl.Series([f"U{u:04d}" for u in range(units)])
    return pl.DataFrame(
        [
            strata_names.gather(pl.Series(s_code)).alias(STRATUM),
            pl.Series(STRATUM_POPULATION, big_n[s_code]).cast(pl.Int32),
            pl.Series(FINAL_WEIGHT, weight),
            pl.Series(SATISFIED, y),
            unit_names.gather(pl.Series(u_code)).alias(UNIT_ID),
        ]
    )


def build(path: Path, rows: int, units: int) -> dict[str, Any]:
    import duckdb

    stamp = f"{rows}/{units}"
    if path.exists():
        con = duckdb.connect(str(path))
        try:
            if con.sql("SELECT value FROM bench").fetchall() == [(stamp,)]:
                return {"reused": True}
        except duckdb.Error:
            pass
        finally:
            con.close()
        path.unlink()
    started = time.perf_counter()
    month = make_month(rows, units)
    con = duckdb.connect(str(path))
    con.register("month", month.to_arrow())
    con.execute(f"CREATE TABLE responses AS SELECT {COLUMNS} FROM month")
    con.execute("CREATE TABLE bench AS SELECT ? AS value", [stamp])
    con.close()
    return {"reused": False, "seconds": time.perf_counter() - started}


# --- the three runs, each in a fresh process ---------------------------------------------

REFERENCE = f"""
WITH cells AS (
    SELECT {STRATUM} AS h, {UNIT_ID} AS d, count(*) AS n,
           any_value({STRATUM_POPULATION}) AS big_n,
           sum(CASE WHEN {SATISFIED} THEN {FINAL_WEIGHT} ELSE 0 END) AS wp,
           sum(CASE WHEN {SATISFIED} THEN 0 ELSE {FINAL_WEIGHT} END) AS wn,
           sum(CASE WHEN {SATISFIED} THEN {FINAL_WEIGHT} * {FINAL_WEIGHT} ELSE 0 END) AS qp,
           sum(CASE WHEN {SATISFIED} THEN 0 ELSE {FINAL_WEIGHT} * {FINAL_WEIGHT} END) AS qn
    FROM responses GROUP BY ALL),
strata AS (SELECT h, sum(n) AS nh, any_value(big_n) AS big_n FROM cells GROUP BY h),
domains AS (SELECT d, sum(wp) / sum(wp + wn) AS p, sum(wp + wn) AS w, sum(n) AS n FROM cells GROUP BY d),
z AS (
    SELECT c.d, s.nh, (s.big_n - s.nh) / s.big_n AS f,
           ((1 - m.p) * c.wp - m.p * c.wn) / m.w AS s1,
           ((1 - m.p) ^ 2 * c.qp + m.p ^ 2 * c.qn) / m.w ^ 2 AS s2
    FROM cells c JOIN strata s USING (h) JOIN domains m USING (d))
SELECT d AS {UNIT_ID}, any_value(m.n) AS responded, any_value(m.p) AS {SATISFACTION_RATE},
       sqrt(sum(CASE WHEN f < 1e-7 THEN 0
                     WHEN nh <= 1 THEN f * s2
                     ELSE f * greatest(s2 - s1 ^ 2 / nh, 0) * nh / (nh - 1) END)) AS {SE}
FROM z JOIN domains m USING (d) GROUP BY d ORDER BY d
"""


def _store(con: Any, frame: pl.DataFrame) -> None:
    con.register("_est", frame.to_arrow())
    con.execute("CREATE OR REPLACE TEMP TABLE estimates AS SELECT * FROM _est")
    con.unregister("_est")


def run_ours(path: Path) -> dict[str, Any]:
    import duckdb

    from sampling.estimation import domain_estimates

    watch = Stopwatch()
    con = duckdb.connect(str(path), read_only=True)
    with watch("total"):
        with watch("fetch"):
            frame = con.sql(f"SELECT {COLUMNS} FROM responses").pl()
        with watch("estimate"):
            est = domain_estimates(frame)
        with watch("store"):
            _store(con, est)
    con.close()
    return {"laps": watch.laps, "est": est.select(UNIT_ID, SATISFACTION_RATE, SE)}


def run_duckdb(path: Path) -> dict[str, Any]:
    import duckdb

    watch = Stopwatch()
    con = duckdb.connect(str(path), read_only=True)
    with watch("total"):
        est = con.sql(REFERENCE).pl()
        _store(con, est)
    con.close()
    return {"laps": watch.laps, "est": est.select(UNIT_ID, SATISFACTION_RATE, SE)}


def run_polars(path: Path) -> dict[str, Any]:
    import duckdb

    watch = Stopwatch()
    con = duckdb.connect(str(path), read_only=True)
    with watch("total"):
        with watch("fetch"):
            frame = con.sql(f"SELECT {COLUMNS} FROM responses").pl()
        with watch("estimate"):
            w, y = pl.col(FINAL_WEIGHT), pl.col(SATISFIED)
            cells = frame.group_by(STRATUM, UNIT_ID).agg(
                n=pl.len(),
                big_n=pl.col(STRATUM_POPULATION).first(),
                wp=(w * y).sum(),
                wn=(w * ~y).sum(),
                qp=(w * w * y).sum(),
                qn=(w * w * ~y).sum(),
            )
            strata = cells.group_by(STRATUM).agg(nh=pl.col("n").sum(), big=pl.col("big_n").first())
            dom = cells.group_by(UNIT_ID).agg(
                p=pl.col("wp").sum() / (pl.col("wp") + pl.col("wn")).sum(),
                W=(pl.col("wp") + pl.col("wn")).sum(),
                responded=pl.col("n").sum(),
            )
            z = cells.join(strata, on=STRATUM).join(dom, on=UNIT_ID)
            f = (pl.col("big") - pl.col("nh")) / pl.col("big")
            s1 = ((1 - pl.col("p")) * pl.col("wp") - pl.col("p") * pl.col("wn")) / pl.col("W")
            s2 = ((1 - pl.col("p")) ** 2 * pl.col("qp") + pl.col("p") ** 2 * pl.col("qn")) / pl.col("W") ** 2
            nh = pl.col("nh")
            contrib = (
                pl.when(f < 1e-7).then(0.0)
                .when(nh <= 1).then(f * s2)
                .otherwise(f * pl.max_horizontal(s2 - s1**2 / nh, 0.0) * nh / (nh - 1))
            )
            est = (
                z.group_by(UNIT_ID)
                .agg(pl.col("p").first().alias(SATISFACTION_RATE), contrib.sum().sqrt().alias(SE))
                .sort(UNIT_ID)
            )
        with watch("store"):
            _store(con, est)
    con.close()
    return {"laps": watch.laps, "est": est.select(UNIT_ID, SATISFACTION_RATE, SE)}


def _agree(ours: pl.DataFrame, other: pl.DataFrame) -> str:
    both = ours.join(other, on=UNIT_ID, suffix="_r")
    rate = float((both[SATISFACTION_RATE] - both[f"{SATISFACTION_RATE}_r"]).abs().max())  # type: ignore[arg-type]
    se = float(((both[SE] - both[f"{SE}_r"]).abs() / both[SE].clip(lower_bound=1e-12)).max())  # type: ignore[arg-type]
    return f"{both.height}/{ours.height} units, max |rate diff| {rate:.1e}, max SE rel. diff {se:.1e}"


# --- R, on a subset -----------------------------------------------------------------------


def _run_r(frame: pl.DataFrame) -> tuple[float, pl.DataFrame] | str:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found: R comparison skipped"
    with tempfile.TemporaryDirectory() as tmp:
        data, out, script = Path(tmp, "d.csv"), Path(tmp, "est.csv"), Path(tmp, "b.R")
        frame.with_columns(pl.col(SATISFIED).cast(pl.Int32)).select(
            STRATUM, STRATUM_POPULATION, FINAL_WEIGHT, SATISFIED, UNIT_ID
        ).write_csv(data)
        script.write_text(_R_SCRIPT, encoding="utf-8")
        done = subprocess.run(
            [rscript, str(script), str(data), str(out)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            return f"R failed (is the survey package installed?): {done.stderr.strip()[-300:]}"
        return float(done.stdout.strip().splitlines()[-1]), pl.read_csv(out)


def _compare_r(path: Path, rows: int, ours_per_row: float) -> None:
    import duckdb

    from sampling.estimation import domain_estimates

    con = duckdb.connect(str(path), read_only=True)
    subset = con.sql(f"SELECT {COLUMNS} FROM responses USING SAMPLE {rows} ROWS (reservoir, 1)").pl()
    con.close()
    r = _run_r(subset)
    if isinstance(r, str):
        print(r)
        return
    r_seconds, r_est = r
    started = time.perf_counter()
    est = domain_estimates(subset)
    ours = time.perf_counter() - started
    print(
        f"R survey on {subset.height:,} rows: {r_seconds:.1f} s, ours {ours:.3f} s "
        f"({_agree(est.select(UNIT_ID, SATISFACTION_RATE, SE), r_est.rename({'rate': SATISFACTION_RATE, 'se': SE}))})"
    )
    ratio = (r_seconds / subset.height) / ours_per_row
    print(f"per-row speed vs R: {ratio:,.0f}x (target >= 300x: {'met' if ratio >= 300 else 'NOT met'})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=30_000_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--r-rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the month's file in this folder")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="minyi-estimation-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "month.duckdb"
    built = in_child(build, path, args.rows, args.units)
    made = "reused" if built["reused"] else f"written in {built['seconds']:.0f} s"
    print(f"month: {args.rows:,} respondents, {args.units} units, {DAYS * CATEGORIES} strata ({made})")
    runs: dict[str, list[dict[str, Any]]] = {"ours": [], "duckdb": [], "polars": []}
    for k in range(args.repeat):
        for name, func in (("duckdb", run_duckdb), ("polars", run_polars), ("ours", run_ours)):
            runs[name].append(in_child(func, path))
        print(
            f"  round {k + 1}: ours {runs['ours'][-1]['laps']['total']:.2f} s, DuckDB one pass "
            f"{runs['duckdb'][-1]['laps']['total']:.2f} s, polars one pass "
            f"{runs['polars'][-1]['laps']['total']:.2f} s  [{load()}]",
            flush=True,
        )

    def totals(name: str, lap: str = "total") -> list[float]:
        return [r["laps"][lap] for r in runs[name]]

    ours = runs["ours"][0]["est"]
    print()
    peak = max(r["load"] for rs in runs.values() for r in rs)
    print(f"each run a fresh process, {args.repeat} rounds; max load in the runs {peak:.1f} [{load()}]")
    print(f"ours            {spread(totals('ours'))}")
    for lap in ("fetch", "estimate", "store"):
        print(f"  {lap:<13} {spread(totals('ours', lap))}")
    print(f"DuckDB one pass {spread(totals('duckdb'))}   ({_agree(ours, runs['duckdb'][0]['est'])})")
    print(f"polars one pass {spread(totals('polars'))}   ({_agree(ours, runs['polars'][0]['est'])})")
    for lap in ("fetch", "estimate"):
        print(f"  {lap:<13} {spread(totals('polars', lap))}")
    median = statistics.median(totals("ours"))
    best_ref = min(statistics.median(totals("duckdb")), statistics.median(totals("polars")))
    print(
        f"ours median {median:.2f} s (target <= 2 s: {verdict(median, 2)}); first call "
        f"{totals('ours')[0]:.2f} s; / DuckDB one pass {median / statistics.median(totals('duckdb')):.2f}x, "
        f"/ polars one pass {median / statistics.median(totals('polars')):.2f}x "
        f"(target <= 1.5x the faster: {verdict(median / best_ref, 1.5)})"
    )
    _compare_r(path, args.r_rows, median / args.rows)
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
