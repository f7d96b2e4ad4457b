"""The 回访 and poll contacts are attempts like any other: committed first, sent once, checked
against opt-outs at the moment of sending, and never asked of a channel that cannot ask them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from casework import model as m
from casework import polls
from casework.store import Casework
from channels.composite import CompositeProvider
from channels.landing import LandingStore
from channels.simulated import SimulatedProvider
from channels.worklist.store import Worklist, WorklistProvider
from flows import casework as stage
from flows.wiring import open_warehouse
from minyi.settings import load_settings

AT = datetime(2026, 10, 13, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a working day
POLL = """
title = "测试征集"
subject = "decision"
starts = 2026-10-01
ends = 2026-10-30
target = "sample"
[sample]
total = 1
[[questions]]
key = "support"
kind = "single"
text = "是否支持？"
options = ["支持", "不支持"]
"""


def test_revisits_and_polls_go_out_once_and_only_where_they_can_be_asked(home: Path) -> None:
    settings = load_settings(home)
    with open_warehouse(settings) as con, LandingStore(settings.landing_path) as landing:
        con.execute("INSERT INTO units VALUES ('U1', '甲局', 'agency', 'agency', NULL, now())")
        for case, phone in (("K1", "+8613900000001"), ("K2", "+8613900000002")):
            con.execute(
                "INSERT INTO cases (case_id, unit_id, category, completed_at, service_date, phone_e164, "
                "phone_status, content_hash, loaded_at) VALUES (?, 'U1', '户籍', now(), '2026-10-09', ?, "
                "'mobile', 'h', now())", [case, phone],
            )
        with Casework(settings.casework_path) as store:
            tickets = store.open_tickets(
                [(m.DISSATISFIED, k, "U1", AT, date(2026, 10, 20), "2026-10", "户籍", None) for k in ("K1", "K2")],
                "flow",
            )
            for tid in tickets:
                store.reply(tid, "U1", "已整改", "", AT, "sun")
            spec = polls.parse(POLL)
            polls.create(store, spec, "zhao", AT)
            polls.store_sample(store, spec.poll_id, [("M1", "s", 1, 1, 1.0, "+8613900000009")], {})
            store.add_attempts([(f"PL-{spec.poll_id}-M1", spec.poll_id, "M1", "sms", "+8613900000009")], AT)
        landing._con.execute("INSERT INTO twilio_opt_outs VALUES ('+8613900000002', ?, 'sms')", (AT.isoformat(),))
        worklist = Worklist(settings.landing_path, ("wang",))
        # SMS that can only ask the evaluation (as Twilio today), the evaluators for the rest
        sms_only = SimulatedProvider(record=landing.record, surveys=frozenset({"evaluation"}),
                                     behaviour={"sms": SimulatedProvider(record=landing.record).behaviour["sms"]})
        provider = CompositeProvider([sms_only, WorklistProvider(worklist)])
        with Casework(settings.casework_path) as store:
            planned, closed = stage.plan_revisits(con, settings, store, AT, provider, landing)
        assert (planned, closed) == (1, 1)  # K2's number opted out: closed without a 回访
        counts = stage.send_due(con, settings, provider, landing, AT, AT)
        assert counts["sent"] == 1
        again = stage.send_due(con, settings, provider, landing, AT, AT)
        assert again["sent"] == 0  # nothing twice
        items = worklist.open_items()
        assert [i.attempt_id for i in items] == [f"RV-{tickets[0]}-1"]
        with Casework(settings.casework_path) as store:
            poll_attempt = store.attempt(f"PL-{spec.poll_id}-M1")
            assert poll_attempt is not None and (poll_attempt.status, poll_attempt.error_code) == ("failed", "survey_unsupported")
            assert store.ticket(tickets[1]).close_note == "no_revisit_possible"
        assert landing.count() == 0  # the SMS provider was never asked to send the poll
        worklist.close()
