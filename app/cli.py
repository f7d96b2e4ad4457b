"""The ``minyi`` command: a thin shell over the flows.

Every command that changes the warehouse is one Prefect flow run against
``PREFECT_API_URL``, else the home's persistent Prefect server (started once,
then reused; ``flows.runtime``). ``minyi sql`` needs no Prefect at all.

Exit status: 0 success, 2 usage error, 1 any other failure with a one-line
cause on stderr (a traceback with --debug).
"""

from __future__ import annotations

import os
import sys
import traceback
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # imported when needed: `minyi sql` starts without pydantic or Prefect
    from minyi.settings import Settings


@dataclass
class Context:
    home: Path | None
    debug: bool

    def settings(self, **overrides: Any) -> Settings:
        from minyi.settings import load_settings

        return load_settings(self.home, **overrides)

    def prefect(self, settings: Settings, wait: bool = True) -> None:
        """Point this process at the Prefect API before any flow is imported."""
        from flows.runtime import prepare

        prepare(settings.home, self.debug, echo=lambda line: click.echo(line, err=True), wait=wait)


def _run_flow(settings: Settings, function: Any, *args: Any, **kwargs: Any) -> Any:
    """One flow run, tagged with the home's district (the status page finds it by the tag)."""
    from prefect import tags

    with tags("minyi", settings.district):
        return function(*args, **kwargs)


def _month(value: str) -> str:
    from minyi import months

    try:
        return months.parse(value)
    except months.BadMonth as exc:
        raise click.BadParameter(str(exc)) from None


def _instant(value: str, settings: Settings) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time like 2026-10-12T09:30"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=settings.zone)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    default=None,
    help="Data home (default $MINYI_HOME, else ./minyi-home).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and Prefect's own log lines.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, debug: bool) -> None:
    """民意 minyi — daily samples of completed service cases, contact, warehouse, monthly bulletin.

    Example: minyi demo --month 2026-10
    """
    ctx.obj = Context(home, debug)


