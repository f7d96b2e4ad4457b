"""The staff web's casework pages: tickets, complaints, appeals, polls, the unit's own pages.

Who does what (every POST needs the session's CSRF token; every change is audited):

- **liaison** (one unit): ``/unit`` — the unit's month (背对背: counts only in cells under
  ``MINYI_MIN_CELL``), its tickets (ticket numbers, category, month and coded reason; never
  a case id, a number or a citizen's words unless the citizen agreed to be named), reply
  with the 整改 record, appeal an evaluation (申诉), its appeals. Never integrity reports.
- **evaluator**: ``/tickets``, enter a phone complaint (``/complaints/new``), route an open
  complaint to a unit, record a citizen's consent to be named; 回访 calls come on the worklist.
- **director**: all of the above but replies; close or return a ticket after its 回访;
  decide appeals (``/appeals``); sees polls.
- **discipline** (纪检): integrity reports and complaints: 核实 (verified with evidence, or
  unfounded); only a verified report with 一票否决 ticked feeds the conduct export.
- **auditor**: reads everything but contact details, changes nothing.
"""

from __future__ import annotations

import secrets
from html import escape
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.staff.auth import Auth
from app.staff.page import page, table
from flows import staff
from flows.staff import casework_model as m
from minyi.settings import Settings

STAFF_READERS = ("director", "evaluator", "auditor", "discipline")
GROUND_NAMES = m.GROUNDS

LIST_LIMIT = 500  # rows of one ticket list page


def _hidden(csrf: str) -> str:
    return f"<input type='hidden' name='csrf' value='{escape(csrf)}'>"


def _form(action: str, csrf: str, inner: str, button: str) -> str:
    return (f"<form method='post' action='{escape(action)}'>{_hidden(csrf)}{inner}"
            f"<p><button>{escape(button)}</button></p></form>")


def _unit_select(units: dict[str, str], name: str = "unit_id", blank: str = "") -> str:
    options = f"<option value=''>{escape(blank)}</option>" if blank else ""
    options += "".join(
        f"<option value='{escape(u)}'>{escape(n)}（{escape(u)}）</option>" for u, n in units.items()
    )
    return f"<select name='{name}'>{options}</select>"


def _when(text: str | None, settings: Settings) -> str:
    if not text:
        return ""
    from datetime import datetime

    return datetime.fromisoformat(text).astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")


