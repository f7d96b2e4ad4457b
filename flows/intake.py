"""Stage: taking cases in and closing a day — import, draw, validate the day.

Each function does one stage on an open warehouse connection (the flow opens
it once per run) and returns a small report the CLI and the flows print.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from flows import validation
from minyi import keys, months
from minyi.errors import UsageRefused
from minyi.settings import Settings
from minyi.vocab import HOME_DEMO
from sampling.errors import MinimumExceedsTotalError
from sampling.selection import draw as draw_sample
from warehouse import design, draws, fieldwork
from warehouse.errors import InputFileError
from warehouse.headers import read_column_map
from warehouse.loaders import LoadReport, load_cases
from warehouse.reading import AUTO

CASE_FILES = ("*.csv", "*.txt", "*.parquet", "*.xlsx")
COLUMNS_FILE = "columns.csv"  # <home>/inbox/columns.csv: the inbox's column mapping


# --- import -----------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """What an import did: one report per file, and late cases per closed day."""

    loads: list[LoadReport]
    late: dict[date, int] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # file name -> why


def import_files(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    paths: list[Path],
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> Imported:
    """Load case files; cases of days already drawn are counted ineligible ``late``.

    ``columns`` maps the files' headers (``warehouse.headers.read_column_map``);
    ``sheet`` names the workbook sheet (default: the first).
    """
    loads = [
        load_cases(con, path, settings.zone, encoding, columns=columns, sheet=sheet)
        for path in paths
    ]
    late = draws.mark_late(con) if any(r.loaded for r in loads) else {}
    return Imported(loads, late)


def waiting_files(settings: Settings) -> list[Path]:
    """Files in ``<home>/inbox/cases/`` (not in its sub-folders), oldest first."""
    inbox = settings.inbox
    if not inbox.is_dir():
        return []
    found = {p for pattern in CASE_FILES for p in inbox.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def inbox_columns(settings: Settings) -> dict[str, str] | None:
    """The inbox's column mapping, ``<home>/inbox/columns.csv`` (``source,target``), if any.

    A malformed mapping raises ``InputFileError``: no file is loaded or rejected with it.
    """
    path = settings.inbox.parent / COLUMNS_FILE
    return read_column_map(path) if path.is_file() else None


def import_inbox(con: duckdb.DuckDBPyConnection, settings: Settings) -> Imported:
    """Import what waits in the inbox; loaded files move to ``loaded/``, unreadable ones to
    ``rejected/`` with a ``.reason.txt``. A file already loaded (same content) is not loaded again.

    Exports are taken as they come: CSV in UTF-8 or GB18030 without being told (``AUTO``),
    headers mapped by ``<home>/inbox/columns.csv`` when it exists (``inbox_columns``).
    """
    loads: list[LoadReport] = []
    late: dict[date, int] = {}
    rejected: dict[str, str] = {}
    columns = inbox_columns(settings)
    for path in waiting_files(settings):
        try:
            done = import_files(con, settings, [path], AUTO, columns)
        except InputFileError as exc:
            rejected[path.name] = exc.problem
            _move(path, settings.inbox / "rejected", exc.problem)
            continue
        loads += done.loads
        for day, count in done.late.items():
            late[day] = late.get(day, 0) + count
        _move(path, settings.inbox / "loaded")
    return Imported(loads, late, rejected)


def _move(path: Path, folder: Path, reason: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{datetime.now():%Y%m%d%H%M%S}{path.suffix}"
    shutil.move(str(path), target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")


# --- draw -------------------------------------------------------------------


@dataclass(frozen=True)
class DrawReport:
    day: date
    cases: int
    eligible: int
    sampled: int
    strata: int
    already_drawn: bool
    ineligible: dict[str, int]
    minimum_asked: int
    minimum_used: int

    @property
    def note(self) -> str | None:
        """Said when the day's categories were too many for the minimum."""
        if self.minimum_used >= self.minimum_asked:
            return None
        return (
            f"{self.strata} categories do not fit {self.minimum_asked} per category in the daily "
            f"total: drawn with {self.minimum_used} per category / 类别过多，每类最少抽样数"
            f"由 {self.minimum_asked} 降为 {self.minimum_used}"
        )


class DayNotOver(UsageRefused):
    def __init__(self, day: date, today: date) -> None:
        self.day = day
        super().__init__(
            f"{day} is not over yet (today is {today}): only past days can be drawn "
            f"/ {day} 尚未结束，只能抽取已结束日期的样本"
        )


