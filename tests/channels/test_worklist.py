"""The evaluators' worklist, used through its web page as an evaluator would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from channels.base import ContactRequest
from channels.landing import LandingStore
from channels.worklist.store import Worklist, WorklistProvider, record

AT = datetime(2026, 10, 13, 1, 30, tzinfo=UTC)


def _send(path: Path, n: int) -> None:
    worklist = Worklist(path, ("E1", "E2"))
    provider = WorklistProvider(worklist)
    for i in range(n):
        request = ContactRequest(
            attempt_id=f"C{i}:3",
            case_id=f"C{i}",
            channel="manual",
            to=f"+86138000000{i:02d}",
            at=AT,
            context={"unit": "示范区人社局", "category": "社保参保", "date": "2026-10-12"},
        )
        provider.send(request)
        provider.send(request)  # a resend after a crash adds nothing
        assert provider.find(request.attempt_id) is not None
    worklist.close()


def test_a_second_submit_records_nothing_and_values_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "landing.sqlite"
    _send(path, 3)
    with Worklist(path, ("E1", "E2")) as worklist, LandingStore(path) as landing:
        assert record(worklist, landing, "C0:3", "answered", {"satisfaction": "2"}, AT) == 2
        # the same item again, as another outcome: nothing more is recorded
        assert record(worklist, landing, "C0:3", "refused", {}, AT) == 0
        assert record(worklist, landing, "C0:3", "answered", {"satisfaction": "4"}, AT) == 0
        for bad in ({"satisfaction": "99"}, {"satisfaction": "3", "timeliness": "-7"},
                    {"satisfaction": "3", "integrity": "maybe"}, {"satisfaction": ""}):
            with pytest.raises(ValueError):
                record(worklist, landing, "C1:3", "answered", bad, AT)
        kinds = landing.pending_frame().filter(pl.col("case_id") == "C0")["kind"].to_list()
    assert sorted(kinds) == ["answer", "completed"]


def test_an_opted_out_number_leaves_the_list(tmp_path: Path) -> None:
    path = tmp_path / "landing.sqlite"
    _send(path, 3)
    with Worklist(path, ("E1", "E2")) as worklist:
        assert len(worklist.open_items()) == 3
        worklist._con.execute(
            "INSERT INTO twilio_opt_outs VALUES ('+8613800000001', '2026-10-13', 'sms')"
        )
        assert {i.case_id for i in worklist.open_items()} == {"C0", "C2"}
        assert worklist.withdraw(["+8613800000002"], AT) == 1
        assert {i.case_id for i in worklist.open_items()} == {"C0"}
