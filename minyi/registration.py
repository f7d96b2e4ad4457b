"""Registration numbers (登记号) of complaints, the same wherever a complaint arrives.

The number is derived from the complaint's own delivery key (an SMS's id, a web form's
single-use nonce, an evaluator's entry), so the SMS receiver, the public form and the
flows that register the complaint all compute the same number without asking each
other, and a repeated delivery gets the number it got the first time.
Form: ``TS`` + the local date of receipt + ``-`` + 6 characters (A-Z, 2-7).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

PREFIX = "TS"


def registration_number(source_key: str, received_at: datetime, zone: ZoneInfo) -> str:
    digest = hashlib.sha256(source_key.encode("utf-8")).digest()
    code = base64.b32encode(digest[:5]).decode()[:6]
    return f"{PREFIX}{received_at.astimezone(zone):%Y%m%d}-{code}"


def looks_like_registration(text: str) -> bool:
    return (
        len(text) == 17
        and text.startswith(PREFIX)
        and text[2:10].isdigit()
        and text[10] == "-"
        and all(ch.isupper() or ch in "234567" for ch in text[11:])
    )
