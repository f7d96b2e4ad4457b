"""The center's cycle as Prefect flows: ``minyi-day``, ``minyi-dispatch``, ``minyi-month``,
``minyi-casework`` (closing the loop, ``flows.casework``) and ``minyi-demo``.

Each flow takes the **home** (a path) and loads the settings itself, so no
secret is ever a flow parameter; it opens the warehouse once, runs its stages
as tasks (``flows.intake``, ``flows.contact``, ``flows.month``), publishes the
staff copy and returns a small report. The CLI calls these functions (one flow
run per command); ``minyi serve`` runs them as scheduled deployments
(``flows.deployments``). A failed run tells people (``flows.notify``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from channels import clock
from channels.hours import is_working_day
from channels.landing import LandingStore
from flows import casework as casework_stage
from flows import contact, intake, notify, wiring
from flows.publish import publish
from minyi import months
from minyi.errors import Transient, UsageRefused, is_transient
from minyi.settings import Settings, load_settings
from warehouse.fieldwork import IngestReport

if TYPE_CHECKING:
    from flows import month as month_stage


def _retry_transient(task: object, task_run: object, state: object) -> bool:
    try:
        state.result()  # type: ignore[attr-defined]
    except Exception as exc:  # the task's own exception
        return is_transient(exc)
    return False


def _io_task(name: str):  # type: ignore[no-untyped-def]
    return task(
        name=name,
        cache_policy=NO_CACHE,
        retries=2,
        retry_delay_seconds=2,
        retry_condition_fn=_retry_transient,
    )


import_task = task(name="import-cases", cache_policy=NO_CACHE)(intake.import_inbox)
draw_task = task(name="draw-sample", cache_policy=NO_CACHE)(intake.draw_day)
validate_day_task = task(name="validate-day", cache_policy=NO_CACHE)(intake.validate_day)
ingest_task = _io_task("ingest")(contact.ingest)
dispatch_task = task(name="dispatch", cache_policy=NO_CACHE)(contact.dispatch)


def _month_stage() -> Any:
    """The month stage, imported when a month is closed: it brings scipy and the judgement,
    seconds of start-up every ``minyi dispatch`` and ``minyi day`` would otherwise pay."""
    from flows import month

    return month


@task(name="close-month", cache_policy=NO_CACHE)
def close_task(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str, cutoff: datetime
) -> month_stage.MonthReport:
    report: month_stage.MonthReport = _month_stage().close_month(con, settings, month, cutoff)
    return report


@task(name="write-bulletin", cache_policy=NO_CACHE)
def bulletin_task(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str, lang: str = "zh"
) -> month_stage.BulletinFiles:
    files: month_stage.BulletinFiles = _month_stage().write_bulletin(con, settings, month, lang)
    return files

publish_task = _io_task("publish")(publish)
casework_send_task = task(name="casework-send", cache_policy=NO_CACHE)(casework_stage.send_due)
casework_day_task = task(name="casework-day", cache_policy=NO_CACHE)(casework_stage.run_day)


def warm_up() -> None:
    """Import what the runs will need (validation, rendering) ahead of time."""
    from bulletins import render  # noqa: F401
    from expectations.validate import _context

    _context()


def local_today(settings: Settings, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(settings.zone).date()


# --- minyi-day ----------------------------------------------------------------


class InboxRejected(UsageRefused):
    def __init__(self, rejected: dict[str, str], day: date) -> None:
        self.rejected = rejected
        names = "; ".join(f"{name}: {why}" for name, why in rejected.items())
        super().__init__(
            f"{len(rejected)} file(s) in the inbox could not be read ({names}); they were moved "
            f"to inbox/cases/rejected/ and {day} was not drawn: fix and put them back "
            f"/ 有文件无法读取，已移至 rejected，{day} 暂不抽样"
        )


class NoCases(UsageRefused):
    def __init__(self, day: date) -> None:
        self.day = day
        super().__init__(
            f"no cases of {day} (a working day) have arrived by the cut-off: check the case "
            f"system's export / {day} 为工作日但未收到办件数据，请检查办件系统导出"
        )


@dataclass(frozen=True)
class DayResult:
    day: date
    imported: intake.Imported
    draw: intake.DrawReport | None
    problems: list[str]


@flow(name="minyi-day", on_failure=[notify.on_failure], on_crashed=[notify.on_failure])
def day_flow(home: str, day: date | None = None) -> DayResult:
    """Import the inbox, close and draw ``day`` (default yesterday), validate it, publish."""
    settings = load_settings(home)
    log = get_run_logger()
    now = datetime.now(UTC)
    today = local_today(settings, now)
    day = day or today - timedelta(days=1)
    with wiring.open_warehouse(settings) as con:
        imported = import_task(con, settings)
        for report in imported.loads:
            log.info("%s: read %s, loaded %s", Path(report.path).name, report.read, report.loaded)
        if imported.rejected:
            publish_task(con, settings)
            raise InboxRejected(imported.rejected, day)
        drawn = draw_task(con, settings, day, today)
        problems = validate_day_task(con, day, now)
        publish_task(con, settings)
    log.info("%s: eligible %s, sampled %s", day, drawn.eligible, drawn.sampled)
    if drawn.cases == 0 and is_working_day(day):
        raise NoCases(day)
    return DayResult(day, imported, drawn, problems)


# --- minyi-dispatch -------------------------------------------------------------


class ProviderDown(Transient):
    def __init__(self, waiting: int) -> None:
        self.waiting = waiting
        super().__init__(
            f"the provider took none of {waiting} sends (all failed for a passing reason); they "
            f"are retried at the next run / 短信语音服务暂不可用，{waiting} 条待下次重试"
        )


@dataclass(frozen=True)
class DispatchRun:
    dispatch: contact.DispatchReport
    ingested: IngestReport


@flow(name="minyi-dispatch", on_failure=[notify.on_failure], on_crashed=[notify.on_failure])
def dispatch_flow(home: str, at: datetime | None = None, hold_clock: bool = False) -> DispatchRun:
    """Load what arrived by ``at`` (default now), do the contact work due, publish.

    ``hold_clock`` stamps what the network does in response at ``at`` (replays and
    demos over the local emulators; see ``channels.clock``).
    """
    settings = load_settings(home)
    now = datetime.now(UTC)
    at = at or now
    with wiring.open_warehouse(settings) as con, LandingStore(settings.landing_path) as landing:
        kind = wiring.home_kind(con)
        wiring.check_provider(settings, kind)  # refused before anything is recorded
        provider = wiring.make_provider(settings, landing, kind)
        if hold_clock:
            clock.hold(at)
        try:
            got = ingest_task(con, landing, at)
            report = dispatch_task(con, settings, provider, landing, at, now)
            casework_send_task(con, settings, provider, landing, at, now)  # 回访 and polls
        finally:
            if hold_clock:
                clock.hold(None)
        publish_task(con, settings)
    if report.retry and not report.sent:
        raise ProviderDown(report.retry)
    get_run_logger().info(
        "due %s, sent %s, failed %s, retry %s; %s new answers",
        report.started,
        report.sent,
        report.failed,
        report.retry,
        got.respondents,
    )
    return DispatchRun(report, got)


# --- minyi-month ----------------------------------------------------------------


@dataclass(frozen=True)
class MonthResult:
    month: str
    report: month_stage.MonthReport | None
    bulletin: month_stage.BulletinFiles | None
    skipped: str | None = None


@flow(name="minyi-month", on_failure=[notify.on_failure], on_crashed=[notify.on_failure])
def month_flow(
    home: str,
    month: str | None = None,
    cutoff: datetime | None = None,
    lang: str = "zh",
    scheduled: bool = False,
) -> MonthResult:
    """Close the month's fieldwork at its cut-off, estimate, validate, write the bulletin, publish.

    ``scheduled`` runs (every morning of the first days of a month) do nothing until
    the cut-off has passed and nothing once the month is closed.
    """
    settings = load_settings(home)
    month_stage = _month_stage()
    now = datetime.now(UTC)
    month = months.parse(month) if month else months.last_month(local_today(settings, now))
    with wiring.open_warehouse(settings) as con, LandingStore(settings.landing_path) as landing:
        if scheduled:
            from warehouse.monthly import cutoff_of

            if cutoff_of(con, month) is not None:
                return MonthResult(month, None, None, f"{month} is already closed")
            due_at = month_stage.default_cutoff(settings, month)
            if now < due_at:
                return MonthResult(month, None, None, f"{month} closes at {due_at:%Y-%m-%d %H:%M}")
        cut = month_stage.resolve_cutoff(con, settings, month, now, cutoff)
        ingest_task(con, landing, cut)
        report = close_task(con, settings, month, cut)
        bulletin = None
        if not report.blocking_failed:
            bulletin = bulletin_task(con, settings, month, lang)
        publish_task(con, settings)
    if report.blocking_failed:
        raise month_stage.ValidationBlocked(
            f"{month}: validation failed, the bulletin was not published: "
            + "; ".join(report.validation)
        )
    return MonthResult(month, report, bulletin)


# --- minyi-casework ----------------------------------------------------------------


@flow(name="minyi-casework", on_failure=[notify.on_failure], on_crashed=[notify.on_failure])
def casework_flow(home: str, at: datetime | None = None) -> casework_stage.CaseworkReport:
    """Close the loop once a day: load what arrived, open tickets for new 不满意 answers and
    integrity reports, remind, mark overdue and escalate, plan the 回访, apply decided
    appeals (closing their months again), mirror the casework into the warehouse, publish."""
    settings = load_settings(home)
    at = at or datetime.now(UTC)
    with wiring.open_warehouse(settings) as con, LandingStore(settings.landing_path) as landing:
        provider = None
        if settings.provider is not None:
            kind = wiring.home_kind(con)
            if not (settings.provider == "simulated" and kind != "demo"):
                provider = wiring.make_provider(settings, landing, kind)
        ingest_task(con, landing, at)
        report = casework_day_task(con, settings, at, provider, landing)
        publish_task(con, settings)
    get_run_logger().info(
        "opened %s, overdue %s, escalated %s, 回访 planned %s, months closed again %s",
        report.opened, len(report.deadlines.overdue), len(report.deadlines.escalated),
        report.revisits_planned, report.reclosed,
    )
    return report


# --- the demo: a month replayed in one run ------------------------------------------


@flow(name="minyi-demo")
def demo_flow(
    home: str,
    month: str,
    rounds: dict[str, list[datetime]],
    cutoff: datetime,
    close_rounds: list[datetime],
    hold_clock: bool = False,
    lang: str = "zh",
) -> MonthResult:
    """Replay a synthetic month through the same stages: for each day (ISO keys of ``rounds``)
    import its file, draw, contact at the day's clock ``rounds``, validate; then the close."""
    settings = load_settings(home)
    with wiring.open_warehouse(settings) as con, LandingStore(settings.landing_path) as landing:
        _demo_setup(con, settings)
        kind = wiring.home_kind(con)
        provider = wiring.make_provider(settings, landing, kind)
        try:
            for key in sorted(rounds):
                day = date.fromisoformat(key)
                _drop_export(settings, day)
                _demo_day(con, settings, landing, provider, day, rounds[key], hold_clock)
                _demo_casework(con, settings, landing, provider, month, day, rounds[key])
            print(f"closing fieldwork at {cutoff.astimezone(settings.zone):%Y-%m-%d %H:%M}…")
            by_day: dict[date, list[datetime]] = {}
            for at in close_rounds:
                by_day.setdefault(at.astimezone(settings.zone).date(), []).append(at)
            for day, day_rounds in sorted(by_day.items()):
                for at in day_rounds:
                    _demo_round(con, settings, landing, provider, at, hold_clock)
                if day == max(by_day):  # a complaint on the day of the close: still open at the close
                    from channels.complaints import complaint_event

                    landing.record([complaint_event(
                        f"DEMOSMSLAST{settings.sample_seed}", "sms", "+8613912345679",
                        "反映社区卫生服务中心周末无人值班", day_rounds[0],
                    )])
                _demo_casework(con, settings, landing, provider, month, day, day_rounds)
        finally:
            clock.hold(None)
        ingest_task(con, landing, cutoff)
        casework_stage.run_day(con, settings, cutoff, provider, landing, notify=False)
        month_stage = _month_stage()
        report = month_stage.close_month(con, settings, month, cutoff)
        bulletin = None
        if not report.blocking_failed:
            bulletin = month_stage.write_bulletin(con, settings, month, lang)
        _demo_poll_report(settings)
        print(f"casework (tickets, 回访, complaints, appeals, poll): {sum(_CASEWORK_SECONDS):.1f}s", flush=True)
        publish(con, settings)
    return MonthResult(month, report, bulletin)