def draw_day(
    con: duckdb.DuckDBPyConnection, settings: Settings, day: date, today: date
) -> DrawReport:
    """Close and draw ``day`` once; later calls show the stored draw and change nothing.

    ``today`` is the local date now: today and future days are refused (their
    cases are not all in). A day drawn with no eligible case is drawn again.
    When the minimum per category cannot fit the daily total, the largest
    minimum that fits is used and the report says so.
    """
    if day >= today:
        raise DayNotOver(day, today)
    stored = draws.stored_draw(con, day)
    if stored is not None and (stored.eligible > 0 or not _new_cases_since_draw(con, day)):
        return DrawReport(
            day,
            stored.cases,
            stored.eligible,
            stored.sampled,
            stored.strata,
            True,
            stored.ineligible,
            stored.minimum_asked,
            stored.minimum_used,
        )
    key = selection_key(con, settings, day)
    frame = design.day_frame(
        con,
        day,
        settings.cooldown_days,
        settings.excluded_categories,
        seed=settings.sample_seed,
        key=key,
    )
    eligible, ineligible = design.split_frame(frame, day)
    minimum = settings.min_per_stratum
    try:
        allocation, sample = _draw(eligible, settings, minimum, key)
    except MinimumExceedsTotalError as exc:
        minimum = exc.feasible_minimum
        allocation, sample = _draw(eligible, settings, minimum, key)
    design.store_sample(
        con,
        day,
        frame,
        allocation,
        sample,
        method=settings.allocation,
        total=settings.daily_total,
        minimum_asked=settings.min_per_stratum,
        minimum_used=minimum,
        seed=settings.sample_seed,
        key=key,
    )
    return DrawReport(
        day,
        frame.height,
        eligible.height,
        sample.height,
        allocation.height,
        False,
        ineligible,
        settings.min_per_stratum,
        minimum,
    )


def _draw(
    eligible: pl.DataFrame, settings: Settings, minimum: int, key: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return draw_sample(
        eligible,
        total=settings.daily_total,
        minimum=minimum,
        method=settings.allocation,
        seed=settings.sample_seed,
        key=key,
    )


def _secret(con: duckdb.DuckDBPyConnection, settings: Settings, month: str) -> str:
    from flows.wiring import home_kind

    demo = settings.sample_seed if home_kind(con) == HOME_DEMO else None
    return keys.selection_secret(settings.home, month, demo)


def selection_key(con: duckdb.DuckDBPyConnection, settings: Settings, day: date) -> str:
    """The day's PRN key, HMAC(month secret, date) (METHODS.md "Selection key").

    The commitments of the day's month and of the next are stored first, so the next
    month's is in the staff copy before that month begins.
    """
    month = months.of(day)
    for which in (month, months.previous(month, -1)):
        draws.commit_selection_key(con, which, keys.commitment(_secret(con, settings, which)))
    return keys.day_key(_secret(con, settings, month), day.isoformat())


def reveal_selection_key(con: duckdb.DuckDBPyConnection, settings: Settings, month: str) -> None:
    """After the month's close: its secret goes into the warehouse (and the staff copy)."""
    draws.reveal_selection_key(con, month, _secret(con, settings, month))


def _new_cases_since_draw(con: duckdb.DuckDBPyConnection, day: date) -> bool:
    rows = con.sql(
        "SELECT count(*) FROM cases c WHERE c.service_date = $d AND c.loaded_at > "
        "(SELECT drawn_at FROM day_draws WHERE sample_date = $d)",
        params={"d": day},
    ).fetchall()
    return bool(rows and rows[0][0])


def allocation_table(con: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    return con.sql(
        "SELECT stratum, stratum_population AS N_h, stratum_sample AS n_h, method, seed "
        "FROM allocations WHERE sample_date = $d ORDER BY stratum",
        params={"d": day},
    ).pl()


def cases_on(con: duckdb.DuckDBPyConnection, day: date) -> int:
    row = con.sql("SELECT count(*) FROM cases WHERE service_date = $d", params={"d": day})
    return int(row.fetchall()[0][0])


# --- validate ---------------------------------------------------------------


def validate_day(
    con: duckdb.DuckDBPyConnection, day: date, at: datetime
) -> list[str]:
    """Validate the day's cases and sample, and the answers loaded so far; failing answer rows
    go to quarantine with the expectation's name. Returns the problems found."""
    from expectations.validate import validate

    cases = con.sql("SELECT * FROM cases WHERE service_date = $d", params={"d": day}).pl()
    sample = design.stored_sample(con, day)
    answers = con.sql(
        "SELECT a.*, o.sent_at FROM answers a JOIN events e USING (event_key) "
        "JOIN outbox o ON o.attempt_id = e.attempt_id "
        "WHERE CAST(a.answered_at AS DATE) >= $d - 3",
        params={"d": day},
    ).pl()
    outcomes = [validate(cases, "cases"), validate(sample, "sample"), validate(answers, "answers")]
    validation.record(con, f"day:{day.isoformat()}", outcomes, at)
    problems = [o.describe() for o in outcomes if not o.success]
    for failure in outcomes[2].failures:
        if failure.unexpected_rows:
            bad = answers[list(failure.unexpected_rows)]
            moved = fieldwork.quarantine_answers(
                con, bad, f"failed expectation {failure.expectation} on {failure.column}"
            )
            problems.append(f"{moved} answer(s) quarantined ({failure.expectation})")
    return problems
