"""The callback receiver: token check, size limit, dedupe, landing writes, replies and follow-ups."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from channels import base as B
from channels import conversation
from channels.aliyun import create_app, make_api
from channels.aliyun.receiver import MAX_BODY, callback_paths
from channels.landing import LandingStore
from channels.questionnaire import load
from channels.sessions import SessionStore, reference
from demo.aliyun_emulator import Emulator, Scripted, run_in_thread

from .conftest import CODES, TOKEN, config, emulator

PHONE = "+8613800138000"
Q = load()
PATHS = callback_paths(TOKEN)


@dataclass
class Hooks:
    client: httpx.Client
    landing: Path
    emulator: Emulator

    def post(self, kind: str, payload: Any, *, token: str = TOKEN) -> httpx.Response:
        path = PATHS[kind].replace(TOKEN, token)
        return self.client.post(path, content=json.dumps(payload, ensure_ascii=False))

    def up(self, sequence: int, content: str, phone: str = "13800138000") -> None:
        item = {
            "phone_number": phone,
            "content": content,
            "send_time": "2026-11-16 10:00:00",
            "dest_code": "1234",
            "sequence_id": sequence,
        }
        response = self.post("sms_up", [item])
        assert response.status_code == 200 and response.json() == {"code": 0, "msg": "成功"}

    def events(self) -> list[B.InboundEvent]:
        with LandingStore(self.landing) as store:
            return [e for _, e in store.pending()]

    def sent_templates(self, expected: int = 0) -> list[str]:
        """The roles of the follow-up SMS sent, once ``expected`` arrived and all is quiet."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sent = [p for a, p in self.emulator.requests if a == "SendSms"]
            if len(sent) >= expected:
                break
            time.sleep(0.02)
        time.sleep(0.2)  # anything more would have arrived by now
        assert self.emulator.wait_idle(10)
        by_code = {code: role for role, code in CODES.items()}
        return [by_code[p["TemplateCode"]] for a, p in self.emulator.requests if a == "SendSms"]


@pytest.fixture
def hooks(tmp_path: Path) -> Iterator[Hooks]:
    landing = tmp_path / "landing.sqlite"
    service = emulator(people={"13800138000": Scripted()})
    with run_in_thread(service.app) as api_url:
        settings = config(api_url)
        app = create_app(config=settings, landing_path=landing, api=make_api(settings))
        with run_in_thread(app) as url, httpx.Client(base_url=url) as client:
            yield Hooks(client, landing, service)


def _open(landing: Path, attempt: str, channel: str = "sms", sid: str | None = None) -> None:
    with SessionStore(landing) as sessions:
        sessions.open(
            attempt_id=attempt,
            case_id=attempt.split(":")[0],
            channel=channel,
            phone=PHONE,
            lang="zh",
            state=conversation.start(Q),
            context={"unit": "区民政局", "category": "婚姻登记"},
        )
        if sid:
            sessions.set_sid(attempt, sid)


