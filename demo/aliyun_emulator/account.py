"""A made-up Alibaba Cloud account for the demo and tests: settings, and the emulator that knows it.

``demo_account`` gives the settings (environment names of CONTRACT.md) of an
account whose signature, caller number and every template of
``channels/aliyun/templates.toml`` are "approved"; ``emulator_for`` builds the
local service that knows exactly that account (its AccessKey, signature,
caller, the registered texts under their codes) and pushes its callbacks to
the receiver's URLs under ``public_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channels.aliyun.config import ENV_NAMES, ENV_PREFIX_TEMPLATE, AliyunConfig
from channels.aliyun.receiver import callback_paths
from channels.aliyun.templates import load
from demo.aliyun_emulator.server import Emulator

ACCESS_KEY_ID = "LTAI5tDemoEmulatorKey0001"
ACCESS_KEY_SECRET = "demo-emulator-access-key-secret"
CALLBACK_TOKEN = "demo-emulator-callback-token-0001"
VOICE_CALLER = "057188880000"


def demo_account(sign_name: str) -> dict[str, str]:
    """Settings (environment variables) of the made-up account: key, signature, caller, token,
    and a template code for every role of the built-in templates (SMS_9000xx, TTS_9100xx)."""
    values = {
        ENV_NAMES["access_key_id"]: ACCESS_KEY_ID,
        ENV_NAMES["access_key_secret"]: ACCESS_KEY_SECRET,
        ENV_NAMES["sign_name"]: sign_name,
        ENV_NAMES["voice_caller"]: VOICE_CALLER,
        ENV_NAMES["callback_token"]: CALLBACK_TOKEN,
    }
    for i, (role, template) in enumerate(sorted(load().items.items())):
        code = f"SMS_{900000 + i}" if template.kind == "sms" else f"TTS_{910000 + i}"
        values[ENV_PREFIX_TEMPLATE + role.upper()] = code
    return values


def emulator_for(
    config: AliyunConfig, public_url: str, **options: Any
) -> Emulator:
    """The local service of ``config``'s account, pushing to the receiver under ``public_url``.

    ``options`` go to ``Emulator`` (``people_factory``, ``errors``, ``push_twice``…).
    """
    templates = load(config.templates_path) if config.templates_path else load()
    paths: Mapping[str, str] = callback_paths(config.callback_token.get_secret_value())
    base = public_url.rstrip("/")
    return Emulator(
        access_key_id=config.access_key_id,
        access_key_secret=config.access_key_secret.get_secret_value(),
        sign_name=config.sign_name,
        sms_templates=templates.texts(config.templates, "sms"),
        tts_templates=templates.texts(config.templates, "voice"),
        callers=frozenset({config.voice_caller}) if config.voice_caller else frozenset(),
        sms_report_url=base + paths["sms_report"],
        sms_up_url=base + paths["sms_up"],
        voice_report_url=base + paths["voice_report"],
        **options,
    )
