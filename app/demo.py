"""``minyi demo``: a synthetic district's month, replayed through the real stages.

The demo makes a **demo home**: the warehouse is marked ``home_kind = demo``
(refused in a home that already holds real units or cases), the home's own
settings file ``<home>/minyi.env`` says ``MINYI_PROVIDER=simulated``, and the
inputs live under ``<home>/demo/``. Only such a home accepts simulated people.
One Prefect flow run (``minyi-demo``) drops each day's export into the inbox,
imports, draws, contacts, validates, then closes the month and publishes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from demo.district import demo_clock, write_demo_inputs
from minyi.settings import ENV_FILE, Settings

if TYPE_CHECKING:
    from demo.twilio_emulator.people import Drawn

FIELDWORK_CLOSE_DAYS = 7  # days after the month's last sample day before the month closes
CHANNELS = ("simulated", "twilio-emulator", "aliyun-emulator")


def prepare_home(home: Path, seed: int, extra: dict[str, object] | None = None) -> None:
    """Write the demo home's settings file (simulated people, the demo's seed, ``extra``)."""
    home.mkdir(parents=True, exist_ok=True)
    values: dict[str, object] = {"MINYI_PROVIDER": "simulated", "MINYI_SAMPLE_SEED": seed}
    values.update(extra or {})
    lines = ["# written by `minyi demo`: this is a demo home (simulated people)"]
    lines += [f"{key}={value}" for key, value in values.items()]
    (home / ENV_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_demo(
    settings: Settings,
    month: str,
    seed: int,
    lang: str,
    echo: Callable[[str], None] = print,
    cases_per_day: int = 1500,
    channel: str = "simulated",
) -> None:
    """Build the district, replay the month, print where things are.

    ``channel="twilio-emulator"`` sends SMS and voice through the real ``twilio``
    client to the local Twilio emulator, whose people answer through the real
    webhook receiver (see :func:`emulated_twilio`); ``channel="aliyun-emulator"``
    sends them through Alibaba Cloud's official SDKs to the local Alibaba Cloud
    emulator, whose pushes reach the real callback receiver (:func:`emulated_aliyun`).
    """
    from flows.cycle import demo_flow, warm_up
    from flows.runtime import wait_ready

    if channel not in CHANNELS:
        raise ValueError(f"unknown demo channel {channel!r}; one of {', '.join(CHANNELS)}")
    started = time.monotonic()
    home = settings.home
    echo(f"minyi demo: district of seed {seed}, month {month}, home {home}")
    _, files, opted = write_demo_inputs(home, month, seed, settings.zone, cases_per_day)
    echo(f"inputs: {len(files)} daily case exports, {len(opted)} numbers opted out earlier")
    warm_up()  # the heavy imports, while the Prefect server boots in its own process
    rounds = {day.isoformat(): demo_clock(day, settings.zone) for day in sorted(files)}
    last = max(files)
    close_rounds = [
        at
        for k in range(1, FIELDWORK_CLOSE_DAYS + 1)
        for at in demo_clock(last + timedelta(days=k), settings.zone)
    ]
    cutoff = close_rounds[-1]
    wait_ready(home)
    with ExitStack() as stack:
        hold = channel != "simulated"
        if hold:
            truth = pl.read_parquet(home / "demo" / "units_truth.parquet")
            by_unit = dict(zip(truth["unit_id"].to_list(), truth["true_p"].to_list(), strict=True))
            if channel == "twilio-emulator":
                endpoints = stack.enter_context(emulated_twilio(settings, files, by_unit, seed))
                client = "twilio client"
            else:
                endpoints = stack.enter_context(emulated_aliyun(settings, files, by_unit, seed))
                client = "Alibaba Cloud SDK (dysmsapi, dyvmsapi)"
            echo(f"channel: {client} → emulator {endpoints[0]}; callbacks → receiver {endpoints[1]}")
        outcome = demo_flow(str(home), month, rounds, cutoff, close_rounds, hold, lang)
    r = outcome.report
    assert r is not None
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
        echo("bulletin NOT published: validation failed")
    echo(f"open the published copy:        duckdb -readonly {settings.published_path}")
    echo(f"done in {time.monotonic() - started:.0f}s")


# --- the demo over the local Twilio emulator -------------------------------------------

ACCOUNT_SID = "AC" + "d" * 32
AUTH_TOKEN = "demo-emulator-token"
FROM_NUMBER = "+15005550006"


def _satisfaction_by_number(files: dict[date, Path], truth: dict[str, float]) -> dict[str, float]:
    from flows.wiring import normalise_phones

    frames = [
        pl.read_csv(path, infer_schema=False).select("case_id", "unit_id", "phone")
        for path in files.values()
    ]
    cases = pl.concat(frames)
    cases = cases.with_columns(normalise_phones(cases["phone"])).drop_nulls("phone_e164")
    return {
        number: truth.get(unit, 0.85)
        for number, unit in cases.unique("phone_e164", keep="first", maintain_order=True)
        .select("phone_e164", "unit_id")
        .iter_rows()
    }


def _people(
    files: dict[date, Path], unit_truth: dict[str, float], seed: int
) -> Callable[[str], Drawn]:
    """The person at each number (E.164): satisfied as often as the demo's truth for the unit
    that served them; everything else drawn from the seed and the number."""
    import hashlib
    import random

    from demo.twilio_emulator.people import Drawn

    satisfied = _satisfaction_by_number(files, unit_truth)

    def person(number: str) -> Drawn:
        digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
        return Drawn(random.Random(digest), satisfied=satisfied.get(number, 0.85))

    return person


@contextmanager
def emulated_twilio(
    settings: Settings, files: dict[date, Path], unit_truth: dict[str, float], seed: int
) -> Iterator[tuple[str, str]]:
    """Start the Twilio emulator and the public listener on loopback, and point this process's
    settings at them (environment); yields (emulator URL, public URL)."""
    from app.server import build_public_app
    from demo.twilio_emulator.loopback import bind_loopback, run_in_thread, url_of
    from demo.twilio_emulator.server import Emulator
    from minyi.settings import load_settings

    person = _people(files, unit_truth, seed)
    receiver_socket = bind_loopback()
    public_url = url_of(receiver_socket)
    emulator = Emulator(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sms_url=f"{public_url}/twilio/sms",
        people_factory=person,
        own_number=FROM_NUMBER,
    )
    with ExitStack() as stack:
        api_url = stack.enter_context(run_in_thread(emulator.app))
        stack.enter_context(_environment({
            "MINYI_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "MINYI_PUBLIC_URL": public_url,
            "MINYI_TWILIO_API_URL": api_url,
            "MINYI_MESSAGES_PER_SECOND": "2000",
        }))
        over = load_settings(settings.home)
        stack.enter_context(run_in_thread(build_public_app(over), receiver_socket))  # type: ignore[arg-type]
        yield api_url, public_url
        emulator.wait_idle(30)


@contextmanager
def emulated_aliyun(
    settings: Settings, files: dict[date, Path], unit_truth: dict[str, float], seed: int
) -> Iterator[tuple[str, str]]:
    """Start the Alibaba Cloud emulator and the public listener on loopback, and point this
    process's settings at them (environment): the official SDK sends to the emulator, whose
    pushes reach the callback receiver under ``/aliyun/…``; yields (emulator URL, public URL)."""
    from app.server import build_public_app
    from demo.aliyun_emulator import demo_account, emulator_for
    from demo.twilio_emulator.loopback import bind_loopback, run_in_thread, url_of
    from flows.wiring import aliyun_config
    from minyi.settings import load_settings

    receiver_socket, emulator_socket = bind_loopback(), bind_loopback()
    public_url, api_url = url_of(receiver_socket), url_of(emulator_socket)
    with ExitStack() as stack:
        stack.enter_context(_environment({
            **demo_account(f"{settings.district_name}民意访评中心"),
            "MINYI_PROVIDER": "aliyun",
            "MINYI_ALIYUN_SMS_ENDPOINT": api_url,
            "MINYI_ALIYUN_VOICE_ENDPOINT": api_url,
            "MINYI_PUBLIC_URL": public_url,
            "MINYI_MESSAGES_PER_SECOND": "2000",
        }))
        over = load_settings(settings.home)
        emulator = emulator_for(
            aliyun_config(over), public_url, people_factory=_people(files, unit_truth, seed)
        )
        stack.enter_context(run_in_thread(emulator.app, emulator_socket))
        stack.enter_context(run_in_thread(build_public_app(over), receiver_socket))  # type: ignore[arg-type]
        yield api_url, public_url
        emulator.wait_idle(30)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
