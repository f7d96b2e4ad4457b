"""Numbers as the bulletin prints them."""

from __future__ import annotations

import math

DASH = "—"


def pct(x: float | None) -> str:
    """A rate as a percentage with one decimal (``0.9234`` → ``92.3%``)."""
    return DASH if x is None or math.isnan(x) else f"{x * 100:.1f}%"


def points(x: float) -> str:
    """A difference of rates in percentage points, unsigned (``0.018`` → ``1.8``)."""
    return f"{abs(x) * 100:.1f}"


def count(n: int | float | None) -> str:
    return DASH if n is None else f"{int(n):,}"


def interval(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return DASH
    return f"{lo * 100:.1f}–{hi * 100:.1f}%"


def margin(lo: float | None, hi: float | None) -> str | None:
    """Half the interval in points (``±1.2``), the plain-words "误差范围"."""
    if lo is None or hi is None:
        return None
    return f"{(hi - lo) * 50:.1f}"


def probability(p: float | None) -> str:
    if p is None or math.isnan(p):
        return DASH
    if p < 0.001:
        return "<0.1%"
    if p > 0.999:
        return ">99.9%"
    return f"{p * 100:.1f}%"


def rank_interval(lo: int | None, hi: int | None) -> str:
    if lo is None or hi is None:
        return DASH
    return str(lo) if lo == hi else f"{lo}–{hi}"


def log_odds(x: float | None) -> str:
    """A log-odds effect, signed, two decimals, with a true minus (``-0.134`` → ``−0.13``)."""
    if x is None or math.isnan(x):
        return DASH
    text = f"{x:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text.replace("-", "−")