def test_a_wrong_token_gets_403_and_records_nothing(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1", sid="111^0")
    report = [
        {"biz_id": "111^0", "out_id": reference("C1:1"), "success": True, "err_code": "DELIVERED"}
    ]
    for token in ("wrong-token-wrong-token-wrong-to", TOKEN[:-1], TOKEN + "x"):
        assert hooks.post("sms_report", report, token=token).status_code == 403
        assert (
            hooks.post(
                "sms_up",
                [{"phone_number": "13800138000", "content": "5", "sequence_id": 1}],
                token=token,
            ).status_code
            == 403
        )
        assert (
            hooks.post(
                "voice_report", [{"call_id": "c", "status_code": "200002"}], token=token
            ).status_code
            == 403
        )
    assert hooks.client.post("/aliyun/sms/report", json=report).status_code in (404, 405)
    assert hooks.events() == []
    with SessionStore(hooks.landing) as sessions:
        assert sessions.get("C1:1").state == conversation.start(Q)  # type: ignore[union-attr]
    # the console's connectivity check
    assert hooks.client.get(PATHS["sms_up"]).json() == {"code": 0, "msg": "成功"}
    assert hooks.client.get(PATHS["sms_up"].replace(TOKEN, "x" * 32)).status_code == 403


def test_an_oversize_body_gets_413_before_it_is_read(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1", sid="111^0")
    item = {"biz_id": "111^0", "success": True, "err_code": "DELIVERED", "pad": "x" * 1000}
    big = json.dumps([item] * 70).encode()
    assert len(big) > MAX_BODY
    assert hooks.client.post(PATHS["sms_report"], content=big).status_code == 413
    # without a Content-Length (chunked), the stream is cut at the limit
    chunks = iter([big[i : i + 8192] for i in range(0, len(big), 8192)])
    assert hooks.client.post(PATHS["sms_report"], content=chunks).status_code == 413
    assert hooks.client.post(PATHS["sms_report"], content=b"{not json").status_code == 400
    assert hooks.events() == []


def test_a_repeated_receipt_is_recorded_once_and_unknown_ids_are_kept(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1", sid="111^0")
    report = [
        {
            "biz_id": "111^0",
            "out_id": reference("C1:1"),
            "success": True,
            "err_code": "DELIVERED",
            "phone_number": "13800138000",
        }
    ]
    for _ in range(3):
        assert hooks.post("sms_report", report).json() == {"code": 0, "msg": "成功"}
    stranger = [{"biz_id": "999^0", "out_id": "ZZZZZZZZ", "success": False, "err_code": "MK:0001"}]
    hooks.post("sms_report", stranger)
    hooks.post("sms_report", [{**stranger[0], "biz_id": "998^0", "err_code": "UNDELIV"}])
    events = hooks.events()
    assert [(e.kind, e.attempt_id) for e in events] == [
        (B.DELIVERED, "C1:1"),
        (B.INVALID_NUMBER, None),
        (B.UNDELIVERED, None),
    ]
    assert events[2].detail == {"status": "undelivered", "error_code": "UNDELIV"}


def test_a_receipt_matched_by_out_id_fills_in_the_biz_id(hooks: Hooks) -> None:
    _open(hooks.landing, "C2:1")  # sent, but the BizId was never stored (crash)
    hooks.post("sms_report", [{"biz_id": "222^0", "out_id": reference("C2:1"), "success": True}])
    assert hooks.events()[0].attempt_id == "C2:1"
    with SessionStore(hooks.landing) as sessions:
        assert sessions.get("C2:1").provider_sid == "222^0"  # type: ignore[union-attr]


def test_sms_replies_advance_the_conversation_and_send_the_next_template(hooks: Hooks) -> None:
    _open(hooks.landing, "C1:1", sid="111^0")
    hooks.up(1, "好")
    hooks.up(2, "５")
    hooks.up(2, "５")  # the same push again: ignored
    hooks.up(3, "没有")
    hooks.up(4, "4")
    answers = [(e.detail["item"], e.detail["value"]) for e in hooks.events() if e.kind == B.ANSWER]
    assert answers == [("satisfaction", "5"), ("integrity", "no"), ("timeliness", "4")]
    assert hooks.events()[0].kind == B.UNREADABLE
    assert hooks.events()[-1].kind == B.COMPLETED
    assert hooks.sent_templates(4) == ["reprompt", "integrity", "timeliness", "thanks"]
    # follow-ups carry OutId F<ref>; their own receipts are not contact events
    out_ids = {p["OutId"] for a, p in hooks.emulator.requests if a == "SendSms"}
    assert out_ids == {"F" + reference("C1:1")}
    before = len(hooks.events())
    hooks.post(
        "sms_report", [{"biz_id": "555^0", "out_id": "F" + reference("C1:1"), "success": True}]
    )
    assert len(hooks.events()) == before


@pytest.mark.parametrize("reply", ["TD", "t", "退订", "请不要再发了，退订"])
def test_opting_out_is_recorded_remembered_and_not_answered(hooks: Hooks, reply: str) -> None:
    _open(hooks.landing, "C1:1", sid="111^0")
    hooks.up(7, reply, phone="8613800138000")
    assert [e.kind for e in hooks.events()] == [B.OPTED_OUT]
    with SessionStore(hooks.landing) as sessions:
        assert sessions.is_opted_out(PHONE)
    assert hooks.sent_templates() == []


def test_a_reply_from_a_number_never_contacted_records_nothing_but_an_opt_out(hooks: Hooks) -> None:
    hooks.up(8, "5", phone="13900000000")
    assert hooks.events() == []
    hooks.up(9, "退订", phone="13900000000")
    assert [(e.kind, e.attempt_id) for e in hooks.events()] == [(B.OPTED_OUT, None)]


def test_a_call_record_gives_the_key_press_and_the_rest_goes_on_by_sms(hooks: Hooks) -> None:
    _open(hooks.landing, "V1:2", channel="voice", sid="c-1")
    record = {"call_id": "c-1", "out_id": reference("V1:2"), "status_code": "200000", "dtmf": "2"}
    hooks.post("voice_report", [record])
    hooks.post("voice_report", [record])  # repeated push
    assert [(e.kind, e.channel, e.detail.get("value")) for e in hooks.events()] == [
        (B.ANSWER, "voice", "2")
    ]
    assert hooks.sent_templates(1) == ["integrity"]
    hooks.up(10, "有")  # the SMS reply continues the IVR session
    hooks.up(11, "2")
    hooks.up(12, "态度不好")
    answers = [(e.detail["item"], e.detail["value"]) for e in hooks.events() if e.kind == B.ANSWER]
    assert answers == [
        ("satisfaction", "2"),
        ("integrity", "yes"),
        ("timeliness", "2"),
        ("reason", "态度不好"),
    ]
    assert {e.attempt_id for e in hooks.events()} == {"V1:2"}
    assert hooks.events()[-1].kind == B.COMPLETED


@pytest.mark.parametrize(
    ("status", "dtmf", "kind"),
    [
        ("200001", "", B.BREAK_OFF),
        ("200008", "9", B.BREAK_OFF),
        ("200002", "", B.BUSY),
        ("200003", "", B.NO_ANSWER),
        ("200004", "", B.INVALID_NUMBER),
        ("999999", "", B.NO_ANSWER),
    ],
)
def test_call_outcomes(hooks: Hooks, status: str, dtmf: str, kind: str) -> None:
    _open(hooks.landing, "V2:2", channel="voice", sid="c-2")
    hooks.post("voice_report", [{"call_id": "c-2", "status_code": status, "dtmf": dtmf}])
    assert [(e.kind, e.attempt_id) for e in hooks.events()] == [(kind, "V2:2")]
    assert hooks.sent_templates() == []


def test_a_message_that_answers_no_evaluation_is_recorded_as_a_complaint(hooks: Hooks) -> None:
    from minyi.registration import looks_like_registration

    hooks.up(21, "社区服务中心周末没有人值班，电话也打不通", phone="13900000021")
    hooks.up(21, "社区服务中心周末没有人值班，电话也打不通", phone="13900000021")  # re-pushed
    events = hooks.events()
    assert [(e.kind, e.case_id) for e in events] == [("complaint", None)]
    assert events[0].detail["phone"] == "+8613900000021" and looks_like_registration(events[0].detail["number"])
    assert hooks.sent_templates() == []  # no free-text SMS: templates only (the flows answer later)
