from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from warehouse.timestamps import parse_timestamps

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(text: str | None, *, excel: bool = False, zone: ZoneInfo = SHANGHAI) -> datetime | None:
    out = parse_timestamps(pl.Series([text], dtype=pl.String), zone, excel_serials=excel)
    value = out.item()
    return None if value is None else value.astimezone(zone).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/11/16 9:47", datetime(2026, 11, 16, 9, 47)),
        ("2026-11-16 9:47", datetime(2026, 11, 16, 9, 47)),
        ("2026-11-16 09:47:05", datetime(2026, 11, 16, 9, 47, 5)),
        ("2026/1/6 8:05", datetime(2026, 1, 6, 8, 5)),
        ("2026年11月16日 09:47", datetime(2026, 11, 16, 9, 47)),
        ("2026年11月16日9时47分", datetime(2026, 11, 16, 9, 47)),
        ("2026年11月16日下午3时5分30秒", datetime(2026, 11, 16, 15, 5, 30)),
        ("2026.11.16 09:47", datetime(2026, 11, 16, 9, 47)),
        ("20261116094700", datetime(2026, 11, 16, 9, 47)),
        ("202611160947", datetime(2026, 11, 16, 9, 47)),
        ("2026/11/16 上午 9:47", datetime(2026, 11, 16, 9, 47)),
        ("2026/11/16 下午 3:05", datetime(2026, 11, 16, 15, 5)),
        ("2026/11/16上午12:05", datetime(2026, 11, 16, 0, 5)),
        ("2026/11/16 中午 12:30", datetime(2026, 11, 16, 12, 30)),
        ("2026/11/16 3:05 PM", datetime(2026, 11, 16, 15, 5)),
        ("2026/11/16 下午 15:05", datetime(2026, 11, 16, 15, 5)),
        ("２０２６／１１／１６　９：４７", datetime(2026, 11, 16, 9, 47)),
        ("2026-11-16 09:47:05.5", datetime(2026, 11, 16, 9, 47, 5, 500000)),
        ("2026-11-16", datetime(2026, 11, 16)),
        ("2026-11-16T09:47:05+08:00", datetime(2026, 11, 16, 9, 47, 5)),
        ("2026-11-16T01:47:05Z", datetime(2026, 11, 16, 9, 47, 5)),
        ("2026-11-16 09:47:05 +0800", datetime(2026, 11, 16, 9, 47, 5)),
        # 23:30 at -02:00 is 09:30 the next day in Shanghai
        ("2026-10-09 23:30:00-02:00", datetime(2026, 10, 10, 9, 30)),
    ],
)
def test_formats_chinese_systems_write(text: str, expected: datetime) -> None:
    assert _local(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30 10:00",
        "2026/11/16 25:00",
        "2026/11/16 9:60",
        "2026/11/16 上午 13:00",
        "2026/13/01 10:00",
        "yesterday",
        "未办结",
        "",
        None,
        "46342.40763888889",  # a bare number in a CSV is not a time
    ],
)
def test_impossible_or_unknown_values_are_null(text: str | None) -> None:
    assert _local(text) is None


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("46342.40763888889", datetime(2026, 11, 16, 9, 47)),
        ("46342.407638889", datetime(2026, 11, 16, 9, 47)),  # as calamine prints it
        ("46342", datetime(2026, 11, 16)),
        ("45658.5", datetime(2025, 1, 1, 12)),
    ],
)
def test_excel_day_numbers_from_a_workbook(serial: str, expected: datetime) -> None:
    assert _local(serial, excel=True) == expected


def test_no_offset_means_the_configured_zone() -> None:
    out = parse_timestamps(pl.Series(["2026/11/16 9:47"]), ZoneInfo("Europe/Berlin"))
    assert out.item() == datetime(2026, 11, 16, 8, 47, tzinfo=UTC)
    assert out.dtype == pl.Datetime("us", "UTC")


def test_a_column_is_parsed_at_once_and_keeps_its_order() -> None:
    values = ["2026/11/16 9:47", None, "2026年11月16日 10:05", "bad", "20261116080000"] * 1000
    out = parse_timestamps(pl.Series("completed_at", values), SHANGHAI)
    assert out.name == "completed_at"
    assert out.len() == 5000
    assert out.null_count() == 2000
    assert out[2] == datetime(2026, 11, 16, 2, 5, tzinfo=UTC)
    assert out[4999] == datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