@cli.command()
@click.option("--month", default=None, help="Month to simulate, YYYY-MM (default: last month).")
@click.option(
    "--seed", default=20260101, show_default=True, type=int, help="Seed of everything random."
)
@click.option(
    "--home", "home_opt", type=click.Path(path_type=Path), default=None, help="Data home."
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option(
    "--cases-per-day",
    default=1500,
    show_default=True,
    type=click.IntRange(10, 100000),
    help="Completed cases on an ordinary working day.",
)
@click.option(
    "--channel",
    type=click.Choice(["simulated", "twilio-emulator", "aliyun-emulator"]),
    default="simulated",
    show_default=True,
    help="simulated people; or the real twilio client against the local Twilio emulator; or "
    "Alibaba Cloud's official SDKs against the local Alibaba Cloud emulator.",
)
@click.pass_obj
def demo(
    obj: Context,
    month: str | None,
    seed: int,
    home_opt: Path | None,
    lang: str,
    cases_per_day: int,
    channel: str,
) -> None:
    """Run a synthetic district's month end to end and publish its bulletin.

    Makes a demo home (refused in a home holding real data): ~40 units, a month of
    completed cases dropped day by day into the inbox, simulated people answering;
    one flow run replays the month through the same stages as the real cycle.

    Example: minyi demo --month 2026-10 --seed 7 --home /tmp/demo
             minyi demo --channel twilio-emulator --cases-per-day 300
             minyi demo --channel aliyun-emulator --cases-per-day 300
    """
    from app.demo import prepare_home, run_demo
    from minyi import months

    month = _month(month) if month else months.last_month(date.today())
    home = home_opt or obj.home or Path(os.environ.get("MINYI_HOME") or "minyi-home")
    prepare_home(home, seed)
    settings = obj.settings() if obj.home == home else Context(home, obj.debug).settings()
    obj.prefect(settings, wait=False)  # the server boots while the district is built
    run_demo(settings, month, seed, lang, echo=click.echo, cases_per_day=cases_per_day, channel=channel)


# --- the cycle ------------------------------------------------------------------


@cli.command()
@click.option(
    "--date", "day", default=None, type=click.DateTime(["%Y-%m-%d"]), help="Day to draw (default: yesterday)."
)
@click.pass_obj
def day(obj: Context, day: datetime | None) -> None:
    """Import the inbox (<home>/inbox/cases/), close and draw a past day, validate it, publish.

    Today and future days are refused: their cases are not all in yet.

    Example: minyi day --date 2026-11-16
    """
    settings = obj.settings()
    obj.prefect(settings)
    from flows.cycle import day_flow

    result = _run_flow(settings, day_flow, str(settings.home), day.date() if day else None)
    _audit_cli(settings, "day", str(result.day), {"sampled": result.draw.sampled if result.draw else 0})
    for report in result.imported.loads:
        _print_load(report)
    _print_late(result.imported.late)
    if result.draw is not None:
        _print_draw(result.draw, settings.sample_seed)
    for problem in result.problems:
        click.echo(f"  ⚠ {problem}")


@cli.command()
@click.option(
    "--at",
    "at_text",
    default=None,
    help="ISO-8601 time (default now; no offset = the configured zone).",
)
@click.pass_obj
def dispatch(obj: Context, at_text: str | None) -> None:
    """Do the contact work due at a time: first contacts, fallbacks, retries (calling windows only).

    The provider named by MINYI_PROVIDER sends (twilio, aliyun or manual; simulated only in a demo
    home); none configured: exit 1 and nothing is recorded. Real providers contact people only when
    the real clock is inside a calling window, whatever --at says. An outbox row is committed
    before every send, so a crash and a restart never contact anyone twice.

    Example: minyi dispatch --at 2026-10-12T09:30:00+08:00
    """
    settings = obj.settings()
    if settings.provider is None:
        from flows.wiring import ProviderNotConfigured

        raise ProviderNotConfigured()
    at = _instant(at_text, settings) if at_text else None
    obj.prefect(settings)
    from flows.cycle import dispatch_flow

    run = _run_flow(settings, dispatch_flow, str(settings.home), at, at_text is not None)
    _audit_cli(settings, "dispatch", at_text, {"sent": run.dispatch.sent, "failed": run.dispatch.failed})
    d = run.dispatch
    window = "" if d.in_window else "  (outside calling windows: nobody contacted)"
    click.echo(
        f"{d.at.astimezone(settings.zone).isoformat(timespec='minutes')}: loaded "
        f"{run.ingested.new} new events ({run.ingested.respondents} answers); "
        f"due {d.started}, sent {d.sent}, failed {d.failed}, to retry {d.retry}{window}"
    )


@cli.command()
@click.option("--month", default=None, help="YYYY-MM (default: last month).")
@click.option(
    "--cutoff",
    "cutoff_text",
    default=None,
    help="Close fieldwork at this ISO-8601 time instead of the scheduled cut-off.",
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def month(obj: Context, month: str | None, cutoff_text: str | None, lang: str) -> None:
    """Close a month: final dispositions, estimates, blocking validation, bulletin, publish.

    The cut-off is the MINYI_MONTH_CLOSE_WORKING_DAY-th working day of the next month
    (refused before it, unless --cutoff); a closed month keeps its cut-off when run again.

    Example: minyi month --month 2026-11
    """
    settings = obj.settings()
    cutoff = _instant(cutoff_text, settings) if cutoff_text else None
    obj.prefect(settings)
    from flows.cycle import month_flow

    result = _run_flow(
        settings, month_flow, str(settings.home), _month(month) if month else None, cutoff, lang
    )
    _audit_cli(settings, "month", result.month, {"closed": result.report is not None})
    r = result.report
    click.echo(
        f"{r.month}: closed at {r.cutoff.astimezone(settings.zone):%Y-%m-%d %H:%M}; sampled "
        f"{r.sampled:,}, respondents {r.responded:,}, reportable units {r.reportable}"
    )
    for line in r.validation:
        click.echo(f"  validation: {line}")
    if result.bulletin:
        click.echo(f"bulletin: {result.bulletin.html}")


# --- staff commands -------------------------------------------------------------


@cli.group()
def units() -> None:
    """The units registry."""


_ENCODING_HELP = "CSV encoding: utf-8 (with or without BOM), gb18030, or auto (UTF-8, else GB18030)."
_COLUMNS_HELP = (
    "Column mapping file: a CSV with the header source,target (a header of the export, "
    "a minyi column or its Chinese name)."
)
_SHEET_HELP = "Sheet of an .xlsx workbook (default: the first)."


@units.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True, help=_ENCODING_HELP)
@click.option("--columns", type=click.Path(path_type=Path), default=None, help=_COLUMNS_HELP)
@click.option("--sheet", default=None, help=_SHEET_HELP)
@click.pass_obj
def units_load(
    obj: Context, file: Path, encoding: str, columns: Path | None, sheet: str | None
) -> None:
    """Import the units registry (CSV, .xlsx or Parquet; Chinese headers and unit kinds).

    Exits 1 when nothing of the file was loaded.

    Example: minyi units load 单位名册.xlsx --sheet 单位 --columns columns.csv
    """
    settings = obj.settings()
    _must_exist(file)
    if columns is not None:
        _must_exist(columns)
    obj.prefect(settings)
    from flows.commands import units_load_flow

    report = _run_flow(
        settings,
        units_load_flow,
        str(settings.home),
        str(file.resolve()),
        encoding,
        str(columns.resolve()) if columns else None,
        sheet,
    )
    _audit_cli(settings, "units.load", file.name, {"loaded": report.loaded})
    _print_load(report, cases=False)
    _refuse_empty_loads([report])


@cli.group()
def cases() -> None:
    """Completed service cases."""


@cases.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True, help=_ENCODING_HELP)
@click.option("--columns", type=click.Path(path_type=Path), default=None, help=_COLUMNS_HELP)
@click.option("--sheet", default=None, help=_SHEET_HELP)
@click.pass_obj
def cases_load(
    obj: Context,
    files: tuple[Path, ...],
    encoding: str,
    columns: Path | None,
    sheet: str | None,
) -> None:
    """Import completed cases (CSV, .xlsx or Parquet); prints read/loaded/duplicate/quarantined
    and the phone quality of each file.

    Every file is loaded; then the command exits 1 naming the files of which nothing was
    loaded (every row quarantined, or no rows).

    Example: minyi cases load 办件明细-1116.csv --encoding gb18030 --columns columns.csv
    """
    settings = obj.settings()
    for file in files:
        _must_exist(file)
    if columns is not None:
        _must_exist(columns)
    obj.prefect(settings)
    from flows.commands import cases_load_flow

    imported = _run_flow(
        settings,
        cases_load_flow,
        str(settings.home),
        [str(f.resolve()) for f in files],
        encoding,
        str(columns.resolve()) if columns else None,
        sheet,
    )
    _audit_cli(settings, "cases.load", ", ".join(f.name for f in files),
               {"loaded": sum(r.loaded for r in imported.loads)})
    for report in imported.loads:
        _print_load(report)
    _print_late(imported.late)
    _refuse_empty_loads(imported.loads)


