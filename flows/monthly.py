"""The monthly flow: close fieldwork, final dispositions, estimates, bulletin, publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import steps
from flows.daily import contact_rounds, ingest_task, publish_task
from minyi.settings import Settings

estimate_task = task(name="estimate-month", cache_policy=NO_CACHE)(steps.estimate_month)
bulletin_task = task(name="write-bulletin", cache_policy=NO_CACHE)(steps.write_bulletin)


@dataclass(frozen=True)
class MonthResult:
    report: steps.MonthReport
    bulletin: steps.BulletinFiles | None
    refused: str | None


@flow(name="minyi-month", validate_parameters=False)
def month_flow(
    settings_data: dict[str, Any],
    month: str,
    close_rounds: list[datetime],
    close_at: datetime,
    lang: str = "zh",
    hold_clock: bool = False,
) -> MonthResult:
    settings = Settings(**settings_data)
    if close_rounds:
        contact_rounds(settings, close_rounds, hold_clock)
    ingest_task(settings, close_at)
    report = estimate_task(settings, month, close_at)
    bulletin = refused = None
    if report.blocking_failed:
        refused = "; ".join(report.validation)
    else:
        bulletin = bulletin_task(settings, month, lang)
    publish_task(settings)
    return MonthResult(report, bulletin, refused)
