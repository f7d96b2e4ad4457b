"""Transient send errors are retried with backoff, then left for the next run; nobody twice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from channels.landing import LandingStore
from channels.simulated import SimulatedProvider
from flows.contact import dispatch
from flows.wiring import open_warehouse
from minyi.settings import Settings, load_settings
from tests.flows.test_dispatch_crash import _home

AT = datetime(2026, 10, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _provider(landing: LandingStore) -> SimulatedProvider:
    return SimulatedProvider(
        record=landing.record, recorded_sid=landing.sid_of_attempt, transient_every=3
    )


def _dispatch(settings: Settings, provider: SimulatedProvider, landing: LandingStore, at: datetime):  # type: ignore[no-untyped-def]
    with open_warehouse(settings) as con:
        return dispatch(con, settings, provider, landing, at, at)


def test_transient_errors_are_retried_within_the_run(tmp_path: Path) -> None:
    home, _ = _home(tmp_path, 30)
    settings = load_settings(home, retry_backoff_seconds=0.0)
    with LandingStore(settings.landing_path) as landing:
        report = _dispatch(settings, _provider(landing), landing, AT)
        sent = landing.pending_frame().filter(landing.pending_frame()["kind"] == "sent")
    assert (report.sent, report.retry) == (30, 0)
    assert sent["attempt_id"].n_unique() == sent.height == 30


def test_without_retries_the_next_run_sends_what_is_left(tmp_path: Path) -> None:
    home, _ = _home(tmp_path, 30)
    settings = load_settings(home, send_retries=0)
    with LandingStore(settings.landing_path) as landing:
        provider = _provider(landing)
        first = _dispatch(settings, provider, landing, AT)
        left, runs = first.retry, 0
        while left and runs < 5:  # later runs send what is left (the fake fails every 3rd send)
            runs += 1
            later = _dispatch(settings, provider, landing, AT.replace(hour=14 + runs))
            assert later.sent + later.retry == left
            left = later.retry
        sent = landing.pending_frame().filter(landing.pending_frame()["kind"] == "sent")
    assert first.retry == 10 and first.sent == 20
    assert left == 0
    # outside the calling windows nothing is sent, not even retries
    with LandingStore(settings.landing_path) as landing:
        assert _dispatch(settings, _provider(landing), landing, AT.replace(hour=21)).sent == 0
    assert sent["attempt_id"].n_unique() == sent.height == 30
