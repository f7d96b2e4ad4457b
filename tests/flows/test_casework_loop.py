"""Closing the loop in a real home, as its people use it: evaluators, a liaison per unit, the
director, the discipline office, all on the staff web (signed in, CSRF tokens), the flows by
the CLI. The clock is held at each step so the month around 国庆 plays out as it would.

One home, one story: answers at the end of September 2026 open tickets whose deadline crosses
the National Day holiday; a unit replies, the 回访 is called and closes the loop; the others
are reminded, go overdue and are escalated (a robot receives the notice); an integrity report
is verified and becomes a 一票否决 input; the month closes; two appeals are decided, one
upheld (its answer leaves the statistics, the month is closed again, the bulletin re-issued
with a 更正说明) and one rejected; a poll is drawn from a frame, answered and reported.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.server import build_staff_app
from channels import clock
from flows import staff
from minyi.settings import load_settings

CN = ZoneInfo("Asia/Shanghai")
PASSWORD = "a-long-enough-pass"
UNITS = "unit_id,unit_name,unit_kind\nU1,甲局,agency\nU2,乙窗口,window\n"
POLL = """
title = "关于老旧小区加装电梯实施方案的意见征集"
subject = "project"
starts = 2026-10-12
ends = 2026-10-30
target = "sample"
[sample]
total = 8
minimum = 2
allocation = "proportional"
stratum = "township"
[[questions]]
key = "support"
kind = "single"
text = "您是否支持该实施方案？"
options = ["支持", "不支持", "说不清"]
[[questions]]
key = "worry"
kind = "multiple"
text = "您最关心哪些方面？"
options = ["费用", "施工噪音", "采光"]
[[questions]]
key = "idea"
kind = "text"
text = "其他意见建议"
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CN)


@pytest.fixture
def robot() -> Iterator[tuple[list[str], int]]:
    got: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append(body["text"]["content"])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode":0}')

        def log_message(self, *args: object) -> None:
            pass

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = HTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got, port
    finally:
        server.shutdown()
        server.server_close()


