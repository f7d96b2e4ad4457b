"""The staff web's page frame and tables: plain HTML, readable on a phone, no JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from fastapi.responses import HTMLResponse

CSS = """body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1rem auto;
max-width:60rem;padding:0 1rem;line-height:1.5}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem}
th{background:#f3f3f3}.bad{color:#a40000}.ok{color:#1a6b1a}.muted{color:#666}
nav a{margin-right:1rem}"""


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        "<nav><a href='/'>首页</a><a href='/status'>运行状态</a><a href='/worklist/'>工作清单</a></nav>"
        f"<h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status_code,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], empty: str) -> str:
    if not rows:
        return f"<p class='muted'>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
