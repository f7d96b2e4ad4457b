"""How long one day's draw takes at scale, against a hand-written DuckDB query.

    uv run python -m bench.sampling_bench [--cases N] [--history M] [--keep DIR]

Builds a warehouse with the real schema (``warehouse.db.connect``) holding one day
of ``--cases`` completed cases (500 units, 50 categories of very unequal size) and a
contact history of ``--history`` earlier sampled cases (rows of ``samples`` joined to
``cases``, which is what the cooldown rule reads), then times

* the engine: ``warehouse.design.day_frame`` + ``sampling.selection.draw`` exactly as
  ``flows.steps.draw_day`` runs them (storing excluded), and
* a reference: one hand-written DuckDB query doing the same eligibility (anti-joins
  on opt-outs, do-not-contact and recent contacts; first case per number), equal
  allocation with a guaranteed total by a simple water-filling rule, and PRN order
  within each stratum (SHA-256 in SQL, the same u_i as ``sampling.random_state.prn``).

Each run happens in a fresh child process, so its wall time and peak RSS
(``ru_maxrss``) are its own. The two samples are compared stratum by stratum
(eligible N_h, n_h, selected cases and their PRNs). The engine's target is at most
2x the reference's time and a peak below 2 GB. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

DAY = date(2026, 6, 15)
HISTORY_DAYS = 400  # the contact history is spread evenly over the days before DAY
UNITS = 500
CATEGORIES = 50
EXCLUDED = ("cat07",)  # one "sensitive" category, so that reason is exercised
SKEW = 5  # category = floor(50 * u**SKEW): cat00 ~46% of cases, cat49 ~0.4%
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 2048.0


def _log(message: str, started: float) -> None:
    print(f"  [{time.perf_counter() - started:7.1f}s] {message}", flush=True)


# --- building the warehouse ---------------------------------------------------------

_CASE_ROWS = """
    INSERT INTO cases
    WITH g AS (
        SELECT i, CAST($day AS DATE) + CAST({day_offset} AS INTEGER) AS service_date,
               hash(i, 'status') % 100 AS status_roll,
               hash(i, 'phone') % $phones AS phone_idx
        FROM range($lo, $hi) r(i))
    SELECT 'GD' || strftime(service_date, '%Y%m%d') || lpad(CAST(i AS VARCHAR), 10, '0'),
           'U' || lpad(CAST(hash(i, 'unit') % {units} AS VARCHAR), 3, '0'),
           'cat' || lpad(CAST(CAST(floor({categories} * pow((hash(i, 'cat') % 1000000) / 1e6,
                                                          {skew})) AS INTEGER) AS VARCHAR), 2, '0'),
           CAST(service_date + to_seconds(CAST(hash(i, 'time') % 86400 AS BIGINT)) AS TIMESTAMPTZ),
           service_date,
           CASE WHEN status_roll >= 5 THEN '1' || CAST(3000000000 + phone_idx AS VARCHAR)
                WHEN status_roll >= 2 THEN '010-' || CAST(60000000 + phone_idx % 9000000 AS VARCHAR)
                ELSE 'n/a' END,
           CASE WHEN status_roll >= 5 THEN '+861' || CAST(3000000000 + phone_idx AS VARCHAR) END,
           CASE WHEN status_roll >= 5 THEN 'mobile' WHEN status_roll >= 2 THEN 'landline'
                ELSE 'invalid' END,
           NULL, NULL, 'hotline',
           CAST(hash(i, 'content') AS VARCHAR), 'bench.csv', current_timestamp
    FROM g
"""

_SAMPLE_ROWS = """
    INSERT INTO samples
    SELECT case_id, service_date, strftime(service_date, '%Y-%m-%d') || '|' || category,
           CAST(hash(case_id, 'prn') >> 11 AS DOUBLE) / 9007199254740992.0, 0.01, 100.0, 20250101
    FROM cases
    WHERE service_date >= CAST($day AS DATE) - $lo AND service_date < CAST($day AS DATE) - $hi
