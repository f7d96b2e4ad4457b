"""A failed or missing run reaches people: e-mail (through prefect-email, to a local SMTP sink)
and a 钉钉 group robot (signed, to a local HTTP sink)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.cli import main

SECRET = "SEC0123456789abcdef"


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[_Mailbox, int]]:
    box = _Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def robot() -> Iterator[tuple[list[tuple[str, dict[str, object]]], int]]:
    received: list[tuple[str, dict[str, object]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, json.loads(body)))
            payload = b'{"errcode":0,"errmsg":"ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.flow
def test_a_missing_days_cases_fail_the_run_and_tell_people(
    prefect_api: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mailbox: tuple[_Mailbox, int],
    robot: tuple[list[tuple[str, dict[str, object]]], int],
) -> None:
    box, smtp_port = mailbox
    received, robot_port = robot
    home = tmp_path / "center"
    home.mkdir()
    for key, value in {
        "MINYI_DISTRICT_NAME": "示范区",
        "MINYI_NOTIFY_EMAIL_TO": "director@center.example, duty@center.example",
        "MINYI_SMTP_HOST": "127.0.0.1",
        "MINYI_SMTP_PORT": str(smtp_port),
        "MINYI_SMTP_SECURITY": "none",
        "MINYI_SMTP_FROM": "minyi@center.example",
        "MINYI_NOTIFY_WEBHOOK_URL": f"http://127.0.0.1:{robot_port}/robot/send?access_token=t0k",
        "MINYI_NOTIFY_WEBHOOK_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(key, value)

    # 2026-11-16 is a working day and nothing has arrived for it
    code = main(["--home", str(home), "day", "--date", "2026-11-16"])
    _, err = capsys.readouterr()
    assert code == 1 and "no cases of 2026-11-16" in err

    assert len(box.messages) == 1
    mail = box.messages[0]
    assert "minyi-day" in str(mail["Subject"]) and "director@center.example" in str(mail["To"])
    text = mail.get_content()  # type: ignore[attr-defined]
    assert "no cases of 2026-11-16" in text and SECRET not in text

    (path, payload), = received
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
    digest = hmac.new(
        SECRET.encode(), f"{query['timestamp']}\n{SECRET}".encode(), hashlib.sha256
    ).digest()
    assert query["sign"] == base64.b64encode(digest).decode()  # DingTalk 加签, verified
    assert query["access_token"] == "t0k"
    assert "no cases of 2026-11-16" in str(payload["text"])
