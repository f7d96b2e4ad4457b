"""The domain's words, named once: contact channels, event kinds, AAPOR codes.

Channels (``channels/``), the warehouse's SQL (``warehouse/``), the expectation
suites and the bulletin all use these, so a rename happens in one place.
"""

from __future__ import annotations

from typing import Final, Literal

# --- contact channels, in the order a case is tried (SMS → IVR → evaluators)
Channel = Literal["sms", "voice", "manual"]
CONTACT_SEQUENCE: Final[tuple[Channel, ...]] = ("sms", "voice", "manual")

# --- what a person or the network did (landing store and warehouse ``events.kind``)
SENT: Final = "sent"
DELIVERED: Final = "delivered"
UNDELIVERED: Final = "undelivered"
ANSWER: Final = "answer"  # detail: {"item": ..., "value": ...}
UNREADABLE: Final = "unreadable"  # a reply that could not be parsed
OPTED_OUT: Final = "opted_out"
REFUSED: Final = "refused"
BREAK_OFF: Final = "break_off"
NO_ANSWER: Final = "no_answer"
BUSY: Final = "busy"
WRONG_NUMBER: Final = "wrong_number"
INVALID_NUMBER: Final = "invalid_number"
COMPLETED: Final = "completed"  # a call or a conversation ended normally
APPOINTMENT: Final = "appointment"  # the person asked to be called back later (约定回访)
EVENT_KINDS: Final = (
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
    APPOINTMENT,
)
# after one of these a case is never contacted again
CLOSING_KINDS: Final = (OPTED_OUT, REFUSED, BREAK_OFF, WRONG_NUMBER, INVALID_NUMBER)

# --- AAPOR final dispositions used (sampling/dispositions.py says when each applies)
AAPOR_CODES: Final = ("1.1", "1.2", "2.11", "2.12", "2.20", "2.30", "3.16", "3.19", "4.70")
NEVER_ATTEMPTED: Final = "3.19"

# --- answers: satisfaction 0 = 不了解/说不清, 1..5 = levels; dissatisfied = 1..2
DISSATISFIED_MAX: Final = 2

# --- what kind of home this is (warehouse ``config.home_kind``)
HOME_REAL: Final = "real"
HOME_DEMO: Final = "demo"

# --- closing the loop (issue 13): casework events that travel through the landing store
COMPLAINT: Final = "complaint"  # an inbound message or form that is a complaint, not an answer
REVISIT_PREFIX: Final = "RV-"  # attempt ids of the center's 回访 of a citizen (never evaluations)
POLL_PREFIX: Final = "PL-"  # attempt ids of 民意征集 poll contacts and answers
RECOVERY_ITEM: Final = "recovery"  # the 回访 question: satisfaction with the unit's handling, 1..5
SURVEY_KEY: Final = "survey"  # ContactRequest.context key naming what an attempt asks
SURVEYS: Final = ("evaluation", "revisit", "poll")
