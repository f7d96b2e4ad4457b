"""The ``minyi`` command: a thin shell over the library.

Exit status: 0 success, 2 usage error (or a command not available yet),
1 any other failure with a one-line cause on stderr (a traceback with --debug).
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from minyi.settings import Settings, load_settings


@dataclass
class Context:
    home: Path | None
    debug: bool

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(self.home, **overrides)


def _prepare(settings: Settings, debug: bool) -> None:
    from flows.runtime import prepare

    prepare(settings.home, debug)


def _month_default() -> str:
    first = date.today().replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def _month(value: str) -> str:
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month like 2026-10") from None
    return value


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
    type=click.Choice(["simulated", "twilio-emulator"]),
    default="simulated",
    show_default=True,
    help="simulated people, or the real twilio client against the local Twilio emulator.",
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

    Builds ~40 units and a month of completed cases, then runs one Prefect flow
    per day (import → sample → contact the simulated people → ingest → validate
    → publish) and a monthly flow (estimates → bulletin).

    Example: minyi demo --month 2026-10 --seed 7 --home /tmp/demo
             minyi demo --channel twilio-emulator --cases-per-day 300
    """
    from minyi.demo import run_demo

    month = _month(month or _month_default())
    settings = load_settings(home_opt or obj.home, sample_seed=seed)
    _prepare(settings, obj.debug)
    run_demo(
        settings, month, seed, lang, echo=click.echo, cases_per_day=cases_per_day, channel=channel
    )


@cli.group()
def units() -> None:
    """The units registry."""


@units.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True)
@click.pass_obj
def units_load(obj: Context, file: Path, encoding: str) -> None:
    """Import the units registry (CSV or Parquet).

    Example: minyi units load units.csv
    """
    from flows.steps import open_warehouse
    from warehouse.loaders import load_units

    with open_warehouse(obj.settings()) as con:
        _print_load(load_units(con, file, encoding))


@cli.group()
def cases() -> None:
    """Completed service cases."""


@cases.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--encoding", default="utf-8", show_default=True)
@click.pass_obj
def cases_load(obj: Context, files: tuple[Path, ...], encoding: str) -> None:
    """Import completed cases (CSV or Parquet); prints read/loaded/duplicate/quarantined.

    Example: minyi cases load cases-2026-10-01.csv cases-2026-10-02.parquet
    """
    from flows.steps import import_cases, publish_copy

    settings = obj.settings()
    for report in import_cases(settings, list(files), encoding):
        _print_load(report)
    publish_copy(settings)


def _print_load(report: Any) -> None:
    click.echo(
        f"{report.path}: read {report.read:,}  loaded {report.loaded:,}  "
        f"duplicate {report.duplicate:,}  quarantined {report.quarantined:,}"
    )
    for reason, count in report.reasons.items():
        click.echo(f"    quarantined {count:,}: {reason}")


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
    """Draw a day's sample; running it again changes nothing and shows the same sample.

    Example: minyi sample --date 2026-10-09
    """
    from flows.steps import draw_day, publish_copy

    settings = obj.settings()
    report = draw_day(settings, day.date())
    state = "already drawn; showing the stored sample" if report.already_drawn else "drawn"
    click.echo(
        f"{report.day}: {state}: completed {report.cases:,}  eligible {report.eligible:,}  "
        f"sampled {report.sampled:,} in {report.strata} strata (seed {settings.sample_seed})"
    )
    for reason, count in sorted(report.ineligible.items()):
        click.echo(f"    not eligible {count:,}: {reason}")
    if show_allocation:
        from flows.steps import open_warehouse

        with open_warehouse(settings) as con:
            con.sql(
                "SELECT stratum, stratum_population AS N_h, stratum_sample AS n_h, method, seed "
                "FROM allocations WHERE sample_date = $d ORDER BY stratum",
                params={"d": day.date()},
            ).show(max_rows=500)
    publish_copy(settings)


