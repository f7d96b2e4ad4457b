"""TwilioProvider against the local Twilio over real HTTP: sends, error mapping, reconciliation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from twilio.http.http_client import TwilioHttpClient

from channels import base as B
from channels import conversation
from channels.base import ContactRequest
from channels.errors import PermanentSendError, TransientSendError
from channels.sessions import SessionStore, reference
from channels.twilio.provider import TwilioConfigError, TwilioProvider, make_client
from channels.twilio.receiver import create_app
from demo.twilio_emulator import Emulator, Scripted, bind_loopback, run_in_thread, url_of

ACCOUNT = "AC" + "1" * 32
TOKEN = "provider-test-token"
OWN = "+15005550006"
AT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)


@dataclass
class Rig:
    emulator: Emulator
    provider: TwilioProvider
    sessions: SessionStore
    landing: Path
    api_url: str
    public_url: str

    def request(self, attempt: str, to: str, channel: B.Channel = "sms") -> ContactRequest:
        return ContactRequest(attempt, attempt.split(":")[0], channel, to, AT)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    landing = tmp_path / "landing.sqlite"
    sock = bind_loopback()
    public = url_of(sock)
    emulator = Emulator(
        account_sid=ACCOUNT,
        auth_token=TOKEN,
        people={"+8613800000001": Scripted(), "+8613800000002": Scripted(call="busy")},
        errors={
            "+8613800000011": (400, 21211),
            "+8613800000012": (400, 21614),
            "+8613800000013": (400, 21610),
            "+8613800000014": (500, 20500),
            "+8613800000015": (503, 0),
            "+8613800000016": (400, 21408),
            "+8613800000018": (400, 21617),
            "+8613800000019": (400, 21606),
        },
        slow={"+8613800000017": 1.5},
    )
    app = create_app(auth_token=TOKEN, public_url=public, landing_path=landing)
    with run_in_thread(app, sock), run_in_thread(emulator.app) as api_url:
        emulator.sms_url = public + "/twilio/sms"
        client = make_client(
            ACCOUNT, TOKEN, api_url=api_url, http_client=TwilioHttpClient(timeout=0.5)
        )
        with SessionStore(landing) as sessions:
            provider = TwilioProvider(
                client,
                from_number=OWN,
                messaging_service_sid=None,
                public_url=public,
                sessions=sessions,
                context=lambda case: {"unit": f"单位{case}"},
            )
            yield Rig(emulator, provider, sessions, landing, api_url, public)
            assert emulator.wait_idle(10)


def test_sms_send_creates_a_message_with_reference_and_callback(rig: Rig) -> None:
    receipt = rig.provider.send(rig.request("C1:1", "+8613800000001"))
    assert receipt.provider_sid.startswith("SM") and receipt.attempt_id == "C1:1"
    message = rig.emulator.messages[receipt.provider_sid]
    assert message["from"] == OWN and message["to"] == "+8613800000001"
    assert f"（编号{reference('C1:1')}）" in message["body"] and "单位C1" in message["body"]
    assert message["status_callback"] == rig.public_url + "/twilio/status?attempt=C1%3A1"
    session = rig.sessions.get("C1:1")
    assert session is not None and session.provider_sid == receipt.provider_sid
    assert rig.provider.find("C1:1") == B.SendReceipt("C1:1", receipt.provider_sid, "sent")
    assert rig.provider.rate_limited and rig.provider.channels() == {"sms", "voice"}


def test_voice_send_creates_a_call_on_the_voice_webhook(rig: Rig) -> None:
    receipt = rig.provider.send(rig.request("C2:2", "+8613800000002", "voice"))
    call = rig.emulator.calls[receipt.provider_sid]
    assert call["url"] == rig.public_url + "/twilio/voice?attempt=C2%3A2"
    assert call["from"] == OWN


@pytest.mark.parametrize(
    ("number", "code", "outcome"),
    [
        ("+8613800000011", "21211", B.INVALID_NUMBER),
        ("+8613800000012", "21614", B.INVALID_NUMBER),
        ("+8613800000013", "21610", B.OPTED_OUT),
        # codes not on any list are about this recipient: that case ends, the run goes on
        ("+8613800000016", "21408", B.UNDELIVERED),
        ("+8613800000018", "21617", B.UNDELIVERED),
    ],
)
def test_permanent_errors(rig: Rig, number: str, code: str, outcome: str) -> None:
    with pytest.raises(PermanentSendError) as caught:
        rig.provider.send(rig.request("C3:1", number))
    assert caught.value.code == code and caught.value.outcome == outcome
    assert rig.sessions.is_opted_out(number) == (outcome == B.OPTED_OUT)


@pytest.mark.parametrize("number", ["+8613800000014", "+8613800000015", "+8613800000017"])
def test_server_errors_and_timeouts_are_transient(rig: Rig, number: str) -> None:
    with pytest.raises(TransientSendError):
        rig.provider.send(rig.request("C4:1", number))


def test_throttling_is_transient(rig: Rig) -> None:
    rig.emulator.throttle_every = 2
    rig.provider.send(rig.request("C5:1", "+8613800000001"))
    with pytest.raises(TransientSendError) as caught:
        rig.provider.send(rig.request("C6:1", "+8613800000001"))
    assert caught.value.code == "20429"


def test_configuration_faults_neither_retry_nor_close_the_case(rig: Rig) -> None:
    with pytest.raises(TwilioConfigError):  # 21606: our sender number is not valid
        rig.provider.send(rig.request("C7:1", "+8613800000019"))
    wrong = make_client(ACCOUNT, "wrong-token", api_url=rig.api_url)
    provider = TwilioProvider(
        wrong,
        from_number=OWN,
        messaging_service_sid=None,
        public_url=rig.public_url,
        sessions=rig.sessions,
    )
    with pytest.raises(TwilioConfigError) as caught:
        provider.send(rig.request("C8:1", "+8613800000001"))
    assert caught.value.code == "20003"


def test_an_opted_out_number_is_never_sent_to(rig: Rig) -> None:
    rig.sessions.opt_out("+8613800000001", AT, "sms")
    before = len(rig.emulator.requests)
    with pytest.raises(PermanentSendError) as caught:
        rig.provider.send(rig.request("C9:1", "+8613800000001"))
    assert caught.value.outcome == B.OPTED_OUT and len(rig.emulator.requests) == before


def _forget_sid(landing: Path, attempt: str) -> None:
    """What a crash between Twilio's answer and storing the SID leaves behind."""
    con = sqlite3.connect(landing)
    with con:
        con.execute(
            "UPDATE twilio_sessions SET provider_sid = NULL WHERE attempt_id = ?", (attempt,)
        )
    con.close()


