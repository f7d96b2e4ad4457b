"""The staff web's page frame and tables: plain HTML, readable on a phone, no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from fastapi.responses import HTMLResponse

if TYPE_CHECKING:
    from flows.staff import Session

CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1rem auto;
max-width:60rem;padding:0 1rem;line-height:1.5;font-size:17px}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem}
th{background:#f3f3f3}.bad{color:#a40000}.ok{color:#1a6b1a}.muted{color:#666}
nav{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;border-bottom:1px solid #ddd;padding:.3rem 0}
nav form{margin-left:auto}
.item{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}
.phone{font-size:1.6rem;font-weight:bold;letter-spacing:.05em;text-decoration:none}
.dial{display:inline-block;margin-left:.6rem;padding:.3rem .9rem;border-radius:6px;background:#1a6b1a;
color:#fff;text-decoration:none;font-size:1.1rem}
fieldset{border:0;padding:.3rem 0} legend{font-weight:bold}
label{display:inline-block;padding:.3rem .4rem}
button{margin:.2rem;padding:.6rem 1rem;font-size:1rem}
input{font-size:1rem;padding:.3rem}"""


def page(title: str, body: str, status_code: int = 200, session: Session | None = None) -> HTMLResponse:
    nav = ""
    if session is not None:
        nav = (
            "<nav><a href='/'>首页</a>"
            f"<span class='muted'>{escape(session.user.username)}</span>"
            "<form method='post' action='/signout'>"
            f"<input type='hidden' name='csrf' value='{escape(session.csrf)}'>"
            "<button>退出</button></form></nav>"
        )
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{nav}"
        f"<h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status_code,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str) -> str:
    if not rows:
        return f"<p class='muted'>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
