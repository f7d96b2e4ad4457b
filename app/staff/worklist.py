"""The evaluators' worklist: a phone tool for a day of calls (人工访评).

An evaluator signs in and opens ``/worklist`` on a phone or a desk computer:
today's target and calls made, then each case due now (appointments first) with
the number formatted for reading and as a tap-to-dial link, the call script
(greeting with their 工号, identity check, the service and its date, the
questions with the names filled in, the closing), a form for the answers and a
button per outcome. No answer or busy keeps the case for a later window (up to
``MINYI_MANUAL_TRIES`` calls, spread over windows and days); 约定回访 sets the
time the person asked to be called. A form error is shown on the form. They can
submit only their own open items (or take one from the shared pool), with values
checked; a second submit changes nothing. A 回访 call (the recovery question
after a unit's reply) and a poll call (the poll's questions) are items of the
same list with their own script and form. The director and the auditor see each
evaluator's load. Plain HTML, no JavaScript.
"""

from __future__ import annotations

from datetime import datetime
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
    "busy": "占线/不方便",
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


def _radio(name: str, options: list[tuple[str, str]], chosen: str = "") -> str:
    return "".join(
        f"<label><input type='radio' name='{name}' value='{escape(v)}'"
        f"{' checked' if v == chosen else ''}> {escape(label)}</label> "
        for v, label in options
    )


def _dial(phone: str) -> str:
    digits = phone.removeprefix("+86")
    shown = f"{digits[:3]} {digits[3:7]} {digits[7:]}" if len(digits) == 11 else digits
    return f"<a class='phone' href='tel:{escape(digits)}'>{escape(shown)}</a> <a class='dial' href='tel:{escape(digits)}'>拨打</a>"


def _local(stamp: str | None, settings: Settings) -> str:
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone(settings.zone).strftime("%m-%d %H:%M")


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


def _item_html(
    settings: Settings, item: WorkItem, evaluator: str, csrf: str, error: str = "", kept: dict[str, str] | None = None
) -> str:
    s = staff.script(settings, item, evaluator)
    kept = kept or {}
    note = []
    if item.appointment:
        note.append(f"约定回访 {_local(item.appointment, settings)}")
    if item.tries:
        note.append(f"已拨打 {item.tries} 次未接通")
    notes = f"<p class='muted'>{escape('；'.join(note))}</p>" if note else ""
    error_html = f"<p class='bad' role='alert'>{escape(error)}</p>" if error else ""
    buttons = "".join(
        f"<button name='outcome' value='{k}' formnovalidate>{escape(v)}</button>"
        for k, v in OUTCOME_LABELS.items()
    )
    q = s.questions
    return f"""
<div class='item' id='{escape(item.attempt_id)}'>
 {_dial(item.phone)}
 <div class='muted'>{escape(item.service_date)} · {escape(item.unit)} · {escape(item.category)}</div>
 {notes}{error_html}
 <ol class='script'>
  <li>{escape(s.greeting)}</li>
  <li>{escape(s.identity)}</li>
 </ol>
 <form method='post' action='/worklist/item/{escape(item.attempt_id)}#{escape(item.attempt_id)}'>
  <input type='hidden' name='csrf' value='{escape(csrf)}'>
  <fieldset><legend>{escape(q["satisfaction"])}</legend>{_radio("satisfaction", LEVELS, kept.get("satisfaction", ""))}</fieldset>
  <fieldset><legend>{escape(q["integrity"])}</legend>
   {_radio("integrity", [("yes", "有"), ("no", "没有")], kept.get("integrity", ""))}</fieldset>
  <fieldset><legend>{escape(q["timeliness"])}</legend>
   {_radio("timeliness", [(str(v), f"{v}分") for v in range(5, 0, -1)], kept.get("timeliness", ""))}</fieldset>
  <fieldset><legend>{escape(q["reason"])}（不满意时询问）</legend>
   <input name='reason' maxlength='500' size='30' value='{escape(kept.get("reason", ""))}'></fieldset>
  <p class='muted'>{escape(s.closing)}</p>
  <button name='outcome' value='answered'>✔ 保存回答</button> {buttons}
 </form>
 <form method='post' action='/worklist/appointment/{escape(item.attempt_id)}' class='appointment'>
  <input type='hidden' name='csrf' value='{escape(csrf)}'>
  <label>约定回访时间 <input type='datetime-local' name='when' required></label>
  <button>约定回访</button>
 </form>
</div>"""


