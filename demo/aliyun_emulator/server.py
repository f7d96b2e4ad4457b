"""A local Alibaba Cloud SMS and voice service: the RPC API, the people, the HTTP pushes.

Point the official SDK at it (``MINYI_ALIYUN_SMS_ENDPOINT`` and
``MINYI_ALIYUN_VOICE_ENDPOINT`` = ``http://127.0.0.1:<port>``). It answers
``POST /`` with the action in ``x-acs-action`` (API version 2017-05-25):

- SendSms, SendBatchSms, QuerySendDetails (dysmsapi), IvrCall (dyvmsapi);

after checking the request signature exactly as the service does
(``signature.verify``: ACS3-HMAC-SHA256, unknown AccessKey 404, wrong secret
``SignatureDoesNotMatch`` 400). It checks what the service checks before
sending: a mainland mobile (``isv.MOBILE_NUMBER_ILLEGAL``), the approved
signature (``isv.SMS_SIGNATURE_ILLEGAL``), a registered template
(``isv.SMS_TEMPLATE_ILLEGAL``) with every variable given and none longer than
35 characters (``isv.TEMPLATE_MISSING_PARAMETERS``, ``isv.PARAM_LENGTH_LIMIT``),
the caller number (``isv.DISPLAY_NUMBER_ILLEGAL``), OutId ≤ 15 bytes for calls.
Business errors are HTTP 200 with ``Code``, as the service answers.

Fault injection: ``errors={"13800000104": "isv.MOBILE_NUMBER_ILLEGAL"}`` (any
code; ``ServiceUnavailable`` and ``InternalError`` answer HTTP 503/500),
``throttle_every=N`` (every Nth send: ``isv.BUSINESS_LIMIT_CONTROL``),
``slow={"138…": seconds}`` (to provoke the client's read timeout),
``push_twice`` (every push delivered twice, as after a lost acknowledgement).

After a send it plays the ``Person`` at the number (``twilio_emulator.people``:
the same scripted people as the Twilio emulator) and pushes, as JSON arrays:
SmsReport (DELIVERED, ``UNDELIV``, or ``MK:0001`` for a failed number) to
``sms_report_url``; the person's reply as SmsUp to ``sms_up_url`` (after
``reply_delay``; a T/TD/退订 reply puts the number on the blacklist, later
sends get ``isv.BLACK_KEY_CONTROL_LIMIT``); for a call, the key pressed after
hearing the start prompt (only keys of the MenuKeyMap count; speech and
silence are a key timeout) in a VoiceReport to ``voice_report_url``.

``wait_idle()`` waits until nothing has happened for a short quiet period.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from demo.aliyun_emulator.signature import NonceCache, Refusal, verify
from demo.twilio_emulator.people import Cooperative, Person

BEIJING = timezone(timedelta(hours=8))
OPT_OUT_REPLIES = frozenset({"t", "td", "退订", "n", "取消"})
HTTP_ERRORS = {"ServiceUnavailable": 503, "InternalError": 500}
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")


def beijing_now() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _request_id() -> str:
    raw = secrets.token_hex(16).upper()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def mainland(number: str) -> str | None:
    match = _MOBILE.match(number.strip())
    return match.group(1) if match else None


@dataclass
class Message:
    biz_id: str
    phone: str  # national
    text: str
    template_code: str
    out_id: str
    send_date: str
    status: int = 1  # QuerySendDetails SendStatus: 1 waiting, 2 failed, 3 delivered
    err_code: str = ""
    receive_date: str = ""


@dataclass
class Call:
    call_id: str
    caller: str
    callee: str  # national
    start_text: str
    keys: tuple[str, ...]
    out_id: str
    status_code: str = ""
    dtmf: str = ""
    heard: list[str] = field(default_factory=list)


class Emulator:
    """State and behaviour of the local service; ``app`` is its FastAPI application."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        sms_templates: Mapping[str, str],
        tts_templates: Mapping[str, str] = {},
        callers: frozenset[str] = frozenset(),
        sms_report_url: str | None = None,
        sms_up_url: str | None = None,
        voice_report_url: str | None = None,
        people: Mapping[str, Person] | None = None,
        people_factory: Callable[[str], Person] | None = None,
        errors: Mapping[str, str] | None = None,
        slow: Mapping[str, float] | None = None,
        throttle_every: int = 0,
        reply_delay: float = 0.0,
        push_twice: bool = False,
    ) -> None:
        self.secrets = {access_key_id: access_key_secret}
        self.sign_name = sign_name
        self.sms_templates = dict(sms_templates)  # code → registered text with ${var}
        self.tts_templates = dict(tts_templates)
        self.callers = callers
        self.sms_report_url = sms_report_url
        self.sms_up_url = sms_up_url
        self.voice_report_url = voice_report_url
        self.people: dict[str, Person] = {}
        for number, person in (people or {}).items():
            self.people[mainland(number) or number] = person
        self.people_factory = people_factory or (lambda number: Cooperative())
        self.errors = {mainland(k) or k: v for k, v in (errors or {}).items()}
        self.slow = {mainland(k) or k: v for k, v in (slow or {}).items()}
        self.throttle_every = throttle_every
        self.reply_delay = reply_delay
        self.push_twice = push_twice
        self.messages: dict[str, Message] = {}
        self.calls: dict[str, Call] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (action, parameters) accepted
        self.refusals: list[tuple[str, str]] = []  # (action, code) refused before acting
        self.pushes: list[tuple[str, list[dict[str, Any]]]] = []  # (url, payload) delivered
        self.callback_failures: list[str] = []
        self.blocked: set[str] = set()
        self.nonces = NonceCache()
        self._sends = itertools.count(1)
        self._sequence = itertools.count(100001)
        self._busy = 0
        self._last_activity = time.monotonic()
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self.app = self._build()

    # --- helpers for tests and demos ---------------------------------------------

    def person(self, number: str) -> Person:
        if number not in self.people:
            self.people[number] = self.people_factory("+86" + number)
        return self.people[number]

    def wait_idle(self, timeout: float = 10.0, quiet: float = 0.3) -> bool:
        """Block until nothing ran for ``quiet`` seconds (a reply's answer may follow it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._busy == 0 and time.monotonic() - self._last_activity >= quiet:
                    return True
            time.sleep(0.02)
        return False

    def _touch(self) -> None:
        with self._lock:
            self._last_activity = time.monotonic()

    # --- pushes -------------------------------------------------------------------

    async def push(self, url: str | None, payload: list[dict[str, Any]]) -> None:
        """POST a JSON array as the service pushes; the answer must be 200 with a numeric code."""
        if not url:
            return
        assert self._http is not None
        for _ in range(2 if self.push_twice else 1):
            try:
                response = await self._http.post(url, json=payload)
            except httpx.HTTPError as exc:
                self.callback_failures.append(f"{url.rsplit('/', 1)[0]}: {exc!r}")
                return
            try:
                ok = response.status_code == 200 and isinstance(response.json().get("code"), int)
            except (ValueError, AttributeError):
                ok = False
            if not ok:
                self.callback_failures.append(
                    f"{url.rsplit('/', 1)[0]}: HTTP {response.status_code}"
                )
                return
            self.pushes.append((url, payload))

    def _spawn(self, job: Any) -> None:
        with self._lock:
            self._busy += 1

        async def run() -> None:
            try:
                await job
            except Exception as exc:  # a scripted person must never kill the server
                self.callback_failures.append(repr(exc))
            finally:
                with self._lock:
                    self._busy -= 1
                    self._last_activity = time.monotonic()

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def play_message(self, message: Message) -> None:
        person = self.person(message.phone)
        await asyncio.sleep(0)
        delivery = person.delivery()
        message.receive_date = beijing_now()
        if delivery == "delivered":
            message.status, code, text = 3, "DELIVERED", "用户接收成功"
        elif delivery == "failed":
            message.status, code, text = 2, "MK:0001", "空号"
        else:
            message.status, code, text = 2, "UNDELIV", "用户无法接收"
        message.err_code = code
        report = {
            "phone_number": message.phone,
            "send_time": message.send_date,
            "report_time": message.receive_date,
            "success": message.status == 3,
            "err_code": code,
            "err_msg": text,
            "sms_size": "1",
            "biz_id": message.biz_id,
            "out_id": message.out_id,
        }
        await self.push(self.sms_report_url, [report])
        if message.status != 3:
            return
        reply = person.reply(message.text)
        if reply is None:
            return
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        if reply.strip().lower() in OPT_OUT_REPLIES or "退订" in reply:
            self.blocked.add(message.phone)
        up = {
            "phone_number": message.phone,
            "send_time": beijing_now(),
            "content": reply,
            "sign_name": self.sign_name,
            "dest_code": "1234",
            "sequence_id": next(self._sequence),
        }
        await self.push(self.sms_up_url, [up])

    async def play_call(self, call: Call) -> None:
        person = self.person(call.callee)
        await asyncio.sleep(0)
        started = beijing_now()
        outcome = person.pick_up()
        duration = 0
        if outcome == "answer":
            step = person.respond(call.start_text)
            key = step.value[:1] if step.kind == "dtmf" else ""
            if key and key in call.keys:
                call.status_code, call.dtmf, duration = "200000", key, 25
            elif step.kind == "hangup":
                call.status_code, duration = "200001", 8
            else:
                call.status_code, duration = "200008", 30
        else:
            call.status_code = {"busy": "200002", "no-answer": "200003"}.get(outcome, "200005")
        ended = beijing_now()
        record = {
            "call_id": call.call_id,
            "caller": call.caller,
            "callee": call.callee,
            "originate_time": started,
            "start_time": started if duration else "",
            "end_time": ended,
            "duration": str(duration),
            "status_code": call.status_code,
            "status_msg": "执行完成",
            "out_id": call.out_id,
            "dtmf": call.dtmf,
            "voice_type": "voice",
            "hangup_direction": "用户",
        }
        await self.push(self.voice_report_url, [record])

    # --- the API ------------------------------------------------------------------

    def _build(self) -> FastAPI:
        from demo.aliyun_emulator import actions

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            self._http = httpx.AsyncClient(timeout=5)
            try:
                yield
            finally:
                await self._http.aclose()

        app = FastAPI(title="local Alibaba Cloud SMS/voice", lifespan=lifespan, openapi_url=None)

        @app.post("/")
        async def rpc(request: Request) -> Response:
            self._touch()
            body = await request.body()
            headers = {k.lower(): request.headers.getlist(k) for k in request.headers}
            action = request.headers.get("x-acs-action", "")
            checked = verify(
                method=request.method,
                path=request.url.path,
                raw_query=request.url.query,
                headers=headers,
                body=body,
                secrets=self.secrets,
                nonces=self.nonces,
            )
            if isinstance(checked, Refusal):
                self.refusals.append((action, checked.code))
                return self.refusal(request, checked.status, checked.code, checked.message)
            params = dict(parse_qsl(request.url.query, keep_blank_values=True))
            if "x-www-form-urlencoded" in request.headers.get("content-type", ""):
                params |= dict(parse_qsl(body.decode(), keep_blank_values=True))
            handler = actions.HANDLERS.get(action)
            if handler is None:
                return self.refusal(request, 404, "InvalidAction.NotFound", f"{action} not found")
            return await handler(self, params)

        return app

    def refusal(self, request: Request, status: int, code: str, message: str) -> Response:
        """An error as the OpenAPI gateway answers it (JSON, HTTP 4xx/5xx)."""
        host = request.headers.get("host", "")
        body = {
            "RequestId": _request_id(),
            "HostId": host,
            "Code": code,
            "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}",
        }
        return JSONResponse(body, status_code=status)

    def business(self, code: str, message: str, **extra: Any) -> Response:
        """An answer with HTTP 200 and ``Code`` (``OK`` or a business error)."""
        return JSONResponse({"Code": code, "Message": message, "RequestId": _request_id(), **extra})

    def next_send(self) -> int:
        return next(self._sends)


def render(text: str, params: Mapping[str, Any]) -> str:
    return _VARIABLE.sub(lambda m: str(params.get(m.group(1), "")), text)


def template_problem(text: str, raw: str | None) -> tuple[str, str, dict[str, Any]] | None:
    """(code, message, params) when TemplateParam does not fit the template, else None."""
    try:
        params = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", {}
    if not isinstance(params, dict):
        return "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", {}
    missing = [name for name in _VARIABLE.findall(text) if not str(params.get(name, "")).strip()]
    if missing:
        return "isv.TEMPLATE_MISSING_PARAMETERS", f"模板缺少变量：{missing}", params
    if any(len(str(v)) > 35 for v in params.values()):
        return "isv.PARAM_LENGTH_LIMIT", "参数超出长度限制", params
    return None


__all__ = ["Call", "Emulator", "Message", "beijing_now", "mainland", "render", "template_problem"]