def _must_exist(path: Path) -> None:
    from minyi.errors import Terminal

    if not path.is_file():
        raise Terminal(f"{path}: no such file; nothing was loaded / 文件不存在，未导入任何数据")


def _print_load(report: Any, cases: bool = True) -> None:
    click.echo(
        f"{Path(report.path).name}: read {report.read:,}  loaded {report.loaded:,}  "
        f"duplicate {report.duplicate:,}  quarantined {report.quarantined:,}"
    )
    for reason, count in report.reasons.items():
        click.echo(f"    quarantined {count:,}: {reason}")
    if cases:
        click.echo(f"    {report.phone_line()}")
    if report.corrections_applied or report.corrections_recorded:
        click.echo(
            f"    更正 corrections: 已替换 applied {report.corrections_applied:,} · "
            f"已记录未生效（当日已抽样）recorded, day already drawn {report.corrections_recorded:,}"
        )


def _refuse_empty_loads(reports: list[Any]) -> None:
    """Exit 1 (after every file was loaded) naming the files of which nothing was loaded."""
    from minyi.errors import Terminal

    empty = [Path(r.path).name for r in reports if r.nothing_loaded]
    if empty:
        raise Terminal(
            f"未导入任何数据：{'、'.join(empty)}（全部隔离或没有数据行）/ nothing was loaded "
            f"from {', '.join(empty)} (every row quarantined, or no rows)"
        )


def _print_late(late: dict[date, int]) -> None:
    if late:
        total = sum(late.values())
        days = ", ".join(f"{d} ({n})" for d, n in sorted(late.items()))
        click.echo(
            f"{total:,} cases belong to days already drawn: counted ineligible (late): {days} "
            f"/ {total:,} 件属于已抽样日期，计为迟到不纳入抽样"
        )