"""


def _sql(template: str) -> str:
    return template.replace("{units}", str(UNITS)).replace("{categories}", str(CATEGORIES)).replace(
        "{skew}", str(SKEW)
    )


def build(path: Path, cases: int, history: int) -> None:
    """Write the benchmark warehouse to ``path`` (reused when it already holds this size)."""
    import duckdb

    from warehouse.db import connect, scalar

    stamp = f"{cases}/{history}/{DAY.isoformat()}"
    if path.exists():
        try:
            with connect(path) as con:
                if scalar(con, "SELECT value FROM config WHERE key = 'bench'") == stamp:
                    print(f"reusing {path} ({stamp})", flush=True)
                    return
        except duckdb.Error:
            pass
        path.unlink()
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
    started = time.perf_counter()
    phones = max(10_000, (cases + history) // 2)
    print(f"building {path}: {cases:,} cases on {DAY}, {history:,} earlier contacts "
          f"over {HISTORY_DAYS} days, {phones:,} distinct numbers", flush=True)
    with connect(path) as con:
        con.execute(
            f"INSERT INTO units SELECT 'U' || lpad(CAST(i AS VARCHAR), 3, '0'), 'Unit ' || i, "
            f"'window', 'G' || (i % 5), NULL, current_timestamp FROM range({UNITS}) r(i)"
        )
        chunk = 5_000_000
        history_day = f"(i * {HISTORY_DAYS}) // $history - {HISTORY_DAYS}"
        for lo in range(0, history, chunk):
            hi = min(history, lo + chunk)
            con.execute(
                _sql(_CASE_ROWS).replace("{day_offset}", history_day),
                {"day": DAY, "phones": phones, "lo": lo, "hi": hi, "history": max(history, 1)},
            )
            _log(f"history: {hi:,} / {history:,} cases", started)
        step = 50
        for back in range(HISTORY_DAYS, 0, -step):
            con.execute(_SAMPLE_ROWS, {"day": DAY, "lo": back, "hi": back - step})
            _log(f"history: samples of days -{back}..-{back - step + 1}", started)
        con.execute(
            _sql(_CASE_ROWS).replace("{day_offset}", "0"),
            {"day": DAY, "phones": phones, "lo": history, "hi": history + cases},
        )
        _log(f"day: {cases:,} cases", started)
        for table, salt, share in (("opt_outs", "optout", 100), ("do_not_contact", "dnc", 400)):
            extra = "'sms', current_timestamp, NULL" if table == "opt_outs" else "'bench', current_timestamp"
            con.execute(
                f"INSERT INTO {table} SELECT DISTINCT ON (p) p, {extra} FROM ("
                f"SELECT '+861' || CAST(3000000000 + hash(i, '{salt}') % $phones AS VARCHAR) AS p "
                f"FROM range($phones // {share}) r(i))",
                {"phones": phones},
            )
        _log("opt-outs (1% of numbers) and do-not-contact (0.25%)", started)
        con.execute("INSERT INTO config VALUES ('bench', ?)", [stamp])
        con.execute("CHECKPOINT")
        _log("checkpoint", started)
    size = path.stat().st_size / 2**30
    print(f"built in {time.perf_counter() - started:.0f}s, {size:.1f} GiB", flush=True)


def _build_only(path: Path, cases: int, history: int) -> dict[str, Any]:
    build(path, cases, history)
    return {}


# --- the two timed runs (each in a fresh child process) -----------------------------


def _params() -> dict[str, Any]:
    from minyi.settings import Settings

    fields = Settings.model_fields
    return {
        "day": DAY,
        "cooldown_days": fields["cooldown_days"].default,
        "excluded": EXCLUDED,
        "total": fields["daily_total"].default,
        "minimum": fields["min_per_stratum"].default,
        "method": fields["allocation"].default,
        "seed": fields["sample_seed"].default,
    }


def run_engine(path: Path, p: dict[str, Any]) -> dict[str, Any]:
    """``day_frame`` + ``draw`` as ``flows.steps.draw_day`` runs them, without storing."""
    import polars as pl

    from sampling.selection import draw as draw_sample
    from warehouse import design
    from warehouse.db import connect

    opening = time.perf_counter()
    with connect(path) as con:
        started = time.perf_counter()
        day = p["day"]
        # --- as in flows.steps.draw_day
        frame = design.day_frame(con, day, p["cooldown_days"], p["excluded"])
        stored = design.stored_sample(con, day)
        reasons = (
            frame.filter(pl.col("reason").is_not_null())
            .group_by(pl.col("reason").str.replace(r":.*", ""))
            .len()
        )
        ineligible = dict(zip(reasons["reason"].to_list(), reasons["len"].to_list(), strict=True))
        eligible = frame.filter(pl.col("reason").is_null()).with_columns(
            stratum=pl.lit(day.isoformat() + "|") + pl.col("category")
        )
        assert stored.is_empty()
        allocation, sample = draw_sample(
            eligible, total=p["total"], minimum=p["minimum"], method=p["method"], seed=p["seed"]
        )
        # ---
        seconds = time.perf_counter() - started
    return {
        "open": started - opening,
        "seconds": seconds,
        "cases": frame.height,
        "eligible": eligible.height,
        "ineligible": ineligible,
        "strata": allocation.select("stratum", "stratum_population", "stratum_sample"),
        "sample": sample.select("stratum", "case_id", "prn"),
    }


REFERENCE = """
WITH day_cases AS (
    SELECT case_id, category, phone_e164, phone_status,
           row_number() OVER (PARTITION BY phone_e164 ORDER BY completed_at, case_id) AS nth
    FROM cases WHERE service_date = $day),
