"""The casework store: ``<home>/casework.sqlite`` (WAL, created 0600).

Written by the staff web (what people decide: replies, 回访 answers, routing,
核实, appeals) and by the flows (tickets opened from the warehouse, deadlines,
reminders, 回访 attempts, poll samples and answers). Every change of a ticket
is one transaction that also appends to its history (``ticket_events``); the
callers add the audit-log entry (``accounts``). Ticket ids do not reveal the
case: a liaison sees ``ZB…`` numbers, never case ids (背对背).

State machine (``casework.model``)::

    open ──route──▶ assigned ──reply──▶ replied ──回访 answer ≥ satisfied──▶ closed
                      │  ▲                 │        └─ answer < satisfied ─▶ revisited
                      ▼  │ reply           │ no 回访 possible / no answer ─▶ closed
                    overdue                ▼
    revisited ──director closes──▶ closed;  revisited ──returned──▶ assigned (new deadline)
    integrity: assigned (核实) ──verified / unfounded──▶ closed
    dissatisfied: an upheld appeal closes it (the answer leaves the statistics)
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from casework import model as m
from casework.errors import BadInput, NotAllowed, NotFound
from minyi.walstore import WalStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    ticket_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    case_id TEXT NOT NULL,
    unit_id TEXT,
    status TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    due_date TEXT,
    month TEXT NOT NULL,
    category TEXT,
    theme TEXT,
    round INTEGER NOT NULL DEFAULT 1,
    was_overdue INTEGER NOT NULL DEFAULT 0,
    replied_at TEXT,
    reply TEXT,
    rectification TEXT,
    revisit_satisfaction INTEGER,
    revisited_at TEXT,
    closed_at TEXT,
    close_note TEXT,
    named_consent INTEGER NOT NULL DEFAULT 0,
    contact TEXT,
    verification TEXT,
    verifier TEXT,
    evidence TEXT,
    verified_at TEXT,
    veto_item TEXT,
    reminded_on TEXT,
    escalated_at TEXT,
    UNIQUE (kind, case_id)
);
CREATE INDEX IF NOT EXISTS tickets_unit ON tickets(unit_id, status);
CREATE TABLE IF NOT EXISTS ticket_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS ticket_events_ticket ON ticket_events(ticket_id, seq);
CREATE TABLE IF NOT EXISTS complaints (
    complaint_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    received_at TEXT NOT NULL,
    unit_id TEXT,
    unit_hint TEXT,
    text TEXT NOT NULL,
    name TEXT,
    phone TEXT,
    named_consent INTEGER NOT NULL DEFAULT 0,
    entered_by TEXT
);
CREATE TABLE IF NOT EXISTS appeals (
    appeal_id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    ground TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    filed_by TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    month TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    attempt_id TEXT PRIMARY KEY,
    ref_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    provider_sid TEXT,
    error_code TEXT,
    phone TEXT
);
CREATE INDEX IF NOT EXISTS attempts_status ON attempts(status);
CREATE TABLE IF NOT EXISTS polls (
    poll_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    spec TEXT NOT NULL,
    target TEXT NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    design TEXT
);
CREATE TABLE IF NOT EXISTS poll_members (
    poll_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    stratum TEXT NOT NULL,
    stratum_population INTEGER NOT NULL,
    stratum_sample INTEGER NOT NULL,
    design_weight REAL NOT NULL,
    phone TEXT,
    PRIMARY KEY (poll_id, member_id)
);
CREATE TABLE IF NOT EXISTS poll_answers (
    poll_id TEXT NOT NULL,
    respondent TEXT NOT NULL,
    item TEXT NOT NULL,
    value TEXT NOT NULL,
    channel TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (poll_id, respondent, item)
);
"""

_TICKET_COLUMNS = (
    "ticket_id, kind, case_id, unit_id, status, opened_at, due_date, month, category, theme, "
    "round, was_overdue, replied_at, reply, rectification, revisit_satisfaction, revisited_at, "
    "closed_at, close_note, named_consent, contact, verification, verifier, evidence, "
    "verified_at, veto_item"
)
_ATTEMPT_COLUMNS = (
    "attempt_id, ref_id, case_id, channel, status, created_at, sent_at, provider_sid, "
    "error_code, phone"
)


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("casework times must carry a zone")
    return at.astimezone(UTC).isoformat()


