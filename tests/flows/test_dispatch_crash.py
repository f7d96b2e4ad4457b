"""Kill the dispatcher mid-batch, restart it: every sampled person gets exactly one message.

The real ``twilio`` client in a ``minyi dispatch`` subprocess talks to the local
Twilio emulator over HTTP; the process is killed (SIGKILL) after some sends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from demo.twilio_emulator.loopback import run_in_thread
from demo.twilio_emulator.server import Emulator
from flows.intake import draw_day, import_files
from flows.wiring import open_warehouse
from minyi.settings import load_settings
from warehouse.loaders import load_units

ACCOUNT, TOKEN = "AC" + "0" * 32, "emulator-token"


def _home(tmp_path: Path, n: int) -> tuple[Path, list[str]]:
    home = tmp_path / "home"
    settings = load_settings(home, daily_total=n)
    units = tmp_path / "units.csv"
    units.write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\n", encoding="utf-8")
    phones = [f"+86139{i:08d}" for i in range(n)]
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "case_id,unit_id,category,completed_at,phone\n"
        + "".join(f"K{i:03d},U1,户籍,2026-10-12 10:00:00,{p}\n" for i, p in enumerate(phones)),
        encoding="utf-8",
    )
    with open_warehouse(settings) as con:
        load_units(con, units)
        import_files(con, settings, [cases])
        assert draw_day(con, settings, date(2026, 10, 12), date(2026, 10, 13)).sampled == n
    return home, phones


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """A process keeping one core busy, so the test runs as on a loaded machine."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        burner.kill()
        burner.wait()


@pytest.mark.flow
def test_kill_and_restart_never_contacts_anyone_twice(
    prefect_api: str, busy_cpu: None, tmp_path: Path
) -> None:
    home, phones = _home(tmp_path, 60)
    emulator = Emulator(account_sid=ACCOUNT, auth_token=TOKEN, slow=dict.fromkeys(phones, 0.08))
    with run_in_thread(emulator.app) as api_url:
        env = {
            **os.environ,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "MINYI_PUBLIC_URL": "http://127.0.0.1:9/",
            "MINYI_TWILIO_API_URL": api_url,
            "MINYI_MESSAGES_PER_SECOND": "1000",
            "MINYI_PROVIDER": "twilio",
            # everyone's first contact is an SMS here (no channel experiment): one per number
            "MINYI_RANDOMISED_SHARE": "0",
        }
        command = [
            sys.executable,
            "-m",
            "app.cli",
            "--home",
            str(home),
            "dispatch",
            "--at",
            "2026-10-13T10:00:00+08:00",
        ]

        def sent() -> Counter[str]:
            return Counter(
                dict(pairs).get("To", "") for kind, pairs in emulator.requests if kind == "Messages"
            )

        first = subprocess.Popen(
            command,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 120
        while sum(sent().values()) < 15 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        before = sum(sent().values())
        assert 15 <= before < len(phones), f"killed after {before} sends"

        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stdout + second.stderr
        counts = sent()
    assert set(counts) == set(phones)
    assert max(counts.values()) == 1, [p for p, c in counts.items() if c > 1]
