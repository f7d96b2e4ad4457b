"""Deadlines of follow-ups in working days on the State Council calendar (调休 included).

A ticket opened on day D with k working days is due at the end of
``add_working_days(D, k)`` (D itself not counted); its reminder is due
``remind`` working days earlier (never before D). A ticket is **overdue** on the
first day after its due date while it has no reply. Pure: takes dates, returns dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from minyi.workdays import add_working_days, is_working_day


@lru_cache(maxsize=4096)
def due_date(opened: date, working_days: int) -> date:
    return add_working_days(opened, working_days)


@lru_cache(maxsize=4096)
def reminder_date(opened: date, due: date, remind: int) -> date | None:
    """The working day ``remind`` working days before ``due`` (None when that is not after
    ``opened``, or ``remind`` is 0)."""
    if remind <= 0:
        return None
    day, left = due, remind
    while left > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day if day > opened else None


def is_overdue(due: date, today: date) -> bool:
    return today > due
