"""End to end over loopback HTTP: the official SDK → local Alibaba Cloud → pushes → receiver → landing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pydantic import SecretStr

from channels import base as B
from channels.aliyun import AliyunConfigError, AliyunProvider, create_app, make_api
from channels.aliyun import templates as T
from channels.aliyun.receiver import callback_paths
from channels.base import ContactRequest
from channels.errors import PermanentSendError, TransientSendError
from channels.landing import LandingStore
from channels.sessions import SessionStore
from demo.aliyun_emulator import (
    Cooperative,
    Emulator,
    Scripted,
    bind_loopback,
    run_in_thread,
    url_of,
)
from warehouse import fieldwork

from .conftest import CODES, SIGN, TOKEN, config, emulator

AT = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
CONTEXT = {"unit": "区市场监督管理局", "category": "营业执照办理"}


def _request(attempt: str, channel: str, to: str) -> ContactRequest:
    return ContactRequest(attempt, attempt.split(":")[0], channel, to, AT, context=CONTEXT)  # type: ignore[arg-type]


@dataclass
class World:
    service: Emulator
    provider: AliyunProvider
    landing: Path

    def events(self) -> pl.DataFrame:
        with LandingStore(self.landing) as store:
            return store.pending_frame()


@contextmanager
def world(tmp_path: Path, **emulator_options: Any) -> Iterator[World]:
    """Emulator and receiver on loopback, the provider's SDK clients pointed at the emulator."""
    landing = tmp_path / "landing.sqlite"
    sock = bind_loopback()
    public = url_of(sock)
    paths = callback_paths(TOKEN)
    service = emulator(
        sms_report_url=public + paths["sms_report"],
        sms_up_url=public + paths["sms_up"],
        voice_report_url=public + paths["voice_report"],
        **emulator_options,
    )
    with run_in_thread(service.app) as api_url:
        settings = config(api_url)
        app = create_app(config=settings, landing_path=landing, api=make_api(settings))
        with run_in_thread(app, sock), SessionStore(landing) as sessions:
            provider = AliyunProvider(
                make_api(settings),
                settings,
                sessions=sessions,
                context=lambda case_id: {"district": "示范区"},
            )
            yield World(service, provider, landing)


PEOPLE = {
    "+8613800000101": Scripted(sms=["好", "５", "没有", "4"]),
    "+8613800000102": Scripted(sms=["TD"]),
    "+8613800000105": Scripted(voice=["1"], sms=["有", "2", "态度不好"]),
    "+8613800000106": Scripted(voice=["hangup"]),
    "+8613800000107": Scripted(delivered="undelivered"),
    "+8613800000108": Cooperative(level=5),
    "+8613800000109": Scripted(call="busy"),
    "+8613800000110": Scripted(delivered="failed"),
}


