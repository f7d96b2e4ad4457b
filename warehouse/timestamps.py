"""Completion times as Chinese case systems write them, parsed column-wise (CONTRACT.md "Input files").

Accepted (a time without an offset is in the configured zone, default Asia/Shanghai):

=================================  ==========================================
``2026-11-16T09:47:05+08:00``      ISO-8601 with offset (``Z``, ``+0800``, ``+08``)
``2026-11-16 09:47:05.123``        ISO-8601 without offset, fractions kept
``2026/11/16 9:47``                Excel's re-saved text: one-digit hour, ``/``
``2026-11-16 9:47``, ``2026.11.16 09:47``
``2026年11月16日 09:47``            Chinese date, ``2026年11月16日9时47分(30秒)``
``2026/11/16 上午 9:47``            12-hour clock: 上午/下午 (also 凌晨, 早上, 中午,
``2026/11/16 3:05 PM``             晚上, AM/PM), before or after the time
``20261116094700``                 compact: 8, 12 or 14 digits
``2026-11-16``                     a date alone is midnight
``46342.40763888889``              an Excel serial day number (only from .xlsx)
=================================  ==========================================

Everything runs as polars expressions (a handful of regex passes over the
column), never a Python call per row: a million values parse in about a second.
A value that matches none of these, or names an impossible
moment (2026-02-30, 25:00, 下午 13:00 is kept as 13:00 but 上午 13:00 is not),
becomes null and the caller quarantines the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

import polars as pl

UTC_DTYPE: Final = pl.Datetime("us", "UTC")

_FULLWIDTH_FROM: Final = [*"０１２３４５６７８９：－／．　＋", "\u00a0"]
_FULLWIDTH_TO: Final = [*"0123456789:-/. +", " "]
# Chinese date and time words become separators: 2026年11月16日9时47分 → 2026-11-16 9:47:
_CHINESE_FROM: Final = ["年", "月", "日", "号", "时", "点", "分", "秒"]
_CHINESE_TO: Final = ["-", "-", " ", " ", ":", ":", ":", ""]

_AM: Final = "上午|凌晨|早上|早晨|AM|A\\.M\\."
_PM: Final = "下午|晚上|PM|P\\.M\\."
_NOON: Final = "中午"
_HALF: Final = f"{_AM}|{_PM}|{_NOON}"
_GENERAL: Final = (
    r"(?i)^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    rf"(?:(?:[T ]+(?:({_HALF}) *)?|({_HALF}) *)"
    r"(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,9}))?)?:?"
    rf"(?: *({_HALF}))?)?"
    r" *(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_COMPACT: Final = r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$"
_SERIAL: Final = r"^\d{5}(?:\.\d+)?$"
_EXCEL_EPOCH: Final = datetime(1899, 12, 30)  # serial 1 = 1900-01-01, after Excel's 1900 leap bug
_MS_PER_DAY: Final = 86_400_000


_FIELDS: Final = (
    "year",
    "month",
    "day",
    "half1",
    "half2",
    "hour",
    "minute",
    "second",
    "fraction",
    "half3",
    "offset",
)
_COMPACT_FIELDS: Final = ("year", "month", "day", "hour", "minute", "second")


def _hour24() -> pl.Expr:
    """The hour on a 24-hour clock; null when the 12-hour marker does not fit the hour."""
    half, hour = pl.col("half"), pl.col("hour")
    is_am = half.str.contains(f"^(?:{_AM})$")
    is_pm = half.str.contains(f"^(?:{_PM})$")
    is_noon = half == _NOON
    # 12 上午 is 0; 1..11 下午 add 12; 13..23 下午 are already on a 24-hour clock
    return (
        pl.when(half.is_null())
        .then(hour)
        .when(is_am & (hour == 12))
        .then(0)
        .when(is_am & (hour <= 12))
        .then(hour)
        .when((is_pm | is_noon) & (hour == 12))
        .then(12)
        .when(is_noon & (hour == 11))
        .then(11)
        .when((is_pm | is_noon) & (hour < 12))
        .then(hour + 12)
        .when(is_pm & (hour < 24))
        .then(hour)
        .otherwise(None)
    )


def _offset_minutes(offset: pl.Expr) -> pl.Expr:
    """``Z`` → 0, ``+08:00``/``+0800``/``+08`` → 480, ``-02:00`` → -120; null stays null."""
    digits = offset.str.replace_all(r"[^0-9]", "")
    hours = digits.str.slice(0, 2).cast(pl.Int64, strict=False)
    minutes = digits.str.slice(2, 2).replace("", None).cast(pl.Int64, strict=False).fill_null(0)
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    return pl.when(offset == "Z").then(0).otherwise(sign * (hours * 60 + minutes))


def parse_timestamps(
    values: pl.Series, zone: ZoneInfo, *, excel_serials: bool = False
) -> pl.Series:
    """UTC ``Datetime("us", "UTC")`` for each text value; null when unreadable.

    ``excel_serials`` accepts Excel day numbers (``46342.4076…``, 1900 date
    system, read as local time): a time cell saved as a plain number in a
    workbook. Off by default because a bare number in a CSV is ambiguous.
    Each step is materialised as a column, so every regex runs once per value.
    """
    frame = pl.DataFrame({"text": values.cast(pl.String)}).with_columns(
        pl.col("text")
        .str.replace_many(_FULLWIDTH_FROM, _FULLWIDTH_TO)
        .str.replace_many(_CHINESE_FROM, _CHINESE_TO)
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(" ")
    )
    frame = frame.with_columns(
        pl.col("text").str.extract_groups(_GENERAL).struct.rename_fields(list(_FIELDS)).alias("g"),
        pl.col("text")
        .str.extract_groups(_COMPACT)
        .struct.rename_fields(list(_COMPACT_FIELDS))
        .alias("c"),
    )
    frame = frame.select(
        "text",
        *[
            pl.coalesce(
                pl.col("g").struct.field(name),
                *([pl.col("c").struct.field(name)] if name in _COMPACT_FIELDS else []),
            ).alias(name)
            for name in _FIELDS
        ],
    )
    frame = frame.with_columns(
        pl.coalesce("half1", "half2", "half3").str.to_uppercase().alias("half"),
        pl.col("hour").cast(pl.Int64).fill_null(0),
        pl.col("minute").cast(pl.Int64).fill_null(0),
        pl.col("second").cast(pl.Int64).fill_null(0),
        pl.col("fraction").str.slice(0, 6).str.pad_end(6, "0").cast(pl.Int64).fill_null(0),
        pl.concat_str(
            "year", pl.col("month").str.zfill(2), pl.col("day").str.zfill(2), separator="-"
        )
        .str.to_date("%Y-%m-%d", strict=False)
        .alias("date"),
        _offset_minutes(pl.col("offset")).alias("offset"),
    )
    frame = frame.with_columns(_hour24().alias("hour"))
    valid = (
        pl.col("hour").is_between(0, 23)
        & pl.col("minute").is_between(0, 59)
        & pl.col("second").is_between(0, 59)
    )
    wall: pl.Expr = pl.when(valid).then(
        pl.col("date").cast(pl.Datetime("us"))
        + pl.duration(hours="hour", minutes="minute", seconds="second", microseconds="fraction")
    )
    if excel_serials:
        serial = pl.when(pl.col("text").str.contains(_SERIAL)).then(
            pl.col("text").cast(pl.Float64, strict=False)
        )
        wall = pl.coalesce(
            wall,
            pl.lit(_EXCEL_EPOCH, pl.Datetime("us"))
            + pl.duration(milliseconds=(serial * _MS_PER_DAY).round(0).cast(pl.Int64)),
        )
    frame = frame.select(wall.alias("wall"), "offset")
    with_offset = (pl.col("wall") - pl.duration(minutes="offset")).dt.replace_time_zone("UTC")
    local = (
        pl.col("wall")
        .dt.replace_time_zone(zone.key, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )
    return frame.select(
        pl.when(pl.col("offset").is_not_null())
        .then(with_offset)
        .otherwise(local)
        .cast(UTC_DTYPE)
        .alias(values.name)
    ).to_series()
