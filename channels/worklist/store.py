"""The evaluators' worklist (人工访评): the manual channel.

A "send" on the manual channel puts the case on the worklist, assigned to one
of the evaluators in turn. Evaluators open ``/worklist`` (served by
``minyi serve``), call the person, and record either the answers or the
outcome (no answer, refused, hung up early, wrong number). What they record
becomes inbound events in the landing store, exactly like SMS and voice
answers; a double-submitted form is recorded once.

The worklist lives in the landing store's SQLite file (its own table), because
the webhook server process, not the flows, serves it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from channels import base as B
from channels.base import ContactRequest, InboundEvent, SendReceipt
from channels.landing import LandingStore
from minyi.walstore import WalStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS worklist (
    attempt_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    unit TEXT, category TEXT, service_date TEXT,
    evaluator TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    outcome TEXT,
    recorded_at TEXT,
    tries INTEGER NOT NULL DEFAULT 0,
    due_at TEXT,
    appointment TEXT,
    done_by TEXT
);
CREATE INDEX IF NOT EXISTS worklist_open ON worklist(status, evaluator);
CREATE TABLE IF NOT EXISTS worklist_calls (
    attempt_id TEXT NOT NULL,
    evaluator TEXT NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS worklist_calls_by ON worklist_calls(evaluator, at);
CREATE TABLE IF NOT EXISTS twilio_opt_outs (
    phone TEXT PRIMARY KEY,
    opted_out_at TEXT NOT NULL,
    source TEXT NOT NULL
);
"""
POOL = "*"  # items any evaluator may take

OUTCOMES = {
    "answered": None,
    "no_answer": B.NO_ANSWER,
    "busy": B.BUSY,
    "refused": B.REFUSED,
    "break_off": B.BREAK_OFF,
    "wrong_number": B.WRONG_NUMBER,
}


_ADDED_COLUMNS = {  # columns added after the first version (older landing files gain them)
    "tries": "INTEGER NOT NULL DEFAULT 0",
    "due_at": "TEXT",
    "appointment": "TEXT",
    "done_by": "TEXT",
}
_ITEM = (
    "attempt_id, case_id, phone, unit, category, service_date, evaluator, status, tries, "
    "due_at, appointment"
)
RETRY_OUTCOMES = frozenset({"no_answer", "busy"})  # tried again later, up to the tries allowed


@dataclass(frozen=True)
class WorkItem:
    attempt_id: str
    case_id: str
    phone: str
    unit: str
    category: str
    service_date: str
    evaluator: str
    status: str
    tries: int = 0  # calls already made without reaching the person
    due_at: str | None = None  # not before (UTC ISO): the next try or an appointment
    appointment: str | None = None  # 约定回访: the time the person asked to be called (UTC ISO)


