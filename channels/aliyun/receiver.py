"""Alibaba Cloud's HTTP pushes: SMS receipts, 上行短信 replies and call records, under ``/aliyun/…``.

Routes (POST for pushes; GET answers the console's connectivity check):

- ``/aliyun/sms/report/{token}``  SmsReport: ``[{biz_id, out_id, success, err_code, …}]``
- ``/aliyun/sms/up/{token}``      SmsUp: ``[{phone_number, content, sequence_id, …}]``
- ``/aliyun/voice/report/{token}`` VoiceReport: ``[{call_id, out_id, status_code, dtmf, …}]``

Authentication: Alibaba Cloud does not sign its HTTP pushes (the receipt
documentation describes a plain JSON POST to the configured URL and no
signature header), so the URLs entered in the console end with a secret
token (``MINYI_ALIYUN_CALLBACK_TOKEN``, at least 16 characters), compared in
constant time before anything else is done. A wrong or missing token gets
403, a body over 64 KB gets 413 before it is parsed, and neither changes
anything. Keep the token out of access logs (``minyi serve`` runs uvicorn
without them) and serve the listener over HTTPS behind the proxy.

What people do is written to the landing store under deterministic event
keys, so a repeated push (the service re-pushes after a timeout or a non-200
answer) is recorded once; deliveries also go through ``handled`` so a
repeated reply never advances a conversation twice. Receipts and call records
for ids we do not know are still recorded (attempt unknown): the flows
quarantine them.

Replies: a person answers by SMS. The reply belongs to the number's most
recent SMS session, or to its IVR session once the key press was recorded
(the call's remaining items go on by SMS). Each turn of the conversation
(``channels.conversation``) is answered with the registered template of what
comes next (next item, re-prompt, thanks; an opt-out is not answered); those
SMS are sent in order by one worker thread, so the push is acknowledged at
once (the service waits 700 ms at most); they carry OutId ``F<ref>`` and their
own receipts are not recorded.

Every answer is ``{"code": 0, "msg": "成功"}`` with HTTP 200 (the service only
checks that ``code`` is a number).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from channels import base as B
from channels import clock, complaints, conversation, replies
from channels.aliyun.client import AliyunApi, make_api, national
from channels.aliyun.config import AliyunConfig
from channels.aliyun.errors import mask
from channels.aliyun.provider import UNCONFIRMED
from channels.aliyun.templates import TemplateError, Templates, load
from channels.base import InboundEvent
from channels.conversation import Prompt, Record, State
from channels.errors import ChannelError, TransientSendError
from channels.landing import LandingStore
from channels.questionnaire import Questionnaire
from channels.questionnaire import load as load_questionnaire
from channels.sessions import Session, SessionStore

log = logging.getLogger("channels.aliyun")

MAX_BODY = 64 * 1024
FOLLOW_UP_PREFIX = "F"
OK = {"code": 0, "msg": "成功"}
# Delivery receipt codes meaning the number itself is unusable (空号, 号码错误).
INVALID_NUMBER_RECEIPTS = frozenset(
    {"MK:0001", "DB:0101", "CB:0001", "CB:0053", "MI:0073", "MI:0210", "isv.MOBILE_NUMBER_ILLEGAL"}
)
# VoiceReport status codes (呼叫状态码): picked up, then how the call went.
PICKED_UP = frozenset({"200000", "200001", "200008"})
CALL_STATUS = {
    "200002": B.BUSY,
    "200003": B.NO_ANSWER,
    "200004": B.INVALID_NUMBER,
    "200005": B.NO_ANSWER,
    "200007": B.NO_ANSWER,
    "200010": B.NO_ANSWER,
    "200011": B.NO_ANSWER,
}


def callback_paths(token: str) -> dict[str, str]:
    """The three paths to enter in the consoles (after MINYI_PUBLIC_URL)."""
    return {
        "sms_report": f"/aliyun/sms/report/{token}",
        "sms_up": f"/aliyun/sms/up/{token}",
        "voice_report": f"/aliyun/voice/report/{token}",
    }


def e164(phone: str) -> str:
    """A pushed number (``138…``, ``86138…``, ``+86138…``) as the sessions store it."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return "+86" + digits if len(digits) == 11 else phone


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FollowUp:
    """An SMS to send once the push is acknowledged."""

    phone: str  # national
    role: str
    params: dict[str, str]
    out_id: str