def test_a_month_of_contacts_goes_the_whole_way_round(tmp_path: Path) -> None:
    sends = [
        ("A:1", "sms", "+8613800000101"),
        ("B:1", "sms", "+8613800000102"),
        ("E:2", "voice", "+8613800000105"),
        ("F:2", "voice", "+8613800000106"),
        ("G:1", "sms", "+8613800000107"),
        ("H:1", "sms", "+8613800000108"),
        ("I:2", "voice", "+8613800000109"),
        ("J:1", "sms", "+8613800000110"),
    ]
    with world(
        tmp_path,
        people=PEOPLE,
        errors={"+8613800000104": "isv.MOBILE_NUMBER_ILLEGAL"},
        push_twice=True,  # every push arrives twice, as after a lost acknowledgement
    ) as w:
        receipts = {a: w.provider.send(_request(a, c, to)) for a, c, to in sends}
        with pytest.raises(PermanentSendError) as invalid:
            w.provider.send(_request("D:1", "sms", "+8613800000104"))
        assert invalid.value.outcome == B.INVALID_NUMBER and "138****0104" in str(invalid.value)
        assert "13800000104" not in str(invalid.value)
        assert w.service.wait_idle(20), "conversations did not finish"
        assert w.service.callback_failures == []
        # a number that opted out is never contacted again, on any channel
        calls_before = len(w.service.requests)
        with pytest.raises(PermanentSendError) as stopped:
            w.provider.send(_request("B:2", "voice", "+8613800000102"))
        assert stopped.value.outcome == B.OPTED_OUT and len(w.service.requests) == calls_before
        assert w.service.blocked == {"13800000102"}
        # sending the same attempt again contacts nobody
        assert w.provider.send(_request("A:1", "sms", "+8613800000101")) == B.SendReceipt(
            "A:1", receipts["A:1"].provider_sid, "sent"
        )
        assert len(w.service.requests) == calls_before
        frame = w.events()
        read: dict[str, list[str]] = {}
        for message in w.service.messages.values():
            read.setdefault(message.phone, []).append(message.text)

    # what the person read is the registered template, word for word, in one segment
    opening = T.with_sign(SIGN, TEMPLATES_OPENING.render(CONTEXT))
    assert read["13800000101"][0] == opening and T.segments(opening) == 1
    assert read["13800000101"][1:] == [
        T.with_sign(SIGN, T.load()[role].text)
        for role in ("reprompt", "integrity", "timeliness", "thanks")
    ]
    assert all(p["SignName"] == SIGN for a, p in w.service.requests if a == "SendSms")

    assert frame["event_key"].n_unique() == frame.height  # pushes came twice, recorded once
    by_case: dict[str, list[str]] = {}
    for e in frame.to_dicts():
        by_case.setdefault(e["case_id"], []).append(e["kind"])
    assert by_case["A"].count(B.ANSWER) == 3 and B.UNREADABLE in by_case["A"]
    assert by_case["A"].count(B.DELIVERED) == 1 and B.COMPLETED in by_case["A"]
    assert by_case["B"] == [B.DELIVERED, B.OPTED_OUT]
    assert by_case["E"].count(B.ANSWER) == 4 and by_case["E"].count(B.COMPLETED) == 1
    assert by_case["F"] == [B.BREAK_OFF]
    assert by_case["G"] == [B.UNDELIVERED]
    assert by_case["H"].count(B.ANSWER) == 3  # satisfied: no reason asked
    assert by_case["I"] == [B.BUSY]
    assert by_case["J"] == [B.INVALID_NUMBER]
    assert "D" not in by_case

    # the warehouse reads these rows as it reads the other providers' (EVENT_SCHEMA)
    typed = frame.select(list(fieldwork.EVENT_SCHEMA)).cast(fieldwork.EVENT_SCHEMA)  # type: ignore[arg-type]
    answers = {
        (e["case_id"], json.loads(e["detail"])["item"]): (
            e["channel"],
            json.loads(e["detail"])["value"],
        )
        for e in typed.filter(pl.col("kind") == B.ANSWER).to_dicts()
    }
    assert answers[("A", "satisfaction")] == ("sms", "5")
    assert answers[("A", "integrity")] == ("sms", "no")
    assert answers[("E", "satisfaction")] == ("voice", "1")  # the key pressed in the IVR call
    assert answers[("E", "integrity")] == ("sms", "yes")
    assert answers[("E", "reason")] == ("sms", "态度不好")
    assert answers[("H", "satisfaction")] == ("sms", "5")


TEMPLATES_OPENING = T.load()["opening"]


def test_throttling_and_server_errors_are_transient(tmp_path: Path) -> None:
    with world(tmp_path, throttle_every=2, errors={"+8613800000120": "ServiceUnavailable"}) as w:
        with pytest.raises(TransientSendError) as unavailable:
            w.provider.send(_request("M:1", "sms", "+8613800000120"))  # send 1: HTTP 503
        assert unavailable.value.code == "ServiceUnavailable"
        with pytest.raises(TransientSendError) as throttled:
            w.provider.send(_request("L:1", "sms", "+8613800000112"))  # send 2: throttled
        assert throttled.value.code == "isv.BUSINESS_LIMIT_CONTROL"
        assert "138****0112" in throttled.value.detail
        # the retry of the same attempt goes through (the session was kept, unsent)
        assert w.provider.send(_request("L:1", "sms", "+8613800000112")).status == "queued"
        assert w.service.wait_idle(10)


def test_a_read_timeout_is_transient(tmp_path: Path) -> None:
    with world(tmp_path, slow={"+8613800000130": 3.0}) as w:
        with pytest.raises(TransientSendError) as slow:
            w.provider.send(_request("N:1", "sms", "+8613800000130"))  # read timeout is 2 s
        assert slow.value.code == "SDK.Timeout"
        assert w.service.wait_idle(10)


