"""Verifying Alibaba Cloud request signature V3 (ACS3-HMAC-SHA256), as the service does.

The official Python SDK (``alibabacloud_tea_openapi`` 0.4) signs every RPC call
with V3 unless told otherwise: ``Authorization: ACS3-HMAC-SHA256
Credential=<AccessKeyId>,SignedHeaders=<h1;h2…>,Signature=<hex>`` where

    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQueryString \\n
                       CanonicalHeaders \\n SignedHeaders \\n hex(SHA256(body))
    StringToSign     = "ACS3-HMAC-SHA256" \\n hex(SHA256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))

CanonicalQueryString: parameters sorted by name, names and values
percent-encoded (RFC 3986: only ``A-Za-z0-9-_.~`` left as they are), joined by
``&``. CanonicalHeaders: each signed header, lower-cased, ``name:trimmed
value\\n``, sorted. The body hash is computed from the body received, so a
changed body fails the signature. The service also requires the common
``x-acs-*`` headers and ``host`` to be signed, refuses an ``x-acs-date`` more
than 15 minutes away and a nonce seen in the last 15 minutes.

Refusals carry the service's codes: ``IncompleteSignature`` (400),
``InvalidAccessKeyId.NotFound`` (404), ``SignatureDoesNotMatch`` (400),
``InvalidTimeStamp.Expired`` (400), ``SignatureNonceUsed`` (400).

Reference: Alibaba Cloud, "V3版本请求体&签名机制" (help.aliyun.com, SDK reference).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

ALGORITHM = "ACS3-HMAC-SHA256"
WINDOW = timedelta(minutes=15)
REQUIRED_SIGNED = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)
_AUTHORIZATION = re.compile(
    r"^(?P<alg>\S+)\s+Credential=(?P<ak>[^,]+),\s*SignedHeaders=(?P<signed>[^,]+),\s*"
    r"Signature=(?P<sig>[0-9a-fA-F]+)\s*$"
)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


class NonceCache:
    """Nonces seen in the last 15 minutes (thread-safe)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def use(self, nonce: str) -> bool:
        """Record ``nonce``; False if it was used within the window."""
        now = time.monotonic()
        with self._lock:
            for old in [n for n, at in self._seen.items() if now - at > WINDOW.total_seconds()]:
                del self._seen[old]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def _encode(text: str) -> str:
    return quote(text, safe="~", encoding="utf-8")


def canonical_query(raw_query: str) -> str:
    pairs = [(_encode(k), _encode(v)) for k, v in parse_qsl(raw_query, keep_blank_values=True)]
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def string_to_sign(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, Sequence[str]],
    signed: Sequence[str],
    body: bytes,
) -> str:
    canonical_headers = "".join(
        f"{name}:{','.join(sorted(v.strip() for v in headers.get(name, [])))}\n"
        for name in sorted(signed)
    )
    canonical = "\n".join(
        [
            method.upper(),
            quote(path or "/", safe="/~"),
            canonical_query(raw_query),
            canonical_headers,
            ";".join(sorted(signed)),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify(
    *,
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, Sequence[str]],
    body: bytes,
    secrets: Mapping[str, str],
    nonces: NonceCache,
    now: datetime | None = None,
) -> Refusal | str:
    """The AccessKey ID of a correctly signed request, or the service's refusal.

    ``headers`` maps lower-case names to every value received under that name.
    """
    authorization = ",".join(headers.get("authorization", [])).strip()
    match = _AUTHORIZATION.match(authorization)
    if match is None or match.group("alg") != ALGORITHM:
        return Refusal(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    access_key_id = match.group("ak").strip()
    signed = [h.strip().lower() for h in match.group("signed").split(";") if h.strip()]
    missing = [h for h in REQUIRED_SIGNED if h not in signed or not headers.get(h)]
    if missing:
        return Refusal(
            400,
            "IncompleteSignature",
            f"The request signature does not conform to Aliyun standards. Unsigned: {missing}",
        )
    if access_key_id not in secrets:
        return Refusal(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    try:
        stamp = datetime.strptime(headers["x-acs-date"][0].strip(), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return Refusal(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")
    now = now or datetime.now(UTC)
    if abs(now - stamp.replace(tzinfo=UTC)) > WINDOW:
        return Refusal(
            400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        )
    expected = sign(
        secrets[access_key_id], string_to_sign(method, path, raw_query, headers, signed, body)
    )
    if not hmac.compare_digest(expected, match.group("sig").lower()):
        return Refusal(
            400, "SignatureDoesNotMatch", "Specified signature does not match our calculation."
        )
    if not nonces.use(headers["x-acs-signature-nonce"][0].strip()):
        return Refusal(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    return access_key_id
