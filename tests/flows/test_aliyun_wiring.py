"""MINYI_PROVIDER=aliyun: its settings (environment and the home's file), the provider the flows
get, and the callback routes the public listener serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.server import build_public_app
from channels.aliyun import AliyunConfigError
from channels.landing import LandingStore
from demo.aliyun_emulator import demo_account
from flows.wiring import aliyun_config, make_provider, webhook_apps
from minyi.errors import SettingsError
from minyi.settings import load_settings
from minyi.vocab import HOME_DEMO, HOME_REAL

TOKEN = "demo-emulator-callback-token-0001"  # demo_account's


def _aliyun_home(home: Path, **extra: str) -> Path:
    """A home whose minyi.env holds a complete Alibaba Cloud configuration (the demo account)."""
    values = {**demo_account("示范区民意访评中心"), "MINYI_PROVIDER": "aliyun", **extra}
    (home / "minyi.env").write_text(
        "".join(f"{key}={value}\n" for key, value in values.items()), encoding="utf-8"
    )
    return home


def test_the_configuration_comes_from_the_homes_file(home: Path) -> None:
    settings = load_settings(_aliyun_home(home))
    config = aliyun_config(settings)
    assert config.access_key_id == demo_account("x")["ALIBABA_CLOUD_ACCESS_KEY_ID"]
    assert config.sign_name == "示范区民意访评中心"
    assert config.sms_endpoint == "dysmsapi.aliyuncs.com"  # unset: the real service
    assert config.voice_endpoint == "dyvmsapi.aliyuncs.com"
    assert config.voice_enabled and config.voice_caller == "057188880000"
    roles = {"opening", "opening_short", "integrity", "timeliness", "reason", "reprompt",
             "thanks", "ivr_start", "ivr_key", "ivr_bye"}
    assert set(config.templates) == roles
    assert config.templates["opening"].startswith("SMS_")
    assert config.templates["ivr_start"].startswith("TTS_")
    # secrets never print
    shown = repr(settings) + repr(config)
    assert TOKEN not in shown and "demo-emulator-access-key-secret" not in shown


def test_missing_and_weak_values_are_refused_by_name(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "minyi.env").write_text("MINYI_PROVIDER=aliyun\n", encoding="utf-8")
    with pytest.raises(SettingsError) as missing:
        aliyun_config(load_settings(home))
    assert str(missing.value).startswith("setting ALIBABA_CLOUD_ACCESS_KEY_ID:")
    assert "MINYI_ALIYUN_SIGN_NAME" in str(missing.value)
    assert "MINYI_ALIYUN_CALLBACK_TOKEN" in str(missing.value)

    _aliyun_home(home, MINYI_ALIYUN_CALLBACK_TOKEN="short-token")
    with pytest.raises(SettingsError) as short:
        aliyun_config(load_settings(home))
    assert str(short.value).startswith("setting MINYI_ALIYUN_CALLBACK_TOKEN:") and "16" in str(
        short.value
    )
    assert "short-token" not in str(short.value)

    monkeypatch.setenv("MINYI_ENV", "production")
    for weak in ("changeme", "only-twenty-chars-xx"):
        monkeypatch.setenv("MINYI_ALIYUN_CALLBACK_TOKEN", weak)
        with pytest.raises(SettingsError) as refused:
            load_settings(home)
        assert "MINYI_ALIYUN_CALLBACK_TOKEN" in str(refused.value) and weak not in str(
            refused.value
        )
    monkeypatch.setenv("MINYI_ALIYUN_CALLBACK_TOKEN", "k" * 32)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "placeholder")
    with pytest.raises(SettingsError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        load_settings(home)


def test_a_missing_template_code_stops_before_anything_is_sent(home: Path) -> None:
    _aliyun_home(home, MINYI_ALIYUN_TEMPLATE_THANKS="")
    settings = load_settings(home)
    with LandingStore(settings.landing_path) as landing, pytest.raises(AliyunConfigError) as caught:
        make_provider(settings, landing, HOME_REAL)
    assert "MINYI_ALIYUN_TEMPLATE_THANKS" in str(caught.value)


def test_aliyun_then_the_evaluators_on_the_real_clock(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(_aliyun_home(home))
    with LandingStore(settings.landing_path) as landing:
        real = make_provider(settings, landing, HOME_REAL)
        assert real.name == "aliyun+worklist"
        assert real.channels() == {"sms", "voice", "manual"}
        assert getattr(real, "real_clock", True) is True
        # a demo home: the evaluators are simulated
        assert make_provider(settings, landing, HOME_DEMO).name == "aliyun+simulated"

        # only the local emulator (both services on loopback) follows the dispatcher's clock
        monkeypatch.setenv("MINYI_ALIYUN_SMS_ENDPOINT", "http://127.0.0.1:8790")
        half = make_provider(load_settings(home), landing, HOME_DEMO)
        assert getattr(half, "real_clock", True) is True
        monkeypatch.setenv("MINYI_ALIYUN_VOICE_ENDPOINT", "http://localhost:8790")
        emulated = make_provider(load_settings(home), landing, HOME_DEMO)
        assert getattr(emulated, "real_clock", True) is False
        monkeypatch.setenv("MINYI_ALIYUN_VOICE_ENDPOINT", "dyvmsapi.cn-hangzhou.aliyuncs.com")
        regional = make_provider(load_settings(home), landing, HOME_DEMO)
        assert getattr(regional, "real_clock", True) is True

        # without the caller number: SMS only, then the evaluators
        monkeypatch.setenv("MINYI_ALIYUN_VOICE_CALLER", "")
        sms_only = make_provider(load_settings(home), landing, HOME_REAL)
        assert sms_only.channels() == {"sms", "manual"}


def test_the_public_listener_serves_the_callbacks(home: Path) -> None:
    settings = load_settings(_aliyun_home(home))
    assert [app.title for app in webhook_apps(settings)] == ["minyi Alibaba Cloud callbacks"]
    receipt = [{
        "phone_number": "13800000001",
        "send_time": "2026-11-17 09:30:00",
        "report_time": "2026-11-17 09:30:02",
        "success": True,
        "err_code": "DELIVERED",
        "biz_id": "123456789012345^0",
        "out_id": "ABCDEFGH",
    }]
    with TestClient(build_public_app(settings)) as public:  # type: ignore[arg-type]
        assert public.get(f"/aliyun/sms/report/{TOKEN}").json() == {"code": 0, "msg": "成功"}
        assert public.post("/aliyun/sms/report/wrong-token-0123456789", json=receipt).status_code == 403
        ok = public.post(f"/aliyun/sms/report/{TOKEN}", json=receipt)
        assert (ok.status_code, ok.json()) == (200, {"code": 0, "msg": "成功"})
        again = public.post(f"/aliyun/sms/report/{TOKEN}", json=receipt)  # a repeated push
        assert again.status_code == 200
        # the listener refuses a large body before the receiver reads it
        big = json.dumps([{**receipt[0], "err_msg": "x" * 70_000}])
        too_large = public.post(
            f"/aliyun/sms/report/{TOKEN}",
            content=big,
            headers={"content-type": "application/json"},
        )
        assert too_large.status_code == 413
        assert public.post("/twilio/sms", data={"Body": "5"}).status_code == 404
    with LandingStore(settings.landing_path) as landing:
        events = landing.pending_frame()
    assert events.height == 1  # recorded once; the refused requests recorded nothing
    assert events["provider_sid"].to_list() == ["123456789012345^0"]
    assert events["kind"].to_list() == ["delivered"]
