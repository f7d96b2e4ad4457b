"""``minyi demo``: a synthetic district's month, run through the real flows."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from minyi.district import demo_clock, write_demo_inputs
from minyi.settings import Settings

FIELDWORK_CLOSE_DAYS = 7  # days after the month's last sample day before the month closes
CHANNELS = ("simulated", "twilio-emulator")


def run_demo(
    settings: Settings,
    month: str,
    seed: int,
    lang: str,
    echo: Callable[[str], None] = print,
    cases_per_day: int = 1500,
    channel: str = "simulated",
) -> None:
    """Build the district, run every day's flow and the month's flow, print where things are.

    ``channel="twilio-emulator"`` sends SMS and voice through the real ``twilio``
    client to the local Twilio emulator, whose people answer through the real
    webhook receiver (see ``minyi.emulated``).
    """
    from flows.steps import open_warehouse
    from warehouse.contacts import add_opt_outs
    from warehouse.loaders import load_units

    if channel not in CHANNELS:
        raise ValueError(f"unknown demo channel {channel!r}; one of {', '.join(CHANNELS)}")
    started = time.monotonic()
    home = settings.home
    echo(f"minyi demo: district of seed {seed}, month {month}, home {home}")
    units_path, files, opted = write_demo_inputs(home, month, seed, settings.zone, cases_per_day)
    with open_warehouse(settings) as con:
        report = load_units(con, units_path)
        first_day = min(files)
        earlier = datetime(first_day.year, first_day.month, 1, tzinfo=UTC) - timedelta(days=40)
        add_opt_outs(con, opted, "sms", earlier)
    echo(f"units: {report.loaded} loaded from {units_path}; {len(opted)} numbers opted out earlier")
    echo("starting Prefect (a temporary local server takes a few seconds)…")
    with ExitStack() as stack:
        hold = channel == "twilio-emulator"
        if hold:
            from minyi.emulated import emulated_twilio

            truth = pl.read_parquet(home / "demo" / "units_truth.parquet")
            by_unit = dict(zip(truth["unit_id"].to_list(), truth["true_p"].to_list(), strict=True))
            settings = stack.enter_context(emulated_twilio(settings, files, by_unit, seed))
            echo(
                f"channel: twilio client → emulator {settings.twilio_api_url}; "
                f"webhooks → receiver {settings.public_url}"
            )
        outcome = _run_month(settings, month, files, lang, hold, echo)
    r = outcome.report
    echo(
        f"{month}: sampled {r.sampled:,}  respondents {r.responded:,}  "
        f"reportable units {r.reportable}"
    )
    for line in r.validation:
        echo(f"  validation: {line}")
    echo("")
    echo(f"warehouse (live, flows only):   {settings.warehouse_path}")
    echo(f"published copy (for staff):     {settings.published_path}")
    if outcome.bulletin:
        echo(f"bulletin:                       {outcome.bulletin.html}")
        if outcome.bulletin.pdf is not None:
            echo(f"bulletin (PDF):                 {outcome.bulletin.pdf}")
        echo(f"units table:                    {outcome.bulletin.csv}")
    else:
        echo(f"bulletin NOT published: {outcome.refused}")
    echo(f"open the published copy:        duckdb -readonly {settings.published_path}")
    echo(f"done in {time.monotonic() - started:.0f}s")


def _run_month(
    settings: Settings,
    month: str,
    files: dict[date, Path],
    lang: str,
    hold: bool,
    echo: Callable[[str], None],
) -> Any:
    from flows.daily import day_flow
    from flows.monthly import month_flow

    data = settings.model_dump()
    for day, path in sorted(files.items()):
        t0 = time.monotonic()
        result = day_flow(data, day, [str(path)], demo_clock(day, settings.zone), hold)
        load = result.loads[0]
        sent = sum(d.sent for d in result.dispatches)
        problems = (
            "  ⚠ " + "; ".join(result.validation_problems)
            if result.validation_problems
            else "  ✓ validated"
        )
        echo(
            f"{day}  cases {load.read:>5,} (dup {load.duplicate}, quarantined {load.quarantined})  "
            f"eligible {result.draw.eligible:>5,}  sampled {result.draw.sampled:>3}  "
            f"contacts {sent:>4}  answers {result.answers:>4}{problems}  "
            f"({time.monotonic() - t0:.1f}s)"
        )
    last = max(files)
    close_rounds = [
        at
        for k in range(1, FIELDWORK_CLOSE_DAYS + 1)
        for at in demo_clock(last + timedelta(days=k), settings.zone)
    ]
    close_at = close_rounds[-1]
    echo(f"closing fieldwork at {close_at:%Y-%m-%d %H:%M}; estimating {month}…")
    return month_flow(data, month, close_rounds, close_at, lang, hold)
