"""The daily flow: import the day's cases, draw the sample, contact, ingest, validate, publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from channels import clock
from channels.landing import LandingStore
from flows import steps
from minyi.settings import Settings
from minyi.wiring import make_provider
from warehouse.loaders import LoadReport


@dataclass(frozen=True)
class DayReport:
    day: date
    loads: list[LoadReport]
    draw: steps.DrawReport
    dispatches: list[steps.DispatchReport]
    ingested: int
    answers: int
    validation_problems: list[str]


import_task = task(name="import-cases", cache_policy=NO_CACHE)(steps.import_cases)
draw_task = task(name="draw-sample", cache_policy=NO_CACHE)(steps.draw_day)
dispatch_task = task(name="dispatch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)(
    steps.dispatch
)
ingest_task = task(name="ingest", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)(
    steps.ingest
)
validate_task = task(name="validate-day", cache_policy=NO_CACHE)(steps.validate_day)
publish_task = task(name="publish", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)(
    steps.publish_copy
)


def contact_rounds(
    settings: Settings, rounds: list[datetime], hold_clock: bool = False
) -> tuple[list[steps.DispatchReport], int, int]:
    """For each clock time: load what has arrived by then, then do the contact work due.

    ``hold_clock`` stamps what the network does in response at that time too (replays,
    the demo over the local Twilio emulator); see ``channels.clock``.
    """
    reports = []
    ingested = answers = 0
    with LandingStore(settings.landing_path) as landing:
        provider = make_provider(settings, landing)
        for at in rounds:
            if hold_clock:
                clock.hold(at)
            got = ingest_task(settings, at)
            ingested += got.new
            answers += got.respondents
            reports.append(dispatch_task(settings, provider, at))
    return reports, ingested, answers


@flow(name="minyi-day", validate_parameters=False, log_prints=False)
def day_flow(
    settings_data: dict[str, Any],
    day: date,
    files: list[str],
    rounds: list[datetime],
    hold_clock: bool = False,
) -> DayReport:
    settings = Settings(**settings_data)
    loads = import_task(settings, [Path(f) for f in files]) if files else []
    drawn = draw_task(settings, day)
    reports, ingested, answers = contact_rounds(settings, rounds, hold_clock)
    problems = validate_task(settings, day, rounds[-1] if rounds else datetime.now().astimezone())
    publish_task(settings)
    return DayReport(day, loads, drawn, reports, ingested, answers, problems)


@dataclass(frozen=True)
class DispatchRun:
    dispatch: steps.DispatchReport
    ingested: int
    respondents: int


@flow(name="minyi-dispatch", validate_parameters=False)
def dispatch_flow(
    settings_data: dict[str, Any], at: datetime, hold_clock: bool = False
) -> DispatchRun:
    """``minyi dispatch``: load what arrived by ``at``, do the contact work due, publish."""
    settings = Settings(**settings_data)
    reports, ingested, respondents = contact_rounds(settings, [at], hold_clock)
    publish_task(settings)
    return DispatchRun(reports[0], ingested, respondents)
