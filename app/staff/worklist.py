"""The evaluators' worklist pages: their calls, the script, a form per call.

An evaluator signs in and opens ``/worklist``: their own open calls (and the
shared pool's, when cases wait unassigned), each with the phone number to
dial, the script and a form for the answers or the outcome. They can submit
only their own open items, with values checked; a second submit changes
nothing. The director (and the auditor, read-only) sees every evaluator's load.
Plain HTML forms, no JavaScript.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.staff.auth import Auth
from app.staff.page import page
from flows import staff
from flows.staff import WorkItem
from minyi.settings import Settings
from minyi.vocab import POLL_PREFIX, RECOVERY_ITEM, REVISIT_PREFIX

OUTCOME_LABELS = {
    "no_answer": "无人接听",
    "busy": "占线",
    "refused": "拒绝访评",
    "break_off": "中途挂断",
    "wrong_number": "号码有误/非本人办件",
}
LEVELS = [
    ("5", "非常满意"),
    ("4", "满意"),
    ("3", "基本满意"),
    ("2", "不满意"),
    ("1", "非常不满意"),
    ("0", "不了解/说不清"),
]


def _radio(name: str, options: list[tuple[str, str]]) -> str:
    return "".join(
        f"<label><input type='radio' name='{name}' value='{escape(v)}'> {escape(label)}</label> "
        for v, label in options
    )


def _dial(phone: str) -> str:
    digits = phone.removeprefix("+86")
    shown = f"{digits[:3]} {digits[3:7]} {digits[7:]}" if len(digits) == 11 else digits
    return f"<a class='phone' href='tel:{escape(digits)}'>{escape(shown)}</a>"


def _casework_html(item: WorkItem, settings: Settings, csrf: str) -> str:
    """A 回访 call (the recovery question) or a poll call (the poll's questions)."""
    outcome_buttons = "".join(
        f"<button name='outcome' value='{k}' formnovalidate>{escape(v)}</button>"
        for k, v in OUTCOME_LABELS.items()
    )
    if item.attempt_id.startswith(REVISIT_PREFIX):
        ticket_id = item.attempt_id.removeprefix(REVISIT_PREFIX).rsplit("-", 1)[0]
        with staff.casework(settings) as store:
            ticket = store.ticket(ticket_id)
        script = (
            f"【回访】您好，这里是{settings.district_name}民意访评中心。您此前反映的{item.unit}"
            f"“{item.category}”方面的问题，单位已答复：{ticket.reply or ''}"
            "请问您对单位的处理和整改是否满意？"
        )
        fields = f"<fieldset><legend>回访满意度</legend>{_radio(RECOVERY_ITEM, LEVELS[:5])}</fieldset>"
    else:
        poll_id = item.attempt_id.removeprefix(POLL_PREFIX).split("-", 1)[0]
        spec = staff.poll_of(settings, poll_id).spec
        script = f"【民意征集】您好，这里是{settings.district_name}民意访评中心，就“{spec.title}”征求您的意见。"
        fields = "".join(_question_html(q) for q in spec.questions)
    return f"""
<div class='item' id='{escape(item.attempt_id)}'>
 {_dial(item.phone)}
 <p>{escape(script)}</p>
 <form method='post' action='/worklist/casework/{escape(item.attempt_id)}'>
  <input type='hidden' name='csrf' value='{escape(csrf)}'>
  {fields}
  <button name='outcome' value='answered'>保存回答</button> {outcome_buttons}
 </form>
</div>"""


def _question_html(q: staff.casework_polls.Question) -> str:
    name = f"q_{q.key}"
    if q.kind == "text":
        return f"<fieldset><legend>{escape(q.text)}</legend><input name='{name}' maxlength='500' size='40'></fieldset>"
    if q.kind == "scale":
        options = [(str(v), str(v)) for v in range(5, 0, -1)]
        return f"<fieldset><legend>{escape(q.text)}（1–5）</legend>{_radio(name, options)}</fieldset>"
    kind = "checkbox" if q.kind == "multiple" else "radio"
    boxes = "".join(
        f"<label><input type='{kind}' name='{name}' value='{k}'> {escape(o)}</label> "
        for k, o in enumerate(q.options, start=1)
    )
    return f"<fieldset><legend>{escape(q.text)}</legend>{boxes}</fieldset>"


def _item_html(item: WorkItem, script: str, csrf: str, can_submit: bool) -> str:
    q = staff.questionnaire()
    if not can_submit:
        return (
            f"<div class='item'><div class='muted'>{escape(item.service_date)} · "
            f"{escape(item.unit)} · {escape(item.category)}</div></div>"
        )
    outcome_buttons = "".join(
        f"<button name='outcome' value='{k}' formnovalidate>{escape(v)}</button>"
        for k, v in OUTCOME_LABELS.items()
    )
    return f"""
<div class='item' id='{escape(item.attempt_id)}'>
 {_dial(item.phone)}
 <div class='muted'>{escape(item.service_date)} · {escape(item.unit)} · {escape(item.category)}</div>
 <p>{escape(script)}</p>
 <form method='post' action='/worklist/item/{escape(item.attempt_id)}'>
  <input type='hidden' name='csrf' value='{escape(csrf)}'>
  <fieldset><legend>{escape(q.item("satisfaction").texts["zh"])}</legend>{_radio("satisfaction", LEVELS)}</fieldset>
  <fieldset><legend>{escape(q.item("integrity").texts["zh"])}</legend>
   {_radio("integrity", [("yes", "有"), ("no", "没有")])}</fieldset>
  <fieldset><legend>{escape(q.item("timeliness").texts["zh"])}</legend>
   {_radio("timeliness", [(str(v), str(v)) for v in range(5, 0, -1)])}</fieldset>
  <fieldset><legend>{escape(q.item("reason").texts["zh"])}</legend>
   <input name='reason' maxlength='500' size='40'></fieldset>
  <button name='outcome' value='answered'>保存回答</button> {outcome_buttons}
 </form>
</div>"""


def worklist_router(settings: Settings, auth: Auth) -> APIRouter:
    router = APIRouter()
    q = staff.questionnaire()

    def script(item: WorkItem) -> str:
        return q.texts["zh"]["intro"].format(
            district=settings.district_name, unit=item.unit, category=item.category
        )

    @router.get("/worklist", response_class=HTMLResponse)
    def own(request: Request) -> HTMLResponse:
        session = auth.require(request, "evaluator", "director", "auditor")
        if session.user.role != "evaluator":
            with staff.worklist(settings) as store:
                counts = {e: len(store.open_items(e)) for e in store.evaluators}
            rows = "".join(
                f"<li><a href='/worklist/{escape(e)}'>{escape(e)}</a>: {n} 待访</li>"
                for e, n in counts.items()
            )
            return page("人工访评工作清单", f"<ul>{rows}</ul>", session=session)
        return _list(request, session, session.user.username)

    @router.get("/worklist/{evaluator}", response_class=HTMLResponse)
    def of(request: Request, evaluator: str) -> HTMLResponse:
        session = auth.require(request, "director", "auditor", "evaluator")
        if session.user.role == "evaluator" and evaluator != session.user.username:
            raise HTTPException(403, "只能查看自己的工作清单 / only your own list")
        return _list(request, session, evaluator)

    def _list(request: Request, session: staff.Session, evaluator: str) -> HTMLResponse:
        with staff.worklist(settings) as store:
            items = store.open_items(evaluator)
        mine = session.user.role == "evaluator" and evaluator == session.user.username
        body = "".join(
            _casework_html(item, settings, session.csrf)
            if mine and item.attempt_id.startswith((REVISIT_PREFIX, POLL_PREFIX))
            else _item_html(item, script(item), session.csrf, mine)
            for item in items
        )
        return page(
            f"{evaluator} 的待访清单（{len(items)}）",
            body or "<p>今天没有待访的办件。</p>",
            session=session,
        )

    @router.post("/worklist/item/{attempt_id}")
    def submit(
        request: Request,
        attempt_id: str,
        csrf: str = Form(""),
        outcome: list[str] = Form([]),  # noqa: B008
        satisfaction: str = Form(""),
        integrity: str = Form(""),
        timeliness: str = Form(""),
        reason: str = Form(""),
    ) -> RedirectResponse:
        session = auth.require(request, "evaluator")
        auth.check_csrf(session, csrf)
        me = session.user.username
        if len(outcome) != 1 or outcome[0] not in staff.OUTCOMES:
            raise HTTPException(422, "请选择一个结果 / exactly one outcome")
        with staff.worklist(settings) as store:
            item = store.get(attempt_id)
            if item is None or item.status != "open":
                raise HTTPException(404, "此项不在待访清单中 / not an open item")
            if item.evaluator not in (me, staff.POOL):
                raise HTTPException(403, "只能提交自己的待访项 / not your item")
            if item.evaluator == staff.POOL:
                store.claim(attempt_id, me)
        answers = {
            "satisfaction": satisfaction,
            "integrity": integrity,
            "timeliness": timeliness,
            "reason": reason,
        }
        try:
            if outcome[0] == "answered":
                staff.checked_answers(answers)
            new = staff.record(settings, attempt_id, outcome[0], answers, staff.now())
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        if new:
            staff.audit(
                settings,
                me,
                "evaluator",
                "worklist.record",
                attempt_id,
                {"status": "open"},
                {"status": "done", "outcome": outcome[0]},
            )
        return RedirectResponse("/worklist", status_code=303)

    @router.post("/worklist/casework/{attempt_id}")
    async def submit_casework(request: Request, attempt_id: str) -> RedirectResponse:
        """A 回访 or poll call: the answers (checked against the question) or one outcome."""
        session = auth.require(request, "evaluator")
        form = await request.form()
        auth.check_csrf(session, str(form.get("csrf", "")))
        me = session.user.username
        outcome = [str(v) for v in form.getlist("outcome")]
        if len(outcome) != 1 or outcome[0] not in staff.OUTCOMES:
            raise HTTPException(422, "请选择一个结果 / exactly one outcome")
        if not attempt_id.startswith((REVISIT_PREFIX, POLL_PREFIX)):
            raise HTTPException(404, "此项不在待访清单中 / not an open item")
        with staff.worklist(settings) as store:
            item = store.get(attempt_id)
            if item is None or item.status != "open":
                raise HTTPException(404, "此项不在待访清单中 / not an open item")
            if item.evaluator not in (me, staff.POOL):
                raise HTTPException(403, "只能提交自己的待访项 / not your item")
            if item.evaluator == staff.POOL:
                store.claim(attempt_id, me)
        answers: dict[str, str] = {}
        if outcome[0] == "answered":
            try:
                if attempt_id.startswith(REVISIT_PREFIX):
                    level = str(form.get(RECOVERY_ITEM, ""))
                    if level not in ("1", "2", "3", "4", "5"):
                        raise ValueError("回访满意度须为 1–5 / the recovery answer must be 1–5")
                    answers[RECOVERY_ITEM] = level
                else:
                    poll_id = attempt_id.removeprefix(POLL_PREFIX).split("-", 1)[0]
                    for q in staff.poll_of(settings, poll_id).spec.questions:
                        given = ",".join(str(v) for v in form.getlist(f"q_{q.key}") if str(v).strip())
                        if given:
                            answers[q.key] = staff.casework_polls.check_answer(q, given)
            except (ValueError, staff.CaseworkError) as exc:
                raise HTTPException(422, str(exc)) from exc
        try:
            new = staff.record_casework_call(settings, attempt_id, outcome[0], answers, staff.now())
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        if new:
            staff.audit(settings, me, "evaluator", "worklist.casework", attempt_id,
                        {"status": "open"}, {"status": "done", "outcome": outcome[0]})
        return RedirectResponse("/worklist", status_code=303)

    return router