class Worklist(WalStore):
    """The worklist table; one instance per process or thread."""

    def __init__(self, path: Path, evaluators: tuple[str, ...] = ()) -> None:
        super().__init__(path, _SCHEMA)
        present = {row[1] for row in self._con.execute("PRAGMA table_info(worklist)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in present:
                self._con.execute(f"ALTER TABLE worklist ADD COLUMN {column} {kind}")
        # the evaluators' accounts; with none yet, cases wait in the shared pool
        self.evaluators = tuple(evaluators) or (POOL,)

    def add(self, request: ContactRequest) -> bool:
        """Put a case on the list (once); assigned to the evaluator with the fewest open items."""
        loads = dict.fromkeys(self.evaluators, 0)
        for evaluator, count in self._con.execute(
            "SELECT evaluator, count(*) FROM worklist WHERE status = 'open' GROUP BY evaluator"
        ):
            if evaluator in loads:
                loads[evaluator] = count
        evaluator = min(self.evaluators, key=lambda e: (loads[e], e))
        ctx = request.context
        cur = self._con.execute(
            "INSERT OR IGNORE INTO worklist (attempt_id, case_id, phone, unit, category, "
            "service_date, evaluator, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                request.attempt_id,
                request.case_id,
                request.to,
                ctx.get("unit", ""),
                ctx.get("category", ""),
                ctx.get("date", ""),
                evaluator,
                request.at.astimezone(UTC).isoformat(),
            ),
        )
        return cur.rowcount == 1

    def get(self, attempt_id: str) -> WorkItem | None:
        row = self._con.execute(
            f"SELECT {_ITEM} FROM worklist WHERE attempt_id = ?", (attempt_id,)
        ).fetchone()
        return WorkItem(*row) if row else None

    def open_items(self, evaluator: str | None = None, now: datetime | None = None) -> list[WorkItem]:
        """Open items (of one evaluator: theirs and the shared pool's), never of a number that
        opted out meanwhile; with ``now``, only those due by then — appointments first."""
        query = (
            f"SELECT {_ITEM} FROM worklist w WHERE status = 'open' "
            "AND NOT EXISTS (SELECT 1 FROM twilio_opt_outs o WHERE o.phone = w.phone)"
        )
        params: list[str] = []
        if evaluator:
            query += " AND evaluator IN (?, ?)"
            params += [evaluator, POOL]
        if now is not None:
            query += " AND (due_at IS NULL OR due_at <= ?)"
            params.append(now.astimezone(UTC).isoformat())
        order = " ORDER BY appointment IS NULL, appointment, tries, created_at, attempt_id"
        return [WorkItem(*r) for r in self._con.execute(query + order, params)]

    def later_items(self, evaluator: str, now: datetime) -> list[WorkItem]:
        """Open items waiting for a later try or an appointment (not due yet)."""
        return [
            WorkItem(*r)
            for r in self._con.execute(
                f"SELECT {_ITEM} FROM worklist WHERE status = 'open' AND evaluator IN (?, ?) "
                "AND due_at > ? ORDER BY due_at",
                (evaluator, POOL, now.astimezone(UTC).isoformat()),
            )
        ]

    def try_again(self, attempt_id: str, at: datetime, next_at: datetime) -> bool:
        """A call that did not reach the person: count the try, due again at ``next_at``."""
        cur = self._con.execute(
            "UPDATE worklist SET tries = tries + 1, due_at = ?, appointment = NULL "
            "WHERE attempt_id = ? AND status = 'open'",
            (next_at.astimezone(UTC).isoformat(), attempt_id),
        )
        return cur.rowcount == 1

    def appoint(self, attempt_id: str, when: datetime) -> bool:
        """约定回访: the person asked to be called at ``when``."""
        stamp = when.astimezone(UTC).isoformat()
        cur = self._con.execute(
            "UPDATE worklist SET due_at = ?, appointment = ? WHERE attempt_id = ? AND status = 'open'",
            (stamp, stamp, attempt_id),
        )
        return cur.rowcount == 1

    def log_call(self, attempt_id: str, evaluator: str, outcome: str, at: datetime) -> None:
        self._con.execute(
            "INSERT INTO worklist_calls VALUES (?, ?, ?, ?)",
            (attempt_id, evaluator, at.astimezone(UTC).isoformat(), outcome),
        )

    def calls_made(self, evaluator: str, start: datetime, end: datetime) -> int:
        """Calls an evaluator made (every outcome, tries included) in [start, end)."""
        row = self._con.execute(
            "SELECT count(*) FROM worklist_calls WHERE evaluator = ? AND at >= ? AND at < ?",
            (evaluator, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()),
        ).fetchone()
        return int(row[0])

    def withdraw(self, phones: list[str], at: datetime) -> int:
        """Take the open items of these numbers off the list (do-not-contact, opt-out)."""
        if not phones:
            return 0
        with self.transaction() as con:
            return int(
                con.executemany(
                    "UPDATE worklist SET status = 'withdrawn', recorded_at = ? "
                    "WHERE phone = ? AND status = 'open'",
                    [(at.astimezone(UTC).isoformat(), phone) for phone in phones],
                ).rowcount
            )

    def claim(self, attempt_id: str, evaluator: str) -> None:
        """An evaluator takes an item of the shared pool."""
        self._con.execute(
            "UPDATE worklist SET evaluator = ? WHERE attempt_id = ? AND evaluator = ?",
            (evaluator, attempt_id, POOL),
        )

    def close_item(self, attempt_id: str, outcome: str, at: datetime, by: str | None = None) -> bool:
        """Mark an item done; False when it was already done (a repeated submit)."""
        cur = self._con.execute(
            "UPDATE worklist SET status = 'done', outcome = ?, recorded_at = ?, done_by = ? "
            "WHERE attempt_id = ? AND status = 'open'",
            (outcome, at.astimezone(UTC).isoformat(), by, attempt_id),
        )
        return cur.rowcount == 1


LEVEL_VALUES = frozenset({"0", "1", "2", "3", "4", "5"})  # 0 = 不了解/说不清
TIMELINESS_VALUES = frozenset({"1", "2", "3", "4", "5"})
INTEGRITY_VALUES = frozenset({"yes", "no"})
MAX_REASON = 500


def checked_answers(answers: dict[str, str]) -> dict[str, str]:
    """The answers of an answered call, each checked; raises ValueError naming the bad one."""
    allowed = {"satisfaction", "integrity", "timeliness", "reason"}
    unknown = set(answers) - allowed
    if unknown:
        raise ValueError(f"unknown item(s) {sorted(unknown)} / 未知题目")
    out = {k: (v or "").strip() for k, v in answers.items()}
    if out.get("satisfaction", "") not in LEVEL_VALUES:
        raise ValueError("satisfaction must be 1–5, or 0 for 不了解/说不清 / 满意度须为 0–5")
    if out.get("timeliness") and out["timeliness"] not in TIMELINESS_VALUES:
        raise ValueError("timeliness must be 1–5 / 办理时效须为 1–5")
    if out.get("integrity") and out["integrity"] not in INTEGRITY_VALUES:
        raise ValueError("integrity must be yes or no / 吃拿卡要须为 有 或 没有")
    if len(out.get("reason", "")) > MAX_REASON:
        raise ValueError(f"the reason is longer than {MAX_REASON} characters / 原因过长")
    return out


def outcome_events(
    item: WorkItem, outcome: str, answers: dict[str, str], at: datetime
) -> list[InboundEvent]:
    """The events an evaluator's record stands for; keys are stable, so a resubmit dedupes."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    sid = "WL" + hashlib.sha256(item.attempt_id.encode()).hexdigest()[:32]

    def event(kind: str, suffix: str = "", **detail: str) -> InboundEvent:
        return InboundEvent(
            event_key=f"{sid}:{kind}{suffix}",
            channel="manual",
            kind=kind,
            occurred_at=at,
            provider_sid=sid,
            attempt_id=item.attempt_id,
            case_id=item.case_id,
            detail=detail,
        )

    kind = OUTCOMES[outcome]
    if kind is not None:
        return [event(kind)]
    answers = checked_answers(answers)
    events = [
        event(B.ANSWER, f":{key}", item=key, value=value)
        for key, value in answers.items()
        if value not in ("", None)
    ]
    if not any(e.detail.get("item") == "satisfaction" for e in events):
        raise ValueError("an answered call needs the satisfaction answer (0 = 不了解/说不清)")
    return [*events, event(B.COMPLETED)]


class WorklistProvider:
    """The manual channel behind the Provider interface."""

    name = "worklist"
    # an evaluator can ask anything: the evaluation, the 回访's recovery question, a poll
    surveys = frozenset({"evaluation", "revisit", "poll"})
    rate_limited = False
    # putting a case on an evaluator's list contacts nobody: evaluators call in office hours
    real_clock = False

    def __init__(self, worklist: Worklist) -> None:
        self._worklist = worklist

    def channels(self) -> frozenset[str]:
        return frozenset({"manual"})

    def send(self, request: ContactRequest) -> SendReceipt:
        self._worklist.add(request)
        return SendReceipt(
            request.attempt_id, "WL" + hashlib.sha256(request.attempt_id.encode()).hexdigest()[:32]
        )

    def find(self, attempt_id: str) -> SendReceipt | None:
        item = self._worklist.get(attempt_id)
        if item is None:
            return None
        return SendReceipt(attempt_id, "WL" + hashlib.sha256(attempt_id.encode()).hexdigest()[:32])


def record(
    worklist: Worklist,
    landing: LandingStore,
    attempt_id: str,
    outcome: str,
    answers: dict[str, str],
    at: datetime,
    *,
    by: str | None = None,
    retry_at: datetime | None = None,
) -> int:
    """Record an evaluator's result once; returns how many new events it made.

    Only an open item is recorded: the item is closed first, so a second submit
    (the same or another outcome) records nothing and returns 0. A call that did
    not reach the person (no answer, busy) with ``retry_at`` keeps the item open
    for another try then (its event is recorded per try).
    """
    item = worklist.get(attempt_id)
    if item is None:
        raise KeyError(attempt_id)
    events = outcome_events(item, outcome, answers, at)  # checks the values before anything
    if outcome in RETRY_OUTCOMES and retry_at is not None:
        if not worklist.try_again(attempt_id, at, retry_at):
            return 0
        events = [replace(e, event_key=f"{e.event_key}:try{item.tries + 1}") for e in events]
    elif not worklist.close_item(attempt_id, outcome, at, by):
        return 0
    if by:
        worklist.log_call(attempt_id, by, outcome, at)
    return landing.record(events)


def casework_events(
    item: WorkItem, outcome: str, answers: dict[str, str], at: datetime
) -> list[InboundEvent]:
    """The events of an evaluator's 回访 or poll call: the answers (already checked by the
    caller against the recovery question or the poll) or the outcome."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    sid = "WL" + hashlib.sha256(item.attempt_id.encode()).hexdigest()[:32]

    def event(kind: str, suffix: str = "", **detail: str) -> InboundEvent:
        return InboundEvent(
            event_key=f"{sid}:{kind}{suffix}", channel="manual", kind=kind, occurred_at=at,
            provider_sid=sid, attempt_id=item.attempt_id, case_id=item.case_id, detail=detail,
        )

    kind = OUTCOMES[outcome]
    if kind is not None:
        return [event(kind)]
    given = [event(B.ANSWER, f":{k}", item=k, value=v) for k, v in answers.items() if v]
    if not given:
        raise ValueError("an answered call needs at least one answer / 请至少记录一个回答")
    return [*given, event(B.COMPLETED)]


def record_casework(
    worklist: Worklist,
    landing: LandingStore,
    attempt_id: str,
    outcome: str,
    answers: dict[str, str],
    at: datetime,
) -> int:
    """Record a 回访 or poll call once (as :func:`record` does for evaluations)."""
    item = worklist.get(attempt_id)
    if item is None:
        raise KeyError(attempt_id)
    events = casework_events(item, outcome, answers, at)
    if not worklist.close_item(attempt_id, outcome, at):
        return 0
    return landing.record(events)
