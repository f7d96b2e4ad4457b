"""Stage: closing the loop — tickets, deadlines, 回访, complaints, appeals, the casework mirror.

Where things live and why:

- ``<home>/casework.sqlite`` (``casework.store``) holds tickets, complaints, appeals and
  polls. The staff web writes people's decisions there (the warehouse has one writer, the
  flows); the flows write what they derive. Both append to the audit log.
- The flows open a ticket for every 不满意 answer and integrity report the fieldwork
  derived (``followups``), with a deadline in working days; remind units before it; mark
  tickets overdue and tell the director (``flows.notify``); plan the center's 回访 once a
  unit replied and send it **as a contact attempt like any other**: committed to the
  casework outbox before the provider is asked, reconciled by ``provider.find`` before
  every send (never twice), and checked against opt-outs and the do-not-contact list at
  the moment of sending (``channels.dispatcher``).
- What people answer comes back through the landing store: ``contact.ingest`` hands the
  casework events (complaints, 回访 and poll answers) to :func:`take_events` instead of the
  fieldwork (they belong to no evaluation and never change a disposition).
- The warehouse gets a mirror without personal data (``warehouse.casework``): the month
  stage reads it for the bulletin, ``v_responses`` leaves out answers an upheld appeal
  excluded, and a month already closed is closed again and its bulletin re-issued with a
  更正说明 (:func:`apply_appeals`).

For the publish (``flows.publish``; being rewritten): the staff copy needs the tables of
:func:`publish_frames` (``cw_followups``, ``cw_complaints``, ``cw_appeals``,
``response_exclusions`` — which ``v_responses`` reads —, ``cw_vetoes``, ``cw_polls``,
``cw_poll_results``, ``audit_log``, ``bulletin_corrections``; none holds a number, a name or a
citizen's words) created under the same names, then the views of
:func:`publish_views_sql` (also part of ``warehouse.views.create_views_sql``, which the
publish of today runs, so today's publish needs no change).

Feedback to a complainant is the 回访 of the complaint's ticket: the evaluator's call reads
the unit's reply and asks the recovery question. A complaint without a number cannot be
answered; its ticket closes without a 回访 once the unit replied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from casework import deadlines
from casework import model as m
from casework import polls as poll_store
from casework.store import Casework, ticket_id_of
from channels import dispatcher
from channels.base import Provider
from channels.composite import CompositeProvider
from channels.hours import in_window
from channels.landing import LandingStore
from channels.reasons import code as theme_of
from minyi import vocab
from minyi.registration import looks_like_registration, registration_number
from minyi.settings import Settings
from minyi.workdays import add_working_days, working_days_between
from warehouse import casework as mirror_tables
from warehouse.contacts import add_opt_outs, blocked_among
from warehouse.phones import mask_text

if TYPE_CHECKING:
    from bulletins.model import BulletinData

ACTOR = "flow:minyi-casework"
CASEWORK_FILE = "casework.sqlite"
_CLOSING_REVISIT = (vocab.OPTED_OUT, vocab.REFUSED, vocab.WRONG_NUMBER, vocab.INVALID_NUMBER,
                    vocab.UNDELIVERED, vocab.BREAK_OFF)


@contextmanager
def open_store(path: Path) -> Iterator[Casework]:
    store = Casework(path)
    try:
        yield store
    finally:
        store.close()


def days_for(settings: Settings, kind: str) -> int:
    return {
        m.DISSATISFIED: settings.followup_days_dissatisfied,
        m.INTEGRITY: settings.followup_days_integrity,
        m.COMPLAINT: settings.followup_days_complaint,
    }[kind]


def due_for(settings: Settings, kind: str, opened: datetime) -> date:
    return deadlines.due_date(opened.astimezone(settings.zone).date(), days_for(settings, kind))


def _audit(settings: Settings, action: str, target: str | None, after: Any = None) -> None:
    from flows.staff import audit

    audit(settings, ACTOR, "flow", action, target, None, after)


# --- opening tickets ------------------------------------------------------------------------


def open_tickets(con: duckdb.DuckDBPyConnection, settings: Settings, store: Casework) -> list[str]:
    """One ticket per 不满意 answer and per integrity report not yet ticketed."""
    signals = mirror_tables.followup_signals(con)
    have = {(k, c) for k, c in store.query("SELECT kind, case_id FROM tickets")}
    rows = []
    for row in signals.iter_rows(named=True):
        kind = row["kind"]
        if (kind, row["case_id"]) in have:
            continue
        at: datetime = row["created_at"]
        theme = "integrity" if kind == m.INTEGRITY else theme_of(row["reason_text"])
        rows.append((kind, row["case_id"], row["unit_id"], at, due_for(settings, kind, at),
                     row["month"], row["category"], theme))
    opened = store.open_tickets(rows, ACTOR) if rows else []
    if opened:
        _audit(settings, "casework.open", None, {"tickets": len(opened)})
    return opened


# --- deadlines: reminders, overdue, escalation ------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    reminded: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)


def run_deadlines(settings: Settings, store: Casework, at: datetime, notify: bool = True) -> Deadlines:
    """Remind before the deadline, mark overdue after it, escalate overdue tickets to the
    director (each once), on the notification channels; the staff web shows the same."""
    from flows.notify import send_notice

    today = at.astimezone(settings.zone).date()
    unreminded = {tid for (tid,) in store.query(
        "SELECT ticket_id FROM tickets WHERE status = ? AND reminded_on IS NULL", (m.ASSIGNED,)
    )}
    waiting = [t for t in store.tickets(statuses=(m.ASSIGNED,)) if t.ticket_id in unreminded]
    dates = {
        t.ticket_id: deadlines.reminder_date(
            datetime.fromisoformat(t.opened_at).astimezone(settings.zone).date(),
            date.fromisoformat(t.due_date),
            settings.followup_remind_days,
        )
        for t in waiting
        if t.due_date
    }
    remind = store.to_remind(today, dates)
    if remind:
        lines = [f"以下 {len(remind)} 件转办件将到期，请督促办理 / due soon:"]
        lines += [f"{t.ticket_id} {t.unit_id} {m.KIND_NAMES[t.kind]} 期限 {t.due_date}" for t in remind]
        if notify:
            send_notice(settings, "转办件到期提醒", lines)
        store.mark_reminded([t.ticket_id for t in remind], today, at, ACTOR)
    overdue = store.mark_overdue(today, at, ACTOR)
    escalate = store.to_escalate()
    if escalate:
        lines = [f"以下 {len(escalate)} 件转办件已超期未办结，报请主任督办 / overdue, escalated:"]
        lines += [f"{t.ticket_id} {t.unit_id} {m.KIND_NAMES[t.kind]} 期限 {t.due_date}" for t in escalate]
        if notify:
            send_notice(settings, "转办件超期督办", lines)
        store.mark_escalated([t.ticket_id for t in escalate], at, ACTOR)
        _audit(settings, "casework.escalate", None, {"tickets": [t.ticket_id for t in escalate]})
    if overdue:
        _audit(settings, "casework.overdue", None, {"tickets": [t.ticket_id for t in overdue]})
    return Deadlines(
        [t.ticket_id for t in remind], [t.ticket_id for t in overdue], [t.ticket_id for t in escalate]
    )


# --- the center's 回访 -------------------------------------------------------------------------


def revisit_channel(settings: Settings, provider: Provider | None) -> str:
    """``MINYI_REVISIT_CHANNEL`` where the provider can ask the recovery question, else the
    evaluators (manual)."""
    wanted = settings.revisit_channel
    if provider is None:
        return wanted
    if wanted in provider.channels() and "revisit" in surveys_on(provider, wanted):
        return wanted
    return "manual"


def plan_revisits(
    con: duckdb.DuckDBPyConnection, settings: Settings, store: Casework, at: datetime,
    provider: Provider | None = None, landing: LandingStore | None = None,
) -> tuple[int, int]:
    """For every replied ticket without a 回访 attempt: commit one (or close the ticket when
    the citizen cannot be reached: no number, opted out, do-not-contact). Returns
    (planned, closed without 回访)."""
    channel = revisit_channel(settings, provider)
    replied = store.tickets(statuses=(m.REPLIED,), kinds=(m.DISSATISFIED, m.COMPLAINT))
    attempted = {a.ref_id + ":" + a.attempt_id.rsplit("-", 1)[1] for a in store.attempts(prefix=vocab.REVISIT_PREFIX)}
    todo = [t for t in replied if f"{t.ticket_id}:{t.round}" not in attempted]
    phones = mirror_tables.phones_of(con, [t.case_id for t in todo if t.kind == m.DISSATISFIED])
    complaint_phones = {
        t.case_id: store.complaint(t.case_id).phone for t in todo if t.kind == m.COMPLAINT
    }
    numbers = {t.ticket_id: (phones.get(t.case_id) if t.kind == m.DISSATISFIED else complaint_phones.get(t.case_id)) for t in todo}
    blocked = blocked_among(con, [p for p in numbers.values() if p])
    rows, closed = [], 0
    for t in todo:
        phone = numbers[t.ticket_id]
        if not phone or phone in blocked or (landing is not None and landing.is_opted_out(phone)):
            store.record_revisit(t.ticket_id, None, settings.satisfied_min_level, at, ACTOR, "no_revisit_possible")
            closed += 1
            continue
        attempt_id = f"{vocab.REVISIT_PREFIX}{t.ticket_id}-{t.round}"
        # the complainant's number is kept with the attempt; a case's comes from the warehouse
        rows.append((attempt_id, t.ticket_id, t.case_id, channel, phone if t.kind == m.COMPLAINT else None))
        store.log(t.ticket_id, at, ACTOR, "revisit_scheduled", {"channel": channel})
    return store.add_attempts(rows, at), closed


def close_unanswered(settings: Settings, store: Casework, at: datetime) -> int:
    """A 回访 sent ``revisit_wait_days`` working days ago without an answer closes its ticket."""
    today = at.astimezone(settings.zone).date()
    closed = 0
    replied = {t.ticket_id for t in store.tickets(statuses=(m.REPLIED,))}
    for a in store.attempts((m.ATTEMPT_SENT, m.ATTEMPT_ENDED, m.ATTEMPT_FAILED), prefix=vocab.REVISIT_PREFIX):
        if a.sent_at is None or a.ref_id not in replied:
            continue
        if a.status == m.ATTEMPT_FAILED:  # blocked at the moment of sending, or no way to ask
            store.record_revisit(a.ref_id, None, settings.satisfied_min_level, at, ACTOR, "revisit_failed")
            closed += 1
            continue
        sent = datetime.fromisoformat(a.sent_at).astimezone(settings.zone).date()
        waited = working_days_between(sent, today) >= settings.revisit_wait_days
        if a.status == m.ATTEMPT_ENDED or waited:
            store.record_revisit(a.ref_id, None, settings.satisfied_min_level, at, ACTOR, "revisit_unanswered")
            store.end_attempt(a.attempt_id, m.ATTEMPT_ENDED)
            closed += 1
    return closed


def send_due(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    provider: Provider,
    landing: LandingStore,
    at: datetime,
    wall_clock: datetime,
) -> dict[str, int]:
    """Send the committed 回访 and poll attempts, inside calling windows, through the same
    dispatcher as evaluations (reconciled first, opt-outs checked at the moment of sending)."""
    from flows.contact import policy

    plan = policy(settings, provider)
    window_clock = wall_clock if getattr(provider, "real_clock", True) else at
    if not (in_window(at, plan.windows, plan.zone) and in_window(window_clock, plan.windows, plan.zone)):
        return {dispatcher.SENT: 0, dispatcher.FAILED: 0, dispatcher.RETRY: 0}
    if not settings.casework_path.exists():
        return {dispatcher.SENT: 0, dispatcher.FAILED: 0, dispatcher.RETRY: 0}
    with open_store(settings.casework_path) as store:
        if not store.has_pending_attempts():
            return {dispatcher.SENT: 0, dispatcher.FAILED: 0, dispatcher.RETRY: 0}
        due = [a for a in store.attempts((m.ATTEMPT_PENDING, m.ATTEMPT_RETRY)) if a.channel in provider.channels()]
        unable = [a for a in due if _survey(a) not in surveys_on(provider, a.channel)]
        if unable:  # never send an evaluation's questions to someone asked for something else
            store.mark_attempts([(a.attempt_id, m.ATTEMPT_FAILED, None, "survey_unsupported", at) for a in unable])
            due = [a for a in due if a not in unable]
        if not due:
            return {dispatcher.SENT: 0, dispatcher.FAILED: 0, dispatcher.RETRY: 0}
        case_phones = mirror_tables.phones_of(con, [a.case_id for a in due if a.phone is None])
        names = mirror_tables.unit_names(con)
        attempts = []
        for a in due:
            phone = a.phone or case_phones.get(a.case_id)
            if not phone:
                store.mark_attempts([(a.attempt_id, m.ATTEMPT_FAILED, None, "no_number", at)])
                continue
            attempts.append(dispatcher.Attempt(
                a.attempt_id, a.case_id, a.channel,  # type: ignore[arg-type]
                phone, _context(store, a, names, settings),
            ))
        blocked = blocked_among(con, [x.phone for x in attempts])

        def allowed(phone: str) -> bool:
            return phone not in blocked and not landing.is_opted_out(phone)

        def record(outcomes: Sequence[dispatcher.Outcome]) -> None:
            store.mark_attempts([(o.attempt_id, o.status, o.provider_sid, o.error_code, o.at) for o in outcomes])

        return dispatcher.send_all(
            provider, attempts, at, allowed=allowed, record=record,
            limits=dispatcher.Limits(
                per_second=settings.messages_per_second, retries=settings.send_retries,
                backoff_seconds=settings.retry_backoff_seconds,
            ),
            mask=lambda text: mask_text(text) or "",
        )


def _survey(a: m.Attempt) -> str:
    return "poll" if a.attempt_id.startswith(vocab.POLL_PREFIX) else "revisit"


def surveys_on(provider: Provider, channel: str) -> frozenset[str]:
    """What the provider sending on ``channel`` can ask (``surveys``; default: evaluations only)."""
    target = provider.for_channel(channel) if isinstance(provider, CompositeProvider) else provider
    return frozenset(getattr(target, "surveys", frozenset({"evaluation"})))


def _context(store: Casework, a: m.Attempt, names: dict[str, str], settings: Settings) -> dict[str, str]:
    """What a 回访 or poll contact says: the survey, the unit, (for a poll) its questions."""
    if a.attempt_id.startswith(vocab.POLL_PREFIX):
        poll = poll_store.get(store, a.ref_id)
        return {
            vocab.SURVEY_KEY: "poll", "poll_id": poll.poll_id, "unit": poll.spec.title,
            "category": "", "date": "", "district": settings.district_name,
            "questions": json.dumps(
                [{"key": q.key, "kind": q.kind, "options": len(q.options)} for q in poll.spec.questions]
            ),
        }
    ticket = store.ticket(a.ref_id)
    return {
        vocab.SURVEY_KEY: "revisit", "ticket_id": ticket.ticket_id, "kind": ticket.kind,
        "unit": names.get(ticket.unit_id or "", ticket.unit_id or ""),
        "category": ticket.category or m.KIND_NAMES[ticket.kind], "date": ticket.month,
        "district": settings.district_name,
    }


# --- events from the landing store (contact.ingest hands them over) ------------------------------


def is_casework(frame: pl.DataFrame) -> pl.Series:
    """Which landing events are casework's: complaints, 回访 and poll contacts."""
    attempt = frame["attempt_id"].fill_null("")
    return (
        (frame["kind"] == vocab.COMPLAINT)
        | attempt.str.starts_with(vocab.REVISIT_PREFIX)
        | attempt.str.starts_with(vocab.POLL_PREFIX)
    )


