"""A province on one machine: many districts' homes, a month each, through day, dispatch and month.

    uv run python -m bench.province [--districts 100] [--per-day 150] [--procs 2]
                                    [--mode local|prefect|both] [--keep DIR]

Each district is a demo home of its own (``demo.district``: its units, its
case exports, simulated people answering from each unit's true level), a
month of it (``--month``, default 2026-11) replayed as a center runs it, every
stage a *run* of its own that opens the warehouse once and publishes the staff
copy at its end, as the flows do:

* a **day** run for each day with an export: import the inbox, draw the day,
  validate it, publish (``minyi-day``);
* three **dispatch** runs the next day (09:30, 14:30, 19:30) and three on each
  of the seven days before the close: load what came back, send what is due,
  publish (``minyi-dispatch``);
* the **month** run: close at the cut-off, estimate, validate, write the
  bulletin, publish (``minyi-month``).

The volume is scaled down (``--per-day`` cases per working day, 15 % of it on
weekends; the demo has 1,500) so that a hundred districts fit in a benchmark;
the structure is the production one. What is reported: district-months per
hour, the time per district and where it goes (stage by stage, summed over all
districts), and the load average.

Two ways to run them:

* ``local``: the districts on ``--procs`` worker processes (a fresh process per
  district), the stages called directly (no orchestration);
* ``prefect``: one Prefect server, one work pool, each district a deployment on
  its own queue, two process workers (``flows.deployments.run_worker``) each
  polling half of the queues, one flow run per district-month (the whole
  replay as one run). Then a burst of plain ``minyi-dispatch`` runs (nothing
  due) on the same two workers gives the cost of one flow run, which in
  production is paid at every dispatch (every ``MINYI_DISPATCH_EVERY_MINUTES``
  in the calling windows), and the report projects what that means for a
  province.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import Stopwatch, load, peak_mb

MONTH = "2026-11"
STAGES = (
    "setup",
    "open",
    "import",
    "draw",
    "validate",
    "ingest",
    "dispatch",
    "close",
    "bulletin",
    "publish",
)


def district_month(home: str, month: str, seed: int, per_day: int) -> dict[str, Any]:
    """One district's month replayed run by run; seconds per stage."""
    from app.demo import FIELDWORK_CLOSE_DAYS, prepare_home
    from channels import clock
    from channels.landing import LandingStore
    from demo.district import demo_clock, write_demo_inputs
    from flows import contact, intake, wiring
    from flows import month as month_stage
    from flows.cycle import _demo_setup
    from flows.publish import publish
    from minyi.settings import load_settings

    started = time.perf_counter()
    watch = Stopwatch()
    path = Path(home)
    if path.exists():
        shutil.rmtree(path)
    with watch("setup"):
        prepare_home(path, seed, {"MINYI_DISTRICT_NAME": f"{path.name}区"})
        settings = load_settings(path)
        _, files, _ = write_demo_inputs(path, month, seed, settings.zone, per_day)
        with wiring.open_warehouse(settings) as con:
            _demo_setup(con, settings)
    runs = 0

    @contextmanager
    def run() -> Iterator[Any]:
        """One flow run: the warehouse opened once, the copy published at the end."""
        nonlocal runs
        runs += 1
        with watch("open"):
            manager = wiring.open_warehouse(settings)
            con = manager.__enter__()
        try:
            yield con
            with watch("publish"):
                publish(con, settings)
        finally:
            manager.__exit__(None, None, None)

    def dispatch(at: Any) -> None:
        with run() as con, LandingStore(settings.landing_path) as landing:
            provider = wiring.make_provider(settings, landing, wiring.home_kind(con))
            clock.hold(at)
            try:
                with watch("ingest"):
                    contact.ingest(con, landing, at)
                with watch("dispatch"):
                    contact.dispatch(con, settings, provider, landing, at, at)
            finally:
                clock.hold(None)

    for day in sorted(files):
        settings.inbox.mkdir(parents=True, exist_ok=True)
        files[day].replace(settings.inbox / files[day].name)
        with run() as con:
            with watch("import"):
                intake.import_inbox(con, settings)
            with watch("draw"):
                intake.draw_day(con, settings, day, day + timedelta(days=1))
            with watch("validate"):
                intake.validate_day(con, day, demo_clock(day, settings.zone)[0])
        for at in demo_clock(day, settings.zone):
            dispatch(at)
    last = max(files)
    close_rounds = [
        at
        for k in range(1, FIELDWORK_CLOSE_DAYS + 1)
        for at in demo_clock(last + timedelta(days=k), settings.zone)
    ]
    for at in close_rounds:
        dispatch(at)
    cutoff = close_rounds[-1]
    with run() as con, LandingStore(settings.landing_path) as landing:
        with watch("ingest"):
            contact.ingest(con, landing, cutoff)
        with watch("close"):
            report = month_stage.close_month(con, settings, month, cutoff)
        with watch("bulletin"):
            if not report.blocking_failed:
                month_stage.write_bulletin(con, settings, month)
        cases = int(con.sql("SELECT count(*) FROM cases").fetchall()[0][0])
    return {
        "district": path.name,
        "seconds": time.perf_counter() - started,
        "laps": watch.laps,
        "runs": runs,
        "cases": cases,
        "sampled": report.sampled,
        "responded": report.responded,
        "peak_mb": peak_mb(),
    }