def _print_draw(report: Any, seed: int) -> None:
    state = "already drawn; showing the stored sample" if report.already_drawn else "drawn"
    click.echo(
        f"{report.day}: {state}: completed {report.cases:,}  eligible {report.eligible:,}  "
        f"sampled {report.sampled:,} in {report.strata} strata (seed {seed})"
    )
    if report.note:
        click.echo(f"    note: {report.note}")
    for reason, count in sorted(report.ineligible.items()):
        click.echo(f"    not eligible {count:,}: {reason}")


@cli.command()
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Service date whose completed cases form the frame.",
)
@click.option(
    "--allocation/--no-allocation",
    "show_allocation",
    default=True,
    show_default=True,
    help="Print the allocation table (N_h, n_h per stratum).",
)
@click.pass_obj
def sample(obj: Context, day: datetime, show_allocation: bool) -> None:
    """Draw a past day's sample; running it again changes nothing and shows the same sample.

    Example: minyi sample --date 2026-10-09
    """
    settings = obj.settings()
    obj.prefect(settings)
    from flows.commands import sample_flow

    result = _run_flow(settings, sample_flow, str(settings.home), day.date())
    if not result.draw.already_drawn:
        _audit_cli(settings, "sample", str(day.date()), {"sampled": result.draw.sampled})
    _print_draw(result.draw, result.seed)
    if show_allocation:
        with_rows = result.allocation
        click.echo(with_rows.to_pandas().to_string(index=False) if with_rows.height else "(no strata)")


@cli.command()
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def bulletin(obj: Context, month: str, lang: str) -> None:
    """Write <home>/bulletins/YYYY-MM/ again from a closed month's estimates.

    Example: minyi bulletin --month 2026-10 --lang en
    """
    settings = obj.settings()
    month = _month(month)
    obj.prefect(settings)
    from flows.commands import bulletin_flow

    files = _run_flow(settings, bulletin_flow, str(settings.home), month, lang)
    _audit_cli(settings, "bulletin", month, {"lang": lang})
    click.echo(f"bulletin: {files.html}\nunits:    {files.csv}")


@cli.command()
@click.argument("query")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds before the query is stopped.")
@click.pass_obj
def sql(obj: Context, query: str, timeout: float) -> None:
    """Run a read-only query on the published copy and print a table.

    It cannot write, read other files, attach databases or load extensions.

    Example: minyi sql "SELECT * FROM v_unit_month WHERE flag = 'below'"
    """
    from app.readonly import run_query

    home = obj.home or Path(os.environ.get("MINYI_HOME") or "minyi-home")
    click.echo(run_query(home / "published" / "warehouse.duckdb", query, timeout), nl=False)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Public webhook listener.")
@click.option("--port", default=8700, show_default=True, type=int)
@click.option("--staff-host", default="127.0.0.1", show_default=True, help="Staff web.")
@click.option("--staff-port", default=8701, show_default=True, type=int)
@click.option(
    "--worker/--no-worker",
    default=True,
    show_default=True,
    help="Register the scheduled deployments and run them here.",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, staff_host: str, staff_port: int, worker: bool) -> None:
    """Run the public webhook listener, the staff web and the scheduled deployments.

    Public (provider webhooks only): POST /twilio/sms, /twilio/status, /twilio/voice;
    /aliyun/sms/report/<token>, /aliyun/sms/up/<token>, /aliyun/voice/report/<token>.
    Staff web: /status, /worklist. Deployments minyi-day, minyi-dispatch, minyi-month
    run on schedule in MINYI_TIMEZONE against PREFECT_API_URL or the home's Prefect server.

    Example: MINYI_PUBLIC_URL=https://minyi.example.gov.cn minyi serve
    """
    from app.server import serve as run_server

    settings = obj.settings()
    obj.prefect(settings)
    run_server(settings, host, port, staff_host, staff_port, echo=click.echo, worker=worker)


