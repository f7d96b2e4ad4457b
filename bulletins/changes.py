"""Month-on-month (环比) and year-on-year (同比) changes, marked only when significant.

METHODS.md "Judging performance": changes carry a standard error and only
significant ones are marked. Without a ``changes`` frame from the warehouse, the
change of a unit reportable in both months is r₁ − r₀ with SE √(se₁² + se₀²):
the two months are independent samples (different cases, independent draws), so
the covariance is zero. A change is significant when |change| > 1.96·SE
(two-sided 5%); with no SE nothing is marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import polars as pl

from bulletins.model import CHANGE, CHANGE_SE, COMPARISON, BulletinData, DistrictFigure
from minyi import columns as c

Z95: Final = 1.959963984540054


@dataclass(frozen=True)
class Change:
    comparison: str  # mom | yoy
    change: float
    se: float | None
    earlier: float | None = None

    @property
    def significant(self) -> bool:
        return self.se is not None and self.se > 0 and abs(self.change) > Z95 * self.se


def _rates(frame: pl.DataFrame | None) -> dict[str, tuple[float, float | None]]:
    if frame is None:
        return {}
    return {
        row[c.UNIT_ID]: (row[c.SATISFACTION_RATE], row[c.SE])
        for row in frame.iter_rows(named=True)
        if row[c.REPORTABLE] and row[c.SATISFACTION_RATE] is not None
    }


def unit_changes(data: BulletinData) -> dict[tuple[str, str], Change]:
    """``(unit_id, comparison)`` → change, from ``changes`` or derived from the earlier frames."""
    out: dict[tuple[str, str], Change] = {}
    if data.changes is not None:
        for row in data.changes.iter_rows(named=True):
            if row[CHANGE] is not None:
                key = (row[c.UNIT_ID], row[COMPARISON])
                out[key] = Change(row[COMPARISON], row[CHANGE], row[CHANGE_SE])
        return out
    now = _rates(data.units)
    for comparison, frame in (("mom", data.previous), ("yoy", data.year_ago)):
        for unit, (r0, se0) in _rates(frame).items():
            if unit not in now:
                continue
            r1, se1 = now[unit]
            se = math.sqrt(se1**2 + se0**2) if se1 is not None and se0 is not None else None
            out[(unit, comparison)] = Change(comparison, r1 - r0, se, r0)
    return out


def _se(fig: DistrictFigure) -> float | None:
    if fig.se is not None:
        return fig.se
    if fig.ci_low is None or fig.ci_high is None:
        return None
    return (fig.ci_high - fig.ci_low) / (2 * Z95)  # from the interval when no SE is given


def district_changes(data: BulletinData) -> list[Change]:
    """The district rate against last month and a year ago, where known."""
    now = data.district
    out = []
    for comparison, earlier in (("mom", data.district_previous), ("yoy", data.district_year_ago)):
        if earlier is None or earlier.rate is None or now.rate is None:
            continue
        se1, se0 = _se(now), _se(earlier)
        se = math.sqrt(se1**2 + se0**2) if se1 is not None and se0 is not None else None
        out.append(Change(comparison, now.rate - earlier.rate, se, earlier.rate))
    return out
