"""What the staff web and the CLI need from the leaves: accounts, the worklist, the questionnaire.

The staff web (``app/staff``) renders pages; it reaches the accounts file, the
worklist, the landing store and the questionnaire only through these functions
(app → flows → leaves).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from accounts.errors import AccountError, SignInThrottled
from accounts.store import ROLES, Accounts, AuditEntry, Session, User, new_password
from casework import model as casework_model
from casework import polls as casework_polls
from casework.errors import CaseworkError
from casework.store import Casework, ticket_id_of
from channels import clock
from channels.hours import in_window, next_window_start
from channels.landing import LandingStore
from channels.questionnaire import Questionnaire
from channels.questionnaire import load as load_questionnaire
from channels.worklist.script import Script, call_script
from channels.worklist.store import OUTCOMES, POOL, WorkItem, Worklist, checked_answers
from channels.worklist.store import record as record_outcome
from minyi.settings import Settings

__all__ = [
    "OUTCOMES",
    "POOL",
    "ROLES",
    "AccountError",
    "AuditEntry",
    "CaseworkError",
    "Questionnaire",
    "Session",
    "SignInThrottled",
    "User",
    "WorkItem",
    "accounts",
    "casework_model",
    "casework_polls",
    "checked_answers",
    "cli_actor",
    "evaluator_names",
    "new_password",
    "now",
    "questionnaire",
    "record",
    "ticket_id_of",
    "worklist",
]

ACCOUNTS_FILE = "access.sqlite"


def accounts_path(settings: Settings) -> Path:
    return settings.home / ACCOUNTS_FILE


@contextmanager
def accounts(settings: Settings) -> Iterator[Accounts]:
    store = Accounts(accounts_path(settings))
    try:
        yield store
    finally:
        store.close()


def evaluator_names(settings: Settings) -> tuple[str, ...]:
    """The active evaluators' user names (the worklist assigns cases to them)."""
    if not accounts_path(settings).exists():
        return ()
    with accounts(settings) as store:
        return tuple(u.username for u in store.users() if u.role == "evaluator" and u.active)


def questionnaire() -> Questionnaire:
    return load_questionnaire()


def now() -> datetime:
    return clock.now()


@contextmanager
def worklist(settings: Settings) -> Iterator[Worklist]:
    store = Worklist(settings.landing_path, evaluator_names(settings))
    try:
        yield store
    finally:
        store.close()


def record(
    settings: Settings,
    attempt_id: str,
    outcome: str,
    answers: dict[str, str],
    at: datetime,
    by: str | None = None,
) -> int:
    """Record an evaluator's result as landing events; 0 on a repeated submit.

    No answer or busy before the last try keeps the case on the list for the next
    calling window at least three hours later (tries spread over windows and days).
    """
    with worklist(settings) as store, LandingStore(settings.landing_path) as landing:
        item = store.get(attempt_id)
        retry_at = None
        if item is not None and item.tries + 1 < settings.manual_tries:
            retry_at = next_window_start(at + timedelta(hours=3), settings.calling_windows, settings.zone)
        return record_outcome(store, landing, attempt_id, outcome, answers, at, by=by, retry_at=retry_at)


def appoint(settings: Settings, attempt_id: str, when: datetime) -> bool:
    """约定回访: call this person at ``when`` (must be in a calling window)."""
    with worklist(settings) as store:
        return store.appoint(attempt_id, when)


def calls_today(settings: Settings, evaluator: str, now: datetime) -> int:
    day = now.astimezone(settings.zone).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=settings.zone)
    with worklist(settings) as store:
        return store.calls_made(evaluator, start, start + timedelta(days=1))


def script(settings: Settings, item: WorkItem, evaluator: str) -> Script:
    return call_script(
        load_questionnaire(),
        district=settings.district_name,
        evaluator=evaluator,
        phone=item.phone,
        unit=item.unit,
        category=item.category,
        service_date=item.service_date,
    )


def in_calling_window(settings: Settings, when: datetime) -> bool:
    return in_window(when, settings.calling_windows, settings.zone)


def cli_actor() -> str:
    """Who ran a command: ``cli:<operating-system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:?"


def audit(settings: Settings, actor: str, role: str, action: str, target: str | None = None,
          before: Any = None, after: Any = None) -> None:
    """Append to the home's audit log (never personal data in ``before``/``after``)."""
    with accounts(settings) as store:
        store.audit(actor, role, action, target, before, after)