@cli.command()
@click.option("--month", default=None, help="YYYY-MM: re-run the month's blocking suites.")
@click.option(
    "--date",
    "day",
    default=None,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Show the recorded validations of a day.",
)
@click.pass_obj
def validate(obj: Context, month: str | None, day: datetime | None) -> None:
    """Validate a month with Great Expectations (or show a day's results); exit 1 when blocked.

    Example: minyi validate --month 2026-10
    """
    if (month is None) == (day is None):
        raise click.UsageError("give exactly one of --month or --date")
    settings = obj.settings()
    if month is not None:
        obj.prefect(settings)
        from flows.commands import validate_flow

        lines, blocked = _run_flow(settings, validate_flow, str(settings.home), _month(month))
    else:
        from app.readonly import validation_history

        assert day is not None
        lines, blocked = validation_history(settings.published_path, f"day:{day.date().isoformat()}")
    for line in lines:
        click.echo(line)
    if blocked:
        raise click.ClickException("validation failed: the bulletin will not be published")


@cli.group()
def dnc() -> None:
    """The do-not-contact list (numbers never contacted, on any channel)."""


@dnc.command("add")
@click.argument("numbers", nargs=-1, required=True)
@click.option("--reason", default="requested", show_default=True)
@click.pass_obj
def dnc_add(obj: Context, numbers: tuple[str, ...], reason: str) -> None:
    """Add phone numbers (any usual shape: 138 1234 5678, +86…, full-width digits).

    Example: minyi dnc add 13812345678 "+86 139 0000 1111" --reason complaint
    """
    from minyi.keys import private_file

    settings = obj.settings()
    obj.prefect(settings)
    from flows.commands import dnc_add_flow

    handover = private_file(settings.home, f"dnc-{uuid.uuid4().hex}.txt", "\n".join(numbers))
    added, rejected = _run_flow(settings, dnc_add_flow, str(settings.home), str(handover), reason)
    _audit_cli(settings, "dnc.add", None, {"added": added, "reason": reason})
    click.echo(f"added {added} number(s) to the do-not-contact list")
    if rejected:
        click.echo(f"    {rejected} input(s) were not mainland mobile numbers and were ignored")


@cli.command()
@click.pass_obj
def purge(obj: Context) -> None:
    """Remove personal data no longer needed (MINYI_RETENTION_DAYS after a month's close).

    Phones of those months' cases, loaded landing-store rows and finished worklist items
    go; opt-outs and the do-not-contact list stay (they must be honoured). Also scheduled weekly.

    Example: minyi purge
    """
    settings = obj.settings()
    obj.prefect(settings)
    from flows.commands import purge_flow

    result = _run_flow(settings, purge_flow, str(settings.home))
    months = ", ".join(f"{m} ({n:,})" for m, n in result.phones.items()) or "none"
    click.echo(f"phones removed from the cases of: {months}")
    click.echo("landing store: " + (", ".join(f"{t} {n:,}" for t, n in result.landing.items()) or "nothing"))
    _audit_cli(settings, "purge", None, {"months": list(result.phones)})


@cli.group()
def users() -> None:
    """Staff accounts of the staff web: director, evaluator, liaison (one unit), auditor, discipline."""


def _audit_cli(settings: Settings, action: str, target: str | None = None, after: Any = None) -> None:
    from flows import staff

    staff.audit(settings, staff.cli_actor(), "cli", action, target, None, after)


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["director", "evaluator", "liaison", "auditor", "discipline"]))
@click.option("--unit", default=None, help="The liaison's unit_id.")
@click.option("--name", "display_name", default=None, help="Name shown on pages (optional).")
@click.pass_obj
def users_add(obj: Context, username: str, role: str, unit: str | None, display_name: str | None) -> None:
    """Create an account with a one-time password (changed at first sign-in).

    Example: minyi users add wang --role evaluator
    """
    from flows import staff

    settings = obj.settings()
    password = staff.new_password()
    with staff.accounts(settings) as store:
        store.add(username, role, password, unit_id=unit, display_name=display_name)
    _audit_cli(settings, "users.add", username, {"role": role, "unit": unit})
    click.echo(f"{username} ({role}) created; one-time password: {password}")
    click.echo("give it to the person in private; they choose their own at first sign-in / 首次登录须修改密码")


@users.command("disable")
@click.argument("username")
@click.pass_obj
def users_disable(obj: Context, username: str) -> None:
    """Disable an account and end its sessions at once.

    Example: minyi users disable wang
    """
    from flows import staff

    settings = obj.settings()
    with staff.accounts(settings) as store:
        store.disable(username)
    _audit_cli(settings, "users.disable", username, {"active": False})
    click.echo(f"{username} disabled")