def take_events(con: duckdb.DuckDBPyConnection, home: Path, frame: pl.DataFrame) -> dict[str, int]:
    """Register complaints, record 回访 answers and outcomes and poll answers (each once);
    opt-outs said in a 回访 or a poll reach the warehouse's opt-out list too."""
    from minyi.settings import load_settings

    counts = {"complaints": 0, "revisits": 0, "poll_answers": 0}
    if frame.is_empty():
        return counts
    settings = load_settings(home)
    units = set(mirror_tables.unit_names(con))
    poll_rows: list[tuple[str, str, str, str, str, datetime]] = []
    opted: list[str] = []
    with open_store(home / CASEWORK_FILE) as store:
        for row in frame.sort("occurred_at", "event_key").iter_rows(named=True):
            detail = json.loads(row["detail"] or "{}")
            at: datetime = row["occurred_at"]
            attempt = row["attempt_id"] or ""
            if row["kind"] == vocab.COMPLAINT:
                counts["complaints"] += _register(store, settings, row, detail, units)
            elif attempt.startswith(vocab.REVISIT_PREFIX):
                counts["revisits"] += _revisit_event(store, settings, attempt, row["kind"], detail, at)
                if row["kind"] == vocab.OPTED_OUT:
                    opted.append(_attempt_phone(con, store, attempt))
            elif attempt.startswith(vocab.POLL_PREFIX):
                poll_id, respondent = _poll_keys(attempt)
                if row["kind"] == vocab.ANSWER and detail.get("item"):
                    poll_rows.append((poll_id, respondent, detail["item"], str(detail.get("value", "")), row["channel"], at))
                elif row["kind"] == vocab.OPTED_OUT:
                    opted.append(_attempt_phone(con, store, attempt))
                if row["kind"] in (vocab.ANSWER, *_CLOSING_REVISIT, vocab.COMPLETED):
                    store.end_attempt(attempt, m.ATTEMPT_ANSWERED if row["kind"] == vocab.ANSWER else m.ATTEMPT_ENDED)
        counts["poll_answers"] = poll_store.add_answers(store, poll_rows)
    if counts["revisits"] or counts["poll_answers"]:
        _audit(settings, "casework.answers", None, {"revisits": counts["revisits"], "poll_answers": counts["poll_answers"]})
    numbers = [p for p in opted if p]
    if numbers:
        add_opt_outs(con, numbers, "casework", datetime.now(UTC))
    return counts


