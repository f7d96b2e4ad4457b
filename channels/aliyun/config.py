"""The Alibaba Cloud provider's configuration, one typed object filled at the edge.

Each field names the environment variable it comes from (CONTRACT.md,
"Domestic provider (Alibaba Cloud)"); ``minyi/settings.py`` fills this object,
or a caller passes a mapping to ``AliyunConfig.from_env``. This module never
reads ``os.environ`` itself.

| field               | environment variable                   | notes                                  |
|---------------------|----------------------------------------|----------------------------------------|
| access_key_id       | ALIBABA_CLOUD_ACCESS_KEY_ID            | the SDK's own name                     |
| access_key_secret   | ALIBABA_CLOUD_ACCESS_KEY_SECRET        | secret                                 |
| sign_name           | MINYI_ALIYUN_SIGN_NAME                 | the approved 短信签名, without 【】     |
| sms_endpoint        | MINYI_ALIYUN_SMS_ENDPOINT              | default dysmsapi.aliyuncs.com          |
| voice_endpoint      | MINYI_ALIYUN_VOICE_ENDPOINT            | default dyvmsapi.aliyuncs.com          |
| voice_caller        | MINYI_ALIYUN_VOICE_CALLER              | the purchased 真实号 shown to callees   |
| callback_token      | MINYI_ALIYUN_CALLBACK_TOKEN            | secret path segment of the callbacks   |
| templates           | MINYI_ALIYUN_TEMPLATE_<ROLE>           | codes approved in the console          |
| templates_path      | MINYI_ALIYUN_TEMPLATES                 | registered texts (default: built in)   |
| connect_timeout_ms  | MINYI_ALIYUN_CONNECT_TIMEOUT_MS        | default 3000                           |
| read_timeout_ms     | MINYI_ALIYUN_READ_TIMEOUT_MS           | default 10000                          |

Template roles (``MINYI_ALIYUN_TEMPLATE_OPENING`` …) are listed in
``templates.toml``: ``opening``, ``opening_short``, one per later questionnaire
item (``integrity``, ``timeliness``, ``reason``), ``reprompt``, ``thanks`` for
SMS; ``ivr_start``, ``ivr_key``, ``ivr_bye`` for the IVR call (TTS templates).

An endpoint may carry a scheme (``http://127.0.0.1:8790`` for the local
emulator); without one the SDK speaks HTTPS.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

ENV_PREFIX_TEMPLATE = "MINYI_ALIYUN_TEMPLATE_"
DEFAULT_SMS_ENDPOINT = "dysmsapi.aliyuncs.com"
DEFAULT_VOICE_ENDPOINT = "dyvmsapi.aliyuncs.com"

ENV_NAMES: dict[str, str] = {
    "access_key_id": "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "access_key_secret": "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "sign_name": "MINYI_ALIYUN_SIGN_NAME",
    "sms_endpoint": "MINYI_ALIYUN_SMS_ENDPOINT",
    "voice_endpoint": "MINYI_ALIYUN_VOICE_ENDPOINT",
    "voice_caller": "MINYI_ALIYUN_VOICE_CALLER",
    "callback_token": "MINYI_ALIYUN_CALLBACK_TOKEN",
    "templates_path": "MINYI_ALIYUN_TEMPLATES",
    "connect_timeout_ms": "MINYI_ALIYUN_CONNECT_TIMEOUT_MS",
    "read_timeout_ms": "MINYI_ALIYUN_READ_TIMEOUT_MS",
}


class AliyunConfig(BaseModel):
    """What the provider, the callback receiver and the emulator's wiring need."""

    model_config = ConfigDict(frozen=True)

    access_key_id: str = Field(description="ALIBABA_CLOUD_ACCESS_KEY_ID: the AccessKey ID.")
    access_key_secret: SecretStr = Field(
        description="ALIBABA_CLOUD_ACCESS_KEY_SECRET: the AccessKey secret."
    )
    sign_name: str = Field(
        description="MINYI_ALIYUN_SIGN_NAME: the approved SMS signature (短信签名), without 【】."
    )
    callback_token: SecretStr = Field(
        description=(
            "MINYI_ALIYUN_CALLBACK_TOKEN: a long random secret; the callback URLs configured in "
            "the console end with it (Alibaba Cloud does not sign its HTTP pushes)."
        )
    )
    sms_endpoint: str = Field(
        DEFAULT_SMS_ENDPOINT,
        description="MINYI_ALIYUN_SMS_ENDPOINT: replaces dysmsapi.aliyuncs.com (tests, emulator).",
    )
    voice_endpoint: str = Field(
        DEFAULT_VOICE_ENDPOINT,
        description="MINYI_ALIYUN_VOICE_ENDPOINT: replaces dyvmsapi.aliyuncs.com (tests, emulator).",
    )
    voice_caller: str | None = Field(
        None,
        description="MINYI_ALIYUN_VOICE_CALLER: the purchased number IVR calls come from; none: SMS only.",
    )
    templates: dict[str, str] = Field(
        default_factory=dict,
        description="MINYI_ALIYUN_TEMPLATE_<ROLE>: template code approved for each role.",
    )
    templates_path: Path | None = Field(
        None,
        description="MINYI_ALIYUN_TEMPLATES: TOML of the registered texts (default: built in).",
    )
    connect_timeout_ms: int = Field(
        3000, ge=100, description="MINYI_ALIYUN_CONNECT_TIMEOUT_MS: SDK connect timeout."
    )
    read_timeout_ms: int = Field(
        10000, ge=100, description="MINYI_ALIYUN_READ_TIMEOUT_MS: SDK read timeout."
    )

    @field_validator("access_key_id", "sign_name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("不能为空 / must not be blank")
        return value.strip()

    @field_validator("callback_token")
    @classmethod
    def _long_token(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError(
                "回调令牌至少16个字符 / MINYI_ALIYUN_CALLBACK_TOKEN needs at least 16 characters"
            )
        return value

    @field_validator("templates")
    @classmethod
    def _role_names(cls, value: dict[str, str]) -> dict[str, str]:
        return {role.lower(): code.strip() for role, code in value.items() if code.strip()}

    @property
    def voice_enabled(self) -> bool:
        return bool(self.voice_caller)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AliyunConfig:
        """Build from a mapping of environment variables (the caller passes ``os.environ``)."""
        values: dict[str, object] = {
            field: env[name] for field, name in ENV_NAMES.items() if env.get(name)
        }
        values["templates"] = {
            name[len(ENV_PREFIX_TEMPLATE) :].lower(): code
            for name, code in env.items()
            if name.startswith(ENV_PREFIX_TEMPLATE) and code
        }
        return cls.model_validate(values)


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """(protocol, host[:port]) of an endpoint setting; no scheme means HTTPS."""
    text = endpoint.strip().rstrip("/")
    for scheme in ("http", "https"):
        if text.lower().startswith(scheme + "://"):
            return scheme, text[len(scheme) + 3 :]
    return "https", text