@users.command("reset")
@click.argument("username")
@click.pass_obj
def users_reset(obj: Context, username: str) -> None:
    """Give an account a new one-time password (ends its sessions; re-enables it).

    Example: minyi users reset wang
    """
    from flows import staff

    settings = obj.settings()
    password = staff.new_password()
    with staff.accounts(settings) as store:
        store.set_password(username, password, must_change=True)
    _audit_cli(settings, "users.reset", username)
    click.echo(f"{username}: new one-time password: {password}")


@users.command("list")
@click.pass_obj
def users_list(obj: Context) -> None:
    """List the accounts and their roles.

    Example: minyi users list
    """
    from flows import staff

    with staff.accounts(obj.settings()) as store:
        for user in store.users():
            state = "" if user.active else "  (disabled)"
            unit = f"  unit {user.unit_id}" if user.unit_id else ""
            click.echo(f"{user.username:<20} {user.role:<10}{unit}{state}")


# --- closing the loop (issue 13) ----------------------------------------------------


@cli.command("casework")
@click.option("--at", "at_text", default=None, help="ISO-8601 time (default now).")
@click.pass_obj
def casework_cmd(obj: Context, at_text: str | None) -> None:
    """Close the loop now: open follow-up tickets, remind, mark overdue and escalate, plan the
    回访, apply decided appeals (closing their months again), mirror, publish. Also scheduled daily.

    Example: minyi casework
    """
    settings = obj.settings()
    at = _instant(at_text, settings) if at_text else None
    obj.prefect(settings)
    from flows.cycle import casework_flow

    r = _run_flow(settings, casework_flow, str(settings.home), at)
    _audit_cli(settings, "casework", at_text, {"opened": r.opened, "reclosed": r.reclosed})
    click.echo(
        f"tickets opened {r.opened}; reminded {len(r.deadlines.reminded)}, overdue "
        f"{len(r.deadlines.overdue)}, escalated {len(r.deadlines.escalated)}; 回访 planned "
        f"{r.revisits_planned}, closed without 回访 {r.closed_without_revisit}"
    )
    for month in r.reclosed:
        click.echo(f"{month}: closed again after appeals; bulletin re-issued with a 更正说明")


@cli.group()
def poll() -> None:
    """民意征集 polls: create from TOML, draw from a frame, contact, report."""


@poll.command("create")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_obj
def poll_create(obj: Context, file: Path) -> None:
    """Create a poll from its TOML questionnaire (see casework/polls.py for the format).

    Example: minyi poll create elevator.toml
    """
    from flows import polls, staff

    settings = obj.settings()
    created = polls.create(settings, file.read_text(encoding="utf-8"), staff.cli_actor())
    _audit_cli(settings, "poll.create", created.poll_id, {"target": created.spec.target})
    click.echo(f"poll {created.poll_id} created ({created.spec.target}): {created.spec.title}")
    if created.spec.target == "open":
        click.echo(f"open link: {(settings.public_url or '<MINYI_PUBLIC_URL>').rstrip('/')}/poll/{created.poll_id}")


@poll.command("draw")
@click.argument("poll_id")
@click.option("--frame", "frame", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="CSV or xlsx with member_id, phone and the stratum column.")
@click.option("--channel", type=click.Choice(["manual", "sms", "voice"]), default="manual", show_default=True,
              help="How members are contacted (the dispatch runs send).")
@click.pass_obj
def poll_draw(obj: Context, poll_id: str, frame: Path, channel: str) -> None:
    """Draw a poll's probability sample from a frame file and commit its contacts.

    Example: minyi poll draw MZ7QK2AB --frame residents.csv
    """
    settings = obj.settings()
    obj.prefect(settings)
    from flows.polls import poll_draw_flow

    drawn = _run_flow(settings, poll_draw_flow, str(settings.home), poll_id, str(frame.resolve()), channel)
    _audit_cli(settings, "poll.draw", poll_id, {"sampled": drawn.sampled, "strata": drawn.strata})
    click.echo(f"{poll_id}: frame {drawn.frame:,}, eligible {drawn.eligible:,}, sampled {drawn.sampled:,} in {drawn.strata} strata")