def _demo_casework(con, settings, landing, provider, month, day, rounds):  # type: ignore[no-untyped-def]
    """The day's casework: complaints arrive, the flow's daily casework, the demo's people act
    (liaisons reply or not, the director, the discipline office), a poll, appeals."""
    import time as timer

    from demo import casework as people
    from flows import polls
    from flows.casework import open_store, return_due

    t0 = timer.monotonic()
    at = (rounds[-1] if rounds else datetime.combine(day, time(17), tzinfo=settings.zone)) + timedelta(minutes=5)
    seed = settings.sample_seed
    first = date.fromisoformat(f"{month}-01")
    clock.hold(at)
    try:
        if day == first + timedelta(days=5):
            _demo_complaints(settings, landing, at, seed)
        contact.ingest(con, landing, at)
        casework_stage.run_day(con, settings, at, provider, landing, notify=False, mirrored=False)
        with open_store(settings.casework_path) as store:
            done = people.act(store, day, at, seed, settings.satisfied_min_level,
                              lambda kind, when: return_due(settings, kind, when))
            if day == first + timedelta(days=18):
                people.appeal(store, at, seed)
        if day == first + timedelta(days=4):
            toml, frame = people.write_poll_inputs(settings.home, month, seed)
            poll = polls.create(settings, toml.read_text(encoding="utf-8"), "demo:主任")
            drawn = polls.draw(settings, con, poll.poll_id, frame)
            polls.plan_contacts(settings, poll.poll_id, "sms", at)
            print(f"{day}  民意征集 {poll.poll_id}: frame {drawn.frame:,}, sampled {drawn.sampled}", flush=True)
    finally:
        clock.hold(None)
        _CASEWORK_SECONDS.append(timer.monotonic() - t0)
    return done