def _one(args: tuple[str, str, int, int]) -> dict[str, Any]:
    return district_month(*args)


def _jobs(root: Path, districts: int, month: str, per_day: int) -> list[tuple[str, str, int, int]]:
    return [(str(root / f"d{k:03d}"), month, 1000 + k, per_day) for k in range(districts)]


def run_local(root: Path, districts: int, month: str, per_day: int, procs: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    started = time.perf_counter()
    loads = []
    results = []
    with ctx.Pool(procs, maxtasksperchild=1) as pool:
        for result in pool.imap_unordered(_one, _jobs(root, districts, month, per_day)):
            results.append(result)
            loads.append(os.getloadavg()[0])
            if len(results) % 10 == 0 or len(results) == districts:
                print(f"    {len(results)}/{districts} districts, {time.perf_counter() - started:.0f} s "
                      f"[{load()}]", flush=True)
    return {"wall": time.perf_counter() - started, "results": results, "loads": loads}


# --- on two Prefect workers ------------------------------------------------------------------


async def _deploy(jobs: list[tuple[str, str, int, int]], pool: str) -> list[str]:
    from prefect.deployments.runner import EntrypointType

    from bench.province_flow import province_month_flow as district_flow
    from flows.deployments import ensure_pool

    await ensure_pool(pool)
    names = []
    for home, month, seed, per_day in jobs:
        name = Path(home).name
        deployment = await district_flow.ato_deployment(  # type: ignore[attr-defined]
            name=name,
            parameters={"home": home, "month": month, "seed": seed, "per_day": per_day},
            entrypoint_type=EntrypointType.MODULE_PATH,
            work_queue_name=name,
            job_variables={"command": f"{sys.executable} -m prefect.engine"},
        )
        await deployment.aapply(work_pool_name=pool)
        names.append(f"province-district-month/{name}")
    return names


async def _run_all(names: list[str], timeout: float) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    runs = [await run_deployment(name, timeout=0) for name in names]  # type: ignore[misc]
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while time.monotonic() < deadline:
            states = [await client.read_flow_run(r.id) for r in runs]
            done = [s for s in states if s.state and s.state.is_final()]
            if len(done) == len(runs):
                return states
            await asyncio.sleep(2)
    raise TimeoutError(f"{len(runs)} runs not finished in {timeout:.0f} s")


def _workers(pool: str, queues: list[list[str]], env: dict[str, str], log: Path) -> list[subprocess.Popen[bytes]]:
    script = (
        "import asyncio, sys, json; from flows.deployments import run_worker; "
        "asyncio.run(run_worker(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], limit=1))"
    )
    import json

    procs = []
    for k, names in enumerate(queues):
        with open(log.with_name(f"worker-{k}.log"), "wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", script, pool, json.dumps(names), f"worker-{k}"],
                    env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )
            )
    return procs


