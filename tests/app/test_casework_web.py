"""Complaints taken by phone on the staff web: registered, routed, answered by the unit, with
the complainant named to the unit only when they agreed; each role limited to its part."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.server import build_staff_app
from flows import staff
from flows.publish import publish
from flows.wiring import open_warehouse
from minyi.registration import looks_like_registration
from minyi.settings import Settings, load_settings

PASSWORD = "correct horse battery"


def _web(settings: Settings, user: str) -> tuple[TestClient, str]:
    client = TestClient(build_staff_app(settings))
    token = re.search(r"name='csrf' value='([^']+)'", client.get("/signin").text).group(1)  # type: ignore[union-attr]
    client.post("/signin", data={"username": user, "password": PASSWORD, "csrf": token})
    return client, re.search(r"name='csrf' value='([^']+)'", client.get("/").text).group(1)  # type: ignore[union-attr]


@pytest.fixture
def settings(home: Path) -> Settings:
    settings = load_settings(home)
    with open_warehouse(settings) as con:
        con.execute("INSERT INTO units VALUES ('U1', '甲局', 'agency', 'agency', NULL, now()), "
                    "('U2', '乙窗口', 'window', 'window', NULL, now())")
        publish(con, settings)
    with staff.accounts(settings) as store:
        for name, role, unit in (("wang", "evaluator", None), ("sun", "liaison", "U1"),
                                 ("zhou", "liaison", "U2"), ("qian", "auditor", None)):
            store.add(name, role, PASSWORD, unit_id=unit)
            store.set_password(name, PASSWORD, must_change=False)
    return settings


def test_a_phone_complaint_is_registered_routed_and_answered(settings: Settings) -> None:
    wang, csrf = _web(settings, "wang")
    form = wang.get("/complaints/new").text
    entry = re.search(r"name='entry' value='([^']+)'", form).group(1)  # type: ignore[union-attr]
    named = {"entry": entry, "text": "窗口工作人员让我明天再来", "unit_id": "U1", "name": "李女士",
             "phone": "13900001111", "consent": "1", "csrf": csrf}
    assert wang.post("/complaints", data={**named, "csrf": ""}).status_code == 403
    done = wang.post("/complaints", data=named)
    number = re.search(r"<strong>([^<]+)</strong>", done.text).group(1)  # type: ignore[union-attr]
    assert looks_like_registration(number)
    assert number in wang.post("/complaints", data=named).text  # a double submit: the same one
    with staff.casework(settings) as store:
        assert len(store.complaints()) == 1
        ticket = store.tickets(kinds=("complaint",))[0]
    assert (ticket.status, ticket.unit_id, ticket.due_date is not None) == ("assigned", "U1", True)

    sun, scsrf = _web(settings, "sun")
    page = sun.get(f"/tickets/{ticket.ticket_id}").text
    assert "让我明天再来" in page and "李女士" in page and "+8613900001111" in page  # named: agreed
    assert number not in page  # the unit sees the ticket, not the registration record
    zhou, _ = _web(settings, "zhou")
    assert zhou.get(f"/tickets/{ticket.ticket_id}").status_code == 404
    auditor, _ = _web(settings, "qian")
    seen = auditor.get(f"/tickets/{ticket.ticket_id}").text
    assert "李女士" not in seen and "13900001111" not in seen
    assert sun.post(f"/tickets/{ticket.ticket_id}/reply",
                    data={"reply": "已联系李女士并当场办结", "rectification": "", "csrf": scsrf},
                    follow_redirects=False).status_code == 303

    # an anonymous complaint with no unit waits to be routed; the complainant stays unnamed
    entry2 = re.search(r"name='entry' value='([^']+)'", wang.get("/complaints/new").text).group(1)  # type: ignore[union-attr]
    wang.post("/complaints", data={"entry": entry2, "text": "不知道找哪个部门", "phone": "13900002222", "csrf": csrf})
    with staff.casework(settings) as store:
        waiting = next(t for t in store.tickets(kinds=("complaint",)) if t.status == "open")
    assert wang.post(f"/tickets/{waiting.ticket_id}/route", data={"unit_id": "U9", "csrf": csrf}).status_code == 422
    assert zhou.post(f"/tickets/{waiting.ticket_id}/route", data={"unit_id": "U2", "csrf": csrf}).status_code == 403
    assert wang.post(f"/tickets/{waiting.ticket_id}/route", data={"unit_id": "U2", "csrf": csrf},
                     follow_redirects=False).status_code == 303
    routed = zhou.get(f"/tickets/{waiting.ticket_id}").text
    assert "不知道找哪个部门" in routed and "13900002222" not in routed
    with staff.accounts(settings) as store:
        actions = [(e.actor, e.action) for e in store.audit_log()]
    assert ("wang", "complaint.register") in actions and ("wang", "complaint.route") in actions
    assert ("sun", "followup.reply") in actions


def test_the_ticket_list_opens_on_what_still_needs_someone(settings: Settings) -> None:
    """Default: every state but closed, overdue first; ?status=all lists every ticket."""
    wang, csrf = _web(settings, "wang")
    for text in ("窗口让我明天再来", "电话一直没人接", "材料要求反复变"):
        entry = re.search(r"name='entry' value='([^']+)'", wang.get("/complaints/new").text).group(1)  # type: ignore[union-attr]
        wang.post("/complaints", data={"entry": entry, "text": text, "unit_id": "U1", "csrf": csrf})
    with staff.casework(settings) as store:
        first, second, third = store.tickets(kinds=("complaint",))
        store.reply(first.ticket_id, "U1", "已当场办结", "", staff.now(), "sun")
        store.record_revisit(first.ticket_id, 5, 4, staff.now(), "wang")  # satisfied: closed
        store.mark_overdue(date.fromisoformat(third.due_date) + timedelta(days=1), staff.now(), "flow")
        numbers = [t.ticket_id for t in (first, second, third)]
        states = {t.ticket_id: t.status for t in store.tickets(kinds=("complaint",))}
    assert states[numbers[0]] == "closed" and "overdue" in (states[numbers[1]], states[numbers[2]])
    listed = re.findall(r"href='/tickets/([^']+)'", wang.get("/tickets").text)
    assert numbers[0] not in listed and set(listed) == set(numbers[1:])
    assert states[listed[0]] == "overdue"  # overdue first
    assert set(re.findall(r"href='/tickets/([^']+)'", wang.get("/tickets?status=all").text)) == set(numbers)
    assert re.findall(r"href='/tickets/([^']+)'", wang.get("/tickets?status=closed").text) == [numbers[0]]