def _poll_keys(attempt: str) -> tuple[str, str]:
    """``PL-<poll>-<respondent>`` → (poll, respondent)."""
    poll_id, _, respondent = attempt.removeprefix(vocab.POLL_PREFIX).partition("-")
    return poll_id, respondent


def _attempt_phone(con: duckdb.DuckDBPyConnection, store: Casework, attempt_id: str) -> str:
    a = store.attempt(attempt_id)
    if a is None:
        return ""
    if a.phone:
        return a.phone
    return mirror_tables.phones_of(con, [a.case_id]).get(a.case_id) or ""


def _register(store: Casework, settings: Settings, row: dict[str, Any], detail: dict[str, Any], units: set[str]) -> int:
    at: datetime = row["occurred_at"]
    given = str(detail.get("number") or "")
    number = given if looks_like_registration(given) else registration_number(row["event_key"], at, settings.zone)
    unit = detail.get("unit_id") if detail.get("unit_id") in units else None
    text = str(detail.get("text") or "").strip() or "（空白短信）"
    new = store.register_complaint(
        number, channel=row["channel"] if row["channel"] in m.COMPLAINT_CHANNELS else "sms",
        received_at=at, text=text[:2000], month=at.astimezone(settings.zone).strftime("%Y-%m"),
        actor=str(detail.get("entered_by") or f"{row['channel']}:citizen"), unit_id=unit,
        unit_hint=detail.get("unit_hint"), name=detail.get("name"), phone=detail.get("phone"),
        named_consent=str(detail.get("consent", "")).lower() in ("1", "true", "yes", "on"),
        due=due_for(settings, m.COMPLAINT, at) if unit else None,
    )
    if new:
        _audit(settings, "complaint.register", number, {"channel": row["channel"], "routed": unit is not None})
    return int(new)


