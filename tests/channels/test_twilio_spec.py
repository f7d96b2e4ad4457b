"""What the project sends to Twilio matches Twilio's OpenAPI description (requestBody schemas).

The schemas of the two requests we make (Messages and Calls create) are kept,
resolved, in ``tests/fixtures/twilio/request_schemas.json``, so the check runs
everywhere; where the full description is beside the project
(``../shared/twilio/twilio_api_v2010.json``, found from the project root) the
fixture is checked to be exactly what it says.
"""

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

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "twilio" / "twilio_api_v2010.json"
FIXTURE = ROOT / "tests" / "fixtures" / "twilio" / "request_schemas.json"
ACCOUNT = "AC" + "5" * 32
TOKEN = "spec-token"
PREFIX = "/2010-04-01/Accounts/{AccountSid}/"


@cache
def _fixture() -> dict[str, Any]:
    return dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    """Inline ``#/components/...`` references."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(spec, target)
        return {key: _resolve(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(spec, value) for value in node]
    return node


def _schema(resource: str) -> dict[str, Any]:
    return dict(_fixture()[resource])


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/twilio is not beside this checkout")
def test_the_kept_schemas_are_twilios() -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    for resource in ("Messages", "Calls"):
        body = spec["paths"][PREFIX + resource + ".json"]["post"]["requestBody"]
        fresh = _resolve(spec, body["content"]["application/x-www-form-urlencoded"]["schema"])
        assert json.loads(json.dumps(fresh)) == _fixture()[resource]


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
