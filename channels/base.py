"""The channel interface every provider implements (simulated, Twilio, a future Chinese SMS gateway).

Flows only see ``Provider``: they hand it a ``ContactRequest`` and get a
``SendReceipt`` back; what people answer arrives later as ``InboundEvent`` rows
in the landing store (written by the webhook receiver, or by the simulated
provider acting as the people it contacts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from minyi.vocab import (  # noqa: F401  (re-exported: channels say B.SENT, B.ANSWER, …)
    ANSWER,
    APPOINTMENT,
    BREAK_OFF,
    BUSY,
    COMPLETED,
    DELIVERED,
    EVENT_KINDS,
    INVALID_NUMBER,
    NO_ANSWER,
    OPTED_OUT,
    REFUSED,
    SENT,
    UNDELIVERED,
    UNREADABLE,
    WRONG_NUMBER,
    Channel,
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
    """A way to reach people. Implementations are chosen in ``flows.wiring`` only.

    Optional attributes: ``rate_limited`` (default True: sends are paced under
    ``MINYI_MESSAGES_PER_SECOND``) and ``real_clock`` (default True: it reaches real
    people now, so calling windows are checked against the wall clock, whatever
    time a replay asks for).
    """

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
