"""Sending a batch of committed contact attempts: pacing, reconciliation, retries, outcomes.

The caller (``flows.contact``) has already committed an outbox row for every
attempt it hands over; this module only talks to the provider. For each
attempt, in order:

1. the contact rules are checked again at the moment of sending (``allowed``:
   opt-out and do-not-contact lists as they are now, whatever they were when the
   attempt was planned); a number no longer allowed ends as ``failed`` with the
   code ``blocked``, nothing is sent;
2. the provider is asked whether the attempt was already sent (a crash between
   the outbox commit and the send's confirmation): if so, that receipt stands;
3. otherwise the send is paced (never more than ``per_second`` start in any
   second) and made;
4. a transient error is retried with doubling backoff ``retries`` times, then
   left ``retry`` for the next run; a permanent per-recipient error ends the
   attempt ``failed`` with the provider's code; the run goes on either way.

Outcomes are handed to ``record`` in batches (so what was sent is recorded
even when a later send stops the run with a configuration error).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.base import ContactRequest, Provider, SendReceipt
from channels.errors import PermanentSendError, TransientSendError
from minyi.vocab import Channel

SENT = "sent"
FAILED = "failed"
RETRY = "retry"
BLOCKED = "blocked"  # error code of an attempt stopped by the contact rules at send time


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt; ``detail`` never holds a raw phone number."""

    attempt_id: str
    status: str  # sent, failed, retry
    provider_sid: str | None
    error_code: str | None
    detail: str | None
    at: datetime
    kind: str | None = None  # for failed: the event kind it stands for (opted_out, invalid_number…)


@dataclass(frozen=True)
class Attempt:
    """One committed outbox row to send."""

    attempt_id: str
    case_id: str
    channel: Channel
    phone: str  # E.164
    context: dict[str, str]


class Pacer:
    """Spaces sends so that no more than ``per_second`` start in any second (None: no limit)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next_slot = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        delay = self.next_slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_slot = max(self.next_slot, time.monotonic()) + self.interval


@dataclass(frozen=True)
class Limits:
    per_second: float | None = 10.0
    retries: int = 3
    backoff_seconds: float = 0.5
    batch: int = 50


def send_all(
    provider: Provider,
    attempts: Iterable[Attempt],
    at: datetime,
    *,
    allowed: Callable[[str], bool],
    record: Callable[[Sequence[Outcome]], None],
    limits: Limits = Limits(),
    mask: Callable[[str], str] = lambda text: text,
) -> dict[str, int]:
    """Send every attempt (see the module docstring); returns counts by status.

    ``mask`` scrubs phone numbers from provider error texts before they are kept.
    """
    pacer = Pacer(limits.per_second if getattr(provider, "rate_limited", True) else None)
    counts = {SENT: 0, FAILED: 0, RETRY: 0}
    pending: list[Outcome] = []

    def flush() -> None:
        if pending:
            record(list(pending))
            for outcome in pending:
                counts[outcome.status] += 1
            pending.clear()

    try:
        for attempt in attempts:
            pending.append(_one(provider, attempt, at, allowed, pacer, limits, mask))
            if len(pending) >= limits.batch:
                flush()
    finally:
        flush()  # what was sent is recorded even when the run stops on an error
    return counts


def _one(
    provider: Provider,
    attempt: Attempt,
    at: datetime,
    allowed: Callable[[str], bool],
    pacer: Pacer,
    limits: Limits,
    mask: Callable[[str], str],
) -> Outcome:
    aid = attempt.attempt_id
    try:
        receipt = provider.find(aid)  # a crash may have left it sent but unconfirmed
        if receipt is None:
            if not allowed(attempt.phone):
                return Outcome(aid, FAILED, None, BLOCKED, "opted out or do-not-contact", at)
            receipt = _send(provider, _request(attempt, at), pacer, limits)
    except TransientSendError as exc:  # still failing: the next run tries again
        return Outcome(aid, RETRY, None, exc.code, mask(exc.detail), at)
    except PermanentSendError as exc:
        return Outcome(aid, FAILED, None, exc.code, mask(exc.detail), at, exc.outcome)
    return Outcome(aid, SENT, receipt.provider_sid, None, None, at)


def _send(
    provider: Provider, request: ContactRequest, pacer: Pacer, limits: Limits
) -> SendReceipt:
    """Send, retrying transient errors with doubling backoff; reconcile before each retry."""
    for tried in range(limits.retries + 1):
        try:
            if tried:
                # a timed-out send may have gone through: ask before sending again
                found = provider.find(request.attempt_id)
                if found is not None:
                    return found
            pacer.wait()
            return provider.send(request)
        except TransientSendError:
            if tried == limits.retries:
                raise
            time.sleep(limits.backoff_seconds * 2**tried)
    raise AssertionError("unreachable")


def _request(attempt: Attempt, at: datetime) -> ContactRequest:
    return ContactRequest(
        attempt_id=attempt.attempt_id,
        case_id=attempt.case_id,
        channel=attempt.channel,
        to=attempt.phone,
        at=at,
        context=attempt.context,
    )


def attempts_of(rows: Iterable[dict[str, Any]]) -> list[Attempt]:
    """Attempts from outbox rows (``attempt_id, case_id, channel, phone_e164, unit_name,
    category, service_date``)."""
    return [
        Attempt(
            attempt_id=row["attempt_id"],
            case_id=row["case_id"],
            channel=row["channel"],
            phone=row["phone_e164"],
            context={
                "unit": row.get("unit_name") or "",
                "category": row.get("category") or "",
                "date": row.get("service_date") or "",
            },
        )
        for row in rows
    ]
