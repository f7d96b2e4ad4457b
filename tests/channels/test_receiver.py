"""The webhook receiver: signatures, dedupe, landing writes, SMS and voice conversations."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from channels import base as B
from channels import conversation
from channels.landing import LandingStore
from channels.questionnaire import load
from channels.sessions import SessionStore
from channels.twilio.receiver import create_app, status_url, voice_url
from demo.twilio_emulator import run_in_thread

TOKEN = "receiver-test-token"
PUBLIC = "https://minyi.example.gov.cn/hooks"  # what Twilio calls; TLS ends at a proxy
PHONE = "+8613800138000"
Q = load()


class Hooks:
    """Posts signed as Twilio signs, to an app reached under another host (the proxy's view)."""

    def __init__(self, client: httpx.Client, landing: Path) -> None:
        self.client = client
        self.landing = landing
        self.signer = RequestValidator(TOKEN)

    def post(
        self,
        path: str,
        form: dict[str, str],
        *,
        sign_url: str | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        url = sign_url or PUBLIC + path
        sig = signature if signature is not None else self.signer.compute_signature(url, form)
        response = self.client.post(
            path,
            content=urlencode(form),
            headers={
                "X-Twilio-Signature": sig,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        return response.status_code, response.text

    def sms(self, sid: str, body: str, phone: str = PHONE) -> list[str]:
        code, text = self.post(
            "/twilio/sms", {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}
        )
        assert code == 200
        return [m.text or "" for m in ET.fromstring(text).iter("Message")]

    def events(self) -> list[B.InboundEvent]:
        with LandingStore(self.landing) as store:
            return [e for _, e in store.pending()]


@pytest.fixture
def hooks(tmp_path: Path) -> Iterator[Hooks]:
    landing = tmp_path / "landing.sqlite"
    app = create_app(auth_token=TOKEN, public_url=PUBLIC, landing_path=landing)
    # served on loopback; Twilio signs the public URL, which the proxy forwards here
    with run_in_thread(app) as url, httpx.Client(base_url=url) as client:
        yield Hooks(client, landing)


def _open(landing: Path, attempt: str, channel: str = "sms", phone: str = PHONE) -> None:
    with SessionStore(landing) as sessions:
        sessions.open(
            attempt_id=attempt,
            case_id=attempt.split(":")[0],
            channel=channel,
            phone=phone,
            lang="zh",
            state=conversation.start(Q),
            context={"unit": "区民政局"},
        )


def test_bad_or_missing_signatures_get_403_and_change_nothing(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1")
    form = {"MessageSid": "SM1", "From": PHONE, "To": "+1", "Body": "5"}
    assert hooks.post("/twilio/sms", form, signature="bm9wZQ==")[0] == 403
    assert hooks.post("/twilio/sms", form, signature="")[0] == 403
    # signed for the host the request arrived at, not the public URL: refused
    local = str(hooks.client.base_url).rstrip("/") + "/twilio/sms"
    assert hooks.post("/twilio/sms", form, sign_url=local)[0] == 403
    # a tampered body
    code, _ = hooks.post(
        "/twilio/sms",
        {**form, "Body": "1"},
        signature=hooks.signer.compute_signature(PUBLIC + "/twilio/sms", form),
    )
    assert code == 403
    for path in ("/twilio/status", "/twilio/voice"):
        assert hooks.post(path, {"CallSid": "CA1", "CallStatus": "busy"}, signature="x")[0] == 403
    assert hooks.events() == []
    with SessionStore(hooks.landing) as sessions:
        session = sessions.get("C1:1")
        assert session is not None and session.state == conversation.start(Q)
        assert sessions.handled("SM1") is None


def test_sms_conversation_records_each_answer_and_asks_the_next(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1")
    assert hooks.sms("SMa", "好")[0].startswith("抱歉，未能识别您的回复。您对区民政局")
    assert "吃拿卡要" in hooks.sms("SMb", "２")[0]
    assert "办理时限" in hooks.sms("SMc", "没有")[0]
    assert "原因" in hooks.sms("SMd", "一般")[0]
    events = hooks.events()
    answers = [(e.detail["item"], e.detail["value"]) for e in events if e.kind == B.ANSWER]
    assert answers == [("satisfaction", "2"), ("integrity", "no"), ("timeliness", "3")]
    assert all(e.case_id == "C1" and e.attempt_id == "C1:1" and e.channel == "sms" for e in events)
    assert events[0].kind == B.UNREADABLE and events[0].detail["text"] == "好"
    assert hooks.sms("SMe", "排队太久") == ["感谢您的评价！"]
    kinds = [e.kind for e in hooks.events()]
    assert kinds[-2:] == [B.ANSWER, B.COMPLETED]
    assert hooks.sms("SMf", "谢谢") == []  # after the end: nothing recorded, nothing said
    assert len(hooks.events()) == len(kinds)


def test_one_reply_may_answer_several_items(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1")
    assert hooks.sms("SMa", "5 2 4") == ["感谢您的评价！"]
    answers = [(e.detail["item"], e.detail["value"]) for e in hooks.events() if e.kind == B.ANSWER]
    assert answers == [("satisfaction", "5"), ("integrity", "no"), ("timeliness", "4")]
    assert hooks.events()[-1].kind == B.COMPLETED
    _open(hooks.landing, "C2:1", phone="+8613900000002")
    # dissatisfied: the list stops at the free-text reason, which is then asked
    assert "原因" in hooks.sms("SMb", "1，有，2", phone="+8613900000002")[0]
    _open(hooks.landing, "C3:1", phone="+8613900000003")
    # not a list of answers (too many parts): one polite re-prompt, nothing recorded
    assert hooks.sms("SMc", "5 2 4 3", phone="+8613900000003")[0].startswith("抱歉")


def test_a_repeated_delivery_is_recorded_once_and_answered_the_same(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1")
    first = hooks.sms("SMx", "5")
    again = hooks.sms("SMx", "5")
    assert first == again and "吃拿卡要" in first[0]
    assert len(hooks.events()) == 1
    with SessionStore(hooks.landing) as sessions:
        session = sessions.get("C1:1")
        assert session is not None and session.state.item == "integrity"


def test_two_unreadable_replies_leave_the_case_unanswered(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1")
    hooks.sms("SM1", "好")
    assert hooks.sms("SM2", "嗯嗯") == ["感谢您的评价！"]
    assert [e.kind for e in hooks.events()] == [B.UNREADABLE, B.UNREADABLE]


def test_opt_out_stops_the_number_for_good(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1")
    assert hooks.sms("SM1", "退订") == ["您已退订，我们不会再联系您。"]
    assert hooks.sms("SM2", "STOP") == []  # Twilio confirms its own keywords
    events = hooks.events()
    assert [e.kind for e in events] == [B.OPTED_OUT]
    assert events[0].case_id == "C1"
    with SessionStore(hooks.landing) as sessions:
        assert sessions.is_opted_out(PHONE)


def test_an_unknown_number_records_nothing_but_may_still_opt_out(hooks: Hooks) -> None:
    assert hooks.sms("SM1", "5", phone="+8613900000000") == []
    assert hooks.events() == []
    hooks.sms("SM2", "T", phone="+8613900000000")
    with SessionStore(hooks.landing) as sessions:
        assert sessions.is_opted_out("+8613900000000")


def test_the_latest_sms_session_of_a_number_gets_the_reply(hooks: Hooks) -> None:
    _open(hooks.landing, "OLD:1")
    _open(hooks.landing, "NEW:1")
    hooks.sms("SM1", "4")
    assert [e.case_id for e in hooks.events()] == ["NEW"]


def test_message_status_callbacks(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1")
    url = status_url(PUBLIC, "C1:1")
    path = url.removeprefix(PUBLIC)
    for status in ("queued", "sent", "delivered", "delivered", "read"):
        form = {"MessageSid": "SMout", "MessageStatus": status, "To": PHONE}
        assert hooks.post(path, form, sign_url=url)[0] == 204
    failed = {"MessageSid": "SMbad", "MessageStatus": "undelivered", "ErrorCode": "30005"}
    hooks.post(path, failed, sign_url=url)
    kinds = [(e.kind, e.provider_sid) for e in hooks.events()]
    assert kinds == [(B.SENT, "SMout"), (B.DELIVERED, "SMout"), (B.INVALID_NUMBER, "SMbad")]
    with SessionStore(hooks.landing) as sessions:
        session = sessions.get("C1:1")
        assert session is not None and session.provider_sid == "SMout"  # reconciliation aid


def _gather(document: str) -> tuple[str, str]:
    root = ET.fromstring(document)
    gather = root.find("Gather")
    assert gather is not None, document
    return "".join(s.text or "" for s in gather.iter("Say")), gather.get("action", "")


def _voice(hooks: Hooks, url: str, **form: str) -> str:
    code, text = hooks.post(url.removeprefix(PUBLIC), {"CallSid": "CA1", **form}, sign_url=url)
    assert code == 200
    return text


def test_voice_interview_with_reprompt_and_speech(hooks: Hooks) -> None:
    _open(hooks.landing, "C2:2", channel="voice")
    said, action = _gather(_voice(hooks, voice_url(PUBLIC, "C2:2"), CallStatus="in-progress"))
    assert said.startswith("【本区民意访评】") and "退订" not in said
    said, action = _gather(_voice(hooks, action))  # silence
    assert said.startswith("抱歉") and action.endswith("item=satisfaction&n=1")
    said, action = _gather(_voice(hooks, action, Digits="2"))
    assert "吃拿卡要" in said
    said, action = _gather(_voice(hooks, action, SpeechResult="没有。"))
    said, action = _gather(_voice(hooks, action, Digits="1"))
    assert "原因" in said
    root = ET.fromstring(_voice(hooks, action, SpeechResult="等了两个小时"))
    assert [c.tag for c in root] == ["Say", "Hangup"]
    status = status_url(PUBLIC, "C2:2")
    hooks.post(
        status.removeprefix(PUBLIC), {"CallSid": "CA1", "CallStatus": "completed"}, sign_url=status
    )
    events = hooks.events()
    answers = {e.detail["item"]: e.detail["value"] for e in events if e.kind == B.ANSWER}
    assert answers == {
        "satisfaction": "2",
        "integrity": "no",
        "timeliness": "1",
        "reason": "等了两个小时",
    }
    assert [e.kind for e in events].count(B.COMPLETED) == 1
    assert all(e.channel == "voice" and e.case_id == "C2" for e in events)


def test_a_hang_up_keeps_what_was_answered(hooks: Hooks) -> None:
    _open(hooks.landing, "C3:2", channel="voice")
    _, action = _gather(_voice(hooks, voice_url(PUBLIC, "C3:2")))
    _gather(_voice(hooks, action, Digits="5"))
    status = status_url(PUBLIC, "C3:2")
    hooks.post(
        status.removeprefix(PUBLIC), {"CallSid": "CA1", "CallStatus": "completed"}, sign_url=status
    )
    assert [e.kind for e in hooks.events()] == [B.ANSWER]  # partial: no completed, no break-off


def test_hanging_up_before_satisfaction_is_a_break_off_and_busy_is_busy(hooks: Hooks) -> None:
    _open(hooks.landing, "C4:2", channel="voice")
    _open(hooks.landing, "C5:2", channel="voice", phone="+8613800138001")
    _voice(hooks, voice_url(PUBLIC, "C4:2"))
    for attempt, sid, status in (("C4:2", "CA1", "completed"), ("C5:2", "CA2", "busy")):
        url = status_url(PUBLIC, attempt)
        hooks.post(url.removeprefix(PUBLIC), {"CallSid": sid, "CallStatus": status}, sign_url=url)
    assert [(e.case_id, e.kind) for e in hooks.events()] == [("C4", B.BREAK_OFF), ("C5", B.BUSY)]


def test_a_message_that_answers_no_evaluation_is_a_complaint_with_a_registration_number(
    hooks: Hooks,
) -> None:
    from minyi.registration import looks_like_registration

    told = hooks.sms("SMc1", "政务中心三楼窗口中午提前下班，白跑一趟", phone="+8613900000001")
    events = hooks.events()
    assert [e.kind for e in events] == ["complaint"] and events[0].case_id is None
    number = events[0].detail["number"]
    assert looks_like_registration(number) and number in told[0]
    assert events[0].detail["text"].startswith("政务中心") and events[0].detail["phone"] == "+8613900000001"
    assert hooks.sms("SMc1", "政务中心三楼窗口中午提前下班，白跑一趟", phone="+8613900000001") == told  # a repeat
    assert len(hooks.events()) == 1
    # after an evaluation ended, a courtesy is not a complaint; something to say is
    _open(hooks.landing, "C9:1", phone="+8613900000002")
    for reply in ("5", "2", "2", "太慢"):
        hooks.sms(f"SMe{reply}{len(hooks.events())}", reply, phone="+8613900000002")
    before = len(hooks.events())
    hooks.sms("SMe-thanks", "谢谢", phone="+8613900000002")
    hooks.sms("SMe-more", "另外停车场收费太贵，希望整改", phone="+8613900000002")
    kinds = [e.kind for e in hooks.events()[before:]]
    assert kinds == ["complaint"]
