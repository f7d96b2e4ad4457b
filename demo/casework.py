"""The demo's people at the staff web: unit liaisons who reply (or not), the director, the
discipline office, citizens who complain, a poll — simulated, deterministic by seed.

They act on the casework file exactly as the staff web would (``casework.store``), at the
demo's clock, so the month shows tickets in every state: some units reply in a day or two,
some late, some never (overdue, escalated); a 回访 finds a citizen still unhappy and the
director sends the ticket back; integrity reports are verified or found unfounded; two
complaints arrive (an SMS to the center's number, the web form of a door-plate QR code);
a unit appeals an evaluation and the director decides; a poll is drawn from a frame of
residents and contacted through the same simulated channels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from casework import model as m
from casework.deadlines import due_date as add_working_days  # cached
from casework.store import Casework

POLL_FILE = "demo/poll.toml"
FRAME_FILE = "demo/residents.csv"
POLL_TOML = """
poll_id = "MZDEMO01"
title = "关于老旧小区加装电梯实施方案的意见征集"
subject = "project"
starts = {starts}
ends = {ends}
target = "sample"
intro = "区住建局拟在老旧小区推行加装电梯，现征求居民意见。"
[sample]
total = 300
minimum = 20
allocation = "proportional"
stratum = "township"
[[questions]]
key = "support"
kind = "single"
text = "您是否支持在本小区加装电梯？"
options = ["支持", "不支持", "说不清"]
[[questions]]
key = "worry"
kind = "multiple"
text = "您最关心哪些方面？（可多选）"
options = ["费用分摊", "施工噪音", "低层采光", "后期维护"]
[[questions]]
key = "urgency"
kind = "scale"
text = "您认为加装电梯的迫切程度如何？（1 不迫切，5 非常迫切）"
[[questions]]
key = "idea"
kind = "text"
text = "其他意见建议"
"""
TOWNSHIPS = ("城东街道", "城西街道", "南湖镇", "北山镇")


def _fraction(*parts: object) -> float:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def write_poll_inputs(home: Path, month: str, seed: int) -> tuple[Path, Path]:
    """The poll's questionnaire and a frame of 4,000 residents (member id, mobile, township)."""
    first = date.fromisoformat(f"{month}-01")
    (home / POLL_FILE).write_text(
        POLL_TOML.format(starts=first + timedelta(days=4), ends=first + timedelta(days=25)), encoding="utf-8"
    )
    rows = [
        (f"R{i:05d}", f"13{5 + i % 4}{(seed * 7919 + i * 104729) % 10**8:08d}",
         TOWNSHIPS[int(_fraction(seed, "town", i) * 3.2) if i % 7 else 3])
        for i in range(4000)
    ]
    pl.DataFrame(rows, schema=["member_id", "phone", "township"], orient="row").write_csv(home / FRAME_FILE)
    return home / POLL_FILE, home / FRAME_FILE


def act(store: Casework, today: date, at: datetime, seed: int, satisfied_min: int,
        due: Callable[[str, datetime], date]) -> dict[str, int]:
    """What the people do on ``today`` (at ``at``): replies, 回访 decisions, 核实, routing."""
    done = {"replied": 0, "closed": 0, "returned": 0, "verified": 0, "routed": 0}
    for t in store.tickets(statuses=(m.ASSIGNED, m.OVERDUE)):
        opened = datetime.fromisoformat(t.opened_at).astimezone(at.tzinfo).date()
        if t.kind == m.INTEGRITY:
            if add_working_days(opened, 3) <= today:  # the discipline office's 核实
                verified = _fraction(seed, "verify", t.ticket_id) < 0.1
                store.verify(t.ticket_id, m.VERIFIED if verified else m.UNFOUNDED,
                             "调阅窗口记录、约谈当事人（演示）", verified, at, "demo:纪检")
                done["verified"] += 1
            continue
        u = _fraction(seed, "reply", t.ticket_id, t.round)
        if u < 0.2:
            continue  # this unit never answers: overdue, escalated
        days = 1 + int(u * 8)  # 1..8 working days: some after the deadline
        if add_working_days(opened, days) <= today:
            store.reply(t.ticket_id, t.unit_id or "", "已核实情况，向群众致歉并当面解释（演示）",
                        "完善一次性告知清单，加强窗口人员培训（演示）", at, f"demo:联络员-{t.unit_id}")
            done["replied"] += 1
    for t in store.tickets(statuses=(m.REVISITED,)):
        seen = datetime.fromisoformat(t.revisited_at or t.opened_at).astimezone(at.tzinfo).date()
        if add_working_days(seen, 2) > today:
            continue  # the director looks at it two working days later
        if _fraction(seed, "director", t.ticket_id) < 0.5 and t.round == 1:
            store.return_to_unit(t.ticket_id, due(t.kind, at), "群众仍不满意，请进一步整改（演示）", at, "demo:主任")
            done["returned"] += 1
        else:
            store.close_ticket(t.ticket_id, "已督促单位改进，群众意见已记录（演示）", at, "demo:主任")
            done["closed"] += 1
    for t in store.tickets(statuses=(m.OPEN,), kinds=(m.COMPLAINT,)):
        if datetime.fromisoformat(t.opened_at).astimezone(at.tzinfo).date() >= today:
            continue  # routed the next day
        units = sorted({x.unit_id for x in store.tickets() if x.unit_id})
        if units:
            unit = units[int(_fraction(seed, "route", t.ticket_id) * len(units))]
            store.route_complaint(t.case_id, unit, due(m.COMPLAINT, at), at, "demo:访评员")
            done["routed"] += 1
    return done


def appeal(store: Casework, at: datetime, seed: int) -> list[str]:
    """Two units contest a 不满意 evaluation each; the director upholds one, rejects the other."""
    filed = []
    by_unit: dict[str, list[m.Ticket]] = {}
    for t in store.tickets(kinds=(m.DISSATISFIED,)):
        if t.unit_id:
            by_unit.setdefault(t.unit_id, []).append(t)
    busiest = sorted(by_unit, key=lambda u: (-len(by_unit[u]), u))[:2]
    for k, unit in enumerate(busiest):
        ticket = by_unit[unit][0]
        ground = m.NOT_OUR_CASE if k == 0 else m.MALICIOUS
        reason = "该件由其他单位办理，系统归属有误（演示）" if k == 0 else "评价与实际办理情况不符（演示）"
        appeal_id = store.file_appeal(ticket.ticket_id, unit, ground, reason, at, f"demo:联络员-{unit}")
        store.decide_appeal(appeal_id, k == 0, "经核查办件系统记录（演示）", at + timedelta(hours=2), "demo:主任")
        filed.append(appeal_id)
    return filed
