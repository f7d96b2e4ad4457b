"""The public forms on the internet-facing listener: complaints (from the QR code on the
四公开 door plates) and 民意征集 polls (open link / QR, or a member's personal link).

Hardened because anyone can reach them:

- no cookies and no session: each form carries a **signed, expiring, single-use token**
  (``itsdangerous``, the home's own ``form_key``; a nonce that becomes the event key, so a
  replayed submission is recorded once and gets the same registration number). It is not
  the staff web's CSRF token and cannot act there (other key, other listener, no session);
- a **per-address rate limit** (``MINYI_PUBLIC_FORM_PER_HOUR``), field **size limits** and
  the listener's 64 KB body limit; only ``application/x-www-form-urlencoded`` is read;
- **nothing is shown back** but the complaint's registration number (登记号): no lookup,
  no data of anyone; what was sent goes to the landing store, which the flows load.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from html import escape
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from flows import public
from minyi.keys import home_secret
from minyi.settings import Settings

TOKEN_SECONDS = 2 * 3600
MAX_TEXT = 1000
MAX_NAME = 50
MAX_PHONE = 20
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
CSS = ("body{font-family:sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;font-size:17px}"
       "textarea,input{font-size:1rem;width:100%}button{padding:.6rem 1.2rem;font-size:1rem}.bad{color:#a40000}")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers=HEADERS,
    )


class RateLimit:
    """At most ``per_hour`` submissions per client address in any hour (in memory)."""

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self.seen: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        stamps = self.seen.setdefault(address, deque())
        while stamps and now - stamps[0] > 3600:
            stamps.popleft()
        if len(stamps) >= self.per_hour:
            return False
        stamps.append(now)
        if len(self.seen) > 100_000:  # never grow without bound
            self.seen = {a: s for a, s in self.seen.items() if s and now - s[-1] < 3600}
        return True


def add_public_forms(app: FastAPI, settings: Settings) -> None:
    signer = URLSafeTimedSerializer(home_secret(settings.home, "form_key").get_secret_value(), salt="minyi-public-form")
    limit = RateLimit(settings.public_form_per_hour)

    def token(kind: str, extra: str = "") -> str:
        return signer.dumps({"k": kind, "n": secrets.token_urlsafe(16), "x": extra})

    def check(raw: str, kind: str) -> dict[str, str] | None:
        try:
            data = signer.loads(raw, max_age=TOKEN_SECONDS)
        except (BadSignature, SignatureExpired):
            return None
        return data if isinstance(data, dict) and data.get("k") == kind else None

    async def form_of(request: Request) -> dict[str, list[str]] | None:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return None
        body = (await request.body()).decode("utf-8", errors="replace")
        return parse_qs(body, keep_blank_values=True, max_num_fields=60)

    def client(request: Request) -> str:
        """The sender's address: behind the TLS proxy on this machine (README), the address the
        proxy appended last to ``X-Forwarded-For`` (a client cannot forge that one)."""
        host = request.client.host if request.client else "?"
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded and host in ("127.0.0.1", "::1", "localhost"):
            return forwarded.split(",")[-1].strip() or host
        return host

    refused = "<p class='bad'>表单已过期或无效，请重新打开页面填写。</p>"

    @app.get("/complaint", response_class=HTMLResponse)
    def complaint_form(unit: str = "") -> HTMLResponse:
        unit = unit if unit.isalnum() and len(unit) <= 40 else ""
        about = f"<p>被投诉单位编码：{escape(unit)}</p>" if unit else ""
        return _page("群众投诉 · 民意访评中心", f"""{about}
