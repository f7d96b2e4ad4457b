"""The casework store: deadlines on the State Council calendar, the ticket state machine,
complaints, appeals and polls, refused where they must be."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from casework import deadlines, polls
from casework import model as m
from casework.errors import BadInput, NotAllowed
from casework.store import Casework, ticket_id_of

AT = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def test_a_deadline_crosses_national_day_on_the_state_council_calendar() -> None:
    # 1–7 October 2026 are holidays, Saturday 10 October a make-up working day (调休)
    assert deadlines.due_date(date(2026, 9, 29), 5) == date(2026, 10, 12)
    naive, day = 0, date(2026, 9, 29)
    while naive < 5:  # what Monday–Friday counting would say
        day += timedelta(days=1)
        naive += day.weekday() < 5
    assert day == date(2026, 10, 6)
    assert deadlines.reminder_date(date(2026, 9, 29), date(2026, 10, 12), 1) == date(2026, 10, 10)
    assert deadlines.reminder_date(date(2026, 10, 9), date(2026, 10, 10), 1) is None
    assert deadlines.is_overdue(date(2026, 10, 12), date(2026, 10, 13))
    assert not deadlines.is_overdue(date(2026, 10, 12), date(2026, 10, 12))


@pytest.fixture
def store(tmp_path: Path) -> Casework:
    path = tmp_path / "casework.sqlite"
    s = Casework(path)
    assert path.stat().st_mode & 0o777 == 0o600
    return s


def _open(store: Casework, case: str = "C1", unit: str | None = "U1", kind: str = m.DISSATISFIED) -> str:
    tid = store.open_ticket(kind, case, unit, opened_at=AT, due=date(2026, 10, 12), month="2026-09", actor="flow")
    assert tid == ticket_id_of(kind, case) and case not in tid
    return tid


def test_a_ticket_goes_from_the_unit_to_the_revisit_and_closes(store: Casework) -> None:
    tid = _open(store)
    assert store.open_ticket(m.DISSATISFIED, "C1", "U1", opened_at=AT, due=None, month="2026-09", actor="x") is None
    with pytest.raises(NotAllowed):
        store.reply(tid, "U2", "答复", "", AT, "other-unit")  # not their ticket
    with pytest.raises(BadInput):
        store.reply(tid, "U1", "   ", "", AT, "sun")  # a reply must say something
    assert store.reply(tid, "U1", "已致歉", "一次性告知", AT, "sun").status == m.REPLIED
    with pytest.raises(NotAllowed):
        store.reply(tid, "U1", "again", "", AT, "sun")
    assert store.record_revisit(tid, 2, 3, AT, "wang").status == m.REVISITED
    back = store.return_to_unit(tid, date(2026, 10, 20), "请进一步整改", AT, "zhao")
    assert (back.status, back.round, back.reply) == (m.ASSIGNED, 2, None)
    store.reply(tid, "U1", "再次整改", "", AT, "sun")
    done = store.record_revisit(tid, 4, 3, AT, "wang")
    assert (done.status, done.revisit_satisfaction, done.close_note) == (m.CLOSED, 4, "revisit_satisfied")
    events = [e.event for e in store.events(tid)]
    assert events == ["opened", "assigned", "replied", "revisited", "returned", "replied", "revisited"]


def test_overdue_is_marked_once_and_a_late_reply_is_remembered(store: Casework) -> None:
    tid = _open(store)
    assert store.mark_overdue(date(2026, 10, 12), AT, "flow") == []
    assert [t.ticket_id for t in store.mark_overdue(date(2026, 10, 13), AT, "flow")] == [tid]
    assert store.mark_overdue(date(2026, 10, 14), AT, "flow") == []
    assert [t.ticket_id for t in store.to_escalate()] == [tid]
    store.mark_escalated([tid], AT, "flow")
    assert store.to_escalate() == []
    late = store.reply(tid, "U1", "迟复", "", AT, "sun")
    assert (late.status, late.was_overdue) == (m.REPLIED, True)


def test_only_the_discipline_office_s_verified_report_is_a_veto_input(store: Casework) -> None:
    tid = _open(store, "C2", kind=m.INTEGRITY)
    with pytest.raises(BadInput):
        store.verify(tid, "verified", "", True, AT, "ji")  # evidence is required
    done = store.verify(tid, m.VERIFIED, "监控记录", True, AT, "ji")
    assert (done.status, done.veto_item, done.verifier) == (m.CLOSED, "integrity_verified", "ji")
    with pytest.raises(NotAllowed):
        store.verify(tid, m.UNFOUNDED, "再核", False, AT, "ji")
    other = _open(store, "C3", kind=m.INTEGRITY)
    assert store.verify(other, m.UNFOUNDED, "查无实据", True, AT, "ji").veto_item is None
    with pytest.raises(NotAllowed):
        store.verify(_open(store, "C4"), m.VERIFIED, "x", True, AT, "ji")  # a 不满意 ticket


def test_complaints_are_registered_once_and_routed(store: Casework) -> None:
    args = {"channel": "web", "received_at": AT, "text": "窗口态度差", "month": "2026-09", "actor": "web"}
    assert store.register_complaint("TS20260929-AAAAAA", **args)  # type: ignore[arg-type]
    assert not store.register_complaint("TS20260929-AAAAAA", **args)  # type: ignore[arg-type]
    tid = ticket_id_of(m.COMPLAINT, "TS20260929-AAAAAA")
    assert store.ticket(tid).status == m.OPEN
    routed = store.route_complaint("TS20260929-AAAAAA", "U2", date(2026, 10, 12), AT, "wang")
    assert (routed.status, routed.unit_id) == (m.ASSIGNED, "U2")
    with pytest.raises(BadInput):
        store.register_complaint("TS20260929-BBBBBB", **{**args, "channel": "fax"})  # type: ignore[arg-type]


def test_appeals_are_filed_by_the_unit_once_and_decided_once(store: Casework) -> None:
    tid = _open(store)
    with pytest.raises(NotAllowed):
        store.file_appeal(tid, "U2", m.MALICIOUS, "x", AT, "zhou")
    with pytest.raises(BadInput):
        store.file_appeal(tid, "U1", "because", "x", AT, "sun")
    appeal = store.file_appeal(tid, "U1", m.NOT_OUR_CASE, "非本单位办件", AT, "sun")
    with pytest.raises(NotAllowed):
        store.file_appeal(tid, "U1", m.MALICIOUS, "再申诉", AT, "sun")
    decided = store.decide_appeal(appeal, True, "核实属实", AT, "zhao")
    assert decided.status == m.UPHELD and store.ticket(tid).close_note == "appeal_upheld"
    with pytest.raises(NotAllowed):
        store.decide_appeal(appeal, False, "改判", AT, "zhao")


POLL = """
title = "意见征集"
subject = "decision"
starts = 2026-10-12
ends = 2026-10-30
target = "open"
[[questions]]
key = "support"
kind = "single"
text = "是否支持？"
options = ["支持", "不支持"]
[[questions]]
key = "why"
kind = "multiple"
text = "理由"
options = ["甲", "乙", "丙"]
"""


def test_polls_are_read_from_toml_and_answers_are_checked(store: Casework) -> None:
    spec = polls.parse(POLL)
    assert spec.target == "open" and spec.sample is None
    for bad in (POLL.replace('"open"', '"everyone"'), POLL.replace("2026-10-30", "2026-10-01"),
                POLL.replace('options = ["支持", "不支持"]', 'options = ["支持"]'), "title = "):
        with pytest.raises(BadInput):
            polls.parse(bad)
    with pytest.raises(BadInput):
        polls.parse(POLL.replace('target = "open"', 'target = "sample"'))  # no [sample]
    assert polls.check_answer(spec.question("why"), "3,1,1") == "1,3"
    for value in ("0", "4", "1,x", ""):
        with pytest.raises(BadInput):
            polls.check_answer(spec.question("why"), value)
    with pytest.raises(BadInput):
        polls.check_answer(spec.question("support"), "1,2")  # one option only
    polls.create(store, spec, "zhao", AT)
    with pytest.raises(NotAllowed):
        polls.create(store, spec, "zhao", AT)
    rows = [(spec.poll_id, "W1", "support", "2", "web", AT), (spec.poll_id, "W1", "support", "1", "web", AT),
            (spec.poll_id, "W1", "why", "9", "web", AT), (spec.poll_id, "W2", "nope", "1", "web", AT)]
    assert polls.add_answers(store, rows) == 1  # first answer wins; bad values and items dropped
    assert polls.answers(store, spec.poll_id) == [("W1", "support", "2", "web", AT.isoformat())]


def test_personal_data_of_what_ended_long_ago_is_purged(store: Casework) -> None:
    args = {"channel": "web", "received_at": AT, "text": "窗口态度差", "month": "2026-09", "actor": "web"}
    store.register_complaint("TS20260929-CCCCCC", **args, name="张三", phone="+8613800138000",  # type: ignore[arg-type]
                             named_consent=True, unit_id="U1", due=date(2026, 10, 12))
    tid = ticket_id_of(m.COMPLAINT, "TS20260929-CCCCCC")
    store.add_attempts([("RV-x-1", tid, "TS20260929-CCCCCC", "manual", "+8613800138000")], AT)
    store.mark_attempts([("RV-x-1", "sent", "WL1", None, AT)])
    early = store.purge(AT + timedelta(days=200))
    assert (early["complaints"], early["attempts"]) == (0, 1)  # not closed: kept; a sent call's number: gone
    store.reply(tid, "U1", "已处理", "", AT, "sun")
    store.record_revisit(tid, 5, 3, AT, "wang")
    assert store.purge(AT + timedelta(days=1)) == {"complaints": 1, "contacts": 1, "attempts": 0, "poll_members": 0}
    complaint = store.complaint("TS20260929-CCCCCC")
    assert (complaint.name, complaint.phone) == (None, None) and "张三" not in complaint.text
    assert store.ticket(tid).contact is None and store.ticket(tid).status == m.CLOSED
