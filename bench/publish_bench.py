"""A day's dispatch and its publish, on a home with a long history and on an empty one.

    uv run python -m bench.publish_bench [--history 50000000] [--days 3] [--keep DIR]

Builds two homes with the real schema: one with ``--history`` cases of history
(400 days before the measured days, 500 units, 50 categories; each day drawn:
300 samples with their outbox, events, answers, dispositions and weights,
20 % of the cases ineligible, 1 % of the numbers opted out), and an empty one.
Both then get the same ``--days`` days of 2,000 new cases each, imported with
the real functions, and both copies are published (the first publish builds
the copy: reported, not counted).

Then, for each day, in a fresh process each: ``minyi-day`` draws the day and
publishes; the next morning, as ``minyi-dispatch`` does it (without Prefect):
open the warehouse, load what the simulated people replied
(``flows.contact.ingest``), send what is due (``flows.contact.dispatch``: the
day's 300 SMS and the follow-ups of earlier days), publish
(``flows.publish``). Reported: first, best and median of each phase, and
the ratio of the history home to the empty one (target ≤ 1.5), and the
publish against a one-pass reference in the same process: the same changed
rows copied with one ``CREATE TABLE … AS SELECT`` per table into a scratch
file, without masking, keys or fingerprints (target: publish ≤ 2 s).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import Stopwatch, in_child, load, spread, verdict

ZONE = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2026, 6, 15)  # a Monday: the measured days follow
HISTORY_DAYS = 400
UNITS, CATEGORIES = 500, 50
DAY_CASES, DAY_SAMPLE = 2_000, 300


def _settings(home: Path):  # type: ignore[no-untyped-def]
    from minyi.settings import load_settings

    return load_settings(home, provider="simulated", hash_key="bench-key")


# --- building the homes ---------------------------------------------------------------

_HISTORY = {
    "cases": """
        INSERT INTO cases
        WITH g AS (SELECT i, CAST($first AS DATE) - {days} + CAST((i * {days}) // $n AS INTEGER) AS d,
                          hash(i, 'p') % $phones AS ph, hash(i, 's') % 100 AS st FROM range($lo, $hi) r(i))
        SELECT 'H' || lpad(CAST(i AS VARCHAR), 10, '0'), 'U' || lpad(CAST(hash(i, 'u') % {units} AS VARCHAR), 3, '0'),
               'cat' || lpad(CAST(hash(i, 'c') % {categories} AS VARCHAR), 2, '0'),
               CAST(d AS TIMESTAMPTZ) + INTERVAL 10 HOUR, d,
               CASE WHEN st >= 5 THEN '1' || CAST(3000000000 + ph AS VARCHAR) ELSE '010-6000' || ph % 10000 END,
               CASE WHEN st >= 5 THEN '+861' || CAST(3000000000 + ph AS VARCHAR) END,
               CASE WHEN st >= 5 THEN 'mobile' ELSE 'landline' END,
               NULL, 'E' || hash(i, 'h') % 2000, 'hotline', CAST(hash(i, 'x') AS VARCHAR),
               'cases-' || d || '.csv', CAST(d + 1 AS TIMESTAMPTZ) + INTERVAL 8 HOUR
        FROM g""",
    "day_draws": """
        INSERT INTO day_draws SELECT d, CAST(d + 1 AS TIMESTAMPTZ) + INTERVAL 9 HOUR, 0, 0, {sample}, {categories},
               {sample}, 2, 2, 20260101, NULL
        FROM (SELECT CAST($first AS DATE) - {days} + CAST(k AS INTEGER) AS d FROM range({days}) r(k))""",
    "allocations": """
        INSERT INTO allocations SELECT d.sample_date, strftime(d.sample_date, '%Y-%m-%d') || '|cat' || lpad(CAST(c AS VARCHAR), 2, '0'),
               'cat' || lpad(CAST(c AS VARCHAR), 2, '0'), 2500, 6, 'equal', {sample}, 2, 20260101
        FROM day_draws d, range({categories}) r(c)""",
    "samples": """
        INSERT INTO samples SELECT case_id, service_date, strftime(service_date, '%Y-%m-%d') || '|' || category,
               0.001, 0.0024, 416.0, 20260101, 1
        FROM cases WHERE case_id LIKE 'H%' AND hash(case_id, 'sample') % $every = 0""",
    "ineligible": """
        INSERT INTO ineligible SELECT service_date, case_id,
               CASE WHEN phone_status <> 'mobile' THEN 'no mobile' ELSE 'duplicate number' END, NULL
        FROM cases WHERE case_id LIKE 'H%' AND (phone_status <> 'mobile' OR hash(case_id, 'dup') % 100 < 15)
          AND case_id NOT IN (SELECT case_id FROM samples)""",
    "outbox": """
        INSERT INTO outbox SELECT s.case_id || ':' || k, s.case_id,
               CASE k WHEN 1 THEN 'sms' WHEN 2 THEN 'voice' ELSE 'manual' END, k,
               'simulated', 'sent', CAST(s.sample_date + CAST(k AS INTEGER) AS TIMESTAMPTZ) + INTERVAL 9 HOUR,
               CAST(s.sample_date + CAST(k AS INTEGER) AS TIMESTAMPTZ) + INTERVAL 9 HOUR, 'SM' || hash(s.case_id, k), NULL, NULL
        FROM samples s, range(1, 4) r(k)  -- respondents answered the SMS; the others had all three
        WHERE k = 1 OR hash(s.case_id || ':responds') % 2 <> 0""",
    "events": """
        INSERT INTO events SELECT o.attempt_id || ':' || kind, o.provider_sid, o.attempt_id, o.case_id, o.channel, kind,
               o.sent_at + INTERVAL 1 MINUTE, '{}', o.sent_at + INTERVAL 1 HOUR
        FROM outbox o, (VALUES ('sent'), ('delivered'), ('completed')) v(kind)""",
    "answers": """
        INSERT INTO answers SELECT s.case_id, item, CAST(1 + hash(s.case_id, item) % 5 AS VARCHAR), 'sms',
               CAST(s.sample_date + 1 AS TIMESTAMPTZ) + INTERVAL 10 HOUR, s.case_id || ':1:answer:' || item
        FROM samples s, (VALUES ('satisfaction'), ('integrity'), ('timeliness')) v(item)
        WHERE hash(s.case_id || ':responds') % 2 = 0""",
    "dispositions": """
        INSERT INTO dispositions SELECT s.case_id, s.sample_date, 'sms', 1,
               CASE WHEN hash(s.case_id || ':responds') % 2 = 0 THEN '1.1' ELSE '3.21' END, true,
               CAST(s.sample_date + 30 AS TIMESTAMPTZ)
        FROM samples s""",
    "response_weights": """
        INSERT INTO response_weights SELECT case_id, strftime(sample_date, '%Y-%m'), 'c', 800.0
        FROM samples WHERE hash(case_id || ':responds') % 2 = 0""",
    "opt_outs": """
        INSERT INTO opt_outs SELECT DISTINCT ON (p) p, 'sms', TIMESTAMPTZ '2025-01-01 00:00:00+00', NULL
        FROM (SELECT '+861' || CAST(3000000000 + hash(i, 'optout') % $phones AS VARCHAR) AS p
              FROM range($phones // 100) r(i))""",
    "do_not_contact": """
        INSERT INTO do_not_contact SELECT DISTINCT ON (p) p, '市民要求', TIMESTAMPTZ '2025-01-01 00:00:00+00'
        FROM (SELECT '+861' || CAST(3000000000 + hash(i, 'dnc') % $phones AS VARCHAR) AS p
              FROM range($phones // 400) r(i))""",
    "loads": """
        INSERT INTO loads (source, source_file, file_sha256, rows_read, rows_loaded, rows_duplicate,
                           rows_quarantined, loaded_at)
        SELECT 'cases', 'cases-' || sample_date || '.csv', sha256(CAST(sample_date AS VARCHAR)), 0, 0, 0, 0,
               drawn_at FROM day_draws""",
}


def _sql(text: str, history: int) -> str:
    return (
        text.replace("{days}", str(HISTORY_DAYS))
        .replace("{units}", str(UNITS))
        .replace("{categories}", str(CATEGORIES))
        .replace("{sample}", str(DAY_SAMPLE))
    )


def _cases_file(path: Path, day: date) -> Path:
    rows = ["case_id,unit_id,category,completed_at,phone"]
    rows += [
        f"N{day:%Y%m%d}{i:05d},U{i % UNITS:03d},cat{i % CATEGORIES:02d},{day} {8 + i % 9:02d}:{i % 60:02d}:00,"
        f"15{day:%m%d}{i:05d}"
        for i in range(DAY_CASES)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def build(home: Path, history: int, days: int) -> dict[str, Any]:
    """A home with ``history`` cases of history and ``days`` new days drawn; its copy published."""
    from flows.intake import import_files
    from flows.publish import publish_report
    from flows.wiring import open_warehouse
    from warehouse.db import scalar

    settings = _settings(home)
    stamp = f"{history}/{days}/{FIRST_DAY}"
    if settings.warehouse_path.exists():
        with open_warehouse(settings) as con:
            if scalar(con, "SELECT value FROM config WHERE key = 'bench'") == stamp:
                return {"reused": True}
        shutil.rmtree(home)
    watch = Stopwatch()
    started = time.perf_counter()
    with open_warehouse(settings) as con:
        con.execute("INSERT OR REPLACE INTO config VALUES ('home_kind', 'demo')")
        con.execute(
            f"INSERT INTO units SELECT 'U' || lpad(CAST(i AS VARCHAR), 3, '0'), '单位' || i, 'window', "
            f"'G' || (i % 5), NULL, TIMESTAMPTZ '2025-01-01 00:00:00+00' FROM range({UNITS}) r(i)"
        )
        if history:
            phones = max(10_000, history // 2)
            params = {"first": FIRST_DAY, "phones": phones, "n": history}
            with watch("history cases"):
                for lo in range(0, history, 5_000_000):
                    con.execute(
                        _sql(_HISTORY["cases"], history),
                        {**params, "lo": lo, "hi": min(history, lo + 5_000_000)},
                    )
            every = max(1, history // (HISTORY_DAYS * DAY_SAMPLE))
            for table, sql in _HISTORY.items():
                if table == "cases":
                    continue
                with watch(f"history {table}"):
                    wanted = {k: v for k, v in {**params, "every": every}.items() if f"${k}" in sql}
                    con.execute(_sql(sql, history), wanted or None)
        for k in range(days):  # the measured days' cases are in; each round draws its day
            day = FIRST_DAY + timedelta(days=k)
            with watch("new days: import"):
                import_files(con, settings, [_cases_file(home / f"cases-{day}.csv", day)])
        con.execute("INSERT OR REPLACE INTO config VALUES ('bench', ?)", [stamp])
        con.execute("CHECKPOINT")
        first = publish_report(con, settings)
        second = publish_report(con, settings)
    return {
        "reused": False,
        "seconds": time.perf_counter() - started,
        "laps": watch.laps,
        "first_publish": (first.mode, first.seconds),
        "second_publish": (second.mode, second.seconds),
        "size_gb": settings.warehouse_path.stat().st_size / 2**30,
    }


# --- one measured round ------------------------------------------------------------------


_REFERENCE = {  # the rows a day's dispatch changed, copied as they are
    "outbox": "SELECT * FROM main.outbox WHERE created_at >= $since OR sent_at >= $since",
    "events": "SELECT * FROM main.events WHERE loaded_at > $loaded",
    "answers": "SELECT * FROM main.answers WHERE event_key IN (SELECT event_key FROM main.events WHERE loaded_at > $loaded)",
    "followups": "SELECT * FROM main.followups WHERE created_at >= $since",
    "opt_outs": "SELECT * FROM main.opt_outs WHERE event_key IN (SELECT event_key FROM main.events WHERE loaded_at > $loaded)",
}


def dispatch_round(home: Path, k: int) -> dict[str, Any]:
    """Day ``k``: ``minyi-day`` draws it and publishes; the next morning at 10:00
    ``minyi-dispatch`` loads the replies, sends what is due and publishes (each as its own
    run, without Prefect); then the reference copy of what the dispatch changed."""
    from channels.landing import LandingStore
    from flows import contact, intake, wiring
    from flows.publish import publish_report

    watch = Stopwatch()
    settings = _settings(home)
    day = FIRST_DAY + timedelta(days=k)
    at = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZONE).replace(hour=10)
    with wiring.open_warehouse(settings) as con:  # minyi-day
        with watch("draw"):
            intake.draw_day(con, settings, day, day + timedelta(days=1))
        with watch("day publish"):
            day_report = publish_report(con, settings)
    with contextlib.ExitStack() as stack:  # minyi-dispatch
        with watch("open"):
            con = stack.enter_context(wiring.open_warehouse(settings))
        loaded = con.sql("SELECT coalesce(max(loaded_at), TIMESTAMPTZ '-infinity') FROM events").fetchall()[0][0]
        with LandingStore(settings.landing_path) as landing:
            provider = wiring.make_provider(settings, landing, wiring.home_kind(con))
            with watch("ingest"):
                got = contact.ingest(con, landing, at)
            with watch("dispatch"):
                sent = contact.dispatch(con, settings, provider, landing, at, at)
        with watch("publish"):
            report = publish_report(con, settings)
        scratch = home / "reference.duckdb"
        scratch.unlink(missing_ok=True)
        con.execute(f"ATTACH '{scratch}' AS ref")
        with watch("reference"):
            since = at - timedelta(hours=1)
            for table, query in _REFERENCE.items():
                wanted = {n: v for n, v in {"since": since, "loaded": loaded}.items() if f"${n}" in query}
                con.execute(f"CREATE TABLE ref.{table} AS {query}", wanted)
            con.execute("CHECKPOINT ref")
        con.execute("DETACH ref")
        scratch.unlink()
        cases = int(con.sql("SELECT count(*) FROM cases").fetchall()[0][0])
    return {
        "laps": watch.laps,
        "sent": sent.sent,
        "answers": got.answers,
        "cases": cases,
        "mode": report.mode,
        "written": sum(report.rows.values()),
        "day_written": sum(day_report.rows.values()),
        "rebuilt": report.rebuilt + report.repaired + day_report.rebuilt + day_report.repaired,
    }


def _home_rounds(home: Path, days: int) -> list[dict[str, Any]]:
    return [in_child(dispatch_round, home, k) for k in range(days)]


def _phase(rounds: list[dict[str, Any]], name: str) -> list[float]:
    return [r["laps"][name] for r in rounds]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=50_000_000, help="cases of history")
    parser.add_argument("--days", type=int, default=3, help="measured days (rounds)")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the homes in this folder")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="minyi-publish-bench-"))
    homes = {"history": root / f"history-{args.history}", "empty": root / "empty"}
    for name, home in homes.items():
        history = args.history if name == "history" else 0
        print(f"building the {name} home ({history:,} cases of history) … [{load()}]", flush=True)
        built = in_child(build, home, history, args.days)
        if built["reused"]:
            print("  reused (same size); its copies were published before")
            continue
        laps = ", ".join(f"{n} {s:.0f}s" for n, s in built["laps"].items())
        print(f"  built in {built['seconds']:.0f} s ({built['size_gb']:.1f} GiB): {laps}")
        for label in ("first_publish", "second_publish"):
            mode, seconds = built[label]
            print(f"  {label.replace('_', ' ')} ({mode}): {seconds:.1f} s  (one-off, not counted)")
    results = {}
    for name, home in homes.items():
        # a fresh copy of the built state for each run of the bench: the rounds change it
        work = root / f"run-{name}"
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(home, work, symlinks=True)
        results[name] = _home_rounds(work, args.days)
        shutil.rmtree(work)
    print()
    print(f"a day's dispatch and publish, each round a fresh process ({args.days} rounds):")
    for name, rounds in results.items():
        r = rounds[0]
        print(
            f"  {name:<8} {r['cases']:>12,} cases: sent {r['sent']}, answers loaded "
            f"{[x['answers'] for x in rounds]}, publish {r['mode']}, rows written after the day "
            f"{[x['day_written'] for x in rounds]}, after the dispatch {[x['written'] for x in rounds]}, "
            f"rebuilt {r['rebuilt'] or 'none'}  "
            f"[{load()} at the end; max in rounds {max(x['load'] for x in rounds):.1f}]"
        )
        for phase in ("draw", "day publish", "open", "ingest", "dispatch", "publish", "reference"):
            print(f"    {phase:<10} {spread(_phase(rounds, phase))}")
    hist, empty = results["history"], results["empty"]
    work = [sum(r["laps"][p] for p in ("open", "ingest", "dispatch", "publish")) for r in hist]
    base = [sum(r["laps"][p] for p in ("open", "ingest", "dispatch", "publish")) for r in empty]
    ratio = statistics.median(work) / statistics.median(base)
    publish = _phase(hist, "publish")
    ref = _phase(hist, "reference")
    print()
    print(
        f"dispatch + publish, history / empty home: median {statistics.median(work):.2f} s / "
        f"{statistics.median(base):.2f} s = {ratio:.2f}x (target <= 1.5: {verdict(ratio, 1.5)})"
    )
    day_publish = _phase(hist, "day publish")
    print(
        f"publish after the day's draw: median {statistics.median(day_publish):.2f} s "
        f"(empty home {statistics.median(_phase(empty, 'day publish')):.2f} s)"
    )
    print(
        f"publish after a day's dispatch, {hist[0]['cases']:,} cases: median "
        f"{statistics.median(publish):.2f} s (target <= 2 s: {verdict(statistics.median(publish), 2)}); "
        f"one-pass reference copy {statistics.median(ref):.2f} s -> "
        f"{statistics.median(publish) / statistics.median(ref):.1f}x"
    )
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