def _minyi(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> str:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _web(home: Path, user: str) -> tuple[TestClient, str]:
    client = TestClient(build_staff_app(load_settings(home)))
    token = re.search(r"name='csrf' value='([^']+)'", client.get("/signin").text).group(1)  # type: ignore[union-attr]
    assert client.post("/signin", data={"username": user, "password": PASSWORD, "csrf": token},
                       follow_redirects=False).status_code == 303
    csrf = re.search(r"name='csrf' value='([^']+)'", client.get("/").text).group(1)  # type: ignore[union-attr]
    return client, csrf


def _copy(home: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def _tickets(home: Path) -> dict[str, tuple[str, str, str, str | None]]:
    """case_id → (ticket, kind, status, due_date) from the casework file."""
    with staff.casework(load_settings(home)) as store:
        return {t.case_id + ":" + t.kind: (t.ticket_id, t.kind, t.status, t.due_date) for t in store.tickets()}


@pytest.mark.flow
def test_the_loop_is_closed_through_the_staff_web(
    prefect_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], robot: tuple[list[str], int]
) -> None:
    notices, port = robot
    home = tmp_path / "center"
    (home / "inbox" / "cases").mkdir(parents=True)
    (home / "minyi.env").write_text(
        "MINYI_PROVIDER=manual\nMINYI_MIN_RESPONDENTS=5\nMINYI_EVALUATORS=2\nMINYI_MIN_CELL=6\n"
        f"MINYI_NOTIFY_WEBHOOK_URL=http://127.0.0.1:{port}/robot\n", encoding="utf-8",
    )
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    _minyi(capsys, home, "units", "load", str(tmp_path / "units.csv"))
    for name, role, unit in (("wang", "evaluator", None), ("zhao", "director", None),
                             ("sun", "liaison", "U1"), ("zhou", "liaison", "U2"), ("ji", "discipline", None)):
        _minyi(capsys, home, "users", "add", name, "--role", role, *(["--unit", unit] if unit else []))
        with staff.accounts(load_settings(home)) as store:
            store.set_password(name, PASSWORD, must_change=False)
    rows = ["case_id,unit_id,category,completed_at,phone"] + [
        f"C{i:03d},U{i % 2 + 1},类别{i % 3},2026-09-28 10:{i:02d}:00,139{i:08d}" for i in range(30)
    ]
    (home / "inbox" / "cases" / "0928.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    _minyi(capsys, home, "day", "--date", "2026-09-28")
    assert "sent 30" in _minyi(capsys, home, "dispatch", "--at", "2026-09-29T09:30:00+08:00")

    # --- the evaluator calls everyone on 29 September; every 3rd is 不满意, one reports 吃拿卡要
    clock.hold(at("2026-09-29T10:00"))
    web, csrf = _web(home, "wang")
    for k, attempt in enumerate(re.findall(r"action='/worklist/item/([^']+)'", web.get("/worklist").text)):
        level = "2" if k % 3 == 0 else "4"
        answers = {"outcome": "answered", "satisfaction": level, "integrity": "yes" if k == 1 else "no",
                   "timeliness": "3", "reason": "来回跑了好几次，窗口态度不好" if level == "2" else "", "csrf": csrf}
        assert web.post(f"/worklist/item/{attempt}", data=answers, follow_redirects=False).status_code == 303
    _minyi(capsys, home, "dispatch", "--at", "2026-09-29T10:30:00+08:00")
    out = _minyi(capsys, home, "casework", "--at", "2026-09-29T11:00:00+08:00")
    tickets = _tickets(home)
    dissatisfied = {k: v for k, v in tickets.items() if v[1] == "dissatisfied"}
    integrity = [v for v in tickets.values() if v[1] == "integrity"]
    assert len(dissatisfied) == 10 and len(integrity) == 1 and "tickets opened 11" in out
    # 5 working days from 29 Sep cross 国庆 (1–7 Oct off, Sat 10 Oct a make-up working day):
    # 30 Sep, 8, 9, 10, 12 Oct — Monday–Friday counting would have said 6 Oct
    assert {v[3] for v in dissatisfied.values()} == {"2026-10-12"}
    assert all(v[2] == "assigned" for v in tickets.values())

    # --- the liaison of U1 sees their unit's tickets, back to back
    clock.hold(at("2026-09-30T10:00"))
    liaison, lcsrf = _web(home, "sun")
    unit_page = liaison.get("/unit").text
    mine = re.findall(r"href='/tickets/(ZB\w+)'", unit_page)
    u1 = [v for k, v in dissatisfied.items() if int(k[1:4]) % 2 == 0]
    u2 = [v for k, v in dissatisfied.items() if int(k[1:4]) % 2 == 1]
    assert sorted(mine) == sorted(v[0] for v in u1) and u1 and u2
    assert not re.search(r"C\d{3}|1[3-9]\d{9}|来回跑", unit_page)  # no case, no number, no words
    detail = liaison.get(f"/tickets/{u1[0][0]}").text
    assert "服务态度不好" in detail and not re.search(r"C\d{3}|1[3-9]\d{9}|来回跑", detail)
    assert liaison.get(f"/tickets/{u2[0][0]}").status_code == 404  # another unit's
    assert liaison.get(f"/tickets/{integrity[0][0]}").status_code == 404  # integrity: never
    for path in ("/tickets", "/appeals", "/audit", "/worklist"):
        assert liaison.get(path).status_code == 403
    reply = {"reply": "已约谈窗口负责人并致歉", "rectification": "推行一次性告知", "csrf": lcsrf}
    assert liaison.post(f"/tickets/{u1[0][0]}/reply", data={**reply, "csrf": ""}).status_code == 403
    assert liaison.post(f"/tickets/{u2[0][0]}/reply", data=reply).status_code == 404
    assert liaison.post(f"/tickets/{u1[0][0]}/reply", data=reply, follow_redirects=False).status_code == 303
    assert liaison.post(f"/tickets/{u1[0][0]}/reply", data=reply).status_code == 422  # once

    # --- the 回访: planned by the flow, put on the evaluators' list by dispatch, answered on the web
    out = _minyi(capsys, home, "casework", "--at", "2026-09-30T11:00:00+08:00")
    assert "回访 planned 1" in out
    _minyi(capsys, home, "dispatch", "--at", "2026-09-30T14:30:00+08:00")
    clock.hold(at("2026-09-30T15:00"))
    web, csrf = _web(home, "wang")
    revisits = re.findall(r"action='/worklist/casework/(RV-[^']+)'", web.get("/worklist").text)
    assert revisits == [f"RV-{u1[0][0]}-1"] and "已约谈窗口负责人并致歉" in web.get("/worklist").text
    assert web.post(f"/worklist/casework/{revisits[0]}", data={"outcome": "answered", "recovery": "9", "csrf": csrf}).status_code == 422
    assert web.post(f"/worklist/casework/{revisits[0]}", data={"outcome": "answered", "recovery": "4", "csrf": csrf},
                    follow_redirects=False).status_code == 303
    _minyi(capsys, home, "casework", "--at", "2026-09-30T16:00:00+08:00")
    with staff.casework(load_settings(home)) as store:
        closed = store.ticket(u1[0][0])
    assert (closed.status, closed.revisit_satisfaction) == ("closed", 4)

    # --- the discipline office verifies the integrity report; only then is it a veto input
    clock.hold(at("2026-10-08T10:00"))
    ji, jcsrf = _web(home, "ji")
    assert ji.get(f"/tickets/{u1[1][0]}").status_code == 403  # not its business
    verify = {"outcome": "verified", "evidence": "调取窗口监控并约谈当事人，情况属实", "veto": "1", "csrf": jcsrf}
    assert ji.post(f"/tickets/{integrity[0][0]}/verify", data=verify, follow_redirects=False).status_code == 303

    # --- reminders on the make-up Saturday, then overdue and escalated to the director
    _minyi(capsys, home, "casework", "--at", "2026-10-10T08:00:00+08:00")
    assert any("到期提醒" in n for n in notices)
    out = _minyi(capsys, home, "casework", "--at", "2026-10-13T08:00:00+08:00")
    waiting = len(dissatisfied) - 1
    assert f"overdue {waiting}, escalated {waiting}" in out
    escalation = next(n for n in notices if "超期督办" in n)
    assert u2[0][0] in escalation and not re.search(r"C\d{3}|1[3-9]\d{9}", escalation)
    assert _copy(home, "SELECT count(*) FROM v_followups WHERE status = 'overdue'") == [(waiting,)]
    per_unit = _copy(home, "SELECT sum(tickets), sum(overdue), sum(revisited) FROM v_unit_followups "
                           "WHERE month = '2026-09'")
    assert per_unit == [(len(dissatisfied), waiting, 1)]

    # --- September closes; the bulletin reports the follow-ups; the verified veto is exported
    out = _minyi(capsys, home, "month", "--month", "2026-09", "--cutoff", "2026-10-13T09:00:00+08:00")
    folder = home / "bulletins" / "2026-09"
    page = (folder / "bulletin.html").read_text(encoding="utf-8")
    assert "跟踪督办情况" in page and "按期办结率" in page and "更正说明" not in page
    conduct = pl.read_csv(folder / "conduct.csv", infer_schema=False)
    vetoed = set(conduct.filter(pl.col("veto").str.to_lowercase() == "true")["unit_id"].to_list())
    assert vetoed == {dict(_copy(home, "SELECT followup_id, unit_id FROM v_followups"))[integrity[0][0]]}
    # the liaison's month: their unit only; a cell under MINYI_MIN_CELL (6) shows its count only
    liaison, _ = _web(home, "sun")
    own = liaison.get("/unit").text
    cells = re.findall(r"<tr><td>(事项类别|经办人)</td><td>([^<]*)</td><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", own)
    assert cells and all((sat == "—") == (int(n) < 6) for _, _, n, sat, _ in cells)
    assert {sat == "—" for _, _, _, sat, _ in cells} == {True, False}
    assert "甲局" in own and "乙窗口" not in own and not re.search(r"C\d{3}|1[3-9]\d{9}", own)
    before = dict(_copy(home, "SELECT unit_id, responded FROM v_unit_month WHERE month = '2026-09'"))
    rate_before = dict(_copy(home, "SELECT unit_id, satisfaction_rate FROM v_unit_month WHERE month = '2026-09'"))

    # --- appeals: U1 contests one 不满意 answer (not our case), U2 another (malicious)
    clock.hold(at("2026-10-14T10:00"))
    contested = {"U1": u1[1], "U2": u2[0]}
    liaison, lcsrf = _web(home, "sun")
    assert liaison.post(f"/tickets/{contested['U2'][0]}/appeal",
                        data={"ground": "malicious", "reason": "x", "csrf": lcsrf}).status_code == 404
    assert liaison.post(f"/tickets/{contested['U1'][0]}/appeal",
                        data={"ground": "not_our_case", "reason": "该件实为区政务中心代办", "csrf": lcsrf},
                        follow_redirects=False).status_code == 303
    other, ocsrf = _web(home, "zhou")
    assert other.post(f"/tickets/{contested['U2'][0]}/appeal",
                      data={"ground": "malicious", "reason": "群众评价与事实不符", "csrf": ocsrf},
                      follow_redirects=False).status_code == 303
    director, dcsrf = _web(home, "zhao")
    listing = director.get("/appeals").text
    appeals = re.findall(r"action='/appeals/(SS\w+)/decide'", listing)
    assert len(appeals) == 2
    with staff.casework(load_settings(home)) as store:
        by_unit = {a.unit_id: a for a in store.appeals()}
    assert liaison.post(f"/appeals/{by_unit['U1'].appeal_id}/decide",
                        data={"decision": "upheld", "note": "x", "csrf": lcsrf}).status_code == 403
    for unit, decision in (("U1", "upheld"), ("U2", "rejected")):
        done = director.post(f"/appeals/{by_unit[unit].appeal_id}/decide",
                             data={"decision": decision, "note": "经核查办件系统", "csrf": dcsrf},
                             follow_redirects=False)
        assert done.status_code == 303
    out = _minyi(capsys, home, "casework", "--at", "2026-10-14T11:00:00+08:00")
    assert "2026-09: closed again after appeals" in out
    after = dict(_copy(home, "SELECT unit_id, responded FROM v_unit_month WHERE month = '2026-09'"))
    rate_after = dict(_copy(home, "SELECT unit_id, satisfaction_rate FROM v_unit_month WHERE month = '2026-09'"))
    assert after == {"U1": before["U1"] - 1, "U2": before["U2"]}  # upheld: out; rejected: kept
    # one 不满意 answer fewer: U1's rate rises; U2 keeps its answers (its rate moves only as the
    # weighting classes, category × month, are shared with U1's cases)
    assert rate_after["U1"] > rate_before["U1"]
    for ticket, present in ((contested["U1"][0], 0), (contested["U2"][0], 1)):
        assert _copy(home, "SELECT count(*) FROM v_responses WHERE case_id IN "
                     f"(SELECT case_id FROM v_followups WHERE followup_id = '{ticket}')") == [(present,)]
    assert _copy(home, "SELECT status FROM v_appeals ORDER BY unit_id") == [("upheld",), ("rejected",)]
    page = (folder / "bulletin.html").read_text(encoding="utf-8")
    assert "更正说明" in page and "非本单位办件" in page
    with staff.accounts(load_settings(home)) as store:
        log = [(e.actor, e.action, e.after or "") for e in store.audit_log()]
    assert any(a == ("zhao", "appeal.decide", a[2]) and "excluded from the statistics" in a[2] for a in log)
    assert any(action == "month.reclose" for _, action, _ in log)
    assert _copy(home, "SELECT count(*) FROM v_audit WHERE action = 'appeal.decide'") == [(2,)]
    audit_text = " ".join(str(r) for r in _copy(home, "SELECT * FROM v_audit"))
    assert not re.search(r"1[3-9]\d{9}", audit_text)

    # --- a poll drawn from a frame, called by the evaluators, reported with intervals
    frame = ["member_id,phone,township"] + [
        f"M{i:02d},137{i:08d},{'东街道' if i < 12 else '西镇'}" for i in range(20)
    ] + ["M98,not-a-number,西镇"]
    (tmp_path / "poll.toml").write_text(POLL, encoding="utf-8")
    (tmp_path / "frame.csv").write_text("\n".join(frame) + "\n", encoding="utf-8")
    poll_id = re.search(r"poll (\w+) created", _minyi(capsys, home, "poll", "create", str(tmp_path / "poll.toml"))).group(1)  # type: ignore[union-attr]
    out = _minyi(capsys, home, "poll", "draw", poll_id, "--frame", str(tmp_path / "frame.csv"))
    assert "frame 20, eligible 20, sampled 8 in 2 strata" in out
    _minyi(capsys, home, "dispatch", "--at", "2026-10-15T10:00:00+08:00")
    clock.hold(at("2026-10-15T11:00"))
    web, csrf = _web(home, "wang")
    calls = re.findall(r"action='/worklist/casework/(PL-[^']+)'", web.get("/worklist").text)
    assert len(calls) == 8
    for k, call in enumerate(calls):
        data: dict[str, object] = {"outcome": "answered", "q_support": "1" if k % 3 else "2",
                                   "q_worry": ["1", "3"], "q_idea": "费用分摊要公开" if k == 0 else "", "csrf": csrf}
        if k == 7:
            data = {"outcome": "no_answer", "csrf": csrf}
        if k == 0:
            assert web.post(f"/worklist/casework/{call}", data={**data, "q_support": "7"}).status_code == 422
        assert web.post(f"/worklist/casework/{call}", data=data, follow_redirects=False).status_code == 303
    _minyi(capsys, home, "casework", "--at", "2026-10-15T12:00:00+08:00")
    out = _minyi(capsys, home, "poll", "report", poll_id)
    assert f"{poll_id}: 7 respondents" in out
    report = (home / "polls" / poll_id / "report.html").read_text(encoding="utf-8")
    assert "95% 置信区间" in report and "非概率" not in report and "收费问题" in report
    assert (home / "polls" / poll_id / "report.pdf").read_bytes().startswith(b"%PDF")
    sheet = pl.read_excel(home / "polls" / poll_id / "results.xlsx")
    support = sheet.filter(pl.col("item") == "support")
    assert support["chosen"].sum() == 7 and support["ci_low"].is_not_null().all()
    assert abs(support["estimate"].sum() - 1.0) < 1e-9
    assert _copy(home, f"SELECT sampled, responded FROM v_polls WHERE poll_id = '{poll_id}'") == [(8, 7)]
    assert _copy(home, f"SELECT count(*) FROM v_poll_results WHERE poll_id = '{poll_id}' AND ci_low IS NOT NULL")[0][0] >= 5
    clock.hold(None)
