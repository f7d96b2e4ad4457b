"""Telling people when a run failed or is missing: e-mail and 钉钉/企业微信 group robots.

Each flow of ``flows.cycle`` has this module's :func:`on_failure` as its
Prefect failure and crash hook: the home's settings (``MINYI_NOTIFY_EMAIL_TO``
with the ``MINYI_SMTP_*`` server, sent through ``prefect-email``'s
``EmailServerCredentials``; ``MINYI_NOTIFY_WEBHOOK_URL`` for a DingTalk or WeCom
group robot, signed with ``MINYI_NOTIFY_WEBHOOK_SECRET`` when the DingTalk robot
uses 加签) say who is told. "Missing" runs are failures too: ``minyi-day``
fails when a working day's cases have not arrived by its run (``NoCases``).

A message holds the flow, the run, the home's district and the one-line cause,
with any phone number masked; never a secret. A notification that cannot be
sent is logged and never hides the run's own failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import urllib.request
from email.message import EmailMessage
from typing import Any

from minyi.settings import Settings, load_settings
from warehouse.phones import mask_text

log = logging.getLogger("minyi.notify")


def compose(settings: Settings, flow_name: str, run_name: str, cause: str, ui_url: str | None) -> tuple[str, str]:
    """Subject and body (Chinese first) of a failure notice."""
    subject = f"【民意访评】{settings.district_name} {flow_name} 运行失败 / run failed"
    lines = [
        f"数据目录 / district: {settings.district_name} ({settings.district})",
        f"流程 / flow: {flow_name}  运行 / run: {run_name}",
        f"原因 / cause: {mask_text(cause) or '(unknown)'}",
    ]
    if ui_url:
        lines.append(f"详情 / details: {ui_url}")
    lines.append("处理办法见运维手册 docs/运维手册.md「出现故障时」/ see the operator's guide.")
    return subject, "\n".join(lines)


def send_email(settings: Settings, subject: str, body: str) -> None:
    from prefect_email import EmailServerCredentials

    if not (settings.notify_email_to and settings.smtp_host):
        return
    credentials = EmailServerCredentials(
        smtp_server=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_type={"ssl": "SSL", "starttls": "STARTTLS", "none": "INSECURE"}[settings.smtp_security],
        username=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from or settings.smtp_user or "minyi@localhost"
    message["To"] = ", ".join(settings.notify_email_to)
    message.set_content(body)
    with credentials.get_server() as server:
        server.send_message(message)


def _signed(url: str, secret: str | None) -> str:
    """DingTalk 加签: timestamp and HMAC-SHA256 signature appended to the robot URL."""
    if not secret:
        return url
    stamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def send_webhook(settings: Settings, subject: str, body: str) -> None:
    """A text message to a DingTalk or WeCom group robot (both take the same JSON shape)."""
    if settings.notify_webhook_url is None:
        return
    secret = settings.notify_webhook_secret
    url = _signed(
        settings.notify_webhook_url.get_secret_value(),
        secret.get_secret_value() if secret else None,
    )
    payload = json.dumps(
        {"msgtype": "text", "text": {"content": f"{subject}\n{body}"}}, ensure_ascii=False
    ).encode("utf-8")
    request = urllib.request.Request(
        url, data=payload, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read() or b"{}")
    if answer.get("errcode", 0) != 0:
        raise RuntimeError(f"robot refused the message: {answer.get('errmsg')}")


def notify(settings: Settings, flow_name: str, run_name: str, cause: str, ui_url: str | None = None) -> list[str]:
    """Send the notice on every configured channel; returns the channels that failed."""
    subject, body = compose(settings, flow_name, run_name, cause, ui_url)
    failed = []
    for name, send in (("email", send_email), ("webhook", send_webhook)):
        try:
            send(settings, subject, body)
        except Exception as exc:  # never hide the run's own failure
            log.warning("notification by %s failed: %s", name, type(exc).__name__)
            failed.append(name)
    return failed


def on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook of the cycle's flows: tell people that this run failed, and why."""
    home = (flow_run.parameters or {}).get("home")
    if not home:
        return
    try:
        settings = load_settings(home)
    except Exception:  # a settings error is itself the cause; nothing to send with
        return
    cause = str(state.message or state.name)
    ui_url = None
    try:
        from prefect.settings import PREFECT_UI_URL

        base = PREFECT_UI_URL.value()
        ui_url = f"{base}/runs/flow-run/{flow_run.id}" if base else None
    except Exception:
        ui_url = None
    notify(settings, flow.name, flow_run.name, cause, ui_url)


def send_notice(settings: Settings, subject: str, lines: list[str]) -> list[str]:
    """A casework notice (reminders, escalations) on the same channels as failure notices;
    returns the channels that failed. Callers never put personal data in it; numbers are
    masked all the same."""
    body = "\n".join(mask_text(line) or "" for line in lines)
    failed = []
    for name, send in (("email", send_email), ("webhook", send_webhook)):
        try:
            send(settings, f"【民意访评】{settings.district_name} {subject}", body)
        except Exception as exc:  # a notice that cannot be sent never stops the run
            log.warning("notice by %s failed: %s", name, type(exc).__name__)
            failed.append(name)
    return failed
