"""Alibaba Cloud error codes mapped onto the channel error tree.

ChannelError
 ├── TransientSendError   try again later: isv.BUSINESS_LIMIT_CONTROL (per-number
 │                        frequency control), Throttling.*, isp.SYSTEM_ERROR, HTTP 429 and
 │                        5xx, connect/read timeouts and connection errors
 ├── PermanentSendError   this recipient only; the run goes on:
 │                        isv.MOBILE_NUMBER_ILLEGAL → invalid_number,
 │                        isv.BLACK_KEY_CONTROL_LIMIT (黑名单管控) → opted_out (remembered),
 │                        any code not listed here → failed
 └── AliyunConfigError    ours to fix (AccessKey, signature, 签名/模板, account, quota): the
                          dispatch run stops, the case is not closed, the next run tries again

SendSms and IvrCall report most business errors with HTTP 200 and a ``Code``
other than ``OK``; the SDK raises for HTTP 4xx/5xx (``ClientException``,
``ServerException``, ``ThrottlingException``) and wraps network errors in
``UnretryableException``. Both paths go through ``classify``.

Phone numbers never appear whole in an error: ``mask`` gives ``138****5678``.
"""

from __future__ import annotations

import re

from channels import base as B
from channels.errors import ChannelError, PermanentSendError, TransientSendError

PROVIDER = "aliyun"

TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isp.SYSTEM_BUSY",
        "ServiceUnavailable",
        "InternalError",
        "SDK.Timeout",
        "SDK.ConnectionError",
    }
)
INVALID_NUMBER_CODES = frozenset(
    {"isv.MOBILE_NUMBER_ILLEGAL", "isv.INVALID_CALLED_NUMBER", "isv.CALLED_NUMBER_ILLEGAL"}
)
OPTED_OUT_CODES = frozenset({"isv.BLACK_KEY_CONTROL_LIMIT", "isv.BLACKLIST"})
# Codes that say our configuration or account is wrong: stopping the run is right.
CONFIG_CODES = frozenset(
    {
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "InvalidTimeStamp.Expired",
        "Forbidden.RAM",
        "Forbidden.AccessKeyDisabled",
        "isp.RAM_PERMISSION_DENY",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SIGN_STATE_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_JSON_PARAM",
        "isv.INVALID_PARAMETERS",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.MONTH_LIMIT_CONTROL",
        "isv.DENY_IP_RANGE",
        "isv.DISPLAY_NUMBER_ILLEGAL",
        "isv.TTS_TEMPLATE_ILLEGAL",
        "isv.VOICE_FILE_ILLEGAL",
    }
)

_DIGITS = re.compile(r"(?<!\d)(\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask(phone: str | None) -> str:
    """``+8613812345678`` → ``138****5678``; anything else keeps only its last 4 digits."""
    if not phone:
        return ""
    match = _DIGITS.search(phone)
    if match:
        return f"{match.group(2)}****{match.group(4)}"
    digits = re.sub(r"\D", "", phone)
    return "****" + digits[-4:] if digits else "****"


def scrub(text: str) -> str:
    """Mask every mainland mobile number inside a message (a service error may echo one)."""
    return _DIGITS.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)


class AliyunConfigError(ChannelError):
    """Alibaba Cloud refused a request for a reason that is ours; the run stops, nothing closes."""

    def __init__(self, code: str, detail: str, status: int | None = None) -> None:
        self.code = code
        self.detail = scrub(detail)
        self.status = status
        super().__init__(
            f"阿里云拒绝了请求，需要检查配置（{code}）：{self.detail} / "
            f"aliyun: request refused, check the configuration ({code}, HTTP {status})"
        )


def classify(code: str, detail: str, *, status: int | None = None) -> ChannelError:
    """The channel error for an Alibaba Cloud error code (and HTTP status, when there is one)."""
    detail = scrub(detail)
    if (
        code in TRANSIENT_CODES
        or code.startswith("Throttling")
        or (status is not None and (status == 429 or status >= 500))
    ):
        return TransientSendError(PROVIDER, code or str(status), detail)
    if code in INVALID_NUMBER_CODES:
        return PermanentSendError(PROVIDER, code, detail, B.INVALID_NUMBER)
    if code in OPTED_OUT_CODES:
        return PermanentSendError(PROVIDER, code, detail, B.OPTED_OUT)
    if code in CONFIG_CODES:
        return AliyunConfigError(code, detail, status)
    return PermanentSendError(PROVIDER, code or str(status), detail, "failed")
