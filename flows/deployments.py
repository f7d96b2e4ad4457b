"""The cycle as scheduled Prefect deployments, run by a process worker.

For a home (a district) ``register`` creates or updates three deployments,
named after the district (``MINYI_DISTRICT_ID``, default the home folder's
name), in the work pool ``MINYI_WORK_POOL`` (type *process*, created if
missing), on a work queue of the district's name:

=================  ===========================================  ====================
deployment         schedule (``MINYI_TIMEZONE``)                 parameters
=================  ===========================================  ====================
``minyi-day``      every day at ``MINYI_DAY_AT``                 home
``minyi-dispatch`` every ``MINYI_DISPATCH_EVERY_MINUTES`` in      home
                   the hours of ``MINYI_CALLING_WINDOWS``
                   (the flow itself keeps to working days and
                   the exact windows)
``minyi-month``    days 1–12 of each month at ``MINYI_MONTH_AT``  home, scheduled=true
                   (the flow waits for the cut-off, the
                   ``MINYI_MONTH_CLOSE_WORKING_DAY``-th working
                   day, then closes the month once)
=================  ===========================================  ====================

Why a work pool and a process worker rather than ``prefect serve``: the same
arrangement serves one district on one machine and many districts on many
machines (one Prefect server, one pool, a worker per machine polling its
districts' queues), deployments and their schedules live in the server and
survive restarts, and the Prefect UI shows each worker's health. Every flow run
is a fresh process started by the worker with the worker's environment, so
secrets travel by environment (never as parameters) and a crash of one run
cannot take the listener down. The entrypoints are module paths
(``flows.cycle:day_flow``): the worker's machine has minyi installed, nothing is
uploaded.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from datetime import time

from minyi.settings import Settings

FLOWS = {
    "minyi-day": "flows.cycle:day_flow",
    "minyi-dispatch": "flows.cycle:dispatch_flow",
    "minyi-month": "flows.cycle:month_flow",
    "minyi-purge": "flows.commands:purge_flow",
    "minyi-casework": "flows.cycle:casework_flow",
}


@dataclass(frozen=True)
class Plan:
    flow: str
    cron: str
    parameters: dict[str, object]
    description: str
    rrule: str | None = None  # instead of the cron, for a time with seconds

    def schedule(self, timezone: str):  # type: ignore[no-untyped-def]
        from prefect.schedules import Cron, RRule

        if self.rrule:
            return RRule(self.rrule, timezone=timezone)
        return Cron(self.cron, timezone=timezone)


def _hours(windows: tuple[tuple[time, time], ...]) -> str:
    hours: set[int] = set()
    for start, end in windows:
        last = end.hour if end.minute else end.hour - 1
        hours.update(range(start.hour, last + 1))
    return ",".join(str(h) for h in sorted(hours))


def plans(settings: Settings) -> list[Plan]:
    """The three deployments' schedules and parameters for this home."""
    home = str(settings.home.resolve())
    every = settings.dispatch_every_minutes
    return [
        Plan(
            "minyi-day",
            f"{settings.day_at.minute} {settings.day_at.hour} * * *",
            {"home": home},
            "每日：导入办件、抽取昨日样本、校验、发布 / import, draw yesterday, validate, publish",
            (
                f"FREQ=DAILY;BYHOUR={settings.day_at.hour};BYMINUTE={settings.day_at.minute};"
                f"BYSECOND={settings.day_at.second}"
                if settings.day_at.second
                else None
            ),
        ),
        Plan(
            "minyi-dispatch",
            f"*/{every} {_hours(settings.calling_windows)} * * *",
            {"home": home},
            "访评联系：短信、语音、人工清单 / contact work due now, inside calling windows",
        ),
        Plan(
            "minyi-month",
            f"{settings.month_at.minute} {settings.month_at.hour} 1-12 * *",
            {"home": home, "scheduled": True},
            "月度：截止访评、估计、校验、统计通报 / close the month, estimate, bulletin",
        ),
        Plan(
            "minyi-casework",
            f"{settings.day_at.minute} {(settings.day_at.hour + 1) % 24} * * *",
            {"home": home},
            "每日：转办件到期提醒、超期督办、回访安排、申诉复核结果 / follow-ups: deadlines, "
            "escalation, 回访, appeals",
        ),
        Plan(
            "minyi-purge",
            f"{settings.month_at.minute} {settings.month_at.hour} * * 0",
            {"home": home},
            "每周：清除超过保存期限的个人信息 / weekly: purge personal data past its retention",
        ),
    ]


async def ensure_pool(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    async with get_client() as client:
        try:
            await client.read_work_pool(name)
        except ObjectNotFound:
            with contextlib.suppress(ObjectAlreadyExists):
                await client.create_work_pool(WorkPoolCreate(name=name, type="process"))


async def register(settings: Settings) -> list[str]:
    """Create or update the home's three deployments; returns their ``flow/deployment`` names."""
    from prefect.deployments.runner import EntrypointType

    from flows import commands, cycle

    functions = {
        "minyi-day": cycle.day_flow,
        "minyi-dispatch": cycle.dispatch_flow,
        "minyi-month": cycle.month_flow,
        "minyi-purge": commands.purge_flow,
        "minyi-casework": cycle.casework_flow,
    }
    await ensure_pool(settings.work_pool)
    names = []
    for plan in plans(settings):
        deployment = await functions[plan.flow].ato_deployment(  # type: ignore[attr-defined]
            name=settings.district,
            schedules=[plan.schedule(settings.timezone)],
            parameters=plan.parameters,
            description=plan.description,
            tags=["minyi", settings.district],
            entrypoint_type=EntrypointType.MODULE_PATH,
            work_queue_name=settings.district,
            job_variables={"command": f"{sys.executable} -m prefect.engine"},
        )
        await deployment.aapply(work_pool_name=settings.work_pool)
        names.append(f"{plan.flow}/{settings.district}")
    return names


async def run_worker(pool: str, queues: list[str], name: str, limit: int = 2) -> None:
    """Poll the pool's queues and run each flow run in its own process, until cancelled."""
    from prefect.workers.process import ProcessWorker

    async with ProcessWorker(
        work_pool_name=pool, work_queues=queues, name=name, limit=limit
    ) as worker:
        await worker.start()


async def next_runs(settings: Settings, limit: int = 6) -> list[tuple[str, str]]:
    """The next scheduled runs of this home: (flow, local time) pairs, soonest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    async with get_client() as client:
        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[settings.district])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=limit,
        )
        flows = {f.id: f.name for f in await client.read_flows()}
    out = []
    for run in runs:
        when = run.expected_start_time
        local = when.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M") if when else "?"
        out.append((flows.get(run.flow_id, "?"), local))
    return out
