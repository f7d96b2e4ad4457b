"""The flow each district's deployment runs in ``bench.province``'s Prefect mode.

A module of its own, so that the local mode's district processes do not import Prefect:
a deployment's entrypoint must name a function decorated with ``@flow``.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from bench.province import district_month


@flow(name="province-district-month")
def province_month_flow(home: str, month: str, seed: int, per_day: int) -> dict[str, Any]:
    """One district's month (see ``bench.province.district_month``)."""
    return district_month(home, month, seed, per_day)
