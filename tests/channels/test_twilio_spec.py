"""What the project sends to Twilio matches Twilio's OpenAPI description (requestBody schemas)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from channels.base import ContactRequest
from channels.sessions import SessionStore
from channels.twilio.provider import TwilioProvider, make_client
from demo.twilio_emulator import Emulator, Scripted, run_in_thread

SPEC = Path("/work/shared/twilio/twilio_api_v2010.json")
ACCOUNT = "AC" + "5" * 32
TOKEN = "spec-token"
PREFIX = "/2010-04-01/Accounts/{AccountSid}/"

pytestmark = pytest.mark.skipif(not SPEC.exists(), reason="Twilio's OpenAPI description is absent")


@cache
def _spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text(encoding="utf-8"))


def _resolve(node: Any) -> Any:
    """Inline ``#/components/...`` references."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = _spec()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target)
        return {key: _resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value) for value in node]
    return node


def _schema(resource: str) -> dict[str, Any]:
    body = _spec()["paths"][PREFIX + resource + ".json"]["post"]["requestBody"]
    return dict(_resolve(body["content"]["application/x-www-form-urlencoded"]["schema"]))


def _typed(pairs: list[tuple[str, str]], schema: dict[str, Any]) -> dict[str, Any]:
    """A form as the schema types it: repeated keys and array fields as lists, numbers, booleans."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        kind = schema["properties"].get(key, {}).get("type")
        typed: Any = value
        if kind == "integer":
            typed = int(value)
        elif kind == "number":
            typed = float(value)
        elif kind == "boolean":
            typed = {"true": True, "false": False}.get(value.lower(), value)
        if kind == "array":
            out.setdefault(key, []).append(typed)
        else:
            out[key] = typed
    return out


def _sent_forms(tmp_path: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    people = {"+8613800000001": Scripted(), "+8613800000002": Scripted(call="no-answer")}
    emulator = Emulator(account_sid=ACCOUNT, auth_token=TOKEN, people=people)
    at = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    with run_in_thread(emulator.app) as api_url, SessionStore(tmp_path / "l.sqlite") as sessions:
        client = make_client(ACCOUNT, TOKEN, api_url=api_url)
        public = "https://minyi.example.gov.cn"  # callbacks fail here; only requests matter
        by_number = TwilioProvider(
            client,
            from_number="+15005550006",
            messaging_service_sid=None,
            public_url=public,
            sessions=sessions,
        )
        by_service = TwilioProvider(
            client,
            from_number=None,
            messaging_service_sid="MG" + "7" * 32,
            public_url=public,
            sessions=sessions,
        )
        by_number.send(ContactRequest("A:1", "A", "sms", "+8613800000001", at))
        by_service.send(ContactRequest("B:1", "B", "sms", "+8613800000001", at))
        by_number.send(ContactRequest("C:2", "C", "voice", "+8613800000002", at))
        assert emulator.wait_idle(10)
    return emulator.requests


def test_messages_and_calls_creates_match_the_spec(tmp_path: Path) -> None:
    sent = _sent_forms(tmp_path)
    assert [resource for resource, _ in sent] == ["Messages", "Messages", "Calls"]
    for resource, pairs in sent:
        schema = _schema(resource)
        form = _typed(pairs, schema)
        unknown = set(form) - set(schema["properties"])
        assert not unknown, f"{resource}: fields Twilio does not know: {unknown}"
        jsonschema.validate(form, schema)
    calls = dict(sent[2][1])
    assert calls["Url"].startswith("https://minyi.example.gov.cn/twilio/voice?attempt=")
    assert calls["Method"] == "POST" and calls["StatusCallbackMethod"] == "POST"


def test_the_check_can_fail() -> None:
    schema = _schema("Calls")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_typed([("To", "+8613800000002")], schema), schema)  # no From
    schema = _schema("Messages")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"To": "+86138", "StatusCallbackMethod": "BREW"} | {"Attempt": "x"}, schema
        )
