"""No secret becomes a flow parameter, a log line or a stored result in Prefect."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from app.cli import main

SECRETS = {
    "TWILIO_AUTH_TOKEN": "tw-auth-5ecret-0123456789",
    "MINYI_HASH_KEY": "hash-5ecret-abcdefghijklmnop",
    "MINYI_SMTP_PASSWORD": "smtp-5ecret-pass",
    "MINYI_NOTIFY_WEBHOOK_SECRET": "SECrobot-5ecret",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ali-5ecret-0123456789abcdef",
    "MINYI_ALIYUN_CALLBACK_TOKEN": "ali-callback-5ecret-0123456789",
}


@pytest.mark.flow
def test_flow_runs_carry_the_home_not_the_settings(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect.client.orchestration import get_client

    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    home = tmp_path / "center"
    (home / "inbox" / "cases").mkdir(parents=True)
    units = tmp_path / "u.csv"
    units.write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\n", encoding="utf-8")
    assert main(["--home", str(home), "units", "load", str(units)]) == 0
    (home / "inbox" / "cases" / "c.csv").write_text(
        "case_id,unit_id,category,completed_at,phone\nK1,U1,户籍,2026-11-16 10:00:00,13900000001\n",
        encoding="utf-8",
    )
    assert main(["--home", str(home), "day", "--date", "2026-11-16"]) == 0
    capsys.readouterr()

    async def parameters() -> list[dict[str, object]]:
        async with get_client() as client:
            return [run.parameters for run in await client.read_flow_runs(limit=200)]

    runs = asyncio.run(parameters())
    assert runs and all(set(p) <= {"home", "day", "at", "hold_clock", "month", "cutoff", "lang",
                                    "scheduled", "file", "files", "encoding", "columns", "sheet",
                                    "numbers_file", "reason", "rounds", "close_rounds",
                                    "poll_id", "frame_file", "channel"}
                        for p in runs)
    stored = b""
    prefect_home = Path(os.environ["PREFECT_HOME"])
    for path in prefect_home.rglob("*"):
        if path.is_file():
            stored += path.read_bytes()
    for value in SECRETS.values():
        assert value.encode() not in stored
    assert b"13900000001" not in stored
