"""Inbound messages that are complaints (受理投诉), not answers to an evaluation.

An SMS to the center's number from someone with no open evaluation (or whose
evaluation ended, with something to say) is a complaint: the receivers record a
``complaint`` event in the landing store, with the sender's number and words, and
tell the sender its registration number (登记号). The flows register it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from channels.base import InboundEvent
from minyi.registration import registration_number
from minyi.vocab import COMPLAINT

MIN_CHARS: Final = 6  # shorter messages ("好", "谢谢", a stray "5") are not complaints
MAX_CHARS: Final = 1000
ZONE: Final = ZoneInfo("Asia/Shanghai")
_COURTESIES: Final = frozenset({"谢谢", "好的", "收到", "知道了", "好", "ok", "谢谢你", "谢谢您"})


def is_complaint(body: str, evaluation_ended: bool | None) -> bool:
    """Something to say from a number with no evaluation going on (``evaluation_ended`` None:
    none at all): at least ``MIN_CHARS`` characters that are not just digits (a stray answer)
    nor a courtesy."""
    text = body.strip()
    if len(text) < MIN_CHARS or text.lower() in _COURTESIES:
        return False
    if "".join(text.split()).replace(",", "").replace("，", "").isdigit():
        return False
    return evaluation_ended is None or evaluation_ended


def complaint_event(sid: str, channel: str, phone: str, body: str, at: datetime) -> InboundEvent:
    key = f"{sid}:{COMPLAINT}"
    return InboundEvent(
        event_key=key,
        channel=channel,
        kind=COMPLAINT,
        occurred_at=at,
        provider_sid=sid,
        detail={
            "phone": phone,
            "text": body.strip()[:MAX_CHARS],
            "number": registration_number(key, at, ZONE),
        },
    )


def acknowledgement(number: str, lang: str = "zh") -> str:
    if lang == "zh":
        return f"【民意访评】您的来信已登记，登记号{number}。我们将转有关单位办理并答复您。回复T退订。"
    return f"Your message was registered as {number}; we will pass it on and reply. Reply T to opt out."
