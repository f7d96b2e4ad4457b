"""Speed of ordinary use, as staff run it: fresh `minyi` processes against the persistent server.

Targets (issue [6]): with the persistent Prefect server running, `minyi dispatch` with nothing
due and `minyi day` on a day of 1,500 cases each take at most 3 s; `minyi sql "select 1"` under
1 s; `minyi demo` at most 60 s on 2 cores. Each command is timed as a whole process (start-up,
imports, the flow run, publishing), three times where repeating is meaningful; the first run is
reported beside the best and the median.

    uv run python -m bench.ordinary_use [--skip-demo]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAY = "2026-11-16"


def _minyi(home: Path, *args: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(home), *args],
        env=env, capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"minyi {' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed


def _cases(path: Path, day: str, n: int, offset: int) -> None:
    rows = ["case_id,unit_id,category,completed_at,phone"]
    rows += [
        f"{day}-{offset + i:05d},U{i % 20 + 1},类别{i % 12:02d},{day} {8 + i % 9:02d}:{i % 60:02d}:00,139{offset + i:08d}"
        for i in range(n)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _report(name: str, times: list[float], target: float) -> None:
    best, median = min(times), statistics.median(times)
    verdict = "ok" if median <= target else "MISSED"
    print(f"{name:<38} first {times[0]:6.2f} s  best {best:6.2f} s  median {median:6.2f} s  "
          f"(target ≤ {target:g} s: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="minyi-ordinary-"))
    home = root / "center"
    (home / "inbox" / "cases").mkdir(parents=True)
    (home / "minyi.env").write_text("MINYI_PROVIDER=manual\n", encoding="utf-8")
    units = root / "units.csv"
    units.write_text(
        "unit_id,unit_name,unit_kind\n" + "".join(f"U{i},单位{i},agency\n" for i in range(1, 21)),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINYI_", "PREFECT_API_URL"))}
    started = time.perf_counter()
    _minyi(home, "units", "load", str(units), env=env)
    print(f"first command, starting the home's Prefect server: {time.perf_counter() - started:.1f} s")

    day_times = []
    for k, day in enumerate(("2026-11-16", "2026-11-17", "2026-11-18")):
        _cases(home / "inbox" / "cases" / f"export-{day}.csv", day, 1500, k * 10000)
        day_times.append(_minyi(home, "day", "--date", day, env=env))
    _minyi(home, "dispatch", "--at", "2026-11-19T10:00:00+08:00", env=env)  # everything due now sent
    idle = [
        _minyi(home, "dispatch", "--at", f"2026-11-19T10:{5 + k:02d}:00+08:00", env=env)
        for k in range(3)
    ]
    sql = [_minyi(home, "sql", "select 1", env=env) for _ in range(3)]
    print()
    _report("minyi day (1,500 cases)", day_times, 3.0)
    _report("minyi dispatch (nothing due)", idle, 3.0)
    _report('minyi sql "select 1"', sql, 1.0)
    if not args.skip_demo:
        demo_home = root / "demo"
        demo = [_minyi(demo_home, "demo", "--month", "2026-11", env=env)]
        _report("minyi demo (new home, own server)", demo, 60.0)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(home), "prefect", "stop"],
        env=env, capture_output=True,
    )
    if not args.skip_demo:
        subprocess.run(
            [sys.executable, "-m", "app.cli", "--home", str(root / "demo"), "prefect", "stop"],
            env=env, capture_output=True,
        )


if __name__ == "__main__":
    main()
