"""The channel interface every provider implements (simulated, Twilio, a future Chinese SMS gateway).

Flows only see ``Provider``: they hand it a ``ContactRequest`` and get a
``SendReceipt`` back; what people answer arrives later as ``InboundEvent`` rows
in the landing store (written by the webhook receiver, or by the simulated
provider acting as the people it contacts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

Channel = Literal["sms", "voice", "manual"]

# Event kinds recorded in the landing store and the warehouse ``events`` table.
SENT = "sent"
DELIVERED = "delivered"
UNDELIVERED = "undelivered"
ANSWER = "answer"  # detail: {"item": ..., "value": ...}
UNREADABLE = "unreadable"  # a reply that could not be parsed
OPTED_OUT = "opted_out"
REFUSED = "refused"
BREAK_OFF = "break_off"
NO_ANSWER = "no_answer"
BUSY = "busy"
WRONG_NUMBER = "wrong_number"
INVALID_NUMBER = "invalid_number"
COMPLETED = "completed"  # a call or a conversation ended normally
EVENT_KINDS = (
    SENT,
    DELIVERED,
    UNDELIVERED,
    ANSWER,
    UNREADABLE,
    OPTED_OUT,
    REFUSED,
    BREAK_OFF,
    NO_ANSWER,
    BUSY,
    WRONG_NUMBER,
    INVALID_NUMBER,
    COMPLETED,
)


@dataclass(frozen=True)
class ContactRequest:
    """One contact attempt, already written to the outbox under ``attempt_id``."""

    attempt_id: str
    case_id: str
    channel: Channel
    to: str  # E.164
    at: datetime  # the dispatcher's clock
    lang: str = "zh"
    # what the message or the evaluator may say about the case: unit, category, date
    context: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendReceipt:
    attempt_id: str
    provider_sid: str
    status: str = "queued"


@dataclass(frozen=True)
class InboundEvent:
    """Something a person or the network did, as recorded once in the landing store."""

    event_key: str  # unique per delivery: provider SID + event (+ item)
    channel: str
    kind: str
    occurred_at: datetime
    provider_sid: str | None = None
    attempt_id: str | None = None
    case_id: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


class Provider(Protocol):
    """A way to reach people. Implementations are chosen in ``minyi.wiring`` only."""

    name: str

    def channels(self) -> frozenset[str]:
        """The channels this provider can send on."""
        ...

    def send(self, request: ContactRequest) -> SendReceipt:
        """Start the contact; raises TransientSendError or PermanentSendError."""
        ...

    def find(self, attempt_id: str) -> SendReceipt | None:
        """The receipt of an earlier send of this attempt, if the provider has one (reconciliation)."""
        ...
