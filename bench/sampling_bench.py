"""How long one day's draw takes at scale, against a hand-written DuckDB query.

    uv run python -m bench.sampling_bench [--cases N] [--history M] [--keep DIR] [--repeat R]

Builds a warehouse with the real schema (``warehouse.db.connect``) holding one day
of ``--cases`` completed cases (500 units, 50 categories of very unequal size) and a
contact history of ``--history`` earlier contacts: that many earlier cases spread over
400 days, every one of them in ``samples`` (sampled on its completion day, as
``draw_day`` does), which is what the cooldown rule reads. Numbers come from a pool of
(cases + history) / 2, so some repeat on the day and many were contacted recently.
``--keep DIR`` builds into DIR (or reuses a warehouse of the same size there).

Then it times, R times each, alternating, each run in a fresh child process (the
first call of a process is the one production makes):

* the engine: ``flows.intake.draw_day`` exactly as ``minyi day`` runs it:
  ``warehouse.design.day_frame`` + ``sampling.selection.draw`` + storing the draw
  (samples, allocations, the day's ineligible cases and its ``day_draws`` row), and
* a reference: one hand-written DuckDB query with the same rules (mobile numbers
  outside the excluded categories, anti-joins on opt-outs, do-not-contact and numbers
  sampled in the cooldown (read, like the engine, from the cases completed in the
  cooldown days only); then, among the cases left, one case per number: the smallest
  u' = SHA-256("<key>:number:<case_id>") (ties by case_id, ranking only numbers left
  with several cases) wins and carries m = the number's count of those cases; equal
  allocation with a guaranteed total by a simple water-filling rule, and the n_h
  smallest PRNs u_i = SHA-256("<key>:<case_id>") per stratum (in SQL, the same bytes as
  ``sampling.random_state.prn``), plus its own insert of the sample (weights m·N_h/n_h).

The key is the day's selection key (METHODS.md "Selection key"): HMAC of the date under
the month's secret, which the engine reads from (or creates in) ``<home>/secrets/``, the
home being the warehouse's folder. The parent computes it the same way before the runs
and hands it to the reference; the check compares it with the key the engine stored.

Each run's stored rows are removed afterwards (not timed), so every run draws the same
day. It prints first, best and median wall time of each (opening the warehouse not
counted), their ratio, where the engine's time goes (frame, draw, store) and the
engine child's peak RSS (VmHWM), then compares the two draws: the key, and stratum by
stratum eligible N_h, n_h, the selected cases, their PRNs and multiplicities. Targets:
ratio ≤ 1.5 and a peak below 2 GB. Prints figures; asserts nothing. Load averages are
printed beside the figures: wall times move with other load on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import in_child, load, spread

DAY = date(2026, 6, 15)
HISTORY_DAYS = 400  # the contact history is spread evenly over the days before DAY
UNITS = 500
CATEGORIES = 50
EXCLUDED = ("cat07",)  # one "sensitive" category, so that reason is exercised
SKEW = 5  # category = floor(50 * u**SKEW): cat00 ~46% of cases, cat49 ~0.4%
TARGET_RATIO = 1.5
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
           CAST(hash(case_id, 'prn') >> 11 AS DOUBLE) / 9007199254740992.0, 0.01, 100.0, 20250101, 1
    FROM cases
    WHERE service_date >= CAST($day AS DATE) - $lo AND service_date < CAST($day AS DATE) - $hi
"""


