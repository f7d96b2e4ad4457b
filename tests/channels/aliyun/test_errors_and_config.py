"""Error codes mapped to transient / permanent / configuration; masking; the config model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from channels import base as B
from channels.aliyun import AliyunConfig, AliyunConfigError
from channels.aliyun.config import ENV_NAMES, split_endpoint
from channels.aliyun.errors import classify, mask, scrub
from channels.errors import PermanentSendError, TransientSendError

from .conftest import AK_ID, AK_SECRET, TOKEN


@pytest.mark.parametrize(
    ("code", "status", "kind", "outcome"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", None, TransientSendError, None),
        ("Throttling.User", 400, TransientSendError, None),
        ("ServiceUnavailable", 503, TransientSendError, None),
        ("", 502, TransientSendError, None),
        ("isv.MOBILE_NUMBER_ILLEGAL", None, PermanentSendError, B.INVALID_NUMBER),
        ("isv.BLACK_KEY_CONTROL_LIMIT", None, PermanentSendError, B.OPTED_OUT),
        ("isv.SOMETHING_NEW", None, PermanentSendError, "failed"),
        ("Unknown.Error", 400, PermanentSendError, "failed"),
        ("isv.SMS_TEMPLATE_ILLEGAL", None, AliyunConfigError, None),
        ("isv.SMS_SIGNATURE_ILLEGAL", None, AliyunConfigError, None),
        ("SignatureDoesNotMatch", 400, AliyunConfigError, None),
        ("InvalidAccessKeyId.NotFound", 404, AliyunConfigError, None),
        ("isv.DAY_LIMIT_CONTROL", None, AliyunConfigError, None),
    ],
)
def test_codes_split_transient_permanent_and_configuration(
    code: str, status: int | None, kind: type, outcome: str | None
) -> None:
    error = classify(code, "detail", status=status)
    assert type(error) is kind
    if outcome is not None:
        assert isinstance(error, PermanentSendError) and error.outcome == outcome


def test_numbers_are_masked_in_every_error() -> None:
    assert mask("+8613812345678") == "138****5678"
    assert mask("13812345678") == "138****5678"
    assert mask("0571-88886666") == "****6666"
    error = classify("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号 13812345678 / +8613912345678")
    assert "13812345678" not in str(error) and "138****5678" in str(error)
    assert "139****5678" in scrub("+8613912345678")
    config_error = AliyunConfigError("isv.SMS_TEMPLATE_ILLEGAL", "模板 for 13812345678")
    assert "13812345678" not in str(config_error) and "需要检查配置" in str(config_error)


def test_config_from_environment_names_and_secret_handling() -> None:
    env = {
        ENV_NAMES["access_key_id"]: AK_ID,
        ENV_NAMES["access_key_secret"]: AK_SECRET,
        ENV_NAMES["sign_name"]: "示范区民意访评中心",
        ENV_NAMES["callback_token"]: TOKEN,
        ENV_NAMES["sms_endpoint"]: "http://127.0.0.1:8790",
        "MINYI_ALIYUN_TEMPLATE_OPENING": "SMS_1",
        "MINYI_ALIYUN_TEMPLATE_IVR_START": "TTS_2",
        "MINYI_UNRELATED": "x",
    }
    config = AliyunConfig.from_env(env)
    assert config.templates == {"opening": "SMS_1", "ivr_start": "TTS_2"}
    assert config.voice_endpoint == "dyvmsapi.aliyuncs.com" and not config.voice_enabled
    assert AK_SECRET not in repr(config) and TOKEN not in repr(config)
    assert split_endpoint(config.sms_endpoint) == ("http", "127.0.0.1:8790")
    assert split_endpoint("dysmsapi.aliyuncs.com") == ("https", "dysmsapi.aliyuncs.com")
    with pytest.raises(ValidationError, match="16"):
        AliyunConfig.from_env({**env, ENV_NAMES["callback_token"]: "short"})
    with pytest.raises(ValidationError):
        AliyunConfig.from_env({k: v for k, v in env.items() if k != ENV_NAMES["sign_name"]})
