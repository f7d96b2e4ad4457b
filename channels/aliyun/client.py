"""The official Alibaba Cloud SDKs (dysmsapi 2017-05-25, dyvmsapi 2017-05-25) behind three calls.

``AliyunApi`` holds one SDK client per product, built with explicit
credentials, endpoint and connect/read timeouts (``make_api``), and turns
every outcome into either a value or a channel error (``errors.classify``):

- ``send_sms``: SendSms with SignName, TemplateCode, TemplateParam and OutId → BizId;
- ``ivr_call``: IvrCall with a start prompt, a MenuKeyMap and a bye prompt → CallId;
- ``sent_out_ids``: QuerySendDetails of one number on one day → the OutIds found.

The SDK signs every request with ACS3-HMAC-SHA256 (signature V3, the default
of ``alibabacloud_tea_openapi`` 0.4) and does not retry (no ``retry_options``):
retries belong to the dispatcher, which knows about backoff and budgets.

SendBatchSms is not used: a contact attempt is one request with its own OutId,
and a batch shares one BizId and fails or succeeds for every number together,
which would turn one bad number into a failed run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

import requests
from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client as SmsClient
from alibabacloud_dyvmsapi20170525 import models as vms_models
from alibabacloud_dyvmsapi20170525.client import Client as VmsClient
from alibabacloud_tea_openapi import utils_models as openapi_models
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from darabonba.runtime import RuntimeOptions
from Tea.exceptions import UnretryableException

from channels.aliyun.config import AliyunConfig, split_endpoint
from channels.aliyun.errors import PROVIDER, classify, scrub
from channels.errors import TransientSendError

T = TypeVar("T")


def national(e164: str) -> str | None:
    """``+8613812345678`` → ``13812345678``; None for anything but a mainland mobile."""
    digits = e164.strip()
    if digits.startswith("+86"):
        digits = digits[3:]
    if len(digits) == 11 and digits.isdigit() and digits[0] == "1" and digits[1] in "3456789":
        return digits
    return None


def _sdk_config(config: AliyunConfig, endpoint: str) -> openapi_models.Config:
    protocol, host = split_endpoint(endpoint)
    return openapi_models.Config(
        access_key_id=config.access_key_id,
        access_key_secret=config.access_key_secret.get_secret_value(),
        endpoint=host,
        protocol=protocol,
        connect_timeout=config.connect_timeout_ms,
        read_timeout=config.read_timeout_ms,
    )


class AliyunApi:
    """The two SDK clients and the three calls the provider and the receiver make."""

    def __init__(self, sms: SmsClient, vms: VmsClient, *, sign_name: str) -> None:
        self.sms = sms
        self.vms = vms
        self.sign_name = sign_name

    def _runtime(self) -> RuntimeOptions:
        return RuntimeOptions()  # timeouts come from the client config

    @staticmethod
    def _call(request: Callable[[], T]) -> T:
        try:
            return request()
        except AlibabaCloudException as exc:
            code = str(exc.code or "")
            raise classify(code, str(exc.message or ""), status=exc.status_code) from exc
        except (UnretryableException, requests.RequestException, OSError) as exc:
            # the SDK wraps timeouts, refused connections and unreadable answers
            name = type(getattr(exc, "inner_exception", exc)).__name__
            text = scrub(str(exc))[:300]
            code = "SDK.Timeout" if "timed out" in text.lower() else "SDK.ConnectionError"
            raise TransientSendError(PROVIDER, code, f"{name}: {text}") from exc

    @staticmethod
    def _ok(body: Any) -> None:
        code = str(getattr(body, "code", "") or "")
        if code != "OK":
            raise classify(code or "EmptyResponse", str(getattr(body, "message", "") or ""))

    def send_sms(
        self, phone: str, template_code: str, params: Mapping[str, str], out_id: str
    ) -> str:
        """SendSms to one national number; returns the BizId."""
        request = sms_models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.sign_name,
            template_code=template_code,
            template_param=json.dumps(dict(params), ensure_ascii=False) if params else None,
            out_id=out_id,
        )
        response = self._call(lambda: self.sms.send_sms_with_options(request, self._runtime()))
        self._ok(response.body)
        return str(response.body.biz_id)

    def ivr_call(
        self,
        *,
        caller: str,
        called: str,
        start_code: str,
        start_params: Mapping[str, str],
        keys: Sequence[str],
        key_code: str,
        bye_code: str | None,
        out_id: str,
        play_times: int = 2,
        timeout_ms: int = 8000,
    ) -> str:
        """IvrCall: one menu whose every key plays ``key_code``; returns the CallId."""
        request = vms_models.IvrCallRequest(
            called_show_number=caller,
            called_number=called,
            start_code=start_code,
            start_tts_params=json.dumps(dict(start_params), ensure_ascii=False)
            if start_params
            else None,
            menu_key_map=[vms_models.IvrCallRequestMenuKeyMap(key=k, code=key_code) for k in keys],
            bye_code=bye_code,
            play_times=play_times,
            timeout=timeout_ms,
            out_id=out_id,
        )
        response = self._call(lambda: self.vms.ivr_call_with_options(request, self._runtime()))
        self._ok(response.body)
        return str(response.body.call_id)

    def sent_out_ids(self, phone: str, day: date) -> list[tuple[str, str]]:
        """(OutId, SendStatus) of every SMS sent to ``phone`` on ``day`` (newest pages first)."""
        found: list[tuple[str, str]] = []
        page = 1
        while True:
            request = sms_models.QuerySendDetailsRequest(
                phone_number=phone,
                send_date=day.strftime("%Y%m%d"),
                page_size=50,
                current_page=page,
            )
            response = self._call(
                lambda r=request: self.sms.query_send_details_with_options(r, self._runtime())  # type: ignore[misc]
            )
            self._ok(response.body)
            dtos = response.body.sms_send_detail_dtos
            rows = (dtos.sms_send_detail_dto if dtos else None) or []
            found += [(str(r.out_id or ""), str(r.send_status or "")) for r in rows]
            total = int(response.body.total_count or 0)
            if not rows or page * 50 >= total or page >= 20:
                return found
            page += 1


def make_api(config: AliyunConfig) -> AliyunApi:
    """SDK clients with the configured credentials, endpoints and timeouts."""
    return AliyunApi(
        SmsClient(_sdk_config(config, config.sms_endpoint)),
        VmsClient(_sdk_config(config, config.voice_endpoint)),
        sign_name=config.sign_name,
    )