def test_find_reconciles_a_send_whose_sid_was_lost(rig: Rig) -> None:
    assert rig.provider.find("C10:1") is None  # never registered: never sent
    sms = rig.provider.send(rig.request("C10:1", "+8613800000001"))
    rig.provider.send(rig.request("C11:1", "+8613800000001"))  # same number, other attempt
    call = rig.provider.send(rig.request("C12:2", "+8613800000002", "voice"))
    assert rig.emulator.wait_idle(10)
    for attempt in ("C10:1", "C12:2"):
        _forget_sid(rig.landing, attempt)
    assert rig.provider.find("C10:1") == B.SendReceipt("C10:1", sms.provider_sid, "delivered")
    found = rig.provider.find("C12:2")
    assert found is not None and found.provider_sid == call.provider_sid
    session = rig.sessions.get("C10:1")
    assert session is not None and session.provider_sid == sms.provider_sid
    # sending again after reconciliation does not contact anyone twice
    count = len(rig.emulator.messages)
    assert (
        rig.provider.send(rig.request("C10:1", "+8613800000001")).provider_sid == sms.provider_sid
    )
    assert len(rig.emulator.messages) == count


def test_find_returns_none_when_the_crash_came_before_twilio(rig: Rig) -> None:
    rig.sessions.open(
        attempt_id="C13:1",
        case_id="C13",
        channel="sms",
        phone="+8613800000001",
        lang="zh",
        state=conversation.start(rig.provider.q),
    )
    assert rig.provider.find("C13:1") is None


def test_a_messaging_service_sends_sms_only(rig: Rig) -> None:
    client = make_client(ACCOUNT, TOKEN, api_url=rig.api_url)
    provider = TwilioProvider(
        client,
        from_number=None,
        messaging_service_sid="MG" + "2" * 32,
        public_url=rig.public_url,
        sessions=rig.sessions,
    )
    assert provider.channels() == {"sms"}
    receipt = provider.send(rig.request("C14:1", "+8613800000001"))
    assert rig.emulator.messages[receipt.provider_sid]["messaging_service_sid"] == "MG" + "2" * 32


def test_unknown_recipient_errors_do_not_stop_the_run(rig: Rig) -> None:
    from channels import dispatcher

    numbers = ["+8613800000016", "+8613800000018"] + [f"+86138000001{i:02d}" for i in range(8)]
    attempts = [
        dispatcher.Attempt(f"R{i}:1", f"R{i}", "sms", number, {}) for i, number in enumerate(numbers)
    ]
    kept: list[dispatcher.Outcome] = []
    counts = dispatcher.send_all(
        rig.provider, attempts, rig.request("X:1", numbers[0]).at,
        allowed=lambda phone: True, record=kept.extend,
        limits=dispatcher.Limits(per_second=None, retries=0),
    )
    assert counts == {"sent": 8, "failed": 2, "retry": 0}
    assert {o.error_code for o in kept if o.status == "failed"} == {"21408", "21617"}
    assert not any("13800000016" in (o.detail or "") for o in kept)  # numbers masked