def casework_router(settings: Settings, auth: Auth) -> APIRouter:
    router = APIRouter()

    def ticket_for(session: staff.Session, ticket_id: str) -> Any:
        """The ticket if this account may see it (a liaison: only their unit's, never integrity)."""
        with staff.casework(settings) as store:
            try:
                ticket = store.ticket(ticket_id)
            except staff.CaseworkError as exc:
                raise HTTPException(404, str(exc)) from exc
        role = session.user.role
        if role == "liaison" and (ticket.unit_id != session.user.unit_id or ticket.kind == m.INTEGRITY):
            raise HTTPException(404, "没有这个转办件 / no such ticket")
        if role == "discipline" and ticket.kind == m.DISSATISFIED:
            raise HTTPException(403, "纪检账号只处理廉情线索和投诉 / not for your role")
        return ticket

    def audit(session: staff.Session, action: str, target: str, before: Any = None, after: Any = None) -> None:
        staff.audit(settings, session.user.username, session.user.role, action, target, before, after)

    def refuse(exc: Exception) -> HTTPException:
        return HTTPException(422 if not isinstance(exc, PermissionError) else 403, str(exc))

    # --- lists -------------------------------------------------------------------------------

    @router.get("/tickets", response_class=HTMLResponse)
    def tickets(request: Request, status: str = "", kind: str = "") -> HTMLResponse:
        session = auth.require(request, *STAFF_READERS)
        kinds: tuple[str, ...] = (kind,) if kind in m.KINDS else ()
        if session.user.role == "discipline":
            kinds = tuple(k for k in (kinds or (m.INTEGRITY, m.COMPLAINT)) if k != m.DISSATISFIED)
        # by default what still needs someone: every state but closed, overdue first, then
        # by deadline; ?status=all lists every ticket in the order they were opened
        pending = tuple(st for st in m.STATUSES if st != m.CLOSED)
        statuses = (status,) if status in m.STATUSES else () if status == "all" else pending
        with staff.casework(settings) as store:
            found = store.tickets(kinds=kinds, statuses=statuses)
            every = found if status == "all" else store.tickets(kinds=kinds)
        if not status:
            found.sort(key=lambda t: (t.status != m.OVERDUE, t.due_date or "9999", t.ticket_id))
        names = staff.unit_names(settings)
        shown = found[:LIST_LIMIT] if not status else found[-LIST_LIMIT:]
        rows = [
            (t.ticket_id, m.KIND_NAMES[t.kind], names.get(t.unit_id or "", t.unit_id or "（待分办）"),
             m.STATUS_NAMES[t.status], t.due_date or "", t.month)
            for t in shown
        ]
        counts = "、".join(f"{m.STATUS_NAMES[s]} {sum(t.status == s for t in every)}" for s in m.STATUSES)
        links = " ".join(f"<a href='/tickets?status={s}'>{escape(m.STATUS_NAMES[s])}</a>" for s in m.STATUSES)
        more = (f"<p class='muted'>共 {len(found)} 件，只列出 {len(shown)} 件；请按状态筛选。</p>"
                if len(shown) < len(found) else "")
        body = (f"<p>{escape(counts)}</p><p>筛选：<a href='/tickets'>待办（未办结）</a> {links} "
                f"<a href='/tickets?status=all'>全部</a></p>" + more + _linked_table(rows))
        return page("转办件 / follow-ups", body, session=session)

    @router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
    def ticket_page(request: Request, ticket_id: str) -> HTMLResponse:
        session = auth.require(request, *STAFF_READERS, "liaison")
        t = ticket_for(session, ticket_id)
        role, csrf = session.user.role, session.csrf
        names = staff.unit_names(settings)
        facts = [
            ("编号", t.ticket_id), ("类别", m.KIND_NAMES[t.kind]), ("状态", m.STATUS_NAMES[t.status]),
            ("单位", names.get(t.unit_id or "", t.unit_id or "（待分办）")),
            ("所属月份", t.month), ("事项类别", t.category or ""), ("问题归类", _theme(t.theme)),
            ("办理期限", t.due_date or ""), ("曾超期", "是" if t.was_overdue else "否"),
        ]
        if role != "liaison":
            facts.insert(1, ("办件/登记号", t.case_id))
        if t.named_consent and t.contact and role in ("liaison", "director", "evaluator"):
            facts.append(("群众同意具名，联系方式", t.contact))
        if t.reply:
            facts += [("单位答复", t.reply), ("整改情况", t.rectification or "")]
        if t.revisit_satisfaction is not None:
            facts.append(("回访满意度（1–5）", str(t.revisit_satisfaction)))
        if t.verification and role in ("director", "discipline", "auditor"):
            facts += [("核实结论", {"verified": "属实", "unfounded": "不属实"}[t.verification]),
                      ("核实人", t.verifier or ""), ("一票否决", "是" if t.veto_item else "否")]
            if role in ("director", "discipline"):
                facts.append(("核实依据", t.evidence or ""))
        parts = ["<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts) + "</table>"]
        if (t.kind == m.COMPLAINT and role in ("director", "evaluator", "discipline")) or (
            t.kind == m.COMPLAINT and role == "liaison"
        ):
            with staff.casework(settings) as store:
                complaint = store.complaint(t.case_id)
            parts.append(f"<h2>投诉内容</h2><p>{escape(complaint.text)}</p>")
        parts += _actions(t, role, csrf, names)
        if role != "liaison":
            with staff.casework(settings) as store:
                history = [(_when(e.at, settings), e.actor, e.event) for e in store.events(t.ticket_id)]
            parts.append("<h2>办理记录</h2>" + table(("时间", "操作人", "事项"), history, "无"))
        return page(f"转办件 {t.ticket_id}", "".join(parts), session=session)

    def _actions(t: Any, role: str, csrf: str, names: dict[str, str]) -> list[str]:
        out = []
        base = f"/tickets/{t.ticket_id}"
        if role == "liaison" and t.kind in (m.DISSATISFIED, m.COMPLAINT) and t.status in m.WAITING_FOR_UNIT:
            out.append("<h2>答复与整改</h2>" + _form(
                f"{base}/reply", csrf,
                "<p><label>答复意见<br><textarea name='reply' rows='4' cols='50' maxlength='2000' required></textarea></label></p>"
                "<p><label>整改措施<br><textarea name='rectification' rows='3' cols='50' maxlength='2000'></textarea></label></p>",
                "提交答复",
            ))
        if role == "liaison" and t.kind == m.DISSATISFIED and t.status != m.CLOSED:
            grounds = "".join(
                f"<label><input type='radio' name='ground' value='{g}'> {escape(n)}</label> " for g, n in GROUND_NAMES.items()
            )
            out.append("<h2>申诉复核</h2>" + _form(
                f"{base}/appeal", csrf,
                f"<fieldset><legend>申诉理由类别</legend>{grounds}</fieldset>"
                "<p><label>说明<br><textarea name='reason' rows='3' cols='50' maxlength='1000' required></textarea></label></p>",
                "提出申诉",
            ))
        if role == "director" and t.status == m.REVISITED:
            out.append("<h2>回访后处理</h2>" + _form(
                f"{base}/close", csrf, "<p><label>办结说明 <input name='note' maxlength='1000' required></label></p>", "办结"
            ) + _form(
                f"{base}/return", csrf, "<p><label>退回重办说明 <input name='note' maxlength='1000' required></label></p>", "退回单位重新整改"
            ))
        if role in ("director", "evaluator") and t.kind == m.COMPLAINT and t.status == m.OPEN:
            out.append("<h2>分办</h2>" + _form(f"{base}/route", csrf, f"<p>{_unit_select(names)}</p>", "转交该单位办理"))
        if role in ("director", "evaluator") and t.kind in (m.DISSATISFIED, m.COMPLAINT) and not t.named_consent:
            out.append(_form(
                f"{base}/consent", csrf,
                "<p>群众明确同意向被评单位提供其联系方式时记录：<input name='contact' maxlength='100' placeholder='称呼、电话' required></p>",
                "记录同意具名",
            ))
        if role == "discipline" and t.verification is None and (
            (t.kind == m.INTEGRITY and t.status in m.WAITING_FOR_UNIT) or t.kind == m.COMPLAINT
        ):
            out.append("<h2>核实</h2>" + _form(
                f"{base}/verify", csrf,
                "<fieldset><legend>结论</legend><label><input type='radio' name='outcome' value='verified'> 属实</label>"
                "<label><input type='radio' name='outcome' value='unfounded'> 不属实</label></fieldset>"
                "<p><label>核实依据（证据）<br><textarea name='evidence' rows='3' cols='50' maxlength='2000' required></textarea></label></p>"
                "<p><label><input type='checkbox' name='veto' value='1'> 纳入一票否决</label></p>",
                "提交核实结论",
            ))
        return out

    # --- ticket actions ---------------------------------------------------------------------

    def act(request: Request, ticket_id: str, csrf: str, roles: tuple[str, ...]) -> tuple[staff.Session, Any]:
        session = auth.require(request, *roles)
        auth.check_csrf(session, csrf)
        return session, ticket_for(session, ticket_id)

    @router.post("/tickets/{ticket_id}/reply")
    def reply(request: Request, ticket_id: str, csrf: str = Form(""), reply: str = Form(""),
              rectification: str = Form("")) -> RedirectResponse:
        session, t = act(request, ticket_id, csrf, ("liaison",))
        try:
            with staff.casework(settings) as store:
                store.reply(ticket_id, session.user.unit_id or "", reply, rectification, staff.now(), session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "followup.reply", ticket_id, {"status": t.status}, {"status": m.REPLIED})
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)

    @router.post("/tickets/{ticket_id}/appeal")
    def appeal(request: Request, ticket_id: str, csrf: str = Form(""), ground: str = Form(""),
               reason: str = Form("")) -> RedirectResponse:
        session, _ = act(request, ticket_id, csrf, ("liaison",))
        try:
            with staff.casework(settings) as store:
                appeal_id = store.file_appeal(ticket_id, session.user.unit_id or "", ground, reason, staff.now(), session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "appeal.file", appeal_id, None, {"ticket": ticket_id, "ground": ground, "status": m.PENDING})
        return RedirectResponse("/unit", status_code=303)

    @router.post("/tickets/{ticket_id}/close")
    def close(request: Request, ticket_id: str, csrf: str = Form(""), note: str = Form("")) -> RedirectResponse:
        session, t = act(request, ticket_id, csrf, ("director",))
        try:
            with staff.casework(settings) as store:
                store.close_ticket(ticket_id, note, staff.now(), session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "followup.close", ticket_id, {"status": t.status}, {"status": m.CLOSED})
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)

    @router.post("/tickets/{ticket_id}/return")
    def send_back(request: Request, ticket_id: str, csrf: str = Form(""), note: str = Form("")) -> RedirectResponse:
        session, t = act(request, ticket_id, csrf, ("director",))
        now = staff.now()
        try:
            with staff.casework(settings) as store:
                store.return_to_unit(ticket_id, staff.casework_due(settings, t.kind, now), note, now, session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "followup.return", ticket_id, {"status": t.status}, {"status": m.ASSIGNED})
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)

    @router.post("/tickets/{ticket_id}/route")
    def route(request: Request, ticket_id: str, csrf: str = Form(""), unit_id: str = Form("")) -> RedirectResponse:
        session, t = act(request, ticket_id, csrf, ("director", "evaluator"))
        names = staff.unit_names(settings)
        if t.kind != m.COMPLAINT or unit_id not in names:
            raise HTTPException(422, "请选择单位 / choose a unit")
        now = staff.now()
        try:
            with staff.casework(settings) as store:
                store.route_complaint(t.case_id, unit_id, staff.casework_due(settings, m.COMPLAINT, now), now, session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "complaint.route", t.case_id, {"status": t.status}, {"status": m.ASSIGNED, "unit_id": unit_id})
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)

    @router.post("/tickets/{ticket_id}/consent")
    def consent(request: Request, ticket_id: str, csrf: str = Form(""), contact: str = Form("")) -> RedirectResponse:
        session, _ = act(request, ticket_id, csrf, ("director", "evaluator"))
        if not contact.strip() or len(contact) > 100:
            raise HTTPException(422, "请填写联系方式 / contact required")
        try:
            with staff.casework(settings) as store:
                store.set_consent(ticket_id, True, contact.strip(), staff.now(), session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "followup.consent", ticket_id, {"named": False}, {"named": True})
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)

    @router.post("/tickets/{ticket_id}/verify")
    def verify(request: Request, ticket_id: str, csrf: str = Form(""), outcome: str = Form(""),
               evidence: str = Form(""), veto: str = Form("")) -> RedirectResponse:
        session, _ = act(request, ticket_id, csrf, ("discipline",))
        try:
            with staff.casework(settings) as store:
                done = store.verify(ticket_id, outcome, evidence, veto == "1", staff.now(), session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "integrity.verify", ticket_id, {"verification": None},
              {"verification": outcome, "veto": done.veto_item})
        return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)

    # --- complaints taken by phone ---------------------------------------------------------------

    @router.get("/complaints/new", response_class=HTMLResponse)
    def complaint_form(request: Request) -> HTMLResponse:
        session = auth.require(request, "director", "evaluator")
        names = staff.unit_names(settings)
        inner = (
            f"<input type='hidden' name='entry' value='{secrets.token_urlsafe(12)}'>"
            "<p><label>投诉内容<br><textarea name='text' rows='5' cols='50' maxlength='2000' required></textarea></label></p>"
            f"<p><label>被投诉单位 {_unit_select(names, blank='（不清楚，稍后分办）')}</label></p>"
            "<p><label>称呼 <input name='name' maxlength='50'></label> "
            "<label>电话 <input name='phone' maxlength='20'></label></p>"
            "<p><label><input type='checkbox' name='consent' value='1'> 投诉人同意向被投诉单位提供其称呼和电话</label></p>"
        )
        return page("登记电话投诉", _form("/complaints", session.csrf, inner, "登记"), session=session)

    @router.post("/complaints")
    def complaint(request: Request, csrf: str = Form(""), entry: str = Form(""), text: str = Form(""),
                  unit_id: str = Form(""), name: str = Form(""), phone: str = Form(""),
                  consent: str = Form("")) -> HTMLResponse:
        session = auth.require(request, "director", "evaluator")
        auth.check_csrf(session, csrf)
        if not entry:
            raise HTTPException(422, "表单已过期 / stale form")
        try:
            number = staff.register_complaint(
                settings, actor=session.user.username, channel="phone", text=text, unit_id=unit_id or None,
                name=name.strip() or None, phone=phone.strip() or None, consent=consent == "1",
                at=staff.now(), source_key=f"phone:{entry}",
            )
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "complaint.register", number, None, {"channel": "phone", "routed": bool(unit_id)})
        return page("投诉已登记", f"<p>登记号：<strong>{escape(number)}</strong></p>"
                    f"<p><a href='/tickets/{staff.ticket_id_of(m.COMPLAINT, number)}'>查看</a></p>", session=session)

    # --- appeals -------------------------------------------------------------------------

    @router.get("/appeals", response_class=HTMLResponse)
    def appeals(request: Request) -> HTMLResponse:
        session = auth.require(request, "director", "auditor")
        with staff.casework(settings) as store:
            found = store.appeals()
        names = staff.unit_names(settings)
        parts = []
        for a in found:
            head = (f"<div class='item'><strong>{escape(a.appeal_id)}</strong> · {escape(names.get(a.unit_id, a.unit_id))} · "
                    f"{escape(GROUND_NAMES.get(a.ground, a.ground))} · 办件 {escape(a.case_id)} · "
                    f"<a href='/tickets/{escape(a.ticket_id)}'>{escape(a.ticket_id)}</a>"
                    f"<p>{escape(a.reason)}</p><p>状态：{escape({'pending': '待复核', 'upheld': '成立', 'rejected': '不成立'}[a.status])}"
                    f"{'（' + escape(a.decision_note or '') + '）' if a.decision_note else ''}</p>")
            if a.status == m.PENDING and session.user.role == "director":
                head += _form(
                    f"/appeals/{a.appeal_id}/decide", session.csrf,
                    "<p><label><input type='radio' name='decision' value='upheld'> 申诉成立（该评价从统计中剔除）</label>"
                    "<label><input type='radio' name='decision' value='rejected'> 申诉不成立</label></p>"
                    "<p><label>复核意见 <input name='note' maxlength='1000' required></label></p>",
                    "作出决定",
                )
            parts.append(head + "</div>")
        return page("申诉复核 / appeals", "".join(parts) or "<p class='muted'>没有申诉。</p>", session=session)

    @router.post("/appeals/{appeal_id}/decide")
    def decide(request: Request, appeal_id: str, csrf: str = Form(""), decision: str = Form(""),
               note: str = Form("")) -> RedirectResponse:
        session = auth.require(request, "director")
        auth.check_csrf(session, csrf)
        if decision not in (m.UPHELD, m.REJECTED):
            raise HTTPException(422, "请选择成立或不成立 / upheld or rejected")
        try:
            with staff.casework(settings) as store:
                done = store.decide_appeal(appeal_id, decision == m.UPHELD, note, staff.now(), session.user.username)
        except staff.CaseworkError as exc:
            raise refuse(exc) from exc
        audit(session, "appeal.decide", appeal_id, {"status": m.PENDING},
              {"status": done.status, "ground": done.ground, "case": done.case_id,
               "note": "excluded from the statistics" if done.status == m.UPHELD else "kept"})
        return RedirectResponse("/appeals", status_code=303)

    # --- the unit's own pages (liaison) -------------------------------------------------------------

    @router.get("/unit", response_class=HTMLResponse)
    def unit(request: Request, month: str = "") -> HTMLResponse:
        session = auth.require(request, "liaison")
        unit_id = session.user.unit_id or ""
        shown, row, cells, months = staff.unit_month(settings, unit_id, month or None)
        parts = []
        if shown is None or row is None:
            parts.append("<p class='muted'>本单位尚无已结账月份的数据。</p>")
        else:
            rate = "样本不足" if not row["reportable"] else f"{row['satisfaction_rate'] * 100:.1f}%（{row['ci_low'] * 100:.1f}%–{row['ci_high'] * 100:.1f}%）"
            choose = " ".join(f"<a href='/unit?month={escape(mo)}'>{escape(mo)}</a>" for mo in months)
            parts.append(
                f"<h2>{escape(row['unit_name'])} · {escape(shown)}</h2><p>月份：{choose}</p>"
                f"<p>抽样 {row['sampled']} 件，回答 {row['responded']} 人，满意率 {escape(rate)}</p>"
            )
            lines = [
                ({"category": "事项类别", "handler": "经办人"}.get(c["cell_kind"], c["cell_kind"]), c["cell"],
                 c["respondents"], "—" if c["suppressed"] else c["satisfied"],
                 "—" if c["suppressed"] else c["not_satisfied"])
                for c in cells
            ]
            parts.append("<h3>分项（回答不足最小格数的只显示人数）</h3>"
                         + table(("维度", "项", "回答人数", "满意", "不满意"), lines, "无"))
        with staff.casework(settings) as store:
            mine = store.tickets(unit_id=unit_id, kinds=(m.DISSATISFIED, m.COMPLAINT))
            filed = store.appeals(unit_id)
        waiting = [t for t in mine if t.status in m.WAITING_FOR_UNIT]
        rows = [(t.ticket_id, m.KIND_NAMES[t.kind], t.category or "", _theme(t.theme), m.STATUS_NAMES[t.status], t.due_date or "")
                for t in mine]
        parts.append(f"<h2>本单位转办件（待办 {len(waiting)}）</h2>" + _linked_table(rows, heads=("编号", "类别", "事项类别", "问题归类", "状态", "期限")))
        appeal_rows = [(a.appeal_id, GROUND_NAMES.get(a.ground, a.ground),
                        {"pending": "待复核", "upheld": "成立", "rejected": "不成立"}[a.status], a.decision_note or "")
                       for a in filed]
        parts.append("<h2>本单位申诉</h2>" + table(("编号", "理由", "结果", "复核意见"), appeal_rows, "没有申诉。"))
        return page("本单位", "".join(parts), session=session)

    # --- polls (read) -----------------------------------------------------------------------

    @router.get("/polls", response_class=HTMLResponse)
    def polls(request: Request) -> HTMLResponse:
        session = auth.require(request, "director", "auditor", "evaluator")
        with staff.casework(settings) as store:
            found = staff.casework_polls.all_polls(store)
        rows = [(p.poll_id, p.spec.title, staff.casework_polls.SUBJECTS[p.spec.subject],
                 "随机抽样" if p.spec.target == "sample" else "公开链接", f"{p.spec.starts}–{p.spec.ends}", p.status)
                for p in found]
        return page("民意征集 / polls", table(("编号", "事项", "类别", "对象", "征集期", "状态"), rows, "没有征集。"), session=session)

    return router


def _theme(code: str | None) -> str:
    from flows.polls import theme_label

    return theme_label(code) if code else ""


def _linked_table(rows: list[tuple[Any, ...]], heads: tuple[str, ...] = ("编号", "类别", "单位", "状态", "期限", "月份")) -> str:
    if not rows:
        return "<p class='muted'>没有转办件。</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>" + f"<td><a href='/tickets/{escape(str(r[0]))}'>{escape(str(r[0]))}</a></td>"
        + "".join(f"<td>{escape(str(v))}</td>" for v in r[1:]) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
