"""AAPOR codes on hand-built event histories, and the outcome rates by hand."""

from __future__ import annotations

import polars as pl
import pytest

from sampling.dispositions import SUMMARY_COLUMNS, assign, rates

BASE = dict.fromkeys(SUMMARY_COLUMNS[2:], False)


def _case(case_id: str, attempts: int = 1, **flags: bool) -> dict[str, object]:
    return {"case_id": case_id, "attempts": attempts, **BASE, **flags}


HISTORIES = [
    (
        _case("complete", satisfaction_answered=True, later_items_answered=True, contacted=True),
        "1.1",
    ),
    (_case("partial", satisfaction_answered=True, contacted=True), "1.2"),
    (_case("sms-opt-out", refused=True, contacted=True), "2.11"),
    (_case("hung-up", break_off=True, contacted=True), "2.12"),
    (_case("delivered-silent", contacted=True), "2.20"),
    (_case("garbled-reply", unreadable=True, contacted=True), "2.30"),
    (_case("dead-number", undeliverable=True), "3.16"),
    (_case("never-tried", attempts=0), "3.19"),
    (_case("not-theirs", wrong_number=True, contacted=True), "4.70"),
    # answered after an earlier refusal on another channel: the interview counts
    (
        _case(
            "answered-later", refused=True, satisfaction_answered=True, later_items_answered=True
        ),
        "1.1",
    ),
]


@pytest.mark.parametrize(("history", "code"), HISTORIES, ids=[h["case_id"] for h, _ in HISTORIES])
def test_codes(history: dict[str, object], code: str) -> None:
    assert assign(pl.DataFrame([history]))["aapor_code"].item() == code


def test_rates_by_hand() -> None:
    codes = ["1.1"] * 4 + ["1.2"] + ["2.11"] * 2 + ["2.20"] * 2 + ["2.30"] + ["3.16"] * 2 + ["4.70"]
    frame = pl.DataFrame({"unit_id": ["U"] * len(codes), "aapor_code": codes})
    row = rates(frame, ["unit_id"]).row(0, named=True)
    i, p, r, nc, o, u, ne = 4, 1, 2, 2, 1, 2, 1
    assert row["RR1"] == pytest.approx(i / (i + p + r + nc + o + u))
    e = (i + p + r + nc + o) / (i + p + r + nc + o + ne)
    assert row["RR3"] == pytest.approx(i / (i + p + r + nc + o + e * u))
    assert row["COOP1"] == pytest.approx(i / (i + p + r + o))
    assert row["REF1"] == pytest.approx(r / (i + p + r + nc + o + u))
    assert row["CON1"] == pytest.approx((i + p + r + o) / (i + p + r + nc + o + u))