recent AS (
    SELECT DISTINCT c.phone_e164 FROM samples s JOIN cases c USING (case_id)
    WHERE s.sample_date < $day AND s.sample_date >= $day - to_days($cooldown)),
eligible AS (
    SELECT d.case_id, d.category FROM day_cases d
    ANTI JOIN opt_outs o ON o.phone_e164 = d.phone_e164
    ANTI JOIN do_not_contact n ON n.phone_e164 = d.phone_e164
    ANTI JOIN recent r ON r.phone_e164 = d.phone_e164
    WHERE d.phone_status = 'mobile' AND d.nth = 1 AND NOT list_contains($excluded, d.category)),
strata AS (
    SELECT strftime($day, '%Y-%m-%d') || '|' || category AS stratum, category, count(*) AS pop
    FROM eligible GROUP BY category),
ordered AS (  -- ascending N_h: the take-all strata are a prefix
    SELECT *, row_number() OVER w AS k, count(*) OVER () AS h,
           coalesce(sum(pop) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS below
    FROM strata WINDOW w AS (ORDER BY pop, stratum)),
level AS (    -- first stratum above the level (n - below) / (h - k + 1) left for the rest
    SELECT arg_min(below, k) AS b, arg_min(h - k + 1, k) AS r, min(k) AS k0
    FROM ordered WHERE pop * (h - k + 1) > $total - below),
alloc AS (    -- level floored, one more for the first (n - b) % r strata by key
    SELECT o.stratum, o.category, o.pop,
           CASE WHEN l.k0 IS NULL OR o.k < l.k0 THEN o.pop
                ELSE ($total - l.b) // l.r + CAST(row_number() OVER (
                         PARTITION BY l.k0 IS NULL OR o.k < l.k0 ORDER BY o.stratum)
                       <= ($total - l.b) % l.r AS INTEGER) END AS take
    FROM ordered o CROSS JOIN level l)
SELECT a.stratum, a.pop, a.take, e.case_id,
       CAST(CAST('0x' || sha256($prefix || e.case_id)[1:16] AS UBIGINT) >> 11 AS DOUBLE)
           / 9007199254740992.0 AS prn
FROM eligible e JOIN alloc a USING (category)
QUALIFY row_number() OVER (PARTITION BY a.stratum ORDER BY prn, e.case_id) <= a.take
ORDER BY a.stratum, prn, e.case_id
"""


def run_reference(path: Path, p: dict[str, Any]) -> dict[str, Any]:
    """The hand-written single query (equal allocation; assumes the level is ≥ the minimum)."""
    from warehouse.db import connect

    opening = time.perf_counter()
    with connect(path) as con:
        started = time.perf_counter()
        rows = con.sql(
            REFERENCE,
            params={
                "day": p["day"],
                "cooldown": p["cooldown_days"],
                "excluded": list(p["excluded"]) or [""],
                "total": p["total"],
                "prefix": f"{p['seed']}:",
            },
        ).pl()
        seconds = time.perf_counter() - started
    return {"open": started - opening, "seconds": seconds, "rows": rows}


def _peak_mb() -> float:
    """Peak RSS of this process: VmHWM (Linux), else ru_maxrss.

    ru_maxrss survives exec, so a spawned child would report at least its parent's RSS
    at fork time; VmHWM belongs to the child's own address space.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(send: Any, name: str, args: tuple[Any, ...]) -> None:
    try:
        func = {f.__name__: f for f in (run_engine, run_reference, _build_only)}[name]
        result = func(*args)
        result["peak_mb"] = _peak_mb()
        send.send(result)
    except BaseException:
        send.send({"error": traceback.format_exc()})
    finally:
        send.close()