class _Receiver:
    def __init__(
        self,
        config: AliyunConfig,
        landing_path: Path,
        api: AliyunApi | None,
        q: Questionnaire,
        templates: Templates,
    ) -> None:
        self.config = config
        self.token = config.callback_token.get_secret_value().encode()
        self.landing = LandingStore(landing_path)
        self.sessions = SessionStore(landing_path)
        self.api = api
        self.q = q
        self.templates = templates
        # follow-up SMS go out in order, one at a time, off the event loop
        self._outbox: queue.Queue[list[FollowUp] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._drain, name="aliyun-follow-ups", daemon=True)
        self._worker.start()

    def close(self) -> None:
        self._outbox.put(None)
        self._worker.join(timeout=30)
        self.landing.close()
        self.sessions.close()

    def enqueue(self, sends: list[FollowUp]) -> None:
        if sends:
            self._outbox.put(sends)

    def _drain(self) -> None:
        while (sends := self._outbox.get()) is not None:
            try:
                self.deliver(sends)
            except Exception:  # never let one bad send stop the questions that follow
                log.exception("随访短信发送出错 / follow-up SMS failed")

    # --- requests -----------------------------------------------------------------

    def authorised(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self.token)

    async def items(self, request: Request) -> list[dict[str, Any]] | Response:
        """The pushed JSON array (a single object is taken as one item), or an error response."""
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            return _error(413, "请求体超过64KB / body over 64 KB")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return _error(413, "请求体超过64KB / body over 64 KB")
        try:
            data = json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, "不是有效的JSON / not valid JSON")
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
            return _error(400, "应为JSON数组 / expected a JSON array of objects")
        return data

    # --- shared -------------------------------------------------------------------

    def _events(
        self, records: Iterable[Record], sid: str, channel: str, session: Session | None
    ) -> list[InboundEvent]:
        now = clock.now()
        return [
            InboundEvent(
                event_key=f"{sid}:{r.key}",
                channel=channel,
                kind=r.kind,
                occurred_at=now,
                provider_sid=sid,
                attempt_id=session.attempt_id if session else None,
                case_id=session.case_id if session else None,
                detail=r.detail,
            )
            for r in records
        ]

    def _session(self, sid: str, out_id: str) -> Session | None:
        session = self.sessions.by_sid(sid) if sid else None
        if session is None and out_id:
            session = self.sessions.by_ref(out_id)
        if (
            session is not None
            and sid
            and (session.provider_sid is None or session.provider_sid.startswith(UNCONFIRMED))
        ):
            self.sessions.set_sid(session.attempt_id, sid)  # proof the send reached the service
        return session

    def _follow_ups(self, session: Session, prompts: Iterable[Prompt]) -> list[FollowUp]:
        phone = national(session.phone)
        if phone is None:
            return []
        sends = []
        for prompt in prompts:
            role = {"reprompt": "reprompt", "thanks": "thanks"}.get(prompt.text)
            if prompt.text == "question" and prompt.item:
                role = prompt.item
            if role is None or role not in self.templates or role not in self.config.templates:
                continue  # intro and opt-out confirmations are not sent
            try:
                params = self.templates[role].params(session.context)
            except TemplateError as exc:
                log.warning("随访短信模板无法填写 / follow-up %s not rendered: %s", role, exc)
                continue
            sends.append(FollowUp(phone, role, params, FOLLOW_UP_PREFIX + session.ref))
        return sends

    def _reply_session(self, phone: str) -> Session | None:
        """An SMS reply's session: the latest SMS one, or an IVR one whose items go on by SMS."""
        for session in self.sessions.recent(phone):
            if session.channel == "sms":
                return session
            if session.channel == "voice" and session.state.answers and not session.state.ended:
                return session
        return None

    # --- handlers -------------------------------------------------------------------

    def sms_report(self, items: list[dict[str, Any]]) -> None:
        events: list[InboundEvent] = []
        for item in items:
            out_id = str(item.get("out_id") or "")
            if out_id.startswith(FOLLOW_UP_PREFIX):
                continue  # the receipt of a follow-up question, not of a contact attempt
            biz_id = str(item.get("biz_id") or "")
            sid = biz_id or f"out:{out_id or _short_hash(json.dumps(item, sort_keys=True))}"
            session = self._session(biz_id, out_id)
            success = str(item.get("success", "")).lower() == "true"
            code = str(item.get("err_code") or "")
            if success:
                kind, detail = B.DELIVERED, {"status": "delivered"}
            else:
                kind = B.INVALID_NUMBER if code in INVALID_NUMBER_RECEIPTS else B.UNDELIVERED
                detail = {"status": "undelivered", **({"error_code": code} if code else {})}
            events += self._events([Record(kind, kind, detail)], sid, "sms", session)
        self.landing.record(events)

    def sms_up(self, items: list[dict[str, Any]]) -> list[FollowUp]:
        sends: list[FollowUp] = []
        for item in items:
            phone = e164(str(item.get("phone_number") or ""))
            content = str(item.get("content") or "")
            sequence = str(item.get("sequence_id") or "")
            sid = "up:" + (sequence or _short_hash(f"{phone}|{item.get('send_time')}|{content}"))
            if self.sessions.handled(sid) is not None:
                continue  # a repeated push
            session = self._reply_session(phone)
            state = session.state if session else State(None)
            asked = self.q.item(state.item) if state.item else None
            reading = replies.read(content, asked.kind if asked else "text")
            if reading.outcome != "opt_out" and complaints.is_complaint(
                content, None if session is None else session.state.ended
            ):  # not an answer to an evaluation: a complaint (受理投诉), registered by the flows
                self.landing.record([complaints.complaint_event(sid, "sms", phone, content, clock.now())])
                turn = conversation.Turn(state)
            elif reading.outcome != "opt_out" and session is None:
                turn = conversation.Turn(state)  # nothing we can read
            else:
                several = (
                    conversation.step_many(self.q, state, content)
                    if reading.outcome == "unreadable"
                    else None
                )
                turn = several or conversation.step(self.q, state, reading, said=content)
            self.landing.record(self._events(turn.records, sid, "sms", session))
            if session is not None and reading.outcome != "opt_out":
                sends += self._follow_ups(session, turn.prompts)
            with self.sessions.transaction() as con:
                if session is not None and turn.state != state:
                    self.sessions.save_state(con, session.attempt_id, turn.state)
                if reading.outcome == "opt_out":
                    self.sessions.opt_out(phone, clock.now(), "aliyun:sms", con)
                self.sessions.mark_handled(con, sid, "")
        return sends

    def voice_report(self, items: list[dict[str, Any]]) -> list[FollowUp]:
        sends: list[FollowUp] = []
        first = self.q.items[0]
        for item in items:
            call_id = str(item.get("call_id") or "")
            out_id = str(item.get("out_id") or "")
            sid = call_id or f"out:{out_id or _short_hash(json.dumps(item, sort_keys=True))}"
            delivery = f"voice:{sid}"
            if self.sessions.handled(delivery) is not None:
                continue
            session = self._session(call_id, out_id)
            status = str(item.get("status_code") or "")
            dtmf = str(item.get("dtmf") or "")
            state = session.state if session else State(first.key)
            turn = conversation.Turn(state)
            if status in PICKED_UP:
                reading = next(
                    (
                        r
                        for r in (replies.read_digits(key, first.kind) for key in dtmf)
                        if r.outcome == "answer"
                    ),
                    None,
                )
                if reading is not None and state.item == first.key:
                    turn = conversation.step(self.q, state, reading, said=dtmf)
                    records = turn.records
                    if session is not None:
                        sends += self._follow_ups(session, turn.prompts)
                elif reading is None:
                    records = (Record(B.BREAK_OFF, B.BREAK_OFF, {"status": status}),)
                else:
                    records = ()  # the item was already answered
            else:
                kind = CALL_STATUS.get(status, B.NO_ANSWER)
                records = (Record(kind, kind, {"status": status}),)
            self.landing.record(self._events(records, sid, "voice", session))
            with self.sessions.transaction() as con:
                if session is not None and turn.state != state:
                    self.sessions.save_state(con, session.attempt_id, turn.state)
                self.sessions.mark_handled(con, delivery, "")
        return sends

    # --- follow-up SMS ------------------------------------------------------------------

    def deliver(self, sends: list[FollowUp]) -> None:
        """Send the follow-up questions (after the push was acknowledged), a few tries each."""
        if self.api is None:
            return
        for send in sends:
            code = self.config.templates[send.role]
            for attempt in range(3):
                try:
                    self.api.send_sms(send.phone, code, send.params, send.out_id)
                    break
                except TransientSendError as exc:
                    if attempt == 2:
                        log.warning(
                            "随访短信未发出 / follow-up %s to %s not sent: %s",
                            send.role,
                            mask(send.phone),
                            exc.code,
                        )
                    else:
                        time.sleep(0.5 * 2**attempt)
                except ChannelError as exc:
                    log.warning(
                        "随访短信被拒绝 / follow-up %s to %s refused: %s",
                        send.role,
                        mask(send.phone),
                        getattr(exc, "code", type(exc).__name__),
                    )
                    break


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "msg": message}, status_code=status)


