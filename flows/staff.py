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
    "Questionnaire",
    "Session",
    "SignInThrottled",
    "User",
    "WorkItem",
    "accounts",
    "checked_answers",
    "cli_actor",
    "evaluator_names",
    "new_password",
    "now",
    "questionnaire",
    "record",
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
