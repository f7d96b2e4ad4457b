"""When people may be contacted: calling windows on working days (Asia/Shanghai by default).

Working days follow the State Council's holiday schedule, including adjusted
working days (调休), from the maintained ``chinesecalendar`` package. For a
year the package does not know yet, weekdays are treated as working days.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from minyi.workdays import is_working_day

__all__ = ["in_window", "is_working_day", "next_window_start"]


def in_window(at: datetime, windows: tuple[tuple[time, time], ...], zone: ZoneInfo) -> bool:
    """True when ``at`` falls inside a calling window of a working day."""
    local = at.astimezone(zone)
    if not is_working_day(local.date()):
        return False
    now = local.time()
    return any(start <= now < end for start, end in windows)


def next_window_start(
    at: datetime, windows: tuple[tuple[time, time], ...], zone: ZoneInfo
) -> datetime:
    """The first moment at or after ``at`` when contact is allowed."""
    local = at.astimezone(zone)
    for offset in range(0, 40):
        day = local.date() + timedelta(days=offset)
        if not is_working_day(day):
            continue
        for start, end in sorted(windows):
            begin = datetime.combine(day, start, tzinfo=zone)
            finish = datetime.combine(day, end, tzinfo=zone)
            if local < finish:
                return max(begin, local)
    raise ValueError("no calling window in the next 40 days; check the calling_windows setting")
