"""Reaching people in mainland China through Alibaba Cloud: SMS (dysmsapi) and IVR calls (dyvmsapi).

``AliyunProvider`` implements ``channels.base.Provider``; the flows cannot tell
it from the Twilio or the simulated provider. It is handed an ``AliyunApi``
(the official SDK clients, see ``client.make_api``), its ``AliyunConfig`` and
a ``SessionStore`` on the landing file.

Sending an attempt:

1. a number that is not a mainland mobile is refused (``invalid_number``) and one
   that opted out is refused (``opted_out``); Alibaba Cloud is not called;
2. the session is registered *before* the request (attempt → case, number,
   conversation state, reference code), so callbacks never arrive for an
   unknown attempt and ``find`` knows what may have been sent;
3. SMS: ``SendSms`` with the approved 签名, the opening template (the first
   variant that fits one 70-character segment, ``templates.choose_opening``),
   its TemplateParam and ``OutId`` = the session's reference code.
   Voice: ``IvrCall`` (see below) with the same ``OutId``;
4. the returned BizId / CallId is stored on the session.

Why IvrCall for voice: the survey's one required item, satisfaction, is a
single key press (0–5), which is exactly what IvrCall does: a start prompt
(a TTS template naming the unit and the service), a MenuKeyMap whose keys
0–5 each play a short thanks, and the pressed key returned in the call
record (VoiceReport ``dtmf``). SingleCallByTts only speaks and collects
nothing, so the answer would depend on a later SMS. IvrCall has one menu
level, so the remaining items (integrity, timeliness, reason) continue by
SMS after the key press: the callback receiver sends the next item's
template to the same number and the replies are read as in the SMS path.

OutId is the 8-character reference code rather than the attempt id: IvrCall
accepts at most 15 bytes, and one scheme for both products keeps the
callbacks simple. The reference is a hash of the attempt id (``sessions.reference``).

Reconciliation (``find``), after a crash between the outbox commit and step 4:
no session → never sent (None); a session with a BizId/CallId → that receipt;
an SMS session without one → ``QuerySendDetails`` for the number on the day it
was registered (and the next), matched on OutId; a voice session without one
→ taken as sent (``unconfirmed:<ref>``): there is no query by OutId for calls,
and calling a citizen twice is worse than missing one call; the call record
(matched on OutId) fills the CallId in later. ``find`` raises
``TransientSendError`` when Alibaba Cloud cannot be asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo

from channels import base as B
from channels import clock, conversation
from channels.aliyun.client import AliyunApi, national
from channels.aliyun.config import AliyunConfig
from channels.aliyun.errors import PROVIDER, mask
from channels.aliyun.templates import TemplateError, Templates, check_codes, choose_opening, load
from channels.base import ContactRequest, SendReceipt
from channels.errors import PermanentSendError, TransientSendError
from channels.questionnaire import Questionnaire
from channels.questionnaire import load as load_questionnaire
from channels.sessions import Session, SessionStore

SERVICE_ZONE = ZoneInfo("Asia/Shanghai")  # QuerySendDetails' SendDate is a Beijing date
UNCONFIRMED = "unconfirmed:"
LEVEL_KEYS = ("0", "1", "2", "3", "4", "5")
YES_NO_KEYS = ("1", "2")


def follow_up_roles(q: Questionnaire) -> list[str]:
    """Template roles of the items asked after the first (by SMS in both channels)."""
    return [item.key for item in q.items[1:]]


class AliyunProvider:
    """SMS and IVR through Alibaba Cloud; ``context(case_id)`` adds district (and more).

    ``real_clock`` (default True): people are reached now, so the dispatcher checks
    calling windows against the wall clock; False only over the local emulator.
    """

    rate_limited = True

    def __init__(
        self,
        api: AliyunApi,
        config: AliyunConfig,
        *,
        sessions: SessionStore,
        questionnaire: Questionnaire | None = None,
        templates: Templates | None = None,
        context: Callable[[str], Mapping[str, str]] | None = None,
        name: str = PROVIDER,
        real_clock: bool = True,
    ) -> None:
        self.api = api
        self.config = config
        self.sessions = sessions
        self.q = questionnaire or load_questionnaire()
        self.templates = templates or (
            load(config.templates_path) if config.templates_path else load()
        )
        self.context = context or (lambda case_id: {})
        self.name = name
        # False only when pointed at the local emulator (MINYI_ALIYUN_*_ENDPOINT on loopback)
        self.real_clock = real_clock
        check_codes(config, self.templates, follow_up_roles(self.q))

    def channels(self) -> frozenset[str]:
        """SMS always; voice needs the purchased caller number."""
        return frozenset({"sms", "voice"} if self.config.voice_enabled else {"sms"})

    def send(self, request: ContactRequest) -> SendReceipt:
        if request.channel not in self.channels():
            raise ValueError(f"{self.name} cannot send on {request.channel!r}")
        phone = national(request.to)
        if phone is None:
            raise PermanentSendError(
                self.name,
                "minyi.NOT_MAINLAND_MOBILE",
                f"不是中国内地手机号 / not a mainland mobile: {mask(request.to)}",
                B.INVALID_NUMBER,
            )
        if self.sessions.is_opted_out(request.to):
            raise PermanentSendError(
                self.name,
                "minyi.OPTED_OUT",
                f"{mask(request.to)} 已退订 / opted out earlier",
                B.OPTED_OUT,
            )
        context = {**request.context, **dict(self.context(request.case_id))}
        session = self.sessions.open(
            attempt_id=request.attempt_id,
            case_id=request.case_id,
            channel=request.channel,
            phone=request.to,
            lang=request.lang or "zh",
            state=conversation.start(self.q),
            context=context,
        )
        if session.provider_sid:  # sent before: never contact anyone twice
            return SendReceipt(request.attempt_id, session.provider_sid, "sent")
        try:
            if request.channel == "sms":
                sid = self._send_sms(phone, session, context)
            else:
                sid = self._call(phone, session, context)
        except TemplateError as exc:
            raise PermanentSendError(self.name, "minyi.TEMPLATE", str(exc), "failed") from exc
        except PermanentSendError as exc:
            if exc.outcome == B.OPTED_OUT:
                self.sessions.opt_out(request.to, clock.now(), f"aliyun:{exc.code}")
            detail = f"{mask(request.to)}: {exc.detail}"
            raise PermanentSendError(self.name, exc.code, detail, exc.outcome) from exc
        except TransientSendError as exc:
            detail = f"{mask(request.to)}: {exc.detail}"
            raise TransientSendError(self.name, exc.code, detail) from exc
        self.sessions.set_sid(request.attempt_id, sid)
        return SendReceipt(request.attempt_id, sid, "queued")

    def _send_sms(self, phone: str, session: Session, context: Mapping[str, str]) -> str:
        template, params, _ = choose_opening(self.templates, self.config.sign_name, context)
        code = self.config.templates[template.role]
        return self.api.send_sms(phone, code, params, session.ref)

    def _call(self, phone: str, session: Session, context: Mapping[str, str]) -> str:
        codes = self.config.templates
        first = self.q.items[0]
        assert self.config.voice_caller is not None
        return self.api.ivr_call(
            caller=self.config.voice_caller,
            called=phone,
            start_code=codes["ivr_start"],
            start_params=self.templates["ivr_start"].params(context),
            keys=YES_NO_KEYS if first.kind == "yes_no" else LEVEL_KEYS,
            key_code=codes["ivr_key"],
            bye_code=codes.get("ivr_bye"),
            out_id=session.ref,
        )

    def find(self, attempt_id: str) -> SendReceipt | None:
        session = self.sessions.get(attempt_id)
        if session is None:
            return None
        if session.provider_sid:
            return SendReceipt(attempt_id, session.provider_sid, "sent")
        if session.channel != "sms":
            sid = UNCONFIRMED + session.ref
            self.sessions.set_sid(attempt_id, sid)
            return SendReceipt(attempt_id, sid, "unconfirmed")
        phone = national(session.phone)
        if phone is None:
            return None
        day = session.created_at.astimezone(SERVICE_ZONE).date()
        try:
            for when in (day, day + timedelta(days=1)):
                for out_id, status in self.api.sent_out_ids(phone, when):
                    if out_id == session.ref:
                        sid = UNCONFIRMED + session.ref
                        self.sessions.set_sid(attempt_id, sid)
                        return SendReceipt(attempt_id, sid, status or "sent")
        except PermanentSendError as exc:
            raise TransientSendError(self.name, exc.code, exc.detail) from exc
        return None
