"""The evaluators' web page: today's calls, the script, a form per call.

Served by ``minyi serve`` under ``/worklist`` on the center's network. Each
evaluator opens ``/worklist/E3`` (their own list), calls the number, and
submits the answers or the outcome. Plain HTML forms: works in any browser,
no JavaScript.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse

from flows import staff
from flows.staff import WorkItem
from minyi.settings import Settings

_OUTCOME_LABELS = {
    "no_answer": "无人接听",
    "busy": "占线",
    "refused": "拒绝访评",
    "break_off": "中途挂断",
    "wrong_number": "号码有误/非本人办件",
}
_LEVELS = [
    ("5", "非常满意"),
    ("4", "满意"),
    ("3", "基本满意"),
    ("2", "不满意"),
    ("1", "非常不满意"),
    ("0", "不了解/说不清"),
]
_CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5rem;max-width:60rem}
.item{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}
.phone{font-size:1.4rem;font-weight:bold;letter-spacing:.05em}
fieldset{border:0;padding:.3rem 0} legend{font-weight:bold}
button{margin:.2rem;padding:.4rem .8rem} .muted{color:#666}"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _radio(name: str, options: list[tuple[str, str]]) -> str:
    return "".join(
        f"<label><input type='radio' name='{name}' value='{escape(v)}'> {escape(label)}</label> "
        for v, label in options
    )


def _item_html(item: WorkItem, script: str) -> str:
    q = staff.questionnaire()
    outcome_buttons = "".join(
        f"<button name='outcome' value='{k}' formnovalidate>{escape(v)}</button>"
        for k, v in _OUTCOME_LABELS.items()
    )
    return f"""
<div class='item' id='{escape(item.attempt_id)}'>
 <div class='phone'>{escape(item.phone)}</div>
 <div class='muted'>{escape(item.service_date)} · {escape(item.unit)} · {escape(item.category)}</div>
 <p>{escape(script)}</p>
 <form method='post' action='/worklist/item/{escape(item.attempt_id)}'>
  <fieldset><legend>{escape(q.item("satisfaction").texts["zh"])}</legend>{_radio("satisfaction", _LEVELS)}</fieldset>
  <fieldset><legend>{escape(q.item("integrity").texts["zh"])}</legend>
   {_radio("integrity", [("yes", "有"), ("no", "没有")])}</fieldset>
  <fieldset><legend>{escape(q.item("timeliness").texts["zh"])}</legend>
   {_radio("timeliness", [(str(v), str(v)) for v in range(5, 0, -1)])}</fieldset>
  <fieldset><legend>{escape(q.item("reason").texts["zh"])}</legend>
   <input name='reason' size='60'></fieldset>
  <button name='outcome' value='answered'>保存回答</button> {outcome_buttons}
 </form>
</div>"""


def create_worklist_app(settings: Settings) -> FastAPI:
    """A FastAPI app to mount at ``/worklist``."""
    app = FastAPI(title="minyi worklist", docs_url=None, redoc_url=None, openapi_url=None)
    q = staff.questionnaire()
    district = settings.district_name

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        with staff.worklist(settings) as worklist:
            counts = {e: len(worklist.open_items(e)) for e in worklist.evaluators}
        links = "".join(
            f"<li><a href='/worklist/{e}'>{e}</a>: {n} 待访</li>" for e, n in counts.items()
        )
        return _page("人工访评工作清单", f"<ul>{links}</ul>")

    @app.get("/{evaluator}", response_class=HTMLResponse)
    def evaluator_list(evaluator: str) -> HTMLResponse:
        with staff.worklist(settings) as worklist:
            if evaluator not in worklist.evaluators:
                raise HTTPException(404, f"no evaluator {evaluator}")
            items = worklist.open_items(evaluator)
        intro = q.texts["zh"]["intro"]
        body = "".join(
            _item_html(
                item, intro.format(district=district, unit=item.unit, category=item.category)
            )
            for item in items
        )
        return _page(
            f"{evaluator} 的待访清单（{len(items)}）", body or "<p>今天没有待访的办件。</p>"
        )

    @app.post("/item/{attempt_id}")
    def submit(
        attempt_id: str,
        outcome: str = Form(...),
        satisfaction: str = Form(""),
        integrity: str = Form(""),
        timeliness: str = Form(""),
        reason: str = Form(""),
    ) -> RedirectResponse:
        with staff.worklist(settings) as worklist:
            item = worklist.get(attempt_id)
        if item is None:
            raise HTTPException(404, "no such call on the worklist")
        answers = {
            "satisfaction": satisfaction,
            "integrity": integrity,
            "timeliness": timeliness,
            "reason": reason.strip(),
        }
        try:
            staff.record(settings, attempt_id, outcome, answers, staff.now())
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return RedirectResponse(f"/worklist/{item.evaluator}", status_code=303)

    return app
