"""What the staff web needs from the leaves: the evaluators' worklist and the questionnaire.

The staff web (``app/staff``) renders pages; it reaches the worklist, the landing
store and the questionnaire only through these functions (app → flows → leaves).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from channels import clock
from channels.landing import LandingStore
from channels.questionnaire import Questionnaire
from channels.questionnaire import load as load_questionnaire
from channels.worklist.store import OUTCOMES, WorkItem, Worklist
from channels.worklist.store import record as record_outcome
from minyi.settings import Settings

__all__ = ["OUTCOMES", "Questionnaire", "WorkItem", "now", "questionnaire", "record", "worklist"]


def questionnaire() -> Questionnaire:
    return load_questionnaire()


def now() -> datetime:
    return clock.now()


@contextmanager
def worklist(settings: Settings) -> Iterator[Worklist]:
    store = Worklist(settings.landing_path, settings.evaluators)
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
