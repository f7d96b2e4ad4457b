"""Loading the units registry and completed cases (CONTRACT.md "Input files", "Inputs in Chinese").

Every row read ends up loaded, a duplicate, or quarantined with a reason in
Chinese and English (``未知单位 unknown unit: …``); ``read = loaded +
duplicate + quarantined`` always holds. Loading the same file twice changes
nothing. A file that cannot be read as a whole (a required column missing, the
wrong encoding, not CSV, Excel or Parquet) raises ``InputFileError`` and loads
nothing.

- Columns are found by CONTRACT name, Chinese name or a mapping file
  (``warehouse/headers.py``); files are read by ``warehouse/reading.py``;
  times by ``warehouse/timestamps.py``; phones by ``warehouse/phones.py``.
- Corrections (``warehouse/corrections.py``): a case loaded before and
  re-sent with other content in a later file. Applied (its day not drawn) it
  counts as **loaded**; only recorded (its day drawn) it counts as
  **quarantined** ("更正未生效 correction not applied", the new version kept in
  ``quarantine.record``). Both are also counted in ``corrections_applied`` and
  ``corrections_recorded``. Repeats inside one file with other content stay
  conflicts.
- Phone quality: ``phones_*`` count the statuses of the rows this file loaded
  (new cases and applied corrections); they add up to ``loaded``.
- No reason and no stored error text shows a phone number: every
  mobile-looking digit run is masked (``138****5678``), because a row whose
  columns shifted carries the phone in another field. ``quarantine.record``
  keeps the raw row (it is dropped from the published copy).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from minyi import columns as C
from warehouse import corrections
from warehouse.db import transaction
from warehouse.headers import (
    CASE_ALIASES,
    CASE_OPTIONAL,
    CASE_REQUIRED,
    UNIT_ALIASES,
    UNIT_OPTIONAL,
    UNIT_REQUIRED,
    resolve,
    score,
)
from warehouse.phones import STATUSES, normalise
from warehouse.reading import EXTRA, ROW, Table, read_table
from warehouse.reports import REASON, LoadReport, log_load, reason, reason_counts, write_quarantine
from warehouse.timestamps import parse_timestamps

_BLANK: Final = "_blank"  # every cell of the row, used or not, is empty
__all__ = ["UNIT_KINDS_ZH", "LoadReport", "load_cases", "load_units"]

_KEY: Final = corrections.KEY
_COMPLETED: Final = corrections.COMPLETED
_SERVICE_DATE: Final = corrections.SERVICE_DATE

# Unit kinds as Chinese registries write them; CONTRACT names are accepted too.
UNIT_KINDS_ZH: Final[dict[str, str]] = {
    "行政机关": "agency",
    "机关": "agency",
    "区直部门": "department",
    "部门": "department",
    "窗口": "window",
    "窗口单位": "window",
    "科室": "section",
    "股室": "section",
    "乡镇街道": "township",
    "乡镇": "township",
    "街道": "township",
    "镇街": "township",
    "其他": "other",
    "其它": "other",
}
_KIND_NAMES: Final = {kind: kind for kind in C.UNIT_KINDS} | UNIT_KINDS_ZH
_KINDS_SHOWN: Final = "行政机关、区直部门、窗口、科室、乡镇街道、其他"

_LABELS: Final = {
    C.CASE_ID: "办件编号",
    C.UNIT_ID: "单位编码",
    C.CATEGORY: "事项类别",
    C.COMPLETED_AT: "办结时间",
    C.UNIT_NAME: "单位名称",
    C.UNIT_KIND: "单位类别",
}


def _quoted(name: str) -> pl.Expr:
    return pl.lit("'") + pl.col(name).fill_null("") + pl.lit("'")


def _row_reasons(required: tuple[str, ...]) -> list[pl.Expr]:
    """Blank row, shifted row, missing required field: the checks both loaders share."""
    missing = [
        pl.when(pl.col(name).is_null()).then(
            reason(
                "缺少字段",
                "missing field",
                f"{_LABELS.get(name, name)} {name} 为空",
                f"{name} is blank",
            )
        )
        for name in required
    ]
    extra = pl.col(EXTRA).cast(pl.String)
    return [
        pl.when(pl.col(_BLANK)).then(
            reason("空行", "blank line", "该行没有任何值", "the row has no values")
        ),
        pl.when(pl.col(EXTRA) > 0).then(
            reason(
                "字段过多",
                "too many fields",
                pl.lit("该行比表头多 ") + extra + " 个字段（值里有逗号？）",
                pl.lit("the row has ")
                + extra
                + " more field(s) than the header (a comma in a value?)",
            )
        ),
        *missing,
    ]


def _columns(
    table: Table,
    aliases: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    columns: Mapping[str, str] | None,
    path: Path,
) -> pl.DataFrame:
    """The table with CONTRACT column names (missing optional ones as nulls) plus ``_row``."""
    found = [name for name in table.frame.columns if name not in (ROW, EXTRA)]
    chosen = resolve(found, aliases, required, columns, str(path))
    frame = table.frame.select(
        ROW,
        EXTRA,
        pl.all_horizontal([pl.col(name).is_null() for name in found]).alias(_BLANK),
        *[pl.col(s).alias(t) for s, t in chosen.items()],
    )
    absent = [name for name in optional if name not in frame.columns]
    return frame.with_columns(pl.lit(None, pl.String).alias(name) for name in absent).select(
        ROW, EXTRA, _BLANK, *required, *optional
    )


def _content_key() -> pl.Expr:
    """The text a case's ``content_hash`` is the SHA-256 of; stored hashes depend on it."""
    return pl.concat_str(
        [
            pl.col(C.CASE_ID),
            pl.col(C.UNIT_ID),
            pl.col(C.CATEGORY),
            pl.col(_COMPLETED).dt.to_string("%Y-%m-%dT%H:%M:%S%.f"),
            pl.col(C.PHONE_E164).fill_null(pl.col(C.PHONE)).fill_null(""),
            *[pl.col(n).fill_null("") for n in CASE_OPTIONAL],
        ],
        separator="\x1f",
    ).fill_null("")