async def _dispatch_burst(homes: list[Path], pool: str, rounds: int) -> tuple[float, int]:
    """Plain ``minyi-dispatch`` deployment runs (nothing due at 03:00) on the same workers."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    from flows.deployments import register
    from minyi.settings import load_settings

    names = []
    for home in homes:
        settings = load_settings(home, work_pool=pool)
        names += [n for n in await register(settings) if n.startswith("minyi-dispatch/")]
    started = time.monotonic()
    runs = [
        await run_deployment(name, timeout=0, parameters={"at": "2026-12-02T03:00:00+08:00"})  # type: ignore[misc]
        for _ in range(rounds)
        for name in names
    ]
    async with get_client() as client:
        while True:
            states = [await client.read_flow_run(r.id) for r in runs]
            if all(s.state and s.state.is_final() for s in states):
                break
            await asyncio.sleep(1)
    ok = sum(1 for s in states if s.state and s.state.is_completed())
    return time.monotonic() - started, ok


def run_prefect(
    root: Path, districts: int, month: str, per_day: int, burst_homes: int
) -> dict[str, Any]:
    from flows.runtime import ensure_local_server, point_prefect_at, quiet, stop_local_server

    quiet()
    server_home = root / "province-server"
    server_home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(server_home / ".prefect")
    url = ensure_local_server(server_home)
    point_prefect_at(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
    pool = "province"
    jobs = _jobs(root, districts, month, per_day)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        names = asyncio.run(_deploy(jobs, pool))
        queues = [[Path(j[0]).name for j in jobs[k::2]] for k in range(2)]
        workers = _workers(pool, queues, env, root / "worker.log")
        started = time.perf_counter()
        states = asyncio.run(_run_all(names, timeout=24 * 3600))
        wall = time.perf_counter() - started
        completed = [s for s in states if s.state and s.state.is_completed()]
        for run in [s for s in states if s not in completed][:3]:  # say why, not only how many
            state = run.state
            print(f"  run {run.name}: {state.name if state else 'no state'}: "
                  f"{(state.message or '') if state else ''}"[:400], flush=True)
        results = []
        for state in completed:
            value = asyncio.run(_result(state))
            if value is not None:
                results.append(value)
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
        # the cost of one flow run: plain dispatch runs on two fresh workers
        burst = [Path(j[0]) for j in jobs[:burst_homes]]
        workers = _workers(pool, [[h.name for h in burst[k::2]] for k in range(2)], env, root / "burst.log")
        burst_wall, burst_ok = asyncio.run(_dispatch_burst(burst, pool, 2))
        return {
            "wall": wall,
            "completed": len(completed),
            "failed": len(states) - len(completed),
            "results": results,
            "burst": (burst_wall, burst_ok, 2 * len(burst)),
        }
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
                w.wait(timeout=60)
        stop_local_server(server_home)


async def _result(state: Any) -> dict[str, Any] | None:
    try:
        value = await state.state.result(fetch=True)
    except Exception:
        return None
    return value if isinstance(value, dict) else None


# --- reporting ------------------------------------------------------------------------------


def _report(name: str, outcome: dict[str, Any], districts: int) -> None:
    results = outcome["results"]
    wall = outcome["wall"]
    print(f"{name}: {districts} district-months in {wall:.0f} s = {districts / wall * 3600:.0f} per hour")
    if not results:
        print("  (no per-district figures returned)")
        return
    seconds = [r["seconds"] for r in results]
    runs = sum(r["runs"] for r in results)
    print(
        f"  per district: {statistics.median(seconds):.1f} s median ({min(seconds):.1f}..{max(seconds):.1f}), "
        f"{statistics.median(r['cases'] for r in results):,.0f} cases, "
        f"{statistics.median(r['sampled'] for r in results):,.0f} sampled, "
        f"{statistics.median(r['responded'] for r in results):,.0f} respondents, "
        f"{runs // len(results)} runs, peak {max(r['peak_mb'] for r in results):.0f} MB"
    )
    total = {s: sum(r["laps"].get(s, 0.0) for r in results) for s in STAGES}
    whole = sum(r["seconds"] for r in results)
    parts = ", ".join(f"{s} {total[s] / whole:.0%}" for s in STAGES if total[s] > 0)
    other = 1 - sum(total.values()) / whole
    print(f"  where the time goes: {parts}, other {other:.0%}")
    print(f"  per run: open {total['open'] / runs * 1000:.0f} ms, publish {total['publish'] / runs * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--districts", type=int, default=100)
    parser.add_argument("--per-day", type=int, default=150, help="cases per working day per district")
    parser.add_argument("--month", default=MONTH)
    parser.add_argument("--procs", type=int, default=2, help="worker processes in local mode")
    parser.add_argument("--mode", choices=("local", "prefect", "both"), default="both")
    parser.add_argument("--burst-homes", type=int, default=20, help="homes in the dispatch burst")
    parser.add_argument("--keep", type=Path, help="keep the homes in this folder")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="minyi-province-"))
    root.mkdir(parents=True, exist_ok=True)
    print(
        f"province: {args.districts} districts, {args.month}, {args.per_day} cases per working day "
        f"each (scaled down from 1,500) [{load()}]",
        flush=True,
    )
    if args.mode in ("local", "both"):
        print(f"  local: {args.procs} processes, stages called directly", flush=True)
        local = run_local(root / "local", args.districts, args.month, args.per_day, args.procs)
        _report(f"local ({args.procs} processes)", local, args.districts)
        print(f"  load during the run: median {statistics.median(local['loads']):.1f} on {os.cpu_count()} cores")
    if args.mode in ("prefect", "both"):
        print("  prefect: one server, one pool, two process workers", flush=True)
        outcome = run_prefect(root / "prefect", args.districts, args.month, args.per_day, args.burst_homes)
        _report("prefect (2 workers)", outcome, args.districts)
        if outcome["failed"]:
            print(f"  FAILED runs: {outcome['failed']}")
        burst_wall, ok, total = outcome["burst"]
        per_run = burst_wall / max(ok, 1)
        print(
            f"  a plain dispatch run (nothing due) through the two workers: {ok}/{total} in "
            f"{burst_wall:.0f} s = {per_run:.1f} s of wall time per run ({2 * per_run:.1f} s of a worker)"
        )
        windows_runs_per_day = 9 * 60 / 10  # dispatch every 10 minutes, ~9 hours of windows
        day = args.districts * windows_runs_per_day * per_run
        print(
            f"  projection: {args.districts} districts × {windows_runs_per_day:.0f} dispatch runs a day "
            f"(every 10 min in the windows) = {day / 3600:.1f} h of the two workers per day on "
            "orchestration alone"
        )
    print(f"[{load()}]")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
