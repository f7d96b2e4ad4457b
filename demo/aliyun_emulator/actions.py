"""The emulator's RPC actions (API version 2017-05-25), answered as the service answers them."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import Response

from demo.aliyun_emulator.server import (
    HTTP_ERRORS,
    Call,
    Message,
    beijing_now,
    mainland,
    render,
    template_problem,
)

if TYPE_CHECKING:
    from demo.aliyun_emulator.server import Emulator

Handler = Callable[["Emulator", dict[str, str]], Awaitable[Response]]


async def _guard(emulator: Emulator, action: str, number: str) -> Response | None:
    """Faults that depend on the number or the send count, checked as the service would."""
    if number in emulator.slow:
        await asyncio.sleep(emulator.slow[number])
    if emulator.throttle_every and emulator.next_send() % emulator.throttle_every == 0:
        emulator.refusals.append((action, "isv.BUSINESS_LIMIT_CONTROL"))
        return emulator.business("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
    code = emulator.errors.get(number)
    if code is not None:
        emulator.refusals.append((action, code))
        if code in HTTP_ERRORS:
            return Response(
                json.dumps(
                    {
                        "Code": code,
                        "Message": "The request has failed due to a temporary failure of the server.",
                    }
                ),
                status_code=HTTP_ERRORS[code],
                media_type="application/json",
            )
        return emulator.business(code, f"error {code}")
    return None


def _refuse(emulator: Emulator, action: str, code: str, message: str) -> Response:
    emulator.refusals.append((action, code))
    return emulator.business(code, message)


async def send_sms(emulator: Emulator, params: dict[str, str]) -> Response:
    numbers = [n for n in params.get("PhoneNumbers", "").split(",") if n]
    phones = [mainland(n) for n in numbers]
    if not numbers or any(p is None for p in phones):
        return _refuse(emulator, "SendSms", "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
    if params.get("SignName") != emulator.sign_name:
        return _refuse(emulator, "SendSms", "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
    text = emulator.sms_templates.get(params.get("TemplateCode", ""))
    if text is None:
        return _refuse(emulator, "SendSms", "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
    problem = template_problem(text, params.get("TemplateParam"))
    if problem is not None:
        return _refuse(emulator, "SendSms", problem[0], problem[1])
    values = json.loads(params["TemplateParam"]) if params.get("TemplateParam") else {}
    biz_id = f"{secrets.randbelow(10**17):017d}^0"
    for phone in phones:
        assert phone is not None
        refused = await _guard(emulator, "SendSms", phone)
        if refused is not None:
            return refused
        if phone in emulator.blocked:
            return _refuse(emulator, "SendSms", "isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控")
    emulator.requests.append(("SendSms", params))
    for phone in phones:
        assert phone is not None
        message = Message(
            biz_id=biz_id,
            phone=phone,
            text=f"【{emulator.sign_name}】{render(text, values)}",
            template_code=params["TemplateCode"],
            out_id=params.get("OutId", ""),
            send_date=beijing_now(),
        )
        emulator.messages[f"{biz_id}:{phone}"] = message
        emulator._spawn(emulator.play_message(message))
    return emulator.business("OK", "OK", BizId=biz_id)


async def send_batch_sms(emulator: Emulator, params: dict[str, str]) -> Response:
    """SendBatchSms: one template, a signature and TemplateParam per number (JSON arrays in the body)."""
    try:
        numbers = json.loads(params.get("PhoneNumberJson", "[]"))
        signs = json.loads(params.get("SignNameJson", "[]"))
        values = json.loads(params.get("TemplateParamJson", "[]") or "[]")
    except json.JSONDecodeError:
        return _refuse(emulator, "SendBatchSms", "isv.INVALID_JSON_PARAM", "JSON参数不合法")
    if not numbers or len(signs) != len(numbers) or (values and len(values) != len(numbers)):
        return _refuse(
            emulator, "SendBatchSms", "isv.INVALID_PARAMETERS", "号码、签名与参数数量不一致"
        )
    biz_id = ""
    for i, number in enumerate(numbers):
        single = {
            "PhoneNumbers": str(number),
            "SignName": str(signs[i]),
            "TemplateCode": params.get("TemplateCode", ""),
            "OutId": params.get("OutId", ""),
        }
        if values:
            single["TemplateParam"] = json.dumps(values[i], ensure_ascii=False)
        answer = await send_sms(emulator, single)
        body = json.loads(bytes(answer.body))
        if body["Code"] != "OK":
            return answer  # stops at the first refusal
        biz_id = biz_id or body["BizId"]
    return emulator.business("OK", "OK", BizId=biz_id)


async def query_send_details(emulator: Emulator, params: dict[str, str]) -> Response:
    phone = mainland(params.get("PhoneNumber", ""))
    day = params.get("SendDate", "")
    if phone is None:
        return _refuse(emulator, "QuerySendDetails", "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
    if len(day) != 8 or not day.isdigit():
        return _refuse(emulator, "QuerySendDetails", "isv.INVALID_PARAMETERS", "SendDate格式错误")
    size = max(1, min(50, int(params.get("PageSize", "10") or 10)))
    page = max(1, int(params.get("CurrentPage", "1") or 1))
    wanted = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    rows = [
        m
        for m in reversed(emulator.messages.values())
        if m.phone == phone
        and m.send_date.startswith(wanted)
        and (not params.get("BizId") or m.biz_id == params["BizId"])
    ]
    emulator.requests.append(("QuerySendDetails", params))
    chosen = rows[(page - 1) * size : page * size]
    dtos = [
        {
            "PhoneNum": m.phone,
            "SendStatus": m.status,
            "ErrCode": m.err_code or "DELIVERED",
            "TemplateCode": m.template_code,
            "Content": m.text,
            "SendDate": m.send_date,
            "ReceiveDate": m.receive_date,
            "OutId": m.out_id,
        }
        for m in chosen
    ]
    return emulator.business(
        "OK", "OK", TotalCount=len(rows), SmsSendDetailDTOs={"SmsSendDetailDTO": dtos}
    )


async def ivr_call(emulator: Emulator, params: dict[str, str]) -> Response:
    callee = mainland(params.get("CalledNumber", ""))
    if callee is None:
        return _refuse(emulator, "IvrCall", "isv.MOBILE_NUMBER_ILLEGAL", "被叫号码不合法")
    if params.get("CalledShowNumber") not in emulator.callers:
        return _refuse(emulator, "IvrCall", "isv.DISPLAY_NUMBER_ILLEGAL", "主叫号码不合法")
    if len(params.get("OutId", "").encode()) > 15:
        return _refuse(emulator, "IvrCall", "isv.INVALID_PARAMETERS", "OutId长度不能超过15字节")
    start = emulator.tts_templates.get(params.get("StartCode", ""))
    keys: dict[str, str] = {}
    index = 1
    while f"MenuKeyMap.{index}.Key" in params:
        keys[params[f"MenuKeyMap.{index}.Key"]] = params.get(f"MenuKeyMap.{index}.Code", "")
        index += 1
    codes = [*keys.values(), *([params["ByeCode"]] if params.get("ByeCode") else [])]
    if start is None or not keys or any(c not in emulator.tts_templates for c in codes):
        return _refuse(emulator, "IvrCall", "isv.TTS_TEMPLATE_ILLEGAL", "文本转语音模板不合法")
    problem = template_problem(start, params.get("StartTtsParams"))
    if problem is not None:
        return _refuse(emulator, "IvrCall", problem[0], problem[1])
    refused = await _guard(emulator, "IvrCall", callee)
    if refused is not None:
        return refused
    emulator.requests.append(("IvrCall", params))
    values = json.loads(params["StartTtsParams"]) if params.get("StartTtsParams") else {}
    call = Call(
        call_id=f"{secrets.randbelow(10**12):012d}^{secrets.randbelow(10**12):012d}",
        caller=params["CalledShowNumber"],
        callee=callee,
        start_text=render(start, values),
        keys=tuple(keys),
        out_id=params.get("OutId", ""),
    )
    emulator.calls[call.call_id] = call
    emulator._spawn(emulator.play_call(call))
    return emulator.business("OK", "OK", CallId=call.call_id)


HANDLERS: dict[str, Handler] = {
    "SendSms": send_sms,
    "SendBatchSms": send_batch_sms,
    "QuerySendDetails": query_send_details,
    "IvrCall": ivr_call,
}
