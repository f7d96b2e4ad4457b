"""What a load did, where it is written down: the report, the quarantine and the load log.

``LoadReport`` is what the CLI prints: ``read = loaded + duplicate +
quarantined`` always holds (applied corrections are among ``loaded``,
corrections recorded after a draw among ``quarantined``), and the phone-quality
counts add up to ``loaded``. Quarantine reasons are written Chinese first,
``未知单位 unknown unit: <Chinese detail> / <English detail>``; the part before
the colon groups them in the report. Every reason is masked before it is stored:
no mobile-looking digit run survives (``138****5678``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import duckdb
import polars as pl

from warehouse.phones import mask_in_text
from warehouse.reading import EXTRA, ROW, Table

REASON: Final = "_reason"


@dataclass(frozen=True)
class LoadReport:
    """What happened to the rows of one file: read = loaded + duplicate + quarantined.

    ``corrections_applied`` are among ``loaded``, ``corrections_recorded``
    among ``quarantined``; ``phones_*`` count the rows loaded (cases only).
    """

    path: str
    read: int
    loaded: int
    duplicate: int
    quarantined: int
    reasons: dict[str, int]
    corrections_applied: int = 0
    corrections_recorded: int = 0
    phones_mobile: int = 0
    phones_landline: int = 0
    phones_blank: int = 0
    phones_invalid: int = 0
    phones_foreign: int = 0

    def __post_init__(self) -> None:
        if self.read != self.loaded + self.duplicate + self.quarantined:
            raise AssertionError(f"row counts do not add up for {self.path}: {self}")
        phones = self.phone_counts()
        if sum(phones.values()) not in (0, self.loaded):
            raise AssertionError(f"phone counts do not add up to loaded for {self.path}: {self}")

    @property
    def nothing_loaded(self) -> bool:
        """No row of the file is in the warehouse: all quarantined, or no rows at all.

        A file whose rows were all loaded before (duplicates) is not a failure.
        """
        return self.loaded == 0 and self.duplicate == 0

    def phone_counts(self) -> dict[str, int]:
        return {
            "mobile": self.phones_mobile,
            "landline": self.phones_landline,
            "blank": self.phones_blank,
            "invalid": self.phones_invalid,
            "foreign": self.phones_foreign,
        }

    def phone_line(self) -> str:
        """``电话 phones: 手机 mobile 430 · 固话 landline 5 · …`` for the load report."""
        zh = {
            "mobile": "手机",
            "landline": "固话",
            "blank": "空",
            "invalid": "无效",
            "foreign": "境外",
        }
        parts = [f"{zh[k]} {k} {n:,}" for k, n in self.phone_counts().items()]
        return "电话 phones: " + " · ".join(parts)


def reason(kind_zh: str, kind_en: str, zh: pl.Expr | str, en: pl.Expr | str) -> pl.Expr:
    """``未知单位 unknown unit: <zh> / <en>``; the part before ':' groups the report."""
    return pl.concat_str(
        pl.lit(f"{kind_zh} {kind_en}: "),
        pl.lit(zh) if isinstance(zh, str) else zh,
        pl.lit(" / "),
        pl.lit(en) if isinstance(en, str) else en,
    )


def reason_counts(rows: pl.DataFrame) -> dict[str, int]:
    if rows.is_empty():
        return {}
    counts = rows.group_by(pl.col(REASON).str.replace(r":.*$", "")).len()
    return dict(sorted(zip(counts[REASON].to_list(), counts["len"].to_list(), strict=True)))


def write_quarantine(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    table: Table,
    rows: pl.DataFrame,
    now: datetime,
) -> None:
    """Write rows with their (masked) reasons; ``record`` is the raw row as the file has it."""
    if rows.is_empty():
        return
    raw = table.frame.drop(EXTRA)
    record = pl.struct([c for c in raw.columns if c != ROW]).struct.json_encode()
    out = (
        rows.select(ROW, REASON)
        .join(raw.select(ROW, record.alias("record")), on=ROW, how="left")
        .select(
            pl.lit(source).alias("source"),
            pl.lit(str(path)).alias("source_file"),
            pl.lit(table.sha256).alias("file_sha256"),
            pl.col(ROW).cast(pl.Int64).alias("row_number"),
            pl.col("record"),
            mask_in_text(pl.col(REASON)).alias("reason"),
            pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("quarantined_at"),
        )
    )
    con.register("_quarantined", out.to_arrow())
    try:
        con.execute(
            "INSERT INTO quarantine BY NAME SELECT * FROM _quarantined ON CONFLICT DO NOTHING"
        )
    finally:
        con.unregister("_quarantined")


def log_load(
    con: duckdb.DuckDBPyConnection, source: str, digest: str, report: LoadReport, at: datetime
) -> None:
    con.execute(
        "INSERT INTO loads (source, source_file, file_sha256, rows_read, rows_loaded, "
        "rows_duplicate, rows_quarantined, loaded_at, corrections_applied, corrections_recorded, "
        "phones_mobile, phones_landline, phones_blank, phones_invalid, phones_foreign) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source,
            report.path,
            digest,
            report.read,
            report.loaded,
            report.duplicate,
            report.quarantined,
            at,
            report.corrections_applied,
            report.corrections_recorded,
            *report.phone_counts().values(),
        ],
    )