<form method='post' action='/complaint'>
<input type='hidden' name='token' value='{escape(token("complaint", unit))}'>
<p><label>请写明投诉的事情（时间、窗口、经过）<br><textarea name='text' rows='6' maxlength='{MAX_TEXT}' required></textarea></label></p>
<p><label>称呼（可不填）<input name='name' maxlength='{MAX_NAME}'></label></p>
<p><label>手机号码（可不填；填写后我们会回访您）<input name='phone' maxlength='{MAX_PHONE}'></label></p>
<p><label><input type='checkbox' name='consent' value='1' style='width:auto'> 同意把我的称呼和电话告诉被投诉单位，便于其直接联系我</label></p>
<p><button>提交</button></p></form>
<p>我们只会显示登记号，请记下以便查询。</p>""")

    @app.post("/complaint", response_class=HTMLResponse)
    async def complaint(request: Request) -> HTMLResponse:
        form = await form_of(request)
        if form is None:
            return _page("无法受理", refused, 400)
        data = check((form.get("token") or [""])[0], "complaint")
        if data is None:
            return _page("无法受理", refused, 403)
        if not limit.allow(client(request)):
            return _page("请稍后再试", "<p class='bad'>提交过于频繁，请一小时后再试。</p>", 429)
        text = (form.get("text") or [""])[0].strip()
        name = (form.get("name") or [""])[0].strip()
        phone = (form.get("phone") or [""])[0].strip()
        if not text or len(text) > MAX_TEXT or len(name) > MAX_NAME or len(phone) > MAX_PHONE:
            return _page("无法受理", f"<p class='bad'>请填写投诉内容（不超过 {MAX_TEXT} 字）。</p>", 422)
        number = public.record_complaint(
            settings, nonce=data["n"], text=text, name=name or None, phone=phone or None,
            unit_id=data.get("x") or None, consent=(form.get("consent") or [""])[0] == "1",
        )
        return _page("投诉已登记", f"<p>您的投诉已登记，登记号：<strong>{escape(number)}</strong></p>"
                     "<p>我们将转有关单位办理。</p>")

    @app.get("/poll/{poll_id}", response_class=HTMLResponse)
    def poll_form(poll_id: str, m: str = "") -> HTMLResponse:
        spec = public.poll_spec(settings, poll_id)
        if spec is None:
            return _page("没有这项征集", "<p>该征集不存在或已结束。</p>", 404)
        member = public.member_of(settings, poll_id, m) if m else None
        if spec.target == "sample" and member is None:
            return _page("请使用短信中的链接", "<p>本次征集为抽样调查，请使用您收到的专属链接。</p>", 403)
        fields = "".join(_question(q) for q in spec.questions)
        return _page(spec.title, f"""<p>{escape(spec.intro)}</p>
<form method='post' action='/poll/{escape(poll_id)}'>
<input type='hidden' name='token' value='{escape(token("poll:" + poll_id, m))}'>
{fields}<p><button>提交</button></p></form>""")

    @app.post("/poll/{poll_id}", response_class=HTMLResponse)
    async def poll(request: Request, poll_id: str) -> HTMLResponse:
        form = await form_of(request)
        spec = public.poll_spec(settings, poll_id)
        if form is None or spec is None:
            return _page("无法提交", refused, 400)
        data = check((form.get("token") or [""])[0], "poll:" + poll_id)
        if data is None:
            return _page("无法提交", refused, 403)
        if not limit.allow(client(request)):
            return _page("请稍后再试", "<p class='bad'>提交过于频繁，请一小时后再试。</p>", 429)
        member = public.member_of(settings, poll_id, data.get("x", "")) if data.get("x") else None
        if spec.target == "sample" and member is None:
            return _page("无法提交", refused, 403)
        answers = {q.key: ",".join(v for v in form.get(f"q_{q.key}", []) if v.strip()) for q in spec.questions}
        kept = public.record_poll(settings, poll_id, member or "W" + data["n"][:12], answers)
        if kept is None:
            return _page("无法提交", "<p class='bad'>回答不完整或超出范围，请返回检查。</p>", 422)
        return _page("感谢参与", "<p>您的意见已收到，谢谢！</p>")


def _question(q: object) -> str:
    from flows.public import Question

    assert isinstance(q, Question)
    name = f"q_{q.key}"
    if q.kind == "text":
        return f"<p><label>{escape(q.text)}<br><textarea name='{name}' rows='3' maxlength='500'></textarea></label></p>"
    if q.kind == "scale":
        boxes = "".join(f"<label><input type='radio' name='{name}' value='{v}' style='width:auto'> {v}</label> " for v in range(1, 6))
        return f"<fieldset><legend>{escape(q.text)}（1 最低，5 最高）</legend>{boxes}</fieldset>"
    kind = "checkbox" if q.kind == "multiple" else "radio"
    boxes = "".join(
        f"<label><input type='{kind}' name='{name}' value='{k}' style='width:auto'> {escape(o)}</label><br>"
        for k, o in enumerate(q.options, start=1)
    )
    return f"<fieldset><legend>{escape(q.text)}</legend>{boxes}</fieldset>"