def in_child(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``func(*args)`` in a fresh (spawned) interpreter and return its result + peak RSS."""
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(send, func.__name__, args))
    process.start()
    send.close()
    result: dict[str, Any] = receive.recv()
    process.join()
    if "error" in result:
        raise RuntimeError(f"{func.__name__} failed in the child:\n{result['error']}")
    return result


# --- comparing and reporting ---------------------------------------------------------


def compare(engine: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """Differences between the two draws (empty when they agree where comparable)."""
    import polars as pl

    ref = reference["rows"]
    ref_strata = ref.group_by("stratum").agg(pl.col("pop").first(), pl.col("take").first())
    strata = engine["strata"].join(ref_strata, on="stratum", how="full", coalesce=True)
    problems = []
    only_engine = strata.filter(pl.col("pop").is_null())
    if (only_engine["stratum_sample"] > 0).any():
        problems.append(f"strata sampled by the engine only: {only_engine['stratum'].to_list()}")
    both = strata.filter(pl.col("pop").is_not_null())
    for column, other, what in (
        ("stratum_population", "pop", "eligible N_h"),
        ("stratum_sample", "take", "n_h"),
    ):
        differ = both.filter(pl.col(column) != pl.col(other))
        if differ.height:
            problems.append(f"{what} differs in {differ.height} strata: {differ.head(5).rows()}")
    mine = engine["sample"].sort("stratum", "prn", "case_id")
    theirs = ref.select("stratum", "case_id", "prn").sort("stratum", "prn", "case_id")
    if not mine.equals(theirs):
        problems.append(
            f"samples differ: {mine.join(theirs, on=['stratum', 'case_id'], how='anti').height} "
            f"engine-only, {theirs.join(mine, on=['stratum', 'case_id'], how='anti').height} "
            "reference-only rows"
        )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2_000_000, help="completed cases on the day")
    parser.add_argument("--history", type=int, default=50_000_000, help="earlier contacts")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the warehouse in this folder")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, best time kept")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="minyi-bench-") as tmp:
        folder = args.keep or Path(tmp)
        path = folder / "bench.duckdb"
        in_child(_build_only, path, args.cases, args.history)  # keeps this process small
        params = _params()
        print(
            f"draw of {DAY}: total {params['total']}, minimum {params['minimum']}, "
            f"{params['method']}, cooldown {params['cooldown_days']} days, seed {params['seed']}",
            flush=True,
        )
        engines, references = [], []
        for attempt in range(1, args.repeat + 1):
            references.append(in_child(run_reference, path, params))
            engines.append(in_child(run_engine, path, params))
            print(
                f"  run {attempt}: reference {references[-1]['seconds']:.2f}s "
                f"(peak {references[-1]['peak_mb']:.0f} MB), engine {engines[-1]['seconds']:.2f}s "
                f"(peak {engines[-1]['peak_mb']:.0f} MB)",
                flush=True,
            )

    engine, reference = engines[-1], references[-1]
    best_engine = min(r["seconds"] for r in engines)
    best_reference = min(r["seconds"] for r in references)
    peak = max(r["peak_mb"] for r in engines)
    ratio = best_engine / best_reference
    largest = engine["strata"]["stratum_population"].max()
    smallest = engine["strata"]["stratum_population"].min()
    print(f"frame: {engine['cases']:,} cases, {engine['eligible']:,} eligible "
          f"in {engine['strata'].height} strata (N_h {smallest:,}..{largest:,})")
    print("ineligible: " + ", ".join(f"{k} {v:,}" for k, v in sorted(engine["ineligible"].items())))
    print(f"opening the warehouse: engine {engine['open']:.2f}s, reference {reference['open']:.2f}s "
          "(not counted)")
    problems = compare(engine, reference)
    print("check: " + ("engine and reference agree (N_h, n_h, cases, PRNs)" if not problems
                       else "; ".join(problems)))
    print(f"engine    {best_engine:6.2f} s   (day_frame + draw, best of {args.repeat})")
    print(f"reference {best_reference:6.2f} s   (one DuckDB query, best of {args.repeat})")
    print(f"ratio     {ratio:6.2f}     (target ≤ {TARGET_RATIO:g})")
    print(f"peak RSS  {peak:6.0f} MB  (engine child process; target < {TARGET_PEAK_MB:.0f} MB)")
    ok = ratio <= TARGET_RATIO and peak < TARGET_PEAK_MB and not problems
    print("result: " + ("within target" if ok else "NOT within target"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
