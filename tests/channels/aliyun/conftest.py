"""Shared pieces of the Alibaba Cloud tests: template codes, configs, an emulator."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from channels.aliyun import AliyunConfig
from channels.aliyun import templates as T
from demo.aliyun_emulator import Emulator

AK_ID = "LTAI5tExampleKeyId000000"
AK_SECRET = "example-access-key-secret-for-tests"
SIGN = "示范区民意访评中心"
CALLER = "057112345678"
TOKEN = "t0ken-" + "q" * 26
TEMPLATES = T.load()
CODES = {
    role: (f"SMS_{100000 + i}" if t.kind == "sms" else f"TTS_{200000 + i}")
    for i, (role, t) in enumerate(TEMPLATES.items.items())
}


def config(url: str = "http://127.0.0.1:9", **changes: Any) -> AliyunConfig:
    """A complete configuration whose endpoints are ``url`` (the emulator)."""
    base = AliyunConfig(
        access_key_id=AK_ID,
        access_key_secret=SecretStr(AK_SECRET),
        sign_name=SIGN,
        callback_token=SecretStr(TOKEN),
        sms_endpoint=url,
        voice_endpoint=url,
        voice_caller=CALLER,
        templates=dict(CODES),
        templates_path=None,
        connect_timeout_ms=1000,
        read_timeout_ms=2000,
    )
    return base.model_copy(update=changes)


def emulator(**kwargs: Any) -> Emulator:
    """An emulator that knows our registered templates, signature and caller number."""
    return Emulator(
        access_key_id=AK_ID,
        access_key_secret=AK_SECRET,
        sign_name=SIGN,
        sms_templates={CODES[r]: t.text for r, t in TEMPLATES.items.items() if t.kind == "sms"},
        tts_templates={CODES[r]: t.text for r, t in TEMPLATES.items.items() if t.kind == "voice"},
        callers=frozenset({CALLER}),
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _no_alibaba_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's own credential chain must never pick up a real key from the machine."""
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
