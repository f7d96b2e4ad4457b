"""A local Twilio: the REST API for Messages and Calls, and the callbacks Twilio makes.

Point the real ``twilio`` client at it (``MINYI_TWILIO_API_URL``). It answers

- ``POST /2010-04-01/Accounts/{sid}/Messages.json`` and ``Calls.json`` (create),
- ``GET  .../Messages.json``, ``.../Calls.json`` (list, ``To`` filter) and
  ``.../Messages/{sid}.json``, ``.../Calls/{sid}.json`` (fetch),

checks HTTP Basic credentials (401, code 20003), answers Twilio's error codes
for configured numbers (``errors={"+86…": (400, 21211)}``), can be slow for
some numbers (``slow={"+86…": seconds}``, to provoke client timeouts) and can
throttle every Nth create (``throttle_every``: 429, code 20429).

After a create it plays the ``Person`` at that number (``people.py``) and calls
back, signed as Twilio signs (``X-Twilio-Signature`` over URL + sorted form):
message status callbacks (sent, delivered/undelivered/failed), inbound replies
to ``sms_url`` (the TwiML ``<Message>`` answers are read to the person, who may
reply again), and for calls the voice URL, each ``<Gather>`` result to its
``action``, and the final call status. Twilio's own opt-out words block the
number afterwards (21610), as Twilio does.

``wait_idle()`` waits until every scripted conversation has finished.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator

from demo.twilio_emulator.loopback import bind_loopback, run_in_thread, url_of
from demo.twilio_emulator.people import Cooperative, Person

TWILIO_STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
)
API = "/2010-04-01/Accounts/{account}"


def _now() -> str:
    return format_datetime(datetime.now(UTC))


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class Emulator:
    """State and behaviour of the local Twilio; ``app`` is its FastAPI application."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        sms_url: str | None = None,
        people: Mapping[str, Person] | None = None,
        errors: Mapping[str, tuple[int, int]] | None = None,
        slow: Mapping[str, float] | None = None,
        throttle_every: int = 0,
        own_number: str = "+15005550006",
        people_factory: Callable[[str], Person] | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sms_url = sms_url
        self.people: dict[str, Person] = dict(people or {})
        self.people_factory = people_factory or (lambda number: Cooperative())
        self.errors = dict(errors or {})
        self.slow = dict(slow or {})
        self.throttle_every = throttle_every
        self.own_number = own_number
        self.messages: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, list[tuple[str, str]]]] = []  # (resource, form) of creates
        self.callback_failures: list[str] = []
        self.blocked: set[str] = set()
        self._creates = itertools.count(1)
        self._signer = RequestValidator(auth_token)
        self._busy = 0
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None
        self.app = self._build()

    # --- helpers for tests ----------------------------------------------------

    def person(self, number: str) -> Person:
        if number not in self.people:
            self.people[number] = self.people_factory(number)
        return self.people[number]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no scripted conversation is running; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._busy == 0:
                    return True
            time.sleep(0.01)
        return False

    # --- callbacks --------------------------------------------------------------

    async def callback(self, url: str, form: dict[str, str]) -> str:
        """POST ``form`` to ``url`` signed as Twilio signs; returns the body ('' on failure)."""
        assert self._http is not None
        signature = self._signer.compute_signature(url, form)
        try:
            response = await self._http.post(
                url, data=form, headers={"X-Twilio-Signature": signature}
            )
        except httpx.HTTPError as exc:
            self.callback_failures.append(f"{url}: {exc!r}")
            return ""
        if response.status_code >= 400:
            self.callback_failures.append(f"{url}: HTTP {response.status_code}")
            return ""
        return response.text

    def _spawn(self, job: Any) -> None:
        with self._lock:
            self._busy += 1

        async def run() -> None:
            try:
                await job
            except Exception as exc:  # a scripted conversation must never kill the server
                self.callback_failures.append(repr(exc))
            finally:
                with self._lock:
                    self._busy -= 1

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _base_form(self, resource: dict[str, Any]) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "From": resource["from"],
            "To": resource["to"],
            "ApiVersion": "2010-04-01",
        }

    async def _play_message(self, message: dict[str, Any]) -> None:
        person = self.person(message["to"])
        callback = message.get("status_callback")
        for status in ("sent", person.delivery()):
            message["status"] = status
            if callback:
                form = {
                    **self._base_form(message),
                    "MessageSid": message["sid"],
                    "SmsSid": message["sid"],
                    "MessageStatus": status,
                    "SmsStatus": status,
                }
                if status in ("undelivered", "failed"):
                    form["ErrorCode"] = "30003" if status == "undelivered" else "30005"
                await self.callback(callback, form)
        if message["status"] != "delivered":
            return
        text = message["body"]
        for _ in range(20):
            reply = person.reply(text)
            if reply is None or not self.sms_url:
                return
            sid = _sid("SM")
            self.messages[sid] = {
                "sid": sid,
                "to": message["from"],
                "from": message["to"],
                "body": reply,
                "status": "received",
                "direction": "inbound",
                "date_created": _now(),
            }
            if reply.strip().lower() in TWILIO_STOP_WORDS:
                self.blocked.add(message["to"])
            form = {
                **self._base_form(self.messages[sid]),
                "MessageSid": sid,
                "SmsSid": sid,
                "SmsMessageSid": sid,
                "Body": reply,
                "NumMedia": "0",
                "NumSegments": "1",
                "SmsStatus": "received",
            }
            answer = await self.callback(self.sms_url, form)
            bodies = _twiml_messages(answer)
            if not bodies:
                return
            for body in bodies:
                out = _sid("SM")
                self.messages[out] = {
                    "sid": out,
                    "to": message["to"],
                    "from": message["from"],
                    "body": body,
                    "status": "delivered",
                    "direction": "outbound-reply",
                    "date_created": _now(),
                }
            text = "".join(bodies)

    async def _play_call(self, call: dict[str, Any]) -> None:
        person = self.person(call["to"])
        base = {**self._base_form(call), "CallSid": call["sid"], "Direction": "outbound-api"}
        outcome = person.pick_up()
        started = time.monotonic()
        if outcome == "answer":
            call["status"] = "in-progress"
            document = await self.callback(call["url"], {**base, "CallStatus": "in-progress"})
            for _ in range(30):
                gather = _twiml_gather(document)
                if gather is None:
                    break
                said, action, on_empty = gather
                step = person.respond(said)
                if step.kind == "hangup":
                    break
                form = {**base, "CallStatus": "in-progress"}
                if step.kind == "dtmf":
                    form["Digits"] = step.value
                elif step.kind == "speech":
                    form |= {"SpeechResult": step.value, "Confidence": "0.92"}
                elif not on_empty:
                    break  # silence without actionOnEmptyResult: the document ends
                document = await self.callback(action, form)
            status = "completed"
        else:
            status = outcome
        call["status"] = status
        call["duration"] = str(round(time.monotonic() - started))
        if call.get("status_callback"):
            form = {**base, "CallStatus": status, "CallDuration": call["duration"]}
            await self.callback(call["status_callback"], form)

    # --- the REST API -------------------------------------------------------------

    def _build(self) -> FastAPI:
        from demo.twilio_emulator import rest

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            self._http = httpx.AsyncClient(timeout=10)
            try:
                yield
            finally:
                await self._http.aclose()

        return rest.build(self, lifespan)

    async def form(self, request: Request) -> list[tuple[str, str]]:
        return parse_qsl((await request.body()).decode(), keep_blank_values=True)

    def error(self, status: int, code: int, message: str) -> Response:
        return JSONResponse(
            {
                "code": code,
                "message": message,
                "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
            },
            status_code=status,
        )


def _twiml_messages(document: str) -> list[str]:
    if not document.strip():
        return []
    root = ET.fromstring(document)
    return [(m.text or "") for m in root.iter("Message")]


def _twiml_gather(document: str) -> tuple[str, str, bool] | None:
    """(what is said, action URL, actionOnEmptyResult) of the document's ``<Gather>``."""
    if not document.strip():
        return None
    root = ET.fromstring(document)
    gather = root.find("Gather")
    if gather is None:
        return None
    said = "".join((say.text or "") for say in gather.iter("Say"))
    on_empty = gather.get("actionOnEmptyResult", "false").lower() == "true"
    return said, gather.get("action", ""), on_empty


__all__ = ["Emulator", "bind_loopback", "run_in_thread", "url_of"]
