"""Months as ``YYYY-MM`` text: parsing, bounds, neighbours, the default (last month)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from minyi.errors import Terminal


class BadMonth(Terminal):
    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(f"{value!r} is not a month like 2026-10 / 月份格式应为 2026-10")


def parse(value: str) -> str:
    """``value`` checked and normalised to ``YYYY-MM``."""
    try:
        parsed = datetime.strptime(value.strip(), "%Y-%m")
    except ValueError:
        raise BadMonth(value) from None
    return f"{parsed.year:04d}-{parsed.month:02d}"


def bounds(month: str) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    first = date.fromisoformat(f"{parse(month)}-01")
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous(month: str, months: int = 1) -> str:
    """The month ``months`` before (12 = the same month last year)."""
    first, _ = bounds(month)
    index = first.year * 12 + first.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_month(today: date) -> str:
    return of(today.replace(day=1) - timedelta(days=1))


def days(month: str) -> list[date]:
    first, nxt = bounds(month)
    return [first + timedelta(days=k) for k in range((nxt - first).days)]
