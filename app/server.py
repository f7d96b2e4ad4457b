"""``minyi serve``: the public webhook listener, the staff web and the scheduled deployments.

Two listeners, apart (CONTRACT.md "Commands"):

- the **public listener** (default 127.0.0.1:8700) serves only provider
  webhooks (``/twilio/...``, ``/aliyun/...``), ``/healthz`` and the citizens' own
  forms (``/complaint`` from the QR codes on the 四公开 door plates, ``/poll/…``;
  ``app.public_forms``: signed single-use tokens, a rate limit, size limits, nothing
  shown back but a registration number); it is the one port that faces the
  internet, behind a TLS proxy;
- the **staff web** (default 127.0.0.1:8701: sign-in, worklist, status,
  follow-ups) stays on the center's network.

Both write only the landing store; the flows own the warehouse. In the same
process a Prefect process worker runs the home's scheduled deployments
(``flows.deployments``), each run in a fresh process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from minyi.settings import Settings

MAX_BODY = 64 * 1024


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send)
            return
        seen = 0
        buffered: list[Any] = []
        while True:  # read the whole (small) body first, counting
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))  # type: ignore[arg-type]
                if seen > self.limit:
                    await _too_large(send)
                    return
                buffered.append(message)
                if not message.get("more_body"):
                    break
            else:
                buffered.append(message)
                break

        async def replay() -> Any:
            if buffered:
                return buffered.pop(0)
            return await receive()  # type: ignore[return-value]

        await self.app(scope, replay, send)  # type: ignore[arg-type]


async def _too_large(send: Send) -> None:
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"request body too large"})


def build_public_app(settings: Settings) -> ASGIApp:
    """Provider webhooks and the citizens' forms; nothing for staff, nothing that reads data back."""
    from flows.wiring import webhook_apps

    subs = webhook_apps(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        async with contextlib.AsyncExitStack() as stack:
            for sub in subs:
                await stack.enter_async_context(sub.router.lifespan_context(sub))
            yield

    app = FastAPI(
        title="minyi webhooks", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan
    )
    for sub in subs:  # each provider's routes carry their own prefix (/twilio/…, /aliyun/…)
        app.router.routes.extend(sub.router.routes)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from app.public_forms import add_public_forms

    add_public_forms(app, settings)  # complaints (door-plate QR codes) and polls; hardened

    return BodyLimit(app)


def build_staff_app(settings: Settings) -> FastAPI:
    from app.staff.site import create_staff_app

    return create_staff_app(settings)


def _exposed(host: str) -> bool:
    try:
        return not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return True


def serve(
    settings: Settings,
    host: str,
    port: int,
    staff_host: str,
    staff_port: int,
    echo: Callable[[str], None] = print,
    worker: bool = True,
) -> None:
    """Run both listeners and the worker until interrupted."""
    import uvicorn

    from flows import deployments

    if _exposed(host):
        echo(
            f"warning: the public listener binds {host}: put a TLS proxy (nginx) in front "
            "and set MINYI_PUBLIC_URL to its https address / 公网监听请置于 TLS 反向代理之后"
        )
    if _exposed(staff_host):
        echo(f"warning: the staff web binds {staff_host}: keep it on the center's network only")
    public = uvicorn.Server(
        uvicorn.Config(build_public_app(settings), host=host, port=port, log_level="warning")
    )
    staff = uvicorn.Server(
        uvicorn.Config(build_staff_app(settings), host=staff_host, port=staff_port, log_level="warning")
    )

    async def main() -> None:
        tasks = [asyncio.create_task(public.serve()), asyncio.create_task(staff.serve())]
        if worker:
            names = await deployments.register(settings)
            echo("deployments: " + ", ".join(names))
            for plan in deployments.plans(settings):
                echo(f"  {plan.flow}: cron '{plan.cron}' ({settings.timezone})")
            tasks.append(
                asyncio.create_task(
                    deployments.run_worker(
                        settings.work_pool, [settings.district], f"minyi-{settings.district}"
                    )
                )
            )
        echo(f"public webhooks: http://{host}:{port}   staff web: http://{staff_host}:{staff_port}")
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        public.should_exit = staff.should_exit = True
        for task in pending:
            if task is not tasks[0] and task is not tasks[1]:
                task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in done:
            task.result()

    asyncio.run(main())
