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


def test_a_number_put_on_the_list_after_a_failed_send_is_not_sent_on_the_retry(
    tmp_path: Path,
) -> None:
    from warehouse.contacts import add_do_not_contact

    home, _ = _home(tmp_path, 30)
    settings = load_settings(home, send_retries=0)
    with LandingStore(settings.landing_path) as landing:
        provider = _provider(landing)
        first = _dispatch(settings, provider, landing, AT)
        with open_warehouse(settings) as con:
            waiting = con.sql(
                "SELECT c.phone_e164 FROM outbox o JOIN cases c USING (case_id) "
                "WHERE o.status = 'retry' ORDER BY 1"
            ).fetchall()
            assert first.retry == len(waiting) == 10
            add_do_not_contact(con, [waiting[0][0]], "complaint")
        # and one number opts out by SMS meanwhile (recorded by the webhook, not yet loaded)
        landing._con.execute(
            "INSERT INTO twilio_opt_outs VALUES (?, '2026-10-13', 'sms')", (waiting[1][0],)
        )
        later = _dispatch(settings, provider, landing, AT.replace(hour=15))
    assert later.sent + later.retry == 8 and later.failed == 2  # the fake fails every 3rd
    with open_warehouse(settings) as con:
        blocked = con.sql(
            "SELECT count(*) FROM outbox WHERE error_code = 'blocked' AND status = 'failed'"
        ).fetchall()
    assert blocked == [(2,)]


def test_a_real_provider_keeps_to_the_real_clock_whatever_at_says(tmp_path: Path) -> None:
    """`dispatch --at 10:00` run at 04:00 contacts nobody when the provider reaches real people."""
    home, _ = _home(tmp_path, 5)
    settings = load_settings(home)
    four_am = AT.replace(hour=4)
    with LandingStore(settings.landing_path) as landing:
        provider = _provider(landing)
        provider.real_clock = True  # as Twilio and Aliyun when not pointed at an emulator
        report_real = _dispatch_at(settings, provider, landing, AT, four_am)
        provider.real_clock = False  # the simulated people live at the replay's clock
        report_sim = _dispatch_at(settings, provider, landing, AT, four_am)
    assert (report_real.sent, report_real.in_window) == (0, False)
    assert report_sim.sent == 5


def _dispatch_at(settings: Settings, provider: SimulatedProvider, landing: LandingStore,
                 at: datetime, wall: datetime):  # type: ignore[no-untyped-def]
    with open_warehouse(settings) as con:
        return dispatch(con, settings, provider, landing, at, wall)
