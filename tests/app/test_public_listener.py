"""The public listener: webhooks only, bodies over 64 KB refused before anything parses them."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from app.server import build_public_app
from demo.twilio_emulator.loopback import run_in_thread
from minyi.settings import load_settings


@pytest.fixture
def public(home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MINYI_PROVIDER", "twilio")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a-real-looking-token-0123456789")
    monkeypatch.setenv("MINYI_PUBLIC_URL", "https://minyi.example.gov.cn")
    return str(home)


def test_large_bodies_are_refused_fast_and_small_ones_still_checked(public: str) -> None:
    app = build_public_app(load_settings(Path(public)))
    with run_in_thread(app) as url:  # type: ignore[arg-type]
        small = httpx.post(f"{url}/twilio/sms", data={"Body": "5"})
        assert small.status_code == 403  # no valid signature: refused, nothing recorded
        started = time.perf_counter()
        big = httpx.post(f"{url}/twilio/sms", content=b"a=b&" * (8 * 1024 * 1024 // 4),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert big.status_code == 413 and time.perf_counter() - started < 1.5

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(200):
                yield b"x" * 1024

        streamed = httpx.post(f"{url}/twilio/sms", content=chunks(),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert streamed.status_code == 413
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    landing = Path(public) / "landing.sqlite"
    if landing.exists():
        import sqlite3

        con = sqlite3.connect(landing)
        try:
            assert con.execute("SELECT count(*) FROM inbound").fetchone()[0] == 0
        finally:
            con.close()