def create_app(
    *,
    config: AliyunConfig,
    landing_path: Path,
    api: AliyunApi | None = None,
    questionnaire: Questionnaire | None = None,
    templates: Templates | None = None,
) -> FastAPI:
    """The callback app; mount it on the public listener (its routes start with ``/aliyun``).

    ``api`` sends the follow-up questions (default: SDK clients from ``config``).
    """
    receiver = _Receiver(
        config,
        landing_path,
        api if api is not None else make_api(config),
        questionnaire or load_questionnaire(),
        templates or (load(config.templates_path) if config.templates_path else load()),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        receiver.close()

    app = FastAPI(title="minyi Alibaba Cloud callbacks", lifespan=lifespan, openapi_url=None)
    app.state.receiver = receiver
    forbidden = _error(403, "令牌无效 / invalid token")

    @app.get("/aliyun/{product}/{kind}/{token}")
    async def check(product: str, kind: str, token: str) -> Response:
        """The console's connectivity check."""
        if not receiver.authorised(token):
            return forbidden
        return JSONResponse(OK)

    @app.post("/aliyun/sms/report/{token}")
    async def sms_report(token: str, request: Request) -> Response:
        if not receiver.authorised(token):
            return forbidden
        items = await receiver.items(request)
        if isinstance(items, Response):
            return items
        receiver.sms_report(items)
        return JSONResponse(OK)

    @app.post("/aliyun/sms/up/{token}")
    async def sms_up(token: str, request: Request) -> Response:
        if not receiver.authorised(token):
            return forbidden
        items = await receiver.items(request)
        if isinstance(items, Response):
            return items
        receiver.enqueue(receiver.sms_up(items))
        return JSONResponse(OK)

    @app.post("/aliyun/voice/report/{token}")
    async def voice_report(token: str, request: Request) -> Response:
        if not receiver.authorised(token):
            return forbidden
        items = await receiver.items(request)
        if isinstance(items, Response):
            return items
        receiver.enqueue(receiver.voice_report(items))
        return JSONResponse(OK)

    return app