def _sql(template: str) -> str:
    return (
        template.replace("{units}", str(UNITS))
        .replace("{categories}", str(CATEGORIES))
        .replace("{skew}", str(SKEW))
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
    print(
        f"building {path}: {cases:,} cases on {DAY}, {history:,} earlier contacts "
        f"over {HISTORY_DAYS} days, {phones:,} distinct numbers",
        flush=True,
    )
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
            extra = (
                "'sms', current_timestamp, NULL"
                if table == "opt_outs"
                else "'bench', current_timestamp"
            )
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


def build_only(path: Path, cases: int, history: int) -> dict[str, Any]:
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


def day_key(home: Path) -> str:
    """The selection key of DAY in ``home`` (the warehouse's folder), as
    ``flows.intake.selection_key`` derives it: HMAC(month secret, ISO date), the secret
    read from (or created in) ``<home>/secrets/`` (not a demo home, so not from the seed)."""
    from minyi import keys, months

    return keys.day_key(keys.selection_secret(home, months.of(DAY)), DAY.isoformat())


def _settings(path: Path, p: dict[str, Any]):  # type: ignore[no-untyped-def]
    from minyi.settings import load_settings

    return load_settings(
        path.parent,
        cooldown_days=p["cooldown_days"],
        excluded_categories=p["excluded"],
        daily_total=p["total"],
        min_per_stratum=p["minimum"],
        allocation=p["method"],
        sample_seed=p["seed"],
    )


def _forget_draw(con: Any, day: date) -> None:
    """Remove a stored draw of ``day`` (between runs; not timed)."""
    for table in ("samples", "allocations", "ineligible", "day_draws"):
        con.execute(f"DELETE FROM {table} WHERE sample_date = $d", {"d": day})


def run_engine(path: Path, p: dict[str, Any]) -> dict[str, Any]:
    """``flows.intake.draw_day`` as ``minyi day`` runs it, storing included."""
    import pyarrow  # noqa: F401  imported by DuckDB's .pl(); not timed, as in run_reference

    from bench.common import Stopwatch
    from flows import intake
    from warehouse import design
    from warehouse.db import connect

    settings = _settings(path, p)
    watch = Stopwatch()
    # where the time goes: the stages draw_day calls, timed where they are looked up
    for module, name, lap in ((design, "day_frame", "frame"), (design, "store_sample", "store")):
        original = getattr(module, name)

        def timed(*args: Any, _original: Any = original, _lap: str = lap, **kwargs: Any) -> Any:
            with watch(_lap):
                return _original(*args, **kwargs)

        setattr(module, name, timed)
    opening = time.perf_counter()
    with connect(path) as con:
        _forget_draw(con, p["day"])
        started = time.perf_counter()
        report = intake.draw_day(con, settings, p["day"], p["day"] + timedelta(days=1))
        seconds = time.perf_counter() - started
        stored = con.sql(
            "SELECT stratum, case_id, prn, multiplicity FROM samples WHERE sample_date = $d",
            params={"d": p["day"]},
        ).pl()
        strata = con.sql(
            "SELECT stratum, stratum_population, stratum_sample FROM allocations WHERE sample_date = $d",
            params={"d": p["day"]},
        ).pl()
        key = con.execute("SELECT prn_key FROM day_draws WHERE sample_date = $d", {"d": p["day"]})
        key = key.fetchall()[0][0]
        _forget_draw(con, p["day"])
    return {
        "open": started - opening,
        "seconds": seconds,
        "day_frame": watch.laps.get("frame", 0.0),
        "store": watch.laps.get("store", 0.0),
        "draw": seconds - watch.laps.get("frame", 0.0) - watch.laps.get("store", 0.0),
        "code": design.__file__,
        "cases": report.cases,
        "eligible": report.eligible,
        "ineligible": report.ineligible,
        "strata": strata,
        "sample": stored,
        "key": key,
    }


REFERENCE = """
WITH day_cases AS (
    SELECT case_id, category, phone_e164 FROM cases
    WHERE service_date = $day AND phone_status = 'mobile' AND NOT list_contains($excluded, category)),
recent AS (    -- today's numbers sampled in the cooldown (on their cases' completion day)
    SELECT c.phone_e164 FROM cases c
    SEMI JOIN day_cases d ON d.phone_e164 = c.phone_e164
    SEMI JOIN samples s ON s.case_id = c.case_id
        AND s.sample_date >= $day - to_days($cooldown) AND s.sample_date < $day
    WHERE c.service_date >= $day - to_days($cooldown) AND c.service_date < $day),
passed AS MATERIALIZED (  -- the cases passing every check but the repeat visitor's
    SELECT d.* FROM day_cases d
    ANTI JOIN opt_outs o ON o.phone_e164 = d.phone_e164
    ANTI JOIN do_not_contact n ON n.phone_e164 = d.phone_e164
    ANTI JOIN recent r ON r.phone_e164 = d.phone_e164),
competing AS ( -- the cases of numbers left with several, ranked by u' (then case_id)
    SELECT p.case_id, count(*) OVER w AS m, row_number() OVER (w ORDER BY
           CAST('0x' || sha256($key || ':number:' || p.case_id)[1:16] AS UBIGINT) >> 11, p.case_id) AS r
    FROM passed p
    SEMI JOIN (SELECT phone_e164 FROM passed GROUP BY ALL HAVING count(*) > 1) x USING (phone_e164)
    WINDOW w AS (PARTITION BY p.phone_e164)),
scored AS MATERIALIZED (  -- the eligible cases (one per number), their m and PRN u_i
    SELECT p.case_id, p.category, coalesce(c.m, 1) AS m,
           CAST(CAST('0x' || sha256($key || ':' || p.case_id)[1:16] AS UBIGINT) >> 11 AS DOUBLE)
               / 9007199254740992.0 AS prn
    FROM passed p LEFT JOIN competing c USING (case_id)
    WHERE coalesce(c.r, 1) = 1),
strata AS (    -- N_h and the $total smallest u_i of each stratum
    SELECT strftime($day, '%Y-%m-%d') || '|' || category AS stratum, category, count(*) AS pop,
           min(prn, $total) AS smallest
    FROM scored GROUP BY category),
ordered AS (   -- ascending N_h: the take-all strata are a prefix
    SELECT *, row_number() OVER w AS k, count(*) OVER () AS h,
           coalesce(sum(pop) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS below
    FROM strata WINDOW w AS (ORDER BY pop, stratum)),
level AS (     -- first stratum above the level (n - below) / (h - k + 1) left for the rest
    SELECT arg_min(below, k) AS b, arg_min(h - k + 1, k) AS r, min(k) AS k0
    FROM ordered WHERE pop * (h - k + 1) > $total - below),
alloc AS (     -- the level floored, one more for the first (n - b) % r strata by key
    SELECT o.stratum, o.category, o.pop, o.smallest,
           CASE WHEN l.k0 IS NULL OR o.k < l.k0 THEN o.pop
                ELSE ($total - l.b) // l.r + CAST(row_number() OVER (
                         PARTITION BY l.k0 IS NULL OR o.k < l.k0 ORDER BY o.stratum)
                       <= ($total - l.b) % l.r AS INTEGER) END AS take
    FROM ordered o CROSS JOIN level l)
SELECT a.stratum, a.pop, a.take, s.case_id, s.prn, s.m
FROM scored s JOIN alloc a USING (category)
WHERE a.take > 0 AND s.prn <= a.smallest[CAST(a.take AS BIGINT)]
QUALIFY row_number() OVER (PARTITION BY a.stratum ORDER BY s.prn, s.case_id) <= a.take
ORDER BY a.stratum, s.prn, s.case_id
"""


def run_reference(path: Path, p: dict[str, Any]) -> dict[str, Any]:
    """The hand-written single query and its own insert of the sample (equal allocation;
    assumes the level is ≥ the minimum)."""
    import polars  # noqa: F401  imported before timing, as in run_engine
    import pyarrow  # noqa: F401

    from warehouse.db import connect

    opening = time.perf_counter()
    with connect(path) as con:
        _forget_draw(con, p["day"])
        started = time.perf_counter()
        con.execute(
            "CREATE OR REPLACE TEMP TABLE reference AS " + REFERENCE,
            {
                "day": p["day"],
                "cooldown": p["cooldown_days"],
                "excluded": list(p["excluded"]) or [""],
                "total": p["total"],
                "key": p["key"],
            },
        )
        con.execute(
            "INSERT INTO samples SELECT case_id, $day, stratum, prn, take / (pop * m), m * pop / take, "
            "$seed, m FROM reference",
            {"day": p["day"], "seed": p["seed"]},
        )
        seconds = time.perf_counter() - started
        rows = con.sql("SELECT * FROM reference ORDER BY stratum, prn, case_id").pl()
        _forget_draw(con, p["day"])
    return {"open": started - opening, "seconds": seconds, "rows": rows, "key": p["key"]}


# --- comparing and reporting ---------------------------------------------------------


def compare(engine: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """Differences between the two draws (empty when they agree where comparable)."""
    import polars as pl

    ref = reference["rows"]
    ref_strata = ref.group_by("stratum").agg(pl.col("pop").first(), pl.col("take").first())
    strata = engine["strata"].join(ref_strata, on="stratum", how="full", coalesce=True)
    problems = []
    if engine["key"] != reference["key"]:
        problems.append(f"keys differ: engine {engine['key']}, reference {reference['key']}")
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
    theirs = ref.select(
        "stratum", "case_id", "prn", pl.col("m").cast(pl.Int32).alias("multiplicity")
    ).sort("stratum", "prn", "case_id")
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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best time kept")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.cases < 1 or args.history < 0:
        parser.error("--repeat and --cases must be at least 1, --history at least 0")

    with tempfile.TemporaryDirectory(prefix="minyi-bench-") as tmp:
        folder = args.keep or Path(tmp)
        path = folder / "bench.duckdb"
        in_child(build_only, path, args.cases, args.history)  # keeps this process small
        params = {**_params(), "key": day_key(folder)}
        print(
            f"draw of {DAY}: total {params['total']}, minimum {params['minimum']}, "
            f"{params['method']}, cooldown {params['cooldown_days']} days, seed {params['seed']}",
            flush=True,
        )
        engines, references = [], []
        for attempt in range(1, args.repeat + 1):
            references.append(in_child(run_reference, path, params))
            engines.append(in_child(run_engine, path, params))
            ref, eng = references[-1], engines[-1]
            print(
                f"  run {attempt}: reference {ref['seconds']:.2f}s (peak {ref['peak_mb']:.0f} MB), "
                f"engine {eng['seconds']:.2f}s = day_frame {eng['day_frame']:.2f}s + draw "
                f"{eng['draw']:.2f}s + store {eng['store']:.2f}s (peak {eng['peak_mb']:.0f} MB)  "
                f"[load {max(ref['load'], eng['load']):.1f}]",
                flush=True,
            )

    engine, reference = engines[-1], references[-1]
    best_engine = min(r["seconds"] for r in engines)
    best_reference = min(r["seconds"] for r in references)
    median_engine = statistics.median(r["seconds"] for r in engines)
    median_reference = statistics.median(r["seconds"] for r in references)
    peak = max(r["peak_mb"] for r in engines)
    largest = engine["strata"]["stratum_population"].max()
    smallest = engine["strata"]["stratum_population"].min()
    print(f"engine module: {engine['code']}")
    print(
        f"frame: {engine['cases']:,} cases, {engine['eligible']:,} eligible "
        f"in {engine['strata'].height} strata (N_h {smallest:,}..{largest:,})"
    )
    print("ineligible: " + ", ".join(f"{k} {v:,}" for k, v in sorted(engine["ineligible"].items())))
    print(
        f"opening the warehouse: engine {engine['open']:.2f}s, reference {reference['open']:.2f}s "
        "(not counted)"
    )
    problems = compare(engine, reference)
    print(
        "check: "
        + (
            "engine and reference agree (key, N_h, n_h, cases, PRNs, m)"
            if not problems
            else "; ".join(problems)
        )
    )
    times = {n: [r["seconds"] for r in rs] for n, rs in (("engine", engines), ("reference", references))}
    print(f"engine    {spread(times['engine'])}   (draw_day: frame + draw + store)")
    for lap in ("day_frame", "draw", "store"):
        print(f"  {lap:<9} {spread([r[lap] for r in engines])}")
    print(f"reference {spread(times['reference'])}   (one DuckDB query + its insert)")
    ratio = median_engine / median_reference
    print(
        f"ratio     {ratio:6.2f}     (median / median; first {times['engine'][0] / times['reference'][0]:.2f}, "
        f"best {best_engine / best_reference:.2f}; target ≤ {TARGET_RATIO:g})  [{load()}]"
    )
    print(f"peak RSS  {peak:6.0f} MB  (engine child process; target < {TARGET_PEAK_MB:.0f} MB)")
    ok = ratio <= TARGET_RATIO and peak < TARGET_PEAK_MB and not problems
    print("result: " + ("within target" if ok else "NOT within target"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
