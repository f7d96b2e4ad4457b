from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels import base as B
from channels.base import ContactRequest, InboundEvent
from channels.errors import PermanentSendError, TransientSendError
from channels.landing import LandingStore
from channels.simulated import SimulatedProvider

AT = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)


def _event(key: str, at: datetime = AT) -> InboundEvent:
    return InboundEvent(
        event_key=key, channel="sms", kind=B.DELIVERED, occurred_at=at, case_id="C1"
    )


def test_landing_records_each_event_once_and_tracks_loading(tmp_path: Path) -> None:
    with LandingStore(tmp_path / "l.sqlite") as store:
        assert store.record([_event("a"), _event("b"), _event("a")]) == 2
        assert store.record([_event("a")]) == 0
        later = datetime(2026, 10, 13, tzinfo=UTC)
        assert store.record([_event("c", later)]) == 1
        frame = store.pending_frame(until=AT)
        assert frame["event_key"].to_list() == ["a", "b"]
        store.mark_loaded(frame["seq"].to_list())
        assert store.pending_frame(until=AT).is_empty()
        assert store.pending_frame()["event_key"].to_list() == ["c"]
    # a second process (here: a second connection) sees the same events
    with LandingStore(tmp_path / "l.sqlite") as other:
        assert other.count() == 3


def _request(
    attempt: str, to: str = "+8613800000000", channel: B.Channel = "sms"
) -> ContactRequest:
    return ContactRequest(
        attempt_id=attempt, case_id=attempt.split(":")[0], channel=channel, to=to, at=AT
    )


def test_simulated_people_are_reproducible_per_attempt() -> None:
    runs = []
    for order in (range(200), reversed(range(200))):
        recorded: list[InboundEvent] = []

        def record(events: list[InboundEvent], sink: list[InboundEvent] = recorded) -> int:
            sink.extend(events)
            return len(events)

        provider = SimulatedProvider(record=record, seed=5)
        for i in order:
            provider.send(_request(f"C{i}:1"))
        runs.append(
            sorted((e.event_key, e.kind, e.occurred_at, tuple(e.detail.items())) for e in recorded)
        )
    assert runs[0] == runs[1]
    kinds = {k for _, k, _, _ in runs[0]}
    assert {B.SENT, B.DELIVERED, B.ANSWER} <= kinds
    assert all(at >= AT for _, _, at, _ in runs[0])


def test_simulated_provider_can_be_told_to_fail() -> None:
    provider = SimulatedProvider(
        record=lambda ev: len(ev),
        fail_numbers={"+8613900000000": B.INVALID_NUMBER},
        transient_every=3,
    )
    with pytest.raises(PermanentSendError) as info:
        provider.send(_request("C1:1", to="+8613900000000"))
    assert info.value.outcome == B.INVALID_NUMBER
    provider.send(_request("C2:1"))
    with pytest.raises(TransientSendError):
        provider.send(_request("C3:1"))
    assert provider.find("C2:1") is not None
    assert provider.find("C3:1") is None
