"""End to end: TwilioProvider → local Twilio → signed callbacks → receiver → landing events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from twilio.http.http_client import TwilioHttpClient

from channels import base as B
from channels.base import ContactRequest
from channels.errors import PermanentSendError
from channels.landing import LandingStore
from channels.sessions import SessionStore
from channels.twilio.provider import TwilioProvider, make_client
from channels.twilio.receiver import create_app
from demo.twilio_emulator import (
    Cooperative,
    Emulator,
    Scripted,
    bind_loopback,
    run_in_thread,
    url_of,
)
from warehouse import fieldwork

ACCOUNT = "AC" + "e" * 32
TOKEN = "e2e-token"
AT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
PEOPLE = {
    "+8613800000101": Scripted(sms=["好", "５", "没有", "4"]),
    "+8613800000102": Scripted(sms=["T"]),
    "+8613800000103": Scripted(sms=["STOP"]),
    "+8613800000105": Scripted(voice=["", "1", "say:有", "say:二", "say:态度不好"]),
    "+8613800000106": Scripted(voice=["hangup"]),
    "+8613800000107": Scripted(delivered="undelivered"),
    "+8613800000108": Cooperative(level=5, speech=True),
}


def test_the_whole_way_round(tmp_path: Path) -> None:
    landing = tmp_path / "landing.sqlite"
    sock = bind_loopback()
    public = url_of(sock)
    emulator = Emulator(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        people=PEOPLE,
        errors={"+8613800000104": (400, 21211)},
    )
    app = create_app(auth_token=TOKEN, public_url=public, landing_path=landing)
    sends = [
        ("A:1", "sms", "+8613800000101"),
        ("B:1", "sms", "+8613800000102"),
        ("C:1", "sms", "+8613800000103"),
        ("E:2", "voice", "+8613800000105"),
        ("F:2", "voice", "+8613800000106"),
        ("G:1", "sms", "+8613800000107"),
        ("H:2", "voice", "+8613800000108"),
    ]
    with run_in_thread(app, sock), run_in_thread(emulator.app) as api_url:
        emulator.sms_url = public + "/twilio/sms"
        client = make_client(
            ACCOUNT, TOKEN, api_url=api_url, http_client=TwilioHttpClient(timeout=5)
        )
        with SessionStore(landing) as sessions:
            provider = TwilioProvider(
                client,
                from_number="+15005550006",
                messaging_service_sid=None,
                public_url=public,
                sessions=sessions,
            )
            for attempt, channel, to in sends:
                provider.send(ContactRequest(attempt, attempt[0], channel, to, AT))  # type: ignore[arg-type]
            with pytest.raises(PermanentSendError) as invalid:
                provider.send(ContactRequest("D:1", "D", "sms", "+8613800000104", AT))
            assert invalid.value.outcome == B.INVALID_NUMBER
            assert emulator.wait_idle(15), "conversations did not finish"
            assert emulator.callback_failures == []
            # opted-out numbers are never contacted again, on any channel
            for attempt, to in (("B:2", "+8613800000102"), ("C:2", "+8613800000103")):
                with pytest.raises(PermanentSendError) as stopped:
                    provider.send(ContactRequest(attempt, attempt[0], "voice", to, AT))
                assert stopped.value.outcome == B.OPTED_OUT
    assert emulator.blocked == {"+8613800000103"}  # Twilio itself blocks its keywords

    with LandingStore(landing) as store:
        frame = store.pending_frame()
    events = frame.to_dicts()
    by_case: dict[str, list[str]] = {}
    for e in events:
        by_case.setdefault(e["case_id"], []).append(e["kind"])
    assert frame["event_key"].n_unique() == frame.height
    assert by_case["A"].count(B.ANSWER) == 3 and B.UNREADABLE in by_case["A"]
    assert B.DELIVERED in by_case["A"] and B.COMPLETED in by_case["A"]
    assert B.OPTED_OUT in by_case["B"] and B.OPTED_OUT in by_case["C"]
    assert by_case["E"].count(B.ANSWER) == 4 and by_case["E"].count(B.COMPLETED) == 1
    assert by_case["F"] == [B.BREAK_OFF]
    assert B.UNDELIVERED in by_case["G"] and B.ANSWER not in by_case["G"]
    assert by_case["H"].count(B.ANSWER) == 3  # speech answers, satisfied: no reason asked
    assert "D" not in by_case

    # the warehouse reads these rows as it reads the simulated provider's (EVENT_SCHEMA)
    typed = frame.select(list(fieldwork.EVENT_SCHEMA)).cast(fieldwork.EVENT_SCHEMA)  # type: ignore[arg-type]
    answers = {
        (e["case_id"], json.loads(e["detail"])["item"]): json.loads(e["detail"])["value"]
        for e in typed.filter(pl.col("kind") == B.ANSWER).to_dicts()
    }
    assert answers[("A", "satisfaction")] == "5" and answers[("A", "integrity")] == "no"
    assert answers[("E", "satisfaction")] == "1" and answers[("E", "integrity")] == "yes"
    assert answers[("E", "timeliness")] == "2" and answers[("E", "reason")] == "态度不好"
    assert answers[("H", "satisfaction")] == "5"