_CASEWORK_SECONDS: list[float] = []


def _demo_complaints(settings, landing, at, seed):  # type: ignore[no-untyped-def]
    """Two complaints: an SMS to the center's number, and the door-plate QR code's web form."""
    from channels.complaints import complaint_event
    from flows.public import record_complaint

    landing.record([complaint_event(
        f"DEMOSMS{seed}", "sms", "+8613912345678", "政务中心三楼窗口中午提前下班，白跑一趟", at
    )])
    units = casework_units(settings)
    record_complaint(
        settings, nonce=f"demo-{seed}", text="办理营业执照时被要求补交重复材料，来回跑了三次",
        name=None, phone=None, unit_id=units[0] if units else None, consent=False,
    )


def casework_units(settings):  # type: ignore[no-untyped-def]
    from flows.staff import unit_names

    return sorted(unit_names(settings)) or []


def _demo_poll_report(settings):  # type: ignore[no-untyped-def]
    from casework.polls import all_polls
    from flows.casework import open_store
    from flows.polls import write_report

    with open_store(settings.casework_path) as store:
        ids = [p.poll_id for p in all_polls(store)]
    for poll_id in ids:
        files = write_report(settings, poll_id)
        print(f"民意征集 {poll_id}: {files.responded} respondents; report {files.html}", flush=True)


