from __future__ import annotations

import polars as pl
import pytest

from warehouse.phones import mask, normalise


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
    ],
)
def test_normalise(raw: str | None, e164: str | None, status: str) -> None:
    out = normalise(pl.Series([raw], dtype=pl.String))
    assert out.row(0) == (e164, status)


def test_mask() -> None:
    assert mask("+8613812345678") == "138****5678"
    assert mask(None) is None