@poll.command("report")
@click.argument("poll_id")
@click.option("--no-pdf", is_flag=True, help="HTML and xlsx only.")
@click.pass_obj
def poll_report(obj: Context, poll_id: str, no_pdf: bool) -> None:
    """Write the poll's results report: <home>/polls/<poll>/report.html, results.xlsx, report.pdf.

    Example: minyi poll report MZ7QK2AB
    """
    from flows.polls import write_report

    settings = obj.settings()
    files = write_report(settings, poll_id, pdf=not no_pdf)
    _audit_cli(settings, "poll.report", poll_id, {"responded": files.responded})
    click.echo(f"{poll_id}: {files.responded} respondents; report: {files.html}")


@poll.command("links")
@click.argument("poll_id")
@click.pass_obj
def poll_links(obj: Context, poll_id: str) -> None:
    """Print each sampled member's personal web link (member_id,link) for an SMS platform.

    Example: minyi poll links MZ7QK2AB > links.csv
    """
    from flows import public, staff

    settings = obj.settings()
    with staff.casework(settings) as store:
        members = staff.casework_polls.members(store, poll_id)
    click.echo("member_id,link")
    for member, *_ in members:
        click.echo(f"{member},{public.member_link(settings, poll_id, member)}")


@cli.command("qr")
@click.option("--unit", "units", multiple=True, help="Unit ids (default: every unit of the published copy).")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Folder (default <home>/qr).")
@click.pass_obj
def qr(obj: Context, units: tuple[str, ...], out: Path | None) -> None:
    """QR codes of the public complaint form, one per unit, for the 四公开 door plates (SVG and PNG).

    Example: minyi qr --unit U01 --unit U02
    """
    from flows import staff

    settings = obj.settings()
    if not settings.public_url:
        raise click.UsageError("MINYI_PUBLIC_URL is not set: the QR code needs the public address")
    import segno

    chosen = list(units) or list(staff.unit_names(settings))
    if not chosen:
        raise click.UsageError("no units: give --unit or load the units registry first")
    folder = out or settings.home / "qr"
    folder.mkdir(parents=True, exist_ok=True)
    for unit in chosen:
        url = f"{settings.public_url.rstrip('/')}/complaint?unit={unit}"
        code = segno.make(url, error="m")
        code.save(str(folder / f"complaint-{unit}.svg"), scale=8, border=4)
        code.save(str(folder / f"complaint-{unit}.png"), scale=8, border=4)
    _audit_cli(settings, "qr", None, {"units": len(chosen)})
    click.echo(f"{len(chosen)} QR code(s) in {folder}")


@cli.group("prefect")
def prefect_group() -> None:
    """The home's persistent Prefect server (when PREFECT_API_URL is not set)."""


@prefect_group.command("status")
@click.pass_obj
def prefect_status(obj: Context) -> None:
    """Show whether the home's Prefect server runs, and its address (the Prefect UI)."""
    from flows.runtime import local_server

    settings = obj.settings()
    info = local_server(settings.home)
    if os.environ.get("PREFECT_API_URL"):
        click.echo(f"PREFECT_API_URL={os.environ['PREFECT_API_URL']} (the home's own server is not used)")
    elif info is None:
        click.echo("not running (the next command that needs it starts it)")
    else:
        click.echo(f"running: {str(info['url']).removesuffix('/api')} (pid {info['pid']})")


@prefect_group.command("stop")
@click.pass_obj
def prefect_stop(obj: Context) -> None:
    """Stop the home's Prefect server (scheduled runs stop until it runs again)."""
    from flows.runtime import stop_local_server

    click.echo("stopped" if stop_local_server(obj.settings().home) else "not running")


def main(argv: list[str] | None = None) -> int:
    """Entry point: maps failures to exit codes and one-line messages."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="minyi", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # the one-line cause; --debug shows the traceback
        if debug:
            traceback.print_exc()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        click.echo(f"minyi: error: {message}", err=True)
        return 1
    return 0


def run() -> None:
    """The console script: ``main`` and the process exit.

    Exit without interpreter finalisation, once the atexit handlers (Prefect's
    flushing of events and logs among them) have run: objects a flow run still
    holds would otherwise make DuckDB's bindings print reference-leak reports
    under the command's output.
    """
    import atexit

    os.umask(0o077)  # files holding personal data: 0600 in 0700 folders
    code = main()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