def _revisit_event(store: Casework, settings: Settings, attempt_id: str, kind: str, detail: dict[str, Any], at: datetime) -> int:
    a = store.attempt(attempt_id)
    if a is None:
        return 0
    ticket = store.ticket(a.ref_id)
    if ticket.status != m.REPLIED:
        return 0
    if kind == vocab.ANSWER and detail.get("item") == vocab.RECOVERY_ITEM:
        value = str(detail.get("value", ""))
        if value in ("1", "2", "3", "4", "5"):
            store.record_revisit(ticket.ticket_id, int(value), settings.satisfied_min_level, at, f"{a.channel}:citizen")
            store.end_attempt(attempt_id, m.ATTEMPT_ANSWERED)
            return 1
    if kind in _CLOSING_REVISIT or kind in (vocab.NO_ANSWER, vocab.BUSY):
        store.log(ticket.ticket_id, at, ACTOR, "revisit_attempt", {"outcome": kind})
        if kind in _CLOSING_REVISIT or kind == vocab.NO_ANSWER:
            store.end_attempt(attempt_id, m.ATTEMPT_ENDED)
    return 0


# --- appeals: exclusions, the month closed again, the bulletin re-issued -------------------------


def apply_appeals(con: duckdb.DuckDBPyConnection, settings: Settings, at: datetime) -> list[str]:
    """Months already closed whose statistics an appeal upheld since their close changes: closed
    again at their stored cut-off (the excluded answers leave ``v_responses``) and, when their
    bulletin was published, re-issued with a 更正说明. Returns those months.

    "Since their close" compares two warehouse clocks (when the exclusion first reached the
    warehouse, when the month was last closed), so an appeal decided before a month's first
    close is simply applied by that close, without a correction."""
    from flows import month as month_stage
    from warehouse import monthly

    redone = []
    for month, appeals in sorted(mirror_tables.new_exclusions(con).items()):
        cutoff = monthly.cutoff_of(con, month)
        if cutoff is None:
            continue
        report = month_stage.close_month(con, settings, month, cutoff)
        excluded = mirror_tables.excluded_in(con, month).height
        mirror_tables.record_correction(con, month, at, excluded, appeals)
        folder = settings.home / "bulletins" / month
        if (folder / "bulletin.html").exists() and not report.blocking_failed:
            lang = "en" if (folder / "bulletin.en.html").exists() else "zh"
            month_stage.write_bulletin(con, settings, month, lang)
        _audit(settings, "month.reclose", month, {"appeals": appeals, "excluded": excluded})
        redone.append(month)
    return redone


