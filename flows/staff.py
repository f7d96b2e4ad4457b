"""What the staff web and the CLI need from the leaves: accounts, the worklist, the questionnaire.

The staff web (``app/staff``) renders pages; it reaches the accounts file, the
worklist, the landing store and the questionnaire only through these functions
(app → flows → leaves).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from accounts.errors import AccountError, SignInThrottled
from accounts.store import ROLES, Accounts, AuditEntry, Session, User, new_password
from channels import clock
from channels.landing import LandingStore
from channels.questionnaire import Questionnaire
from channels.questionnaire import load as load_questionnaire
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
    settings: Settings, attempt_id: str, outcome: str, answers: dict[str, str], at: datetime
) -> int:
    """Record an evaluator's result as landing events; 0 on a repeated submit."""
    with worklist(settings) as store, LandingStore(settings.landing_path) as landing:
        return record_outcome(store, landing, attempt_id, outcome, answers, at)


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