@cli.command()
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_obj
def bulletin(obj: Context, month: str, lang: str) -> None:
    """Write <home>/bulletins/YYYY-MM/ (bulletin.html, units.csv) from the month's estimates.

    Example: minyi bulletin --month 2026-10 --lang en
    """
    from flows.steps import write_bulletin

    files = write_bulletin(obj.settings(), _month(month), lang)
    click.echo(f"bulletin: {files.html}\nunits:    {files.csv}")


@cli.command()
@click.argument("query")
@click.pass_obj
def sql(obj: Context, query: str) -> None:
    """Run a read-only query on the published copy and print a table.

    Example: minyi sql "SELECT * FROM v_unit_month WHERE flag = 'below'"
    """
    import duckdb

    path = obj.settings().published_path
    if not path.exists():
        raise click.ClickException(f"no published copy at {path}; run a flow first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.sql(query).show(max_rows=200, max_width=200)
    finally:
        con.close()


def _instant(value: str | None) -> datetime:
    if value is None:
        return datetime.now().astimezone()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time like 2026-10-12T09:30"
        ) from None
    return parsed


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

    Twilio sends when its settings are present, else the simulated channel. An
    outbox row is committed before every send, so a crash and a restart never
    contact anyone twice.

    Example: minyi dispatch --at 2026-10-12T09:30:00+08:00
    """
    settings = obj.settings()
    at = _instant(at_text)
    if at.tzinfo is None:
        at = at.replace(tzinfo=settings.zone)
    _prepare(settings, obj.debug)
    from flows.daily import dispatch_flow

    held = at_text is not None  # a chosen moment: what answers now is stamped then too
    run = dispatch_flow(settings.model_dump(), at, held)
    d = run.dispatch
    click.echo(
        f"{at.isoformat()}: loaded {run.ingested} new events ({run.respondents} answers); "
        f"due {d.started}, sent {d.sent}, failed {d.failed}, to retry {d.retry}"
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8700, show_default=True, type=int)
@click.option(
    "--every",
    default=15,
    show_default=True,
    type=click.IntRange(0, 1440),
    help="Minutes between scheduled dispatch runs (0: receiver only).",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, every: int) -> None:
    """Run the Twilio webhook receiver, the evaluators' worklist and the scheduled dispatch.

    Routes: POST /twilio/sms, /twilio/status, /twilio/voice (signature-checked
    against MINYI_PUBLIC_URL); GET /worklist for the evaluators.

    Example: MINYI_PUBLIC_URL=https://minyi.example.gov.cn minyi serve --port 8700
    """
    from minyi.server import serve as run_server

    settings = obj.settings()
    _prepare(settings, obj.debug)
    run_server(settings, host, port, every, echo=click.echo)


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
    from flows.steps import validate_month, validation_history

    if (month is None) == (day is None):
        raise click.UsageError("give exactly one of --month or --date")
    settings = obj.settings()
    if month is not None:
        lines, blocked = validate_month(settings, _month(month))
    else:
        assert day is not None
        lines, blocked = validation_history(settings, f"day:{day.date().isoformat()}")
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
    from flows.steps import open_warehouse, publish_copy
    from warehouse.contacts import add_do_not_contact

    settings = obj.settings()
    with open_warehouse(settings) as con:
        added, rejected = add_do_not_contact(con, list(numbers), reason)
    click.echo(f"added {added} number(s) to the do-not-contact list")
    for raw in rejected:
        click.echo(f"    not a mainland mobile number, ignored: {raw!r}")
    publish_copy(settings)


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

    After a failure, exit without interpreter finalisation (once the atexit
    handlers, e.g. stopping Prefect's temporary server, have run): objects the
    failed flow still holds would otherwise make DuckDB's bindings print
    reference-leak warnings under the one-line error.
    """
    code = main()
    if code != 0:
        import atexit
        import os

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
