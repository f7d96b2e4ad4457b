"""The words of casework, named once, and the rows the store hands out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- tickets (CONTRACT.md "Follow-ups, complaints, appeals, polls": v_followups)
DISSATISFIED: Final = "dissatisfied"
INTEGRITY: Final = "integrity"
COMPLAINT: Final = "complaint"
KINDS: Final = (DISSATISFIED, INTEGRITY, COMPLAINT)

OPEN: Final = "open"  # registered, not yet with anyone (a complaint not routed to a unit)
ASSIGNED: Final = "assigned"  # with the unit (or, for an integrity report, the discipline office)
REPLIED: Final = "replied"  # the unit answered with its 整改 record; the 回访 is due
REVISITED: Final = "revisited"  # the citizen answered the 回访 and is still not satisfied
CLOSED: Final = "closed"
OVERDUE: Final = "overdue"  # past its due date without a reply
STATUSES: Final = (OPEN, ASSIGNED, REPLIED, REVISITED, CLOSED, OVERDUE)
WAITING_FOR_UNIT: Final = (ASSIGNED, OVERDUE)

# what a ticket's history records (ticket_events.event)
EVENTS: Final = (
    "opened",
    "assigned",
    "reminded",
    "overdue",
    "escalated",
    "replied",
    "revisit_scheduled",
    "revisit_attempt",
    "revisited",
    "returned",
    "closed",
    "verified",
    "consent",
    "appeal_filed",
    "appeal_decided",
)

# --- integrity reports: 核实 by the discipline office
VERIFIED: Final = "verified"
UNFOUNDED: Final = "unfounded"
VERIFICATIONS: Final = (VERIFIED, UNFOUNDED)
VETO_ITEMS: Final = {INTEGRITY: "integrity_verified", COMPLAINT: "major_complaint_verified"}

# --- complaints
COMPLAINT_CHANNELS: Final = ("sms", "phone", "web")

# --- appeals (申诉复核)
NOT_OUR_CASE: Final = "not_our_case"
WRONG_PERSON: Final = "wrong_person"
MALICIOUS: Final = "malicious"
GROUNDS: Final = {
    NOT_OUR_CASE: "非本单位办件",
    WRONG_PERSON: "受访人非办事人",
    MALICIOUS: "恶意评价",
}
PENDING: Final = "pending"
UPHELD: Final = "upheld"
REJECTED: Final = "rejected"
APPEAL_STATUSES: Final = (PENDING, UPHELD, REJECTED)

# --- revisit and poll contact attempts (the casework outbox)
ATTEMPT_PENDING: Final = "pending"
ATTEMPT_SENT: Final = "sent"
ATTEMPT_FAILED: Final = "failed"
ATTEMPT_RETRY: Final = "retry"
ATTEMPT_ANSWERED: Final = "answered"
ATTEMPT_ENDED: Final = "ended"  # no answer, refused, opted out: the attempt is over

LIMITS: Final = {"reply": 2000, "rectification": 2000, "reason": 1000, "text": 2000, "note": 1000}

KIND_NAMES: Final = {DISSATISFIED: "不满意转办", INTEGRITY: "廉情线索", COMPLAINT: "群众投诉"}
STATUS_NAMES: Final = {
    OPEN: "待分办",
    ASSIGNED: "办理中",
    REPLIED: "已答复待回访",
    REVISITED: "回访仍不满意",
    CLOSED: "已办结",
    OVERDUE: "已超期",
}


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    kind: str
    case_id: str
    unit_id: str | None
    status: str
    opened_at: str  # UTC ISO-8601
    due_date: str | None  # local date
    month: str  # the month it is counted in (the case's sample month, the complaint's)
    category: str | None
    theme: str | None  # the reason's theme (never the citizen's words)
    round: int
    was_overdue: bool
    replied_at: str | None
    reply: str | None
    rectification: str | None
    revisit_satisfaction: int | None
    revisited_at: str | None
    closed_at: str | None
    close_note: str | None
    named_consent: bool
    contact: str | None  # only with the citizen's consent: how the unit may reach them
    verification: str | None
    verifier: str | None
    evidence: str | None
    verified_at: str | None
    veto_item: str | None


@dataclass(frozen=True)
class TicketEvent:
    seq: int
    ticket_id: str
    at: str
    actor: str
    event: str
    detail: str | None


@dataclass(frozen=True)
class Complaint:
    complaint_id: str  # 登记号
    channel: str
    received_at: str
    unit_id: str | None
    unit_hint: str | None
    text: str
    name: str | None
    phone: str | None
    named_consent: bool
    entered_by: str | None


@dataclass(frozen=True)
class Appeal:
    appeal_id: str
    ticket_id: str
    case_id: str
    unit_id: str
    ground: str
    reason: str
    status: str
    filed_by: str
    filed_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    month: str


@dataclass(frozen=True)
class Attempt:
    """A 回访 or poll contact in the casework outbox (committed before it is sent)."""

    attempt_id: str
    ref_id: str  # ticket_id or poll_id
    case_id: str  # the case (or complaint, or poll member) it is about
    channel: str
    status: str
    created_at: str
    sent_at: str | None
    provider_sid: str | None
    error_code: str | None
    phone: str | None  # a complainant's or poll member's number; None: the case's, from the warehouse
