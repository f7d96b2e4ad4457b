"""The staff web: sign-in, home, status, worklist, audit log (Chinese first, plain HTML).

Listens on the staff port (default 127.0.0.1:8701), apart from the public
webhooks. Every page needs a signed-in account with a role that may see it
(``app.staff.auth``); every form carries a CSRF token; every change of state
is written to the append-only audit log.
"""

from __future__ import annotations

import hmac
import json
from html import escape

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.staff.auth import (
    SIGNIN_COOKIE,
    Auth,
    MustChangePassword,
    NotSignedIn,
    client_of,
    signin_token,
)
from app.staff.casework import casework_router
from app.staff.page import page, table
from app.staff.worklist import worklist_router
from flows import staff
from minyi.settings import Settings

ROLE_NAMES = {
    "director": "主任",
    "evaluator": "访评员",
    "liaison": "单位联络员",
    "auditor": "审计员",
    "discipline": "纪检核实",
}


def create_staff_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="minyi staff", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    auth = Auth(settings)

    @app.exception_handler(NotSignedIn)
    def _signin(request: Request, exc: NotSignedIn) -> Response:
        if request.method == "GET":
            return RedirectResponse("/signin", status_code=303)
        return page("请先登录", "<p>请先<a href='/signin'>登录</a>。</p>", status_code=401)

    @app.exception_handler(MustChangePassword)
    def _password(request: Request, exc: MustChangePassword) -> Response:
        return RedirectResponse("/password", status_code=303)

    @app.exception_handler(HTTPException)
    def _error(request: Request, exc: HTTPException) -> Response:
        return page("无法完成 / refused", f"<p class='bad'>{escape(str(exc.detail))}</p>"
                    "<p><a href='javascript:history.back()'>返回</a></p>", status_code=exc.status_code)

    @app.get("/signin", response_class=HTMLResponse)
    def signin_form(error: str = "") -> Response:
        token = signin_token()
        message = "<p class='bad'>用户名或密码不正确。</p>" if error else ""
        response = page(
            "登录 / Sign in",
            f"""{message}<form method='post' action='/signin'>
<input type='hidden' name='csrf' value='{token}'>
<p><label>用户名 <input name='username' autocomplete='username' required></label></p>
<p><label>密码 <input name='password' type='password' autocomplete='current-password' required></label></p>
<p><button>登录</button></p></form>""",
        )
        response.set_cookie(SIGNIN_COOKIE, token, max_age=600, **auth.cookie_args())
        return response

    @app.post("/signin")
    def signin(
        request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")
    ) -> Response:
        cookie = request.cookies.get(SIGNIN_COOKIE, "")
        if not csrf or not cookie or not hmac.compare_digest(csrf, cookie):
            raise HTTPException(403, "表单已过期，请刷新页面后重试 / invalid or missing CSRF token")
        try:
            with staff.accounts(settings) as store:
                session = store.sign_in(username, password, client_of(request))
        except staff.SignInThrottled as exc:
            return page("登录受限", f"<p class='bad'>{escape(str(exc))}</p>", status_code=429)
        if session is None:
            return RedirectResponse("/signin?error=1", status_code=303)
        staff.audit(settings, session.user.username, session.user.role, "signin")
        response = RedirectResponse("/password" if session.user.must_change else "/", status_code=303)
        response.set_cookie("minyi_session", auth.sign_in_cookie(session), **auth.cookie_args())
        response.delete_cookie(SIGNIN_COOKIE, path="/")
        return response

    @app.post("/signout")
    def signout(request: Request, csrf: str = Form("")) -> Response:
        session = auth.session(request)
        if session is not None:
            auth.check_csrf(session, csrf)
            with staff.accounts(settings) as store:
                store.sign_out(session.session_id)
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie("minyi_session", path="/")
        return response

    @app.get("/password", response_class=HTMLResponse)
    def password_form(request: Request) -> HTMLResponse:
        session = auth.require(request)
        note = "<p>首次登录请设置新密码（至少 10 位）。</p>" if session.user.must_change else ""
        return page(
            "修改密码",
            f"""{note}<form method='post' action='/password'>
<input type='hidden' name='csrf' value='{escape(session.csrf)}'>
<p><label>新密码 <input name='password' type='password' autocomplete='new-password' minlength='10' required></label></p>
<p><label>再输入一次 <input name='again' type='password' autocomplete='new-password' required></label></p>
<p><button>保存</button></p></form>""",
            session=session,
        )

    @app.post("/password")
    def password(
        request: Request, csrf: str = Form(""), password: str = Form(""), again: str = Form("")
    ) -> Response:
        session = auth.require(request)
        auth.check_csrf(session, csrf)
        if password != again:
            raise HTTPException(422, "两次输入的密码不一致 / the passwords differ")
        try:
            with staff.accounts(settings) as store:
                store.set_password(session.user.username, password, must_change=False)
                fresh = store.sign_in(session.user.username, password, client_of(request))
        except staff.AccountError as exc:
            raise HTTPException(422, str(exc)) from exc
        staff.audit(settings, session.user.username, session.user.role, "password.change")
        response = RedirectResponse("/", status_code=303)
        if fresh is not None:
            response.set_cookie("minyi_session", auth.sign_in_cookie(fresh), **auth.cookie_args())
        return response

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        session = auth.require(request)
        links = {
            "director": [("/status", "运行状态"), ("/worklist", "人工访评工作清单"), ("/tickets", "转办件"),
                         ("/appeals", "申诉复核"), ("/complaints/new", "登记电话投诉"), ("/polls", "民意征集"),
                         ("/audit", "操作日志")],
            "evaluator": [("/worklist", "我的待访清单"), ("/tickets", "转办件"),
                          ("/complaints/new", "登记电话投诉"), ("/status", "运行状态")],
            "auditor": [("/status", "运行状态"), ("/audit", "操作日志"), ("/worklist", "工作清单"),
                        ("/tickets", "转办件"), ("/appeals", "申诉复核"), ("/polls", "民意征集")],
            "liaison": [("/unit", "本单位：月度情况、转办件、申诉")],
            "discipline": [("/tickets?kind=integrity", "廉情线索核实"), ("/tickets?kind=complaint", "投诉核实")],
        }[session.user.role]
        items = "".join(f"<li><a href='{href}'>{escape(text)}</a></li>" for href, text in links)
        who = f"{escape(session.user.username)}（{ROLE_NAMES[session.user.role]}）"
        return page(f"{settings.district_name} 民意访评中心", f"<p>{who}</p><ul>{items}</ul>", session=session)

    @app.get("/status", response_class=HTMLResponse)
    def status(request: Request) -> HTMLResponse:
        session = auth.require(request, "director", "evaluator", "auditor")
        from flows.status import gather

        s = gather(settings)
        parts = [
            f"<p>今天 {escape(s.today)}；员工副本更新于 {escape(s.published_at or '（尚无）')}</p>",
            "<h2>今日导入</h2>"
            + table(("文件", "读取", "入库", "隔离"), s.imports, "今天还没有导入办件文件。"),
            "<h2>最近抽样</h2>"
            + table(("日期", "办件", "符合条件", "抽中"), s.draws, "还没有抽样。"),
            "<h2>今日联系</h2>"
            + table(("渠道", "已发送", "失败"), s.contacts, "今天还没有联系。")
            + f"<p>今日收到满意度回答：{s.answers_today}</p>",
            "<h2>故障</h2>"
            + (
                "<ul class='bad'>" + "".join(f"<li>{escape(f)}</li>" for f in s.failures) + "</ul>"
                if s.failures
                else "<p class='ok'>没有故障。</p>"
            ),
            "<h2>最近运行</h2>"
            + table(("流程", "状态", "开始", "说明"), s.runs, "没有运行记录。"),
            "<h2>下次计划运行</h2>" + table(("流程", "时间"), s.next_runs, "没有计划中的运行。"),
        ]
        return page("运行状态", "".join(parts), session=session)

    @app.get("/audit", response_class=HTMLResponse)
    def audit(request: Request) -> HTMLResponse:
        session = auth.require(request, "director", "auditor")
        with staff.accounts(settings) as store:
            entries = store.audit_log(500)
        rows = [
            (e.at[:19].replace("T", " "), e.actor, ROLE_NAMES.get(e.role, e.role), e.action,
             e.target or "", _brief(e.before), _brief(e.after))
            for e in entries
        ]
        return page(
            "操作日志 / audit log",
            table(("时间 (UTC)", "操作人", "角色", "操作", "对象", "之前", "之后"), rows, "尚无记录。"),
            session=session,
        )

    app.include_router(worklist_router(settings, auth))
    app.include_router(casework_router(settings, auth))
    return app


def _brief(value: str | None) -> str:
    if not value:
        return ""
    try:
        data = json.loads(value)
    except ValueError:
        return value[:80]
    if isinstance(data, dict):
        return "，".join(f"{k}={v}" for k, v in data.items())[:120]
    return str(data)[:120]
