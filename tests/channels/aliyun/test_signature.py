"""The emulator's check of signature V3 against requests signed by the official SDK's own code."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from alibabacloud_tea_openapi.utils import Utils

from demo.aliyun_emulator.signature import NonceCache, Refusal, verify

from .conftest import AK_ID, AK_SECRET

NOW = datetime(2026, 11, 16, 1, 47, 0, tzinfo=UTC)
QUERY = {
    "PhoneNumbers": "13800000101",
    "SignName": "示范区民意访评中心",
    "TemplateParam": '{"unit": "区 民政局+"}',
}


def _signed(
    *,
    body: bytes = b"",
    query: dict[str, str] | None = None,
    nonce: str = "n-1",
    at: datetime = NOW,
) -> tuple[dict[str, list[str]], str]:
    """Headers (lower-case → values) and raw query of a SendSms request signed by the SDK's Utils."""
    query = QUERY if query is None else query
    headers = {
        "host": "127.0.0.1:8790",
        "x-acs-version": "2017-05-25",
        "x-acs-action": "SendSms",
        "user-agent": "AlibabaCloud (test) TeaDSL/2",
        "x-acs-date": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce,
        "accept": "application/json",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    request = SimpleNamespace(pathname="/", method="POST", query=dict(query), headers=dict(headers))
    headers["authorization"] = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", hashlib.sha256(body).hexdigest(), AK_ID, AK_SECRET
    )
    from urllib.parse import urlencode

    return {k: [v] for k, v in headers.items()}, urlencode(query)


def _check(
    headers: dict[str, list[str]], raw_query: str, body: bytes = b"", **kw: object
) -> Refusal | str:
    return verify(
        method="POST",
        path="/",
        raw_query=raw_query,
        headers=headers,
        body=body,
        secrets={AK_ID: AK_SECRET},
        nonces=kw.get("nonces", NonceCache()),  # type: ignore[arg-type]
        now=NOW,
    )


def test_a_request_signed_by_the_sdk_verifies() -> None:
    headers, query = _signed()
    assert _check(headers, query) == AK_ID
    body = b"PhoneNumberJson=%5B%2213800000101%22%5D"
    headers, query = _signed(body=body, query={})
    assert _check(headers, query, body) == AK_ID


def test_a_wrong_secret_a_changed_parameter_or_body_does_not() -> None:
    headers, query = _signed()
    wrong = verify(
        method="POST",
        path="/",
        raw_query=query,
        headers=headers,
        body=b"",
        secrets={AK_ID: "another-secret"},
        nonces=NonceCache(),
        now=NOW,
    )
    assert isinstance(wrong, Refusal) and (wrong.status, wrong.code) == (
        400,
        "SignatureDoesNotMatch",
    )
    changed = query.replace("13800000101", "13800000102")
    assert isinstance(refused := _check(headers, changed), Refusal)
    assert refused.code == "SignatureDoesNotMatch"
    refused = _check(headers, query, b"extra")
    assert isinstance(refused, Refusal) and refused.code == "SignatureDoesNotMatch"


def test_unknown_key_missing_headers_stale_dates_and_replays_are_refused() -> None:
    headers, query = _signed()
    unknown = verify(
        method="POST",
        path="/",
        raw_query=query,
        headers=headers,
        body=b"",
        secrets={"LTAIother": AK_SECRET},
        nonces=NonceCache(),
        now=NOW,
    )
    assert isinstance(unknown, Refusal) and (unknown.status, unknown.code) == (
        404,
        "InvalidAccessKeyId.NotFound",
    )
    assert isinstance(
        r := _check({k: v for k, v in headers.items() if k != "authorization"}, query), Refusal
    )
    assert r.code == "IncompleteSignature"
    stale, query = _signed(at=NOW - timedelta(minutes=16))
    assert isinstance(r := _check(stale, query), Refusal) and r.code == "InvalidTimeStamp.Expired"
    nonces = NonceCache()
    headers, query = _signed(nonce="same")
    assert _check(headers, query, nonces=nonces) == AK_ID
    assert isinstance(r := _check(headers, query, nonces=nonces), Refusal)
    assert r.code == "SignatureNonceUsed"
