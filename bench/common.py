"""What every benchmark shares: fresh processes, first/best/median, ratios, the load beside each figure.

Production runs each flow in a fresh process, once: the first call is the one
that counts. So a benchmark runs the measured code in a freshly spawned
interpreter (``in_child``), repeats that, and reports the first run beside the
best and the median, with the machine's load average at the time (the
machines we run on are shared: a figure means little without it).
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import resource
import statistics
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def load() -> str:
    """The 1-minute load average and the cores, e.g. ``load 1.9/2``."""
    return f"load {os.getloadavg()[0]:.1f}/{os.cpu_count()}"


def peak_mb() -> float:
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


def _child(send: Any, target: str, args: tuple[Any, ...]) -> None:
    try:
        module, name = target.split(":")
        func = getattr(importlib.import_module(module), name)
        started_load = os.getloadavg()[0]
        result = func(*args)
        result["peak_mb"] = peak_mb()
        result["load"] = max(started_load, os.getloadavg()[0])
        send.send(result)
    except BaseException:
        send.send({"error": traceback.format_exc()})
    finally:
        send.close()


def in_child(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``func(*args)`` in a fresh (spawned) interpreter; its result, peak RSS and load."""
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    target = f"{func.__module__}:{func.__name__}"
    process = ctx.Process(target=_child, args=(send, target, args))
    process.start()
    send.close()
    result: dict[str, Any] = receive.recv()
    process.join()
    if "error" in result:
        raise RuntimeError(f"{target} failed in the child:\n{result['error']}")
    return result


def spread(times: Sequence[float]) -> str:
    """``first 1.23 s  best 1.01 s  median 1.10 s``."""
    return (
        f"first {times[0]:6.2f} s  best {min(times):6.2f} s  "
        f"median {statistics.median(times):6.2f} s"
    )


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


class Stopwatch:
    """Named laps: ``with watch("fetch"): ...``; ``watch.laps`` in order."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    def __call__(self, name: str) -> _Lap:
        return _Lap(self, name)


class _Lap:
    def __init__(self, watch: Stopwatch, name: str) -> None:
        self.watch, self.name = watch, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        self.watch.laps[self.name] = self.watch.laps.get(self.name, 0.0) + elapsed
