"""The emulator's REST routes: Twilio's 2010-04-01 Messages and Calls resources."""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    from demo.twilio_emulator.server import Emulator

_PREFIX = "/2010-04-01/Accounts/{account}"


def _authorised(emulator: Emulator, request: Request, account: str) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return user == emulator.account_sid == account and password == emulator.auth_token


def _message_json(emulator: Emulator, m: dict[str, Any]) -> dict[str, Any]:
    return {
        "sid": m["sid"],
        "account_sid": emulator.account_sid,
        "messaging_service_sid": m.get("messaging_service_sid"),
        "to": m["to"],
        "from": m["from"],
        "body": m["body"],
        "status": m["status"],
        "direction": m["direction"],
        "num_segments": "1",
        "num_media": "0",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "api_version": "2010-04-01",
        "date_created": m["date_created"],
        "date_updated": m["date_created"],
        "date_sent": m["date_created"],
        "uri": f"/2010-04-01/Accounts/{emulator.account_sid}/Messages/{m['sid']}.json",
        "subresource_uris": {},
    }


def _call_json(emulator: Emulator, c: dict[str, Any]) -> dict[str, Any]:
    return {
        "sid": c["sid"],
        "account_sid": emulator.account_sid,
        "to": c["to"],
        "from": c["from"],
        "status": c["status"],
        "direction": "outbound-api",
        "duration": c.get("duration"),
        "api_version": "2010-04-01",
        "date_created": c["date_created"],
        "date_updated": c["date_created"],
        "start_time": c["date_created"],
        "end_time": None,
        "uri": f"/2010-04-01/Accounts/{emulator.account_sid}/Calls/{c['sid']}.json",
        "subresource_uris": {},
    }


def _page(key: str, rows: list[dict[str, Any]], request: Request) -> dict[str, Any]:
    size = int(request.query_params.get("PageSize", "50"))
    return {
        key: rows[:size],
        "end": max(0, min(size, len(rows)) - 1),
        "first_page_uri": str(request.url.path),
        "next_page_uri": None,
        "previous_page_uri": None,
        "page": 0,
        "page_size": size,
        "start": 0,
        "uri": str(request.url.path),
    }


def build(emulator: Emulator, lifespan: Any) -> FastAPI:
    """The FastAPI app of ``emulator``."""
    from demo.twilio_emulator.server import _now, _sid

    app = FastAPI(title="local Twilio", lifespan=lifespan, openapi_url=None)

    async def guard(request: Request, account: str, to: str | None) -> Response | None:
        if not _authorised(emulator, request, account):
            return emulator.error(401, 20003, "Authenticate")
        if to is None:
            return None
        if to in emulator.slow:
            await asyncio.sleep(emulator.slow[to])
        n = next(emulator._creates)
        if emulator.throttle_every and n % emulator.throttle_every == 0:
            return emulator.error(429, 20429, "Too Many Requests")
        if to in emulator.errors:
            status, code = emulator.errors[to]
            return emulator.error(status, code, f"error {code} for {to}")
        if to in emulator.blocked:
            return emulator.error(400, 21610, "Attempt to send to unsubscribed recipient")
        return None

    @app.post(_PREFIX + "/Messages.json")
    async def create_message(account: str, request: Request) -> Response:
        pairs = await emulator.form(request)
        emulator.requests.append(("Messages", pairs))
        form = dict(pairs)
        to = form.get("To", "")
        refused = await guard(request, account, to)
        if refused is not None:
            return refused
        if not form.get("Body"):
            return emulator.error(400, 21602, "Message body is required")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return emulator.error(400, 21603, "A 'From' or 'MessagingServiceSid' is required")
        sid = _sid("SM")
        message = {
            "sid": sid,
            "to": to,
            "from": form.get("From") or emulator.own_number,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "queued",
            "direction": "outbound-api",
            "date_created": _now(),
            "status_callback": form.get("StatusCallback"),
        }
        emulator.messages[sid] = message
        emulator._spawn(emulator._play_message(message))
        return JSONResponse(_message_json(emulator, message), status_code=201)

    @app.post(_PREFIX + "/Calls.json")
    async def create_call(account: str, request: Request) -> Response:
        pairs = await emulator.form(request)
        emulator.requests.append(("Calls", pairs))
        form = dict(pairs)
        to = form.get("To", "")
        refused = await guard(request, account, to)
        if refused is not None:
            return refused
        if not form.get("Url") and not form.get("Twiml"):
            return emulator.error(400, 21205, "Url is required")
        sid = _sid("CA")
        call = {
            "sid": sid,
            "to": to,
            "from": form.get("From", ""),
            "url": form.get("Url"),
            "status": "queued",
            "date_created": _now(),
            "status_callback": form.get("StatusCallback"),
        }
        emulator.calls[sid] = call
        emulator._spawn(emulator._play_call(call))
        return JSONResponse(_call_json(emulator, call), status_code=201)

    @app.get(_PREFIX + "/Messages.json")
    async def list_messages(account: str, request: Request) -> Response:
        refused = await guard(request, account, None)
        if refused is not None:
            return refused
        to = request.query_params.get("To")
        rows = [
            _message_json(emulator, m)
            for m in reversed(emulator.messages.values())
            if to is None or m["to"] == to
        ]
        return JSONResponse(_page("messages", rows, request))

    @app.get(_PREFIX + "/Calls.json")
    async def list_calls(account: str, request: Request) -> Response:
        refused = await guard(request, account, None)
        if refused is not None:
            return refused
        to = request.query_params.get("To")
        rows = [
            _call_json(emulator, c)
            for c in reversed(emulator.calls.values())
            if to is None or c["to"] == to
        ]
        return JSONResponse(_page("calls", rows, request))

    @app.get(_PREFIX + "/Messages/{sid}.json")
    async def fetch_message(account: str, sid: str, request: Request) -> Response:
        refused = await guard(request, account, None)
        if refused is not None:
            return refused
        if sid not in emulator.messages:
            return emulator.error(404, 20404, "The requested resource was not found")
        return JSONResponse(_message_json(emulator, emulator.messages[sid]))

    @app.get(_PREFIX + "/Calls/{sid}.json")
    async def fetch_call(account: str, sid: str, request: Request) -> Response:
        refused = await guard(request, account, None)
        if refused is not None:
            return refused
        if sid not in emulator.calls:
            return emulator.error(404, 20404, "The requested resource was not found")
        return JSONResponse(_call_json(emulator, emulator.calls[sid]))

    return app