def test_a_wrong_secret_is_refused_by_the_service_and_stops_the_run(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        wrong = config(
            w.provider.config.sms_endpoint, access_key_secret=SecretStr("not-the-secret")
        )
        provider = AliyunProvider(make_api(wrong), wrong, sessions=w.provider.sessions)
        with pytest.raises(AliyunConfigError) as refused:
            provider.send(_request("P:1", "sms", "+8613800000140"))
        assert refused.value.code == "SignatureDoesNotMatch" and refused.value.status == 400
        assert w.service.refusals == [("SendSms", "SignatureDoesNotMatch")]
        assert w.service.requests == [] and w.service.messages == {}
        # an unknown AccessKey ID
        other = config(w.provider.config.sms_endpoint, access_key_id="LTAIunknown")
        with pytest.raises(AliyunConfigError) as unknown:
            AliyunProvider(make_api(other), other, sessions=w.provider.sessions).send(
                _request("P:2", "sms", "+8613800000140")
            )
        assert unknown.value.code == "InvalidAccessKeyId.NotFound"
        # a template the service does not know is a configuration error too
        codes = {**CODES, "opening": "SMS_999999", "opening_short": "SMS_999998"}
        bad = config(w.provider.config.sms_endpoint, templates=codes)
        with pytest.raises(AliyunConfigError) as template:
            AliyunProvider(make_api(bad), bad, sessions=w.provider.sessions).send(
                _request("P:3", "sms", "+8613800000140")
            )
        assert template.value.code == "isv.SMS_TEMPLATE_ILLEGAL"
        assert w.events().height == 0


def test_numbers_outside_the_mainland_are_refused_without_a_request(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        for number in ("+14155550100", "+8657188886666"):
            with pytest.raises(PermanentSendError) as refused:
                w.provider.send(_request("Q:1", "sms", number))
            assert refused.value.outcome == B.INVALID_NUMBER
        assert w.service.requests == []
        assert w.provider.channels() == frozenset({"sms", "voice"})
        sms_only = config(w.provider.config.sms_endpoint, voice_caller=None)
        provider = AliyunProvider(make_api(sms_only), sms_only, sessions=w.provider.sessions)
        assert provider.channels() == frozenset({"sms"})
        with pytest.raises(ValueError, match="voice"):
            provider.send(_request("Q:2", "voice", "+8613800000150"))


def test_find_reconciles_an_attempt_sent_before_a_crash(tmp_path: Path) -> None:
    with world(tmp_path, people={"+8613800000160": Scripted()}) as w:
        assert w.provider.find("R:1") is None  # never registered: never sent
        # registered and sent, but the process died before the BizId was stored
        session = w.provider.sessions.open(
            attempt_id="R:1",
            case_id="R",
            channel="sms",
            phone="+8613800000160",
            lang="zh",
            state=conversation_start(),
            context=CONTEXT,
        )
        api = w.provider.api
        api.send_sms("13800000160", CODES["opening"], dict(CONTEXT), session.ref)
        receipt = w.provider.find("R:1")
        assert receipt is not None and receipt.provider_sid.endswith(session.ref)
        assert w.provider.find("R:1") == B.SendReceipt("R:1", receipt.provider_sid, "sent")
        # registered, never sent: find says so, and the send goes out once
        w.provider.sessions.open(
            attempt_id="R:2",
            case_id="R",
            channel="sms",
            phone="+8613800000161",
            lang="zh",
            state=conversation_start(),
            context=CONTEXT,
        )
        assert w.provider.find("R:2") is None
        # a call without a CallId is taken as made: nobody is called twice
        w.provider.sessions.open(
            attempt_id="R:3",
            case_id="R",
            channel="voice",
            phone="+8613800000162",
            lang="zh",
            state=conversation_start(),
            context=CONTEXT,
        )
        unconfirmed = w.provider.find("R:3")
        assert unconfirmed is not None and unconfirmed.status == "unconfirmed"
        calls = len(w.service.calls)
        assert w.provider.send(_request("R:3", "voice", "+8613800000162")).status == "sent"
        assert len(w.service.calls) == calls
        assert w.service.wait_idle(10)


def conversation_start() -> Any:
    from channels import conversation
    from channels.questionnaire import load

    return conversation.start(load())


def test_a_batch_send_with_a_signed_form_body_is_verified(tmp_path: Path) -> None:
    """SendBatchSms puts its JSON arrays in a form body: the body hash is part of the signature."""
    from alibabacloud_dysmsapi20170525 import models
    from darabonba.runtime import RuntimeOptions

    with world(tmp_path, people={"+8613800000170": Scripted(), "+8613800000171": Scripted()}) as w:
        request = models.SendBatchSmsRequest(
            phone_number_json=json.dumps(["13800000170", "13800000171"]),
            sign_name_json=json.dumps([SIGN, SIGN], ensure_ascii=False),
            template_code=CODES["opening_short"],
            template_param_json=json.dumps(
                [{"category": "婚姻登记"}, {"category": "居住证"}], ensure_ascii=False
            ),
        )
        response = w.provider.api.sms.send_batch_sms_with_options(request, RuntimeOptions())
        assert response.body.code == "OK" and response.body.biz_id
        assert w.service.wait_idle(10)
        texts = {m.text for m in w.service.messages.values()}
        assert texts == {
            f"【{SIGN}】" + T.load()["opening_short"].render({"category": c})
            for c in ("婚姻登记", "居住证")
        }