def short_code(text: str, size: int = 8) -> str:
    return base64.b32encode(hashlib.sha256(text.encode("utf-8")).digest()[:10]).decode()[:size]


def ticket_id_of(kind: str, case_id: str) -> str:
    """``ZB`` + 8 characters: the same ticket for the same case, never the case id itself."""
    return "ZB" + short_code(f"{kind}:{case_id}")


def _text(value: str | None, field: str, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise BadInput(f"请填写{field} / {field} is required")
        return None
    limit = m.LIMITS.get(field, 2000)
    if len(text) > limit:
        raise BadInput(f"{field}过长（最多 {limit} 字）/ {field} longer than {limit} characters")
    return text


class Casework(WalStore):
    """The casework file of a home; one instance per process or thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._con.execute(sql, params))

    # --- tickets ------------------------------------------------------------------------

    def _event(
        self, con: sqlite3.Connection, ticket_id: str, at: datetime, actor: str, event: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        con.execute(
            "INSERT INTO ticket_events (ticket_id, at, actor, event, detail) VALUES (?,?,?,?,?)",
            (ticket_id, _iso(at), actor, event,
             None if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True)),
        )

    def open_ticket(
        self,
        kind: str,
        case_id: str,
        unit_id: str | None,
        *,
        opened_at: datetime,
        due: date | None,
        month: str,
        actor: str,
        category: str | None = None,
        theme: str | None = None,
        assign: bool = True,
    ) -> str | None:
        """Open the ticket of a case (once); assigned at once when its unit is known.

        Returns the new ticket id, or None when the case already has one of this kind.
        """
        if kind not in m.KINDS:
            raise BadInput(f"unknown ticket kind {kind!r}")
        tid = ticket_id_of(kind, case_id)
        status = m.ASSIGNED if assign and unit_id else m.OPEN
        with self.transaction() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO tickets (ticket_id, kind, case_id, unit_id, status, "
                "opened_at, due_date, month, category, theme) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (tid, kind, case_id, unit_id, status, _iso(opened_at),
                 due.isoformat() if due else None, month, category, theme),
            )
            if cur.rowcount != 1:
                return None
            self._event(con, tid, opened_at, actor, "opened", {"kind": kind})
            if status == m.ASSIGNED:
                self._event(con, tid, opened_at, actor, "assigned", {"unit_id": unit_id})
        return tid

    def open_tickets(
        self,
        rows: Sequence[tuple[str, str, str | None, datetime, date | None, str, str | None, str | None]],
        actor: str,
    ) -> list[str]:
        """Many :meth:`open_ticket` at once, in one transaction: (kind, case_id, unit_id,
        opened_at, due, month, category, theme); returns the new tickets."""
        opened = []
        with self.transaction() as con:
            for kind, case_id, unit_id, at, due, month, category, theme in rows:
                tid = ticket_id_of(kind, case_id)
                status = m.ASSIGNED if unit_id else m.OPEN
                cur = con.execute(
                    "INSERT OR IGNORE INTO tickets (ticket_id, kind, case_id, unit_id, status, "
                    "opened_at, due_date, month, category, theme) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (tid, kind, case_id, unit_id, status, _iso(at),
                     due.isoformat() if due else None, month, category, theme),
                )
                if cur.rowcount != 1:
                    continue
                self._event(con, tid, at, actor, "opened", {"kind": kind})
                if status == m.ASSIGNED:
                    self._event(con, tid, at, actor, "assigned", {"unit_id": unit_id})
                opened.append(tid)
        return opened

    def has_pending_attempts(self) -> bool:
        return bool(self.query(
            "SELECT 1 FROM attempts WHERE status IN (?, ?) LIMIT 1", (m.ATTEMPT_PENDING, m.ATTEMPT_RETRY)
        ))

    def ticket(self, ticket_id: str) -> m.Ticket:
        rows = self.query(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE ticket_id = ?", (ticket_id,))
        if not rows:
            raise NotFound("转办件", ticket_id)
        return _ticket(rows[0])

    def tickets(
        self,
        *,
        unit_id: str | None = None,
        kinds: Sequence[str] = (),
        statuses: Sequence[str] = (),
        month: str | None = None,
    ) -> list[m.Ticket]:
        where, params = ["1=1"], []
        if unit_id is not None:
            where.append("unit_id = ?")
            params.append(unit_id)
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        if month is not None:
            where.append("month = ?")
            params.append(month)
        rows = self.query(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE {' AND '.join(where)} "
            "ORDER BY opened_at, ticket_id",
            params,
        )
        return [_ticket(r) for r in rows]

    def events(self, ticket_id: str) -> list[m.TicketEvent]:
        return [
            m.TicketEvent(*r)
            for r in self.query(
                "SELECT seq, ticket_id, at, actor, event, detail FROM ticket_events "
                "WHERE ticket_id = ? ORDER BY seq",
                (ticket_id,),
            )
        ]

    def _change(
        self,
        ticket_id: str,
        allowed: Sequence[str],
        at: datetime,
        actor: str,
        event: str,
        sets: dict[str, Any],
        detail: dict[str, Any] | None = None,
        unit_id: str | None = None,
        kinds: Sequence[str] = m.KINDS,
    ) -> m.Ticket:
        """One checked change of state: the ticket must be in ``allowed`` (and of ``unit_id``)."""
        with self.transaction() as con:
            row = con.execute(
                "SELECT status, unit_id, kind FROM tickets WHERE ticket_id = ?", (ticket_id,)
            ).fetchone()
            if row is None:
                raise NotFound("转办件", ticket_id)
            status, owner, kind = row
            if unit_id is not None and owner != unit_id:
                raise NotAllowed("只能办理本单位的转办件 / not a ticket of your unit")
            if kind not in kinds:
                raise NotAllowed(f"此类转办件不能这样办理 / not for a {kind} ticket")
            if status not in allowed:
                raise NotAllowed(
                    f"转办件当前状态为「{m.STATUS_NAMES.get(status, status)}」，不能{event} "
                    f"/ the ticket is {status}: cannot {event}"
                )
            columns = ", ".join(f"{k} = ?" for k in sets)
            con.execute(
                f"UPDATE tickets SET {columns} WHERE ticket_id = ?", (*sets.values(), ticket_id)
            )
            self._event(con, ticket_id, at, actor, event, detail)
        return self.ticket(ticket_id)

    def assign(self, ticket_id: str, unit_id: str, due: date, at: datetime, actor: str) -> m.Ticket:
        """Route an open ticket (a complaint) to a unit, with its deadline."""
        return self._change(
            ticket_id, (m.OPEN,), at, actor, "assigned",
            {"unit_id": unit_id, "status": m.ASSIGNED, "due_date": due.isoformat(),
             "opened_at": _iso(at)},
            {"unit_id": unit_id, "due_date": due.isoformat()},
        )

    def reply(
        self, ticket_id: str, unit_id: str, reply: str, rectification: str, at: datetime, actor: str
    ) -> m.Ticket:
        """The unit's answer and its 整改 record (a liaison, for their own unit only)."""
        text = _text(reply, "reply")
        fix = _text(rectification, "rectification", required=False)
        return self._change(
            ticket_id, m.WAITING_FOR_UNIT, at, actor, "replied",
            {"status": m.REPLIED, "reply": text, "rectification": fix, "replied_at": _iso(at)},
            {"chars": len(text or "")},
            unit_id=unit_id,
            kinds=(m.DISSATISFIED, m.COMPLAINT),
        )

    def record_revisit(
        self, ticket_id: str, level: int | None, satisfied_min: int, at: datetime, actor: str,
        note: str | None = None,
    ) -> m.Ticket:
        """The 回访 answer (1..5): satisfied closes the ticket, not satisfied waits for the
        director; ``None`` (no answer, refused, no number) closes it without one."""
        if level is None:
            return self._change(
                ticket_id, (m.REPLIED,), at, actor, "closed",
                {"status": m.CLOSED, "closed_at": _iso(at), "close_note": note or "no_revisit"},
                {"revisit": note or "no_revisit"},
            )
        if level not in range(1, 6):
            raise BadInput("回访满意度须为 1–5 / the recovery answer must be 1–5")
        satisfied = level >= satisfied_min
        sets: dict[str, Any] = {
            "revisit_satisfaction": level,
            "revisited_at": _iso(at),
            "status": m.CLOSED if satisfied else m.REVISITED,
        }
        if satisfied:
            sets |= {"closed_at": _iso(at), "close_note": "revisit_satisfied"}
        return self._change(
            ticket_id, (m.REPLIED,), at, actor, "revisited", sets, {"level": level}
        )

    def close_ticket(self, ticket_id: str, note: str, at: datetime, actor: str) -> m.Ticket:
        """The director closes a ticket whose 回访 found the citizen still not satisfied."""
        text = _text(note, "note")
        return self._change(
            ticket_id, (m.REVISITED,), at, actor, "closed",
            {"status": m.CLOSED, "closed_at": _iso(at), "close_note": text},
            {"by": "director"},
        )

    def return_to_unit(self, ticket_id: str, due: date, note: str, at: datetime, actor: str) -> m.Ticket:
        """Send a ticket back to the unit for another round of 整改 (new deadline)."""
        text = _text(note, "note")
        with self.transaction() as con:
            con.execute("UPDATE tickets SET round = round + 1 WHERE ticket_id = ?", (ticket_id,))
        return self._change(
            ticket_id, (m.REVISITED,), at, actor, "returned",
            {"status": m.ASSIGNED, "due_date": due.isoformat(), "reply": None,
             "replied_at": None, "revisit_satisfaction": None, "revisited_at": None,
             "reminded_on": None, "escalated_at": None, "close_note": text},
            {"due_date": due.isoformat()},
        )

    def verify(
        self, ticket_id: str, outcome: str, evidence: str, veto: bool, at: datetime, actor: str
    ) -> m.Ticket:
        """核实 by the discipline office: ``verified`` (with evidence) or ``unfounded``.

        Only a verified integrity report (or a verified major complaint) with ``veto`` becomes
        a 一票否决 input; the verifier and the evidence are kept with it.
        """
        if outcome not in m.VERIFICATIONS:
            raise BadInput(f"核实结论须为 {m.VERIFICATIONS} / outcome must be verified or unfounded")
        text = _text(evidence, "evidence")
        ticket = self.ticket(ticket_id)
        item = m.VETO_ITEMS.get(ticket.kind) if outcome == m.VERIFIED and veto else None
        if ticket.kind == m.INTEGRITY:
            allowed: tuple[str, ...] = m.WAITING_FOR_UNIT
            sets: dict[str, Any] = {"status": m.CLOSED, "closed_at": _iso(at), "close_note": outcome}
        elif ticket.kind == m.COMPLAINT:
            allowed = tuple(m.STATUSES)  # a complaint is verified beside its handling
            sets = {}
        else:
            raise NotAllowed("不满意转办件无需核实 / only integrity reports and complaints are verified")
        if ticket.verification is not None:
            raise NotAllowed("已核实过 / already verified")
        sets |= {"verification": outcome, "verifier": actor, "evidence": text,
                 "verified_at": _iso(at), "veto_item": item}
        return self._change(
            ticket_id, allowed, at, actor, "verified", sets, {"outcome": outcome, "veto": item}
        )

    def set_consent(self, ticket_id: str, consent: bool, contact: str | None, at: datetime, actor: str) -> m.Ticket:
        """Record that the citizen agreed (or no longer agrees) to be named to the unit."""
        return self._change(
            ticket_id, tuple(m.STATUSES), at, actor, "consent",
            {"named_consent": int(consent), "contact": contact if consent else None},
            {"consent": consent},
            kinds=(m.DISSATISFIED, m.COMPLAINT),
        )

    def mark_overdue(self, today: date, at: datetime, actor: str) -> list[m.Ticket]:
        """Tickets past their due date without a reply become ``overdue`` (once)."""
        rows = self.query(
            "SELECT ticket_id FROM tickets WHERE status = ? AND due_date < ?",
            (m.ASSIGNED, today.isoformat()),
        )
        out = []
        for (tid,) in rows:
            out.append(
                self._change(tid, (m.ASSIGNED,), at, actor, "overdue",
                             {"status": m.OVERDUE, "was_overdue": 1})
            )
        return out

    def to_remind(self, today: date, dates: dict[str, date | None]) -> list[m.Ticket]:
        """Tickets waiting for their unit whose reminder day (``dates[ticket_id]``) has come."""
        pending = {
            tid for (tid,) in self.query(
                "SELECT ticket_id FROM tickets WHERE status = ? AND reminded_on IS NULL", (m.ASSIGNED,)
            )
        }
        return [
            t for t in self.tickets(statuses=(m.ASSIGNED,))
            if t.ticket_id in pending and (day := dates.get(t.ticket_id)) is not None and day <= today
        ]

    def mark_reminded(self, ticket_ids: Sequence[str], today: date, at: datetime, actor: str) -> None:
        with self.transaction() as con:
            for tid in ticket_ids:
                con.execute("UPDATE tickets SET reminded_on = ? WHERE ticket_id = ?", (today.isoformat(), tid))
                self._event(con, tid, at, actor, "reminded")

    def to_escalate(self) -> list[m.Ticket]:
        rows = self.query(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE status = ? AND escalated_at IS NULL "
            "ORDER BY due_date, ticket_id",
            (m.OVERDUE,),
        )
        return [_ticket(r) for r in rows]

    def mark_escalated(self, ticket_ids: Sequence[str], at: datetime, actor: str) -> None:
        with self.transaction() as con:
            for tid in ticket_ids:
                con.execute("UPDATE tickets SET escalated_at = ? WHERE ticket_id = ?", (_iso(at), tid))
                self._event(con, tid, at, actor, "escalated", {"to": "director"})

    # --- complaints -------------------------------------------------------------------

    def register_complaint(
        self,
        complaint_id: str,
        *,
        channel: str,
        received_at: datetime,
        text: str,
        month: str,
        actor: str,
        unit_id: str | None = None,
        unit_hint: str | None = None,
        name: str | None = None,
        phone: str | None = None,
        named_consent: bool = False,
        due: date | None = None,
    ) -> bool:
        """Register a complaint (once per 登记号) and open its ticket (routed when the unit is
        known). Returns False for a repeat."""
        if channel not in m.COMPLAINT_CHANNELS:
            raise BadInput(f"unknown complaint channel {channel!r}")
        body = _text(text, "text")
        with self.transaction() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO complaints (complaint_id, channel, received_at, unit_id, "
                "unit_hint, text, name, phone, named_consent, entered_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (complaint_id, channel, _iso(received_at), unit_id,
                 (unit_hint or "")[:200] or None, body, (name or "")[:50] or None, phone,
                 int(named_consent), actor),
            )
            if cur.rowcount != 1:
                return False
        contact = None
        if named_consent and (name or phone):
            contact = "，".join(x for x in (name, phone) if x)
        self.open_ticket(
            m.COMPLAINT, complaint_id, unit_id, opened_at=received_at, due=due if unit_id else None,
            month=month, actor=actor, assign=True,
        )
        if contact:
            with self.transaction() as con:
                con.execute(
                    "UPDATE tickets SET named_consent = 1, contact = ? WHERE case_id = ? AND kind = ?",
                    (contact, complaint_id, m.COMPLAINT),
                )
        return True

    def complaint(self, complaint_id: str) -> m.Complaint:
        rows = self.query(
            "SELECT complaint_id, channel, received_at, unit_id, unit_hint, text, name, phone, "
            "named_consent, entered_by FROM complaints WHERE complaint_id = ?",
            (complaint_id,),
        )
        if not rows:
            raise NotFound("投诉", complaint_id)
        r = rows[0]
        return m.Complaint(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), r[9])

    def complaints(self) -> list[m.Complaint]:
        return [
            self.complaint(r[0])
            for r in self.query("SELECT complaint_id FROM complaints ORDER BY received_at, complaint_id")
        ]

    def route_complaint(self, complaint_id: str, unit_id: str, due: date, at: datetime, actor: str) -> m.Ticket:
        with self.transaction() as con:
            con.execute("UPDATE complaints SET unit_id = ? WHERE complaint_id = ?", (unit_id, complaint_id))
        return self.assign(ticket_id_of(m.COMPLAINT, complaint_id), unit_id, due, at, actor)

    # --- appeals (申诉复核) ---------------------------------------------------------------

    def file_appeal(
        self, ticket_id: str, unit_id: str, ground: str, reason: str, at: datetime, actor: str
    ) -> str:
        """A liaison contests the evaluation behind a 不满意 ticket of their unit."""
        if ground not in m.GROUNDS:
            raise BadInput(f"申诉理由类别须为 {', '.join(m.GROUNDS)} / unknown ground")
        text = _text(reason, "reason")
        ticket = self.ticket(ticket_id)
        if ticket.unit_id != unit_id:
            raise NotAllowed("只能对本单位的评价申诉 / not an evaluation of your unit")
        if ticket.kind != m.DISSATISFIED:
            raise NotAllowed("只能对访评结果申诉 / only evaluations can be appealed")
        if self.query("SELECT 1 FROM appeals WHERE ticket_id = ?", (ticket_id,)):
            raise NotAllowed("该评价已申诉过 / this evaluation was appealed already")
        appeal_id = "SS" + short_code(f"appeal:{ticket_id}")
        with self.transaction() as con:
            con.execute(
                "INSERT INTO appeals (appeal_id, ticket_id, case_id, unit_id, ground, reason, "
                "status, filed_by, filed_at, month) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (appeal_id, ticket_id, ticket.case_id, unit_id, ground, text, m.PENDING, actor,
                 _iso(at), ticket.month),
            )
            self._event(con, ticket_id, at, actor, "appeal_filed", {"appeal_id": appeal_id, "ground": ground})
        return appeal_id

    def decide_appeal(self, appeal_id: str, upheld: bool, note: str, at: datetime, actor: str) -> m.Appeal:
        """The director's decision; an upheld appeal closes the ticket (its answer then leaves
        the statistics when the flows next run)."""
        text = _text(note, "note")
        appeal = self.appeal(appeal_id)
        if appeal.status != m.PENDING:
            raise NotAllowed("该申诉已有决定 / already decided")
        status = m.UPHELD if upheld else m.REJECTED
        with self.transaction() as con:
            con.execute(
                "UPDATE appeals SET status = ?, decided_by = ?, decided_at = ?, decision_note = ? "
                "WHERE appeal_id = ? AND status = ?",
                (status, actor, _iso(at), text, appeal_id, m.PENDING),
            )
            self._event(con, appeal.ticket_id, at, actor, "appeal_decided", {"appeal_id": appeal_id, "status": status})
            if upheld:
                con.execute(
                    "UPDATE tickets SET status = ?, closed_at = ?, close_note = ? "
                    "WHERE ticket_id = ? AND status != ?",
                    (m.CLOSED, _iso(at), "appeal_upheld", appeal.ticket_id, m.CLOSED),
                )
                self._event(con, appeal.ticket_id, at, actor, "closed", {"by": "appeal"})
        return self.appeal(appeal_id)

    def appeal(self, appeal_id: str) -> m.Appeal:
        rows = self.query(
            "SELECT appeal_id, ticket_id, case_id, unit_id, ground, reason, status, filed_by, "
            "filed_at, decided_by, decided_at, decision_note, month FROM appeals WHERE appeal_id = ?",
            (appeal_id,),
        )
        if not rows:
            raise NotFound("申诉", appeal_id)
        return m.Appeal(*rows[0])

    def appeals(self, unit_id: str | None = None) -> list[m.Appeal]:
        where, params = ("WHERE unit_id = ?", (unit_id,)) if unit_id else ("", ())
        return [
            self.appeal(r[0])
            for r in self.query(f"SELECT appeal_id FROM appeals {where} ORDER BY filed_at", params)
        ]

    # --- the casework outbox: 回访 and poll contacts ----------------------------------------

    def add_attempts(self, rows: Sequence[tuple[str, str, str, str, str | None]], at: datetime) -> int:
        """Commit ``pending`` attempts (attempt_id, ref_id, case_id, channel, phone) once each,
        before anything is sent; returns how many were new."""
        with self.transaction() as con:
            before = con.total_changes
            con.executemany(
                "INSERT OR IGNORE INTO attempts (attempt_id, ref_id, case_id, channel, status, "
                "created_at, phone) VALUES (?,?,?,?,?,?,?)",
                [(a, r, c, ch, m.ATTEMPT_PENDING, _iso(at), p) for a, r, c, ch, p in rows],
            )
            return con.total_changes - before

    def attempts(self, statuses: Sequence[str] = (), prefix: str = "") -> list[m.Attempt]:
        where, params = ["attempt_id LIKE ?"], [f"{prefix}%"]
        if statuses:
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        return [
            m.Attempt(*r)
            for r in self.query(
                f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE {' AND '.join(where)} "
                "ORDER BY created_at, attempt_id",
                params,
            )
        ]

    def attempt(self, attempt_id: str) -> m.Attempt | None:
        rows = self.query(f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE attempt_id = ?", (attempt_id,))
        return m.Attempt(*rows[0]) if rows else None

    def mark_attempts(self, results: Sequence[tuple[str, str, str | None, str | None, datetime]]) -> None:
        """Send outcomes: (attempt_id, status, provider_sid, error_code, at)."""
        with self.transaction() as con:
            con.executemany(
                "UPDATE attempts SET status = ?, provider_sid = coalesce(?, provider_sid), "
                "error_code = ?, sent_at = CASE WHEN ? IN ('sent', 'failed') THEN ? ELSE sent_at END "
                "WHERE attempt_id = ?",
                [(s, sid, code, s, _iso(at), a) for a, s, sid, code, at in results],
            )

    def end_attempt(self, attempt_id: str, status: str) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE attempts SET status = ? WHERE attempt_id = ? AND status IN (?, ?)",
                (status, attempt_id, m.ATTEMPT_SENT, m.ATTEMPT_PENDING),
            )

    def purge(self, before: datetime) -> dict[str, int]:
        """Remove the personal data of what ended before ``before`` (PIPL minimisation): a
        complainant's name, number and words, a consented contact, the numbers of finished
        回访 and poll contacts, of polls ended. Tickets, their history and the counts stay."""
        cut = _iso(before)
        with self.transaction() as con:
            done = {
                "complaints": con.execute(
                    "UPDATE complaints SET name = NULL, phone = NULL, text = '（已按保存期限删除）' "
                    "WHERE received_at < ? AND (phone IS NOT NULL OR name IS NOT NULL OR text != '（已按保存期限删除）') "
                    "AND complaint_id IN (SELECT case_id FROM tickets WHERE kind = ? AND status = ? AND closed_at < ?)",
                    (cut, m.COMPLAINT, m.CLOSED, cut),
                ).rowcount,
                "contacts": con.execute(
                    "UPDATE tickets SET contact = NULL WHERE contact IS NOT NULL AND status = ? AND closed_at < ?",
                    (m.CLOSED, cut),
                ).rowcount,
                "attempts": con.execute(
                    "UPDATE attempts SET phone = NULL WHERE phone IS NOT NULL AND created_at < ? "
                    "AND status NOT IN (?, ?)",
                    (cut, m.ATTEMPT_PENDING, m.ATTEMPT_RETRY),
                ).rowcount,
                "poll_members": con.execute(
                    "UPDATE poll_members SET phone = NULL WHERE phone IS NOT NULL AND poll_id IN "
                    "(SELECT poll_id FROM polls WHERE ends < ?)",
                    (before.date().isoformat(),),
                ).rowcount,
            }
        return done

    def log(self, ticket_id: str, at: datetime, actor: str, event: str, detail: dict[str, Any] | None = None) -> None:
        with self.transaction() as con:
            self._event(con, ticket_id, at, actor, event, detail)


def _ticket(row: tuple[Any, ...]) -> m.Ticket:
    values = list(row)
    values[11] = bool(values[11])  # was_overdue
    values[19] = bool(values[19])  # named_consent
    return m.Ticket(*values)