def load_cases(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    zone: ZoneInfo,
    encoding: str = "utf-8",
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> LoadReport:
    """Load one cases file (CSV, Excel or Parquet); see the module docstring for the guarantees.

    ``columns`` maps headers of the file to CONTRACT columns (``headers.read_column_map``);
    ``sheet`` names the workbook sheet (default: the first).
    """
    table = read_table(
        path, encoding, sheet=sheet, header_score=lambda row: score(row, CASE_ALIASES, columns)
    )
    frame = _columns(table, CASE_ALIASES, CASE_REQUIRED, CASE_OPTIONAL, columns, path)
    read = frame.height
    known_units = con.sql("SELECT unit_id FROM units").pl()[C.UNIT_ID]
    required = (C.CASE_ID, C.UNIT_ID, C.CATEGORY, C.COMPLETED_AT)
    frame = frame.with_columns(
        parse_timestamps(frame[C.COMPLETED_AT], zone, excel_serials=table.excel).alias(_COMPLETED)
    )
    frame = frame.with_columns(
        pl.coalesce(
            *_row_reasons(required),
            pl.when(pl.col(_COMPLETED).is_null()).then(
                reason(
                    "时间无法识别",
                    "unreadable timestamp",
                    pl.lit("办结时间 ") + _quoted(C.COMPLETED_AT) + " 无法识别",
                    pl.lit("completed_at ") + _quoted(C.COMPLETED_AT) + " cannot be read",
                )
            ),
            pl.when(~pl.col(C.UNIT_ID).is_in(known_units.implode())).then(
                reason(
                    "未知单位",
                    "unknown unit",
                    pl.lit("单位名册中没有 ") + _quoted(C.UNIT_ID),
                    _quoted(C.UNIT_ID) + " is not in the units registry",
                )
            ),
        ).alias(REASON)
    )
    frame = pl.concat([frame, normalise(frame[C.PHONE])], how="horizontal").with_columns(
        pl.col(_COMPLETED).dt.convert_time_zone(zone.key).dt.date().alias(_SERVICE_DATE)
    )
    bad = frame.filter(pl.col(REASON).is_not_null())
    good = frame.filter(pl.col(REASON).is_null()).with_columns(
        _content_key().alias(_KEY), pl.col(C.CASE_ID).is_first_distinct().alias("_first")
    )
    # repeated ids inside the file: identical content is a duplicate, other content a conflict
    repeats = good.filter(~pl.col("_first"))
    firsts = good.filter(pl.col("_first")).join(repeats.select(C.CASE_ID), on=C.CASE_ID, how="semi")
    repeats = repeats.join(
        firsts.select(C.CASE_ID, pl.col(ROW).alias("_first_row"), pl.col(_KEY).alias("_first_key")),
        on=C.CASE_ID,
    )
    in_file_dup = repeats.filter(pl.col(_KEY) == pl.col("_first_key"))
    in_file_conflict = repeats.filter(pl.col(_KEY) != pl.col("_first_key")).with_columns(
        reason(
            "冲突",
            "conflict",
            pl.lit("办件编号 ")
            + _quoted(C.CASE_ID)
            + " 在本文件中再次出现且内容不同（首次在第 "
            + pl.col("_first_row").cast(pl.String)
            + " 行）",
            pl.lit("case_id ")
            + _quoted(C.CASE_ID)
            + " appears again with different content (first at line "
            + pl.col("_first_row").cast(pl.String)
            + ")",
        ).alias(REASON)
    )
    now = datetime.now(UTC)
    with transaction(con):
        matched = corrections.match_loaded(con, good.filter(pl.col("_first")))
        applied, recorded = corrections.settle(con, matched.changed, path, table.sha256, now)
        insert = matched.fresh.select(
            pl.col(C.CASE_ID),
            pl.col(C.UNIT_ID),
            pl.col(C.CATEGORY),
            pl.col(_COMPLETED).alias(C.COMPLETED_AT),
            pl.col(_SERVICE_DATE).alias(C.SERVICE_DATE),
            pl.col(C.PHONE).alias("phone_raw"),
            pl.col(C.PHONE_E164),
            pl.col(C.PHONE_STATUS),
            *[pl.col(n) for n in CASE_OPTIONAL],
            pl.col(_KEY),
            pl.lit(str(path)).alias("source_file"),
            pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("loaded_at"),
        )
        con.register("_fresh", insert.to_arrow())
        try:
            con.execute(
                f"INSERT INTO cases BY NAME SELECT * EXCLUDE ({_KEY}), "
                f"sha256({_KEY}) AS content_hash FROM _fresh"
            )
        finally:
            con.unregister("_fresh")
        quarantined = pl.concat(
            [part.select(ROW, REASON) for part in (bad, in_file_conflict, recorded)]
        )
        write_quarantine(con, "cases", path, table, quarantined, now)
        loaded = pl.concat([matched.fresh[C.PHONE_STATUS], applied[C.PHONE_STATUS]])
        phones = {status: int((loaded == status).sum()) for status in STATUSES}
        report = LoadReport(
            str(path),
            read,
            matched.fresh.height + applied.height,
            in_file_dup.height + matched.duplicate,
            quarantined.height,
            reason_counts(quarantined),
            corrections_applied=applied.height,
            corrections_recorded=recorded.height,
            **{f"phones_{status}": n for status, n in phones.items()},
        )
        log_load(con, "cases", table.sha256, report, now)
    return report


def load_units(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    encoding: str = "utf-8",
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> LoadReport:
    """Load or update the units registry (upsert by ``unit_id``); unit kinds in Chinese or English."""
    table = read_table(
        path, encoding, sheet=sheet, header_score=lambda row: score(row, UNIT_ALIASES, columns)
    )
    frame = _columns(table, UNIT_ALIASES, UNIT_REQUIRED, UNIT_OPTIONAL, columns, path)
    read = frame.height
    given_kind = pl.col(C.UNIT_KIND)
    frame = frame.with_columns(
        pl.coalesce(
            *_row_reasons(UNIT_REQUIRED),
            pl.when(
                given_kind.str.replace_all(r"\s", "")
                .str.to_lowercase()
                .replace_strict(_KIND_NAMES, default=None)
                .is_null()
            ).then(
                reason(
                    "未知单位类别",
                    "unknown unit_kind",
                    pl.lit("单位类别 ")
                    + _quoted(C.UNIT_KIND)
                    + f" 无法识别（可用：{_KINDS_SHOWN}）",
                    _quoted(C.UNIT_KIND) + f" (allowed: {', '.join(C.UNIT_KINDS)})",
                )
            ),
        ).alias(REASON),
        given_kind.str.replace_all(r"\s", "")
        .str.to_lowercase()
        .replace_strict(_KIND_NAMES, default=None)
        .alias(C.UNIT_KIND),
    ).with_columns(pl.coalesce(pl.col(C.PEER_GROUP), pl.col(C.UNIT_KIND)).alias(C.PEER_GROUP))
    bad = frame.filter(pl.col(REASON).is_not_null())
    good = frame.filter(pl.col(REASON).is_null())
    counts = good.group_by(C.UNIT_ID).agg(
        pl.len().alias("_n"),
        pl.struct(*UNIT_REQUIRED, *UNIT_OPTIONAL).n_unique().alias("_versions"),
    )
    good = good.join(counts, on=C.UNIT_ID)
    conflict = good.filter(pl.col("_versions") > 1).with_columns(
        reason(
            "冲突",
            "conflict",
            pl.lit("单位编码 ") + _quoted(C.UNIT_ID) + " 在本文件中出现多次且内容不同",
            pl.lit("unit_id ") + _quoted(C.UNIT_ID) + " appears with different content",
        ).alias(REASON)
    )
    good = good.filter(pl.col("_versions") == 1)
    first = good.unique(C.UNIT_ID, keep="first", maintain_order=True)
    in_file_dup = good.height - first.height
    existing = con.sql(
        "SELECT unit_id, unit_name, unit_kind, peer_group, parent_unit_id FROM units"
    ).pl()
    same = first.join(existing, on=list(existing.columns), how="semi", nulls_equal=True)
    changed = first.join(same, on=C.UNIT_ID, how="anti")
    quarantined = pl.concat([bad.select(ROW, REASON), conflict.select(ROW, REASON)])
    now = datetime.now(UTC)
    with transaction(con):
        con.register(
            "_units", changed.select(*UNIT_REQUIRED, C.PEER_GROUP, C.PARENT_UNIT_ID).to_arrow()
        )
        try:
            con.execute(
                "INSERT OR REPLACE INTO units SELECT unit_id, unit_name, unit_kind, peer_group, "
                "parent_unit_id, ? FROM _units",
                [now],
            )
        finally:
            con.unregister("_units")
        write_quarantine(con, "units", path, table, quarantined, now)
        report = LoadReport(
            str(path),
            read,
            changed.height,
            in_file_dup + same.height,
            quarantined.height,
            reason_counts(quarantined),
        )
        log_load(con, "units", table.sha256, report, now)
    return report
