"""``minyi serve``: the webhook receiver, the evaluators' worklist and the scheduled flows.

One process serves Twilio's callbacks and the worklist (both write only to the
landing store); a background thread runs the dispatch flow every few minutes,
which loads the landing store into the warehouse, does the contact work due
and publishes the staff copy. Run one ``minyi serve`` per home.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from minyi.settings import Settings


def build_app(settings: Settings) -> FastAPI:
    """The receiver (when Twilio is configured) with the worklist mounted at /worklist."""
    from channels.worklist_web import create_worklist_app

    if settings.twilio_configured:
        from channels.receiver import create_app

        if not settings.public_url:
            raise ValueError("MINYI_PUBLIC_URL is required: Twilio signs requests against it")
        assert settings.twilio_auth_token
        app = create_app(
            auth_token=settings.twilio_auth_token,
            public_url=settings.public_url,
            landing_path=settings.landing_path,
        )
    else:
        app = FastAPI(title="minyi", openapi_url=None)
    app.mount(
        "/worklist",
        create_worklist_app(settings.landing_path, settings.evaluators, settings.district_name),
    )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _scheduler(
    settings: Settings, every_minutes: int, stop: threading.Event, echo: Callable[[str], None]
) -> None:
    from flows.daily import dispatch_flow

    while not stop.wait(every_minutes * 60):
        try:
            run = dispatch_flow(settings.model_dump(), datetime.now(UTC))
            d = run.dispatch
            echo(
                f"dispatch: due {d.started}, sent {d.sent}, failed {d.failed}, retry {d.retry}; "
                f"{run.respondents} new answers"
            )
        except Exception as exc:  # keep serving; the next run tries again
            echo(f"dispatch failed: {exc}")


def serve(
    settings: Settings,
    host: str,
    port: int,
    every_minutes: int,
    echo: Callable[[str], None] = print,
) -> None:
    import uvicorn

    app = build_app(settings)
    stop = threading.Event()
    if every_minutes:
        threading.Thread(
            target=_scheduler, args=(settings, every_minutes, stop, echo), daemon=True
        ).start()
    if not settings.twilio_configured:
        echo("Twilio is not configured: serving the worklist only (and the simulated channel)")
    echo(f"serving on http://{host}:{port} (worklist: /worklist)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