def worklist_router(settings: Settings, auth: Auth) -> APIRouter:
    router = APIRouter()

    def _list(
        request: Request,
        session: staff.Session,
        evaluator: str,
        error_for: str = "",
        error: str = "",
        kept: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        now = staff.now()
        with staff.worklist(settings) as store:
            items = store.open_items(evaluator, now)
            later = store.later_items(evaluator, now)
        mine = session.user.role == "evaluator" and evaluator == session.user.username
        done = staff.calls_today(settings, evaluator, now)
        target = settings.calls_per_evaluator
        head = (
            f"<p><b>今日已拨打 {done} / 目标 {target}</b>　待访 {len(items)}"
            f"　稍后再拨/约定 {len(later)}</p>"
        )
        if not staff.in_calling_window(settings, now):
            head += "<p class='bad'>现在不在访评时段内，请在访评时段拨打。</p>"
        if mine:
            body = "".join(
                _casework_html(item, settings, session.csrf)
                if item.attempt_id.startswith((REVISIT_PREFIX, POLL_PREFIX))
                else _item_html(settings, item, evaluator, session.csrf,
                                error if item.attempt_id == error_for else "",
                                kept if item.attempt_id == error_for else None)
                for item in items
            )
        else:
            body = "".join(
                f"<div class='item muted'>{escape(i.service_date)} · {escape(i.unit)} · {escape(i.category)}</div>"
                for i in items
            )
        if later:
            body += "<h2>稍后再拨 / 约定回访</h2><ul>" + "".join(
                f"<li>{escape(_local(i.due_at, settings))} · {escape(i.unit)} · {escape(i.category)}"
                f"{'（约定）' if i.appointment else f'（第 {i.tries + 1} 次）'}</li>"
                for i in later
            ) + "</ul>"
        return page(
            f"{evaluator} 的待访清单",
            head + (body or "<p>现在没有待访的办件。</p>"),
            session=session,
            status_code=status_code,
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

    def _own_open_item(session: staff.Session, attempt_id: str) -> WorkItem:
        me = session.user.username
        with staff.worklist(settings) as store:
            item = store.get(attempt_id)
            if item is None or item.status != "open":
                raise HTTPException(404, "此项不在待访清单中 / not an open item")
            if item.evaluator not in (me, staff.POOL):
                raise HTTPException(403, "只能处理自己的待访项 / not your item")
            if item.evaluator == staff.POOL:
                store.claim(attempt_id, me)
        return item

    @router.post("/worklist/item/{attempt_id}", response_model=None)
    def submit(
        request: Request,
        attempt_id: str,
        csrf: str = Form(""),
        outcome: list[str] = Form([]),  # noqa: B008
        satisfaction: str = Form(""),
        integrity: str = Form(""),
        timeliness: str = Form(""),
        reason: str = Form(""),
    ) -> HTMLResponse | RedirectResponse:
        session = auth.require(request, "evaluator")
        auth.check_csrf(session, csrf)
        me = session.user.username
        if len(outcome) != 1 or outcome[0] not in staff.OUTCOMES:
            raise HTTPException(422, "请选择一个结果 / exactly one outcome")
        _own_open_item(session, attempt_id)
        answers = {
            "satisfaction": satisfaction,
            "integrity": integrity,
            "timeliness": timeliness,
            "reason": reason,
        }
        try:
            if outcome[0] == "answered":
                staff.checked_answers(answers)
            new = staff.record(settings, attempt_id, outcome[0], answers, staff.now(), by=me)
        except ValueError as exc:  # shown on the form, what was entered kept
            return _list(request, session, me, attempt_id, str(exc), answers, status_code=422)
        if new:
            staff.audit(
                settings, me, "evaluator", "worklist.record", attempt_id,
                {"status": "open"}, {"outcome": outcome[0]},
            )
        return RedirectResponse("/worklist", status_code=303)

    @router.post("/worklist/appointment/{attempt_id}", response_model=None)
    def appointment(
        request: Request, attempt_id: str, csrf: str = Form(""), when: str = Form("")
    ) -> HTMLResponse | RedirectResponse:
        session = auth.require(request, "evaluator")
        auth.check_csrf(session, csrf)
        me = session.user.username
        _own_open_item(session, attempt_id)
        try:
            moment = datetime.fromisoformat(when).replace(tzinfo=settings.zone)
        except ValueError:
            return _list(request, session, me, attempt_id, "请填写约定回访的日期和时间", status_code=422)
        if moment <= staff.now() or not staff.in_calling_window(settings, moment):
            return _list(
                request, session, me, attempt_id,
                "约定时间须在今后的访评时段内（工作日 " + "、".join(
                    f"{a:%H:%M}-{b:%H:%M}" for a, b in settings.calling_windows) + "）",
                status_code=422,
            )
        staff.appoint(settings, attempt_id, moment)
        staff.audit(settings, me, "evaluator", "worklist.appointment", attempt_id, None,
                    {"when": moment.isoformat(timespec="minutes")})
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
        _own_open_item(session, attempt_id)
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
