"""The staff web: home, status page, evaluators' worklist (Chinese first, plain HTML).

Listens on the staff port (default 127.0.0.1:8701), apart from the public
webhooks. Pages render aggregates from the published copy and Prefect, and the
worklist from the landing store, through ``flows`` only.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from app.staff.page import page, table
from app.staff.worklist import create_worklist_app
from minyi.settings import Settings


def create_staff_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="minyi staff", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        return page(
            f"{settings.district_name} 民意访评中心",
            "<ul><li><a href='/status'>运行状态 / status</a></li>"
            "<li><a href='/worklist/'>人工访评工作清单 / worklist</a></li></ul>",
        )

    @app.get("/status", response_class=HTMLResponse)
    def status() -> HTMLResponse:
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
        return page("运行状态", "".join(parts))

    app.mount("/worklist", create_worklist_app(settings))
    return app