def _demo_setup(con, settings):  # type: ignore[no-untyped-def]
    """Mark the demo home, load its units and the numbers that opted out before the month."""
    from demo.district import OPTED_OUT_FILE, UNITS_FILE
    from warehouse.contacts import add_opt_outs
    from warehouse.loaders import load_units

    wiring.mark_demo_home(con)
    report = load_units(con, settings.home / UNITS_FILE)
    numbers = (settings.home / OPTED_OUT_FILE).read_text(encoding="utf-8").split()
    add_opt_outs(con, numbers, "sms", datetime(2000, 1, 1, tzinfo=UTC))
    print(f"units: {report.loaded} loaded; {len(numbers)} numbers opted out earlier", flush=True)


def _drop_export(settings, day):  # type: ignore[no-untyped-def]
    """The case system drops the day's export into the inbox."""
    from demo.district import EXPORTS

    source = settings.home / EXPORTS / f"cases-{day.isoformat()}.csv"
    if source.exists():
        settings.inbox.mkdir(parents=True, exist_ok=True)
        source.replace(settings.inbox / source.name)


def _demo_round(con, settings, landing, provider, at, hold_clock):  # type: ignore[no-untyped-def]
    if hold_clock:
        clock.hold(at)
    got = contact.ingest(con, landing, at)
    report = contact.dispatch(con, settings, provider, landing, at, at)
    casework_stage.send_due(con, settings, provider, landing, at, at)  # 回访 and poll contacts
    return got, report


def _demo_day(con, settings, landing, provider, day, rounds, hold_clock):  # type: ignore[no-untyped-def]
    import time

    t0 = time.monotonic()
    imported = intake.import_inbox(con, settings)
    drawn = intake.draw_day(con, settings, day, day + timedelta(days=1))
    sent = answers = 0
    for at in rounds:
        got, report = _demo_round(con, settings, landing, provider, at, hold_clock)
        sent += report.sent
        answers += got.respondents
    problems = intake.validate_day(con, day, rounds[-1] if rounds else datetime.now(UTC))
    load = imported.loads[0] if imported.loads else None
    read = f"cases {load.read:>5,} (dup {load.duplicate}, quarantined {load.quarantined})" if load else "no file"
    status = "  ⚠ " + "; ".join(problems) if problems else "  ✓ validated"
    print(
        f"{day}  {read}  eligible {drawn.eligible:>5,}  sampled {drawn.sampled:>3}  "
        f"contacts {sent:>4}  answers {answers:>4}{status}  ({time.monotonic() - t0:.1f}s)",
        flush=True,
    )