# --- vetoes for the conduct export ---------------------------------------------------------------


def veto_month(settings: Settings, report_month: str, verified_at: str) -> str:
    """The month a verified veto counts in: the report's month when verified by that month's
    scheduled cut-off (``MINYI_MONTH_CLOSE_WORKING_DAY``), else the month of the verification
    (a closed month's export is never changed by a later verification)."""
    from flows.month import default_cutoff

    when = datetime.fromisoformat(verified_at)
    if when <= default_cutoff(settings, report_month):
        return report_month
    return when.astimezone(settings.zone).strftime("%Y-%m")


def verified_vetoes(settings: Settings, month: str) -> pl.DataFrame | None:
    """一票否决 inputs of ``month`` (``unit_id``, ``item``); None when there are none.

    Replaces the hand-made ``<home>/conduct/vetoes-YYYY-MM.csv``: only a report the
    discipline office verified (with its verifier and evidence kept) counts."""
    if not settings.casework_path.exists():
        return None
    with open_store(settings.casework_path) as store:
        rows = store.query(
            "SELECT unit_id, veto_item, month, verified_at FROM tickets WHERE veto_item IS NOT NULL "
            "AND unit_id IS NOT NULL"
        )
    keep = [(u, item) for u, item, report, at in rows if veto_month(settings, report, at) == month]
    if not keep:
        return None
    return pl.DataFrame(keep, schema={"unit_id": pl.String, "item": pl.String}, orient="row").unique()


