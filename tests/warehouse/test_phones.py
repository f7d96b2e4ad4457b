from __future__ import annotations

import polars as pl
import pytest

from warehouse.phones import mask, mask_in_text, mask_text, normalise


@pytest.mark.parametrize(
    ("raw", "e164", "status"),
    [
        ("13812345678", "+8613812345678", "mobile"),
        ("138 1234 5678", "+8613812345678", "mobile"),
        ("+86-139-1234-5678", "+8613912345678", "mobile"),
        ("008613712345678", "+8613712345678", "mobile"),
        ("8613712345678", "+8613712345678", "mobile"),
        ("１３８１２３４５６７８", "+8613812345678", "mobile"),
        ("(0086) 137.1234.5678", "+8613712345678", "mobile"),
        ("12812345678", None, "invalid"),
        ("010-12345678", None, "landline"),
        ("02087654321", None, "landline"),
        ("+1 415 555 0100", None, "foreign"),
        ("12345", None, "invalid"),
        ("", None, "blank"),
        (None, None, "blank"),
        # what Excel leaves on a number
        ("13812340017.0", "+8613812340017", "mobile"),
        ('="13812340016"', "+8613812340016", "mobile"),
        ("'13812340015", "+8613812340015", "mobile"),
        ("138 1234 0014（本人）", "+8613812340014", "mobile"),
        ("1.3812340013E10", "+8613812340013", "mobile"),
        ("1.38123400130e+10", "+8613812340013", "mobile"),
        ("1.38123E+10", None, "invalid"),  # digits lost: never guessed
        ("1.381234001E10", None, "invalid"),  # the last digit may have been rounded away
        ("13812340017.5", None, "invalid"),
        ("１３８１２３４００１２", "+8613812340012", "mobile"),
        ("+86 １３８１２３４００１１", "+8613812340011", "mobile"),
        ("0086-138-1234-0010", "+8613812340010", "mobile"),
        ("86 13812340019", "+8613812340019", "mobile"),
        ("手机：13812340018", "+8613812340018", "mobile"),
        ("13812340014/13912345678", "+8613812340014", "mobile"),
        ("0571-88888888或13912345670", "+8613912345670", "mobile"),
        ("0571-87654321转801", None, "landline"),
        ("（本人）", None, "blank"),
        ("无", None, "blank"),
    ],
)
def test_normalise(raw: str | None, e164: str | None, status: str) -> None:
    out = normalise(pl.Series([raw], dtype=pl.String))
    assert out.row(0) == (e164, status)


def test_mask() -> None:
    assert mask("+8613812345678") == "138****5678"
    assert mask(None) is None


def test_a_column_keeps_its_order_when_some_need_repair() -> None:
    raw = ["13812340001", "13812340002.0", None, "13812340003", "010-12345678", "'13812340004"]
    out = normalise(pl.Series(raw * 500, dtype=pl.String))
    assert out.height == 3000
    assert out.row(1) == ("+8613812340002", "mobile")
    assert out.row(2) == (None, "blank")
    assert out.row(4) == (None, "landline")
    assert out.row(2999) == ("+8613812340004", "mobile")
    assert out["phone_status"].value_counts().sort("phone_status").rows() == [
        ("blank", 500),
        ("landline", 500),
        ("mobile", 2000),
    ]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("completed_at '13912345678'", "completed_at '139****5678'"),
        ("+86 139-1234-5678 and 13812345678", "+86 139****5678 and 138****5678"),
        ("13812345678,13912345678", "138****5678,139****5678"),
        ("'8613812345678'", "'86138****5678'"),
        ("１３８１２３４５６７８", "138****5678"),
        ("13812340017.0", "138****0017.0"),
        ("1.3812340013E10", "1.38****E10"),
        # a longer digit run is an id, not a phone
        ("case_id '3301022026111613812345678'", "case_id '3301022026111613812345678'"),
        ("unit '0999'", "unit '0999'"),
    ],
)
def test_mask_in_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert pl.select(mask_in_text(pl.lit(text))).item() == masked
