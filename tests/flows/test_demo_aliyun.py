"""A month through the domestic emulator, end to end: `minyi demo --channel aliyun-emulator`.

The official Alibaba Cloud SDKs send to the local Alibaba Cloud emulator (signatures
verified), its people answer from the demo's truth, its pushes reach the real callback
receiver on the public listener, and the month closes into a published bulletin.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

from app.demo import prepare_home, run_demo
from minyi.settings import load_settings

MONTH = "2026-11"


@pytest.mark.flow
def test_a_month_through_the_alibaba_cloud_emulator(prefect_api: str, tmp_path: Path) -> None:
    home = tmp_path / "demo"
    prepare_home(home, 5, {"MINYI_DAILY_TOTAL": 12, "MINYI_MIN_RESPONDENTS": 5})
    settings = load_settings(home)
    lines: list[str] = []
    run_demo(settings, MONTH, 5, "zh", echo=lines.append, cases_per_day=40, channel="aliyun-emulator")

    assert any("Alibaba Cloud SDK" in line and "emulator http://127.0.0.1:" in line for line in lines)
    # the emulator's settings were this run's only: nothing stays in the environment
    assert not any(k.startswith(("ALIBABA_CLOUD_", "MINYI_ALIYUN_")) for k in os.environ)
    assert "MINYI_PROVIDER" not in os.environ

    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        by_channel = dict(
            con.sql("SELECT channel, count(*) FROM v_responses GROUP BY channel").fetchall()
        )
        sampled = con.sql("SELECT count(*) FROM v_sample").fetchall()[0][0]
        dispositions = con.sql(
            "SELECT count(*), count(DISTINCT case_id) FROM v_dispositions"
        ).fetchall()[0]
        codes = dict(
            con.sql("SELECT aapor_code, count(*) FROM v_dispositions GROUP BY 1").fetchall()
        )
        months = con.sql("SELECT sum(sampled), sum(responded) FROM v_unit_month").fetchall()[0]
    finally:
        con.close()
    # answers came by SMS replies (上行短信) and by key presses in IVR calls
    assert by_channel.get("sms", 0) > 0 and by_channel.get("voice", 0) > 0
    # every sampled case has exactly one final disposition
    assert sampled > 100 and dispositions == (sampled, sampled)
    assert codes.get("1.1", 0) > 0 and sum(codes.values()) == sampled
    assert months == (sampled, sum(by_channel.values()))

    # the contacts went out through the SDK: BizIds and CallIds as the service gives them
    live = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        sent = live.sql(
            "SELECT provider, channel, provider_sid FROM outbox WHERE status = 'sent'"
        ).fetchall()
    finally:
        live.close()
    assert {p for p, _, _ in sent} == {"aliyun+simulated"}
    sms = [sid for _, channel, sid in sent if channel == "sms"]
    calls = [sid for _, channel, sid in sent if channel == "voice"]
    assert sms and all(re.fullmatch(r"\d{17}\^0", sid) for sid in sms)
    assert calls and all(re.fullmatch(r"\d{12}\^\d{12}", sid) for sid in calls)

    bulletin = home / "bulletins" / MONTH
    assert "统计通报" in (bulletin / "bulletin.html").read_text(encoding="utf-8")
    assert (bulletin / "bulletin.pdf").stat().st_size > 10_000
    assert any(line.startswith("bulletin:") for line in lines)
