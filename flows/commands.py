"""The staff's own commands as flow runs: loading files, drawing a day, a bulletin, the lists.

Each is one Prefect flow run that opens the warehouse once, does its stage with
the same code the scheduled cycle uses (``flows.intake``, ``flows.month``) and
publishes the staff copy. Like the cycle, they take the home, never settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from prefect import flow

from flows import intake, wiring
from flows import month as month_stage
from flows.cycle import local_today
from flows.publish import publish
from minyi.settings import load_settings
from warehouse.contacts import add_do_not_contact
from warehouse.headers import read_column_map
from warehouse.loaders import LoadReport, load_units


def _column_map(columns: str | None) -> dict[str, str] | None:
    """The ``source,target`` mapping file named by ``--columns`` (read before the warehouse opens)."""
    return read_column_map(Path(columns)) if columns else None


@flow(name="minyi-cases-load")
def cases_load_flow(
    home: str,
    files: list[str],
    encoding: str = "utf-8",
    columns: str | None = None,
    sheet: str | None = None,
) -> intake.Imported:
    """Load case files named by staff (the cycle imports ``<home>/inbox/cases/`` itself).

    ``columns`` is the path of a column mapping file, ``sheet`` a workbook's sheet.
    """
    settings = load_settings(home)
    mapping = _column_map(columns)
    with wiring.open_warehouse(settings) as con:
        imported = intake.import_files(
            con, settings, [Path(f) for f in files], encoding, mapping, sheet
        )
        publish(con, settings)
    return imported


@flow(name="minyi-units-load")
def units_load_flow(
    home: str,
    file: str,
    encoding: str = "utf-8",
    columns: str | None = None,
    sheet: str | None = None,
) -> LoadReport:
    """Load or update the units registry; ``columns`` and ``sheet`` as for cases."""
    settings = load_settings(home)
    mapping = _column_map(columns)
    with wiring.open_warehouse(settings) as con:
        report = load_units(con, Path(file), encoding, columns=mapping, sheet=sheet)
        publish(con, settings)
    return report


@dataclass(frozen=True)
class Sampled:
    draw: intake.DrawReport
    allocation: pl.DataFrame
    seed: int


@flow(name="minyi-sample")
def sample_flow(home: str, day: date) -> Sampled:
    """Draw a day (once; again shows the stored draw)."""
    settings = load_settings(home)
    with wiring.open_warehouse(settings) as con:
        drawn = intake.draw_day(con, settings, day, local_today(settings))
        allocation = intake.allocation_table(con, day)
        if not drawn.already_drawn:
            publish(con, settings)
    return Sampled(drawn, allocation, settings.sample_seed)


@flow(name="minyi-bulletin")
def bulletin_flow(home: str, month: str, lang: str = "zh") -> month_stage.BulletinFiles:
    """Write a closed month's bulletin again (e.g. in English); refuses an unvalidated month."""
    settings = load_settings(home)
    with wiring.open_warehouse(settings) as con:
        return month_stage.write_bulletin(con, settings, month, lang)


@flow(name="minyi-validate")
def validate_flow(home: str, month: str) -> tuple[list[str], bool]:
    """Re-run a closed month's blocking suites now and record them."""
    settings = load_settings(home)
    with wiring.open_warehouse(settings) as con:
        result = month_stage.validate_month(con, settings, month)
        publish(con, settings)
    return result


@flow(name="minyi-dnc-add")
def dnc_add_flow(home: str, numbers_file: str, reason: str) -> tuple[int, int]:
    """Add the numbers listed in ``numbers_file`` (one per line) to the do-not-contact list.

    Numbers never become a flow parameter (Prefect keeps parameters for its UI): the
    CLI hands them over in a private file under ``<home>/secrets/`` that this run
    reads and deletes. Returns (added, rejected count).
    """
    settings = load_settings(home)
    source = Path(numbers_file)
    numbers = [n.strip() for n in source.read_text(encoding="utf-8").splitlines() if n.strip()]
    try:
        with wiring.open_warehouse(settings) as con:
            added, rejected = add_do_not_contact(con, numbers, reason)
            publish(con, settings)
        from flows.staff import now, worklist
        from flows.wiring import normalise_phones

        phones = normalise_phones(pl.Series(numbers, dtype=pl.String))["phone_e164"].drop_nulls()
        with worklist(settings) as store:  # off the evaluators' list too, at once
            store.withdraw(phones.to_list(), now())
    finally:
        source.unlink(missing_ok=True)
    return added, len(rejected)


@dataclass(frozen=True)
class Purged:
    phones: dict[str, int]
    landing: dict[str, int]


@flow(name="minyi-purge")
def purge_flow(home: str) -> Purged:
    """Remove personal data no longer needed: phones of months closed ``retention_days`` ago,
    loaded landing rows and finished worklist items older than that (PIPL minimisation)."""
    from datetime import UTC, datetime, timedelta

    from channels.retention import purge_landing
    from warehouse.retention import purge_phones

    settings = load_settings(home)
    now = datetime.now(UTC)
    with wiring.open_warehouse(settings) as con:
        phones = purge_phones(con, now, settings.retention_days)
        publish(con, settings)
    landing = purge_landing(settings.landing_path, now - timedelta(days=settings.retention_days))
    if settings.casework_path.exists():  # complainants, consented contacts, 回访 and poll numbers
        from flows.casework import open_store

        with open_store(settings.casework_path) as store:
            landing |= {f"casework.{k}": n for k, n in store.purge(now - timedelta(days=settings.retention_days)).items()}
    return Purged(phones, landing)