# --- closing the loop (issue 13): the casework the staff web reads and writes -------------------



@contextmanager
def casework(settings: Settings) -> Iterator[Casework]:
    store = Casework(settings.casework_path)
    try:
        yield store
    finally:
        store.close()


def _published(settings: Settings):  # type: ignore[no-untyped-def]
    import duckdb

    if not settings.published_path.exists():
        return None
    return duckdb.connect(str(settings.published_path), read_only=True)


def unit_names(settings: Settings) -> dict[str, str]:
    """Units as the published copy knows them (the staff web never opens the warehouse)."""
    con = _published(settings)
    if con is None:
        return {}
    try:
        return {str(u): str(n) for u, n in con.sql("SELECT unit_id, unit_name FROM units ORDER BY unit_id").fetchall()}
    finally:
        con.close()


def unit_month(settings: Settings, unit_id: str, month: str | None) -> tuple[str | None, dict[str, Any] | None, list[dict[str, Any]], list[str]]:
    """A unit's month for its liaison (背对背): its ``v_unit_month`` row and its
    ``v_unit_feedback`` cells, where a cell under ``MINYI_MIN_CELL`` respondents keeps its count
    only. Returns (month shown, row, cells, months available)."""
    con = _published(settings)
    if con is None:
        return None, None, [], []
    try:
        months = [str(r[0]) for r in con.sql(
            "SELECT DISTINCT month FROM v_unit_month WHERE unit_id = ? ORDER BY month DESC", params=[unit_id]
        ).fetchall()]
        shown = month if month in months else (months[0] if months else None)
        if shown is None:
            return None, None, [], []
        row = con.sql(
            "SELECT unit_name, sampled, responded, response_rate, satisfaction_rate, ci_low, ci_high, "
            "reportable, rank, flag FROM v_unit_month WHERE unit_id = ? AND month = ?",
            params=[unit_id, shown],
        ).pl().to_dicts()
        cells = con.sql(
            "SELECT cell_kind, cell, respondents, suppressed, "
            "CASE WHEN suppressed THEN NULL ELSE satisfied END AS satisfied, "
            "CASE WHEN suppressed THEN NULL ELSE not_satisfied END AS not_satisfied "
            "FROM v_unit_feedback WHERE unit_id = ? AND month = ? ORDER BY cell_kind, cell",
            params=[unit_id, shown],
        ).pl().to_dicts()
        return shown, (row[0] if row else None), cells, months
    finally:
        con.close()


def casework_due(settings: Settings, kind: str, at: datetime):  # type: ignore[no-untyped-def]
    """The deadline of a ticket of ``kind`` opened (or routed, or returned) at ``at``."""
    from flows.casework import due_for

    return due_for(settings, kind, at)


def register_complaint(
    settings: Settings, *, actor: str, channel: str, text: str, unit_id: str | None,
    name: str | None, phone: str | None, consent: bool, at: datetime, source_key: str,
) -> str:
    """An evaluator's phone complaint (or any complaint entered by staff): its 登记号."""
    from minyi.registration import registration_number

    number = registration_number(source_key, at, settings.zone)
    if phone:
        import polars as pl

        from flows.wiring import normalise_phones

        phone = normalise_phones(pl.Series([phone], dtype=pl.String))["phone_e164"][0]
    units = unit_names(settings)
    if unit_id and units and unit_id not in units:
        raise CaseworkError(f"没有这个单位 / no unit {unit_id}")
    with casework(settings) as store:
        store.register_complaint(
            number, channel=channel, received_at=at, text=text,
            month=at.astimezone(settings.zone).strftime("%Y-%m"), actor=actor,
            unit_id=unit_id or None, name=name, phone=phone, named_consent=consent,
            due=casework_due(settings, casework_model.COMPLAINT, at) if unit_id else None,
        )
    return number


def record_casework_call(
    settings: Settings, attempt_id: str, outcome: str, answers: dict[str, str], at: datetime
) -> int:
    """An evaluator's 回访 or poll call, as landing events (loaded by the next flow run)."""
    from channels.worklist.store import record_casework

    with worklist(settings) as store, LandingStore(settings.landing_path) as landing:
        return record_casework(store, landing, attempt_id, outcome, answers, at)


def poll_of(settings: Settings, poll_id: str) -> casework_polls.Poll:
    with casework(settings) as store:
        return casework_polls.get(store, poll_id)


def satisfied_min(settings: Settings) -> int:
    return settings.satisfied_min_level