# --- the mirror and what the publish copies ------------------------------------------------------


def _local(settings: Settings, text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(settings.zone).replace(tzinfo=None)


def mirror_frames(settings: Settings, store: Casework) -> dict[str, pl.DataFrame]:
    """The casework state without personal data, as the warehouse's mirror tables."""
    tickets = store.tickets()
    followups = pl.DataFrame(
        [
            {
                "followup_id": t.ticket_id, "case_id": t.case_id, "unit_id": t.unit_id,
                "kind": t.kind, "status": t.status, "month": t.month, "category": t.category,
                "theme": t.theme, "opened_at": _local(settings, t.opened_at),
                "due_date": date.fromisoformat(t.due_date) if t.due_date else None,
                "replied_at": _local(settings, t.replied_at),
                "revisited_at": _local(settings, t.revisited_at),
                "closed_at": _local(settings, t.closed_at),
                "revisit_satisfaction": t.revisit_satisfaction, "was_overdue": t.was_overdue,
                "round": t.round, "verification": t.verification,
                "closed_by_appeal": t.close_note == "appeal_upheld",
            }
            for t in tickets
        ],
        schema={
            "followup_id": pl.String, "case_id": pl.String, "unit_id": pl.String, "kind": pl.String,
            "status": pl.String, "month": pl.String, "category": pl.String, "theme": pl.String,
            "opened_at": pl.Datetime("us"), "due_date": pl.Date, "replied_at": pl.Datetime("us"),
            "revisited_at": pl.Datetime("us"), "closed_at": pl.Datetime("us"),
            "revisit_satisfaction": pl.Int32, "was_overdue": pl.Boolean, "round": pl.Int32,
            "verification": pl.String, "closed_by_appeal": pl.Boolean,
        },
    )
    complaints = pl.DataFrame(
        [
            {
                "complaint_id": c.complaint_id, "channel": c.channel,
                "received_at": _local(settings, c.received_at),
                "month": datetime.fromisoformat(c.received_at).astimezone(settings.zone).strftime("%Y-%m"),
                "unit_id": c.unit_id, "theme": theme_of(c.text), "named": c.named_consent,
            }
            for c in store.complaints()
        ],
        schema={"complaint_id": pl.String, "channel": pl.String, "received_at": pl.Datetime("us"),
                "month": pl.String, "unit_id": pl.String, "theme": pl.String, "named": pl.Boolean},
    )
    appeals = store.appeals()
    appeal_frame = pl.DataFrame(
        [
            {"appeal_id": a.appeal_id, "case_id": a.case_id, "unit_id": a.unit_id, "ground": a.ground,
             "status": a.status, "month": a.month, "filed_at": _local(settings, a.filed_at),
             "decided_at": _local(settings, a.decided_at)}
            for a in appeals
        ],
        schema={"appeal_id": pl.String, "case_id": pl.String, "unit_id": pl.String, "ground": pl.String,
                "status": pl.String, "month": pl.String, "filed_at": pl.Datetime("us"),
                "decided_at": pl.Datetime("us")},
    )
    exclusions = pl.DataFrame(
        [
            {"case_id": a.case_id, "appeal_id": a.appeal_id, "ground": a.ground,
             "decided_at": _local(settings, a.decided_at)}
            for a in appeals if a.status == m.UPHELD
        ],
        schema={"case_id": pl.String, "appeal_id": pl.String, "ground": pl.String,
                "decided_at": pl.Datetime("us")},
    )
    vetoes = pl.DataFrame(
        [
            {"ticket_id": t.ticket_id,
             "month": veto_month(settings, t.month, t.verified_at or ""),
             "unit_id": t.unit_id, "item": t.veto_item, "verifier": t.verifier,
             "verified_at": _local(settings, t.verified_at)}
            for t in tickets if t.veto_item and t.unit_id
        ],
        schema={"ticket_id": pl.String, "month": pl.String, "unit_id": pl.String, "item": pl.String,
                "verifier": pl.String, "verified_at": pl.Datetime("us")},
    )
    from flows.polls import results_frames

    polls, results = results_frames(store, settings.zone)
    return {
        "cw_followups": followups,
        "cw_complaints": complaints,
        "cw_appeals": appeal_frame,
        "response_exclusions": exclusions,
        "cw_vetoes": vetoes,
        "cw_polls": polls,
        "cw_poll_results": results,
        "audit_log": _audit_frame(settings),
    }


def _audit_frame(settings: Settings) -> pl.DataFrame:
    """The audit log without its before/after states: who, when, what."""
    from flows.staff import accounts, accounts_path

    schema = pl.Schema([("seq", pl.Int64()), ("logged_at", pl.Datetime("us")), ("actor", pl.String()),
                        ("role", pl.String()), ("action", pl.String()), ("target", pl.String())])
    if not accounts_path(settings).exists():
        return pl.DataFrame(schema=schema)
    with accounts(settings) as store:
        entries = store.audit_log(1_000_000)
    return pl.DataFrame(
        [(e.seq, _local(settings, e.at), e.actor, e.role, e.action, e.target) for e in entries],
        schema=schema, orient="row",
    )


def mirror(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Replace the warehouse's casework mirror from the casework file."""
    with open_store(settings.casework_path) as store:
        frames = mirror_frames(settings, store)
    return mirror_tables.replace_mirror(con, frames)


def publish_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """For the publish: the casework tables to copy into the staff copy, as they are in the live
    warehouse (they hold no phone, no name, no citizen's words), keyed by table name.

    The publish must create these tables in the copy, then ``publish_views_sql(schema)``;
    ``v_responses`` there also needs ``response_exclusions`` (it is one of these)."""
    return {
        name: mirror_tables.table(con, name)
        for name in (*mirror_tables.MIRRORS, "bulletin_corrections")
    }


def publish_views_sql(schema: str | None = None) -> list[str]:
    """The casework views (v_followups, v_complaints, v_appeals, v_polls, v_poll_results, v_audit)."""
    return mirror_tables.views_sql(schema)


# --- what the bulletin shows -------------------------------------------------------------------


def bulletin_extras(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str, cutoff: datetime, data: BulletinData
) -> BulletinData:
    """The month's follow-up table, complaint and appeal counts, polls and any 更正说明."""
    from bulletins import model

    cut = cutoff.astimezone(settings.zone).replace(tzinfo=None)
    stats = mirror_tables.followup_stats(con, month, cut, settings.satisfied_min_level)
    complaints = mirror_tables.complaint_stats(con, month, cut)
    appeals = mirror_tables.appeal_stats(con, month)
    polls = mirror_tables.polls_of(con, month)
    fixes = mirror_tables.corrections(con, month)
    correction = None
    if fixes.height:
        excluded = mirror_tables.excluded_in(con, month)
        correction = model.Correction(
            corrected_on=fixes["corrected_at"].max().astimezone(settings.zone).date(),  # type: ignore[union-attr]
            excluded=excluded.height,
            units=tuple(sorted(set(excluded["unit_id"].to_list()))),
            grounds=tuple(sorted(set(excluded["ground"].to_list()))),
            reissue=fixes.height,
        )
    summary = model.CaseworkSummary(
        complaints_received=complaints["received"],
        complaints_by_channel=(("sms", complaints["sms"]), ("phone", complaints["phone"]), ("web", complaints["web"])),
        complaints_replied=complaints["replied"],
        complaints_overdue=complaints["overdue"],
        appeals_filed=appeals["filed"],
        appeals_upheld=appeals["upheld"],
        appeals_rejected=appeals["rejected"],
        appeals_pending=appeals["pending"],
        polls=tuple(
            model.PollLine(r["title"], r["target"], r["sampled"], r["responded"])
            for r in polls.iter_rows(named=True)
        ),
    )
    return data.replace(
        followups=stats if stats.height else None,
        complaints=complaints["received"],
        casework=summary,
        correction=correction,
    )


# --- one day's casework (the minyi-casework flow, and the demo) -----------------------------------


@dataclass(frozen=True)
class CaseworkReport:
    opened: int
    deadlines: Deadlines
    revisits_planned: int
    closed_without_revisit: int
    reclosed: list[str]
    mirrored: dict[str, int]


def run_day(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    at: datetime,
    provider: Provider | None = None,
    landing: LandingStore | None = None,
    notify: bool = True,
    mirrored: bool = True,
) -> CaseworkReport:
    """One day's casework; ``mirrored=False`` leaves the warehouse mirror (and the appeals'
    re-close, which reads it) to a later run (the demo replays days faster so)."""
    with open_store(settings.casework_path) as store:
        opened = open_tickets(con, settings, store)
        due = run_deadlines(settings, store, at, notify)
        planned, closed = plan_revisits(con, settings, store, at, provider, landing)
        closed += close_unanswered(settings, store, at)
    if not mirrored:
        return CaseworkReport(len(opened), due, planned, closed, [], {})
    counts = mirror(con, settings)  # exclusions first: the re-close reads them
    reclosed = apply_appeals(con, settings, at)
    return CaseworkReport(len(opened), due, planned, closed, reclosed, counts)


def route_due(settings: Settings, at: datetime) -> date:
    return due_for(settings, m.COMPLAINT, at)


def return_due(settings: Settings, kind: str, at: datetime) -> date:
    return add_working_days(at.astimezone(settings.zone).date(), days_for(settings, kind))


__all__ = ["ticket_id_of"]
