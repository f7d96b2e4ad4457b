"""Reaching people through Twilio: SMS (Messaging) and automated voice calls (Calls + TwiML).

``TwilioProvider`` implements ``channels.base.Provider`` and is a drop-in
alternative to the simulated provider. It is handed a ready ``twilio`` client
(credentials and HTTP client chosen by the caller, see ``make_client``) and a
``SessionStore`` on the landing file.

Sending an attempt:

1. refuse a number that opted out (``PermanentSendError`` ``opted_out``,
   Twilio is not called);
2. register the session (attempt → case, number, conversation state) *before*
   calling Twilio, so webhooks never arrive for an unknown attempt;
3. create the Message (intro + first question + reference code ``（编号XXXXXXXX）``,
   status callback ``/twilio/status?attempt=…``) or the Call (``Url``
   ``/twilio/voice?attempt=…``, same status callback);
4. store the returned SID on the session.

Reconciliation (``find``), after a crash between the outbox commit and step 4:
no session → never sent (None); a session with a SID → that receipt; a
session without one → ask Twilio: ``messages.list(to=…)`` (newest 50) and take
the message whose body carries the attempt's reference code (unique per
attempt), or ``calls.list(to=…)`` and take a call created after the session
was registered, less two minutes of clock skew (one call per attempt).
A status callback also fills the SID in. ``find`` raises ``TransientSendError``
when Twilio cannot be asked: the dispatcher must not send twice.

Errors: 429 / 20429, 5xx, timeouts and connection errors → ``TransientSendError``;
21610 → ``PermanentSendError(outcome="opted_out")`` (and the number is
remembered); 21211, 21614, 21217, 21401, 21612, 13223, 13224 →
``invalid_number``; 401/403 and the account, credential, sender and callback
codes are a configuration fault, ``TwilioConfigError``, which stops the run
without closing the case; any other 4xx (21408 region not enabled, 21617 body
too long, …) is about this recipient: ``PermanentSendError(outcome="undelivered")``
ends that case and the run goes on. The client has connect and read timeouts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels import base as B
from channels import clock, conversation
from channels.base import ContactRequest, SendReceipt
from channels.errors import ChannelError, PermanentSendError, TransientSendError
from channels.questionnaire import Questionnaire, load
from channels.sessions import SessionStore
from channels.twilio import twiml
from channels.twilio.receiver import status_url, voice_url
from minyi.masking import mask_phone, mask_phones

_PERMANENT = {
    21610: B.OPTED_OUT,
    21211: B.INVALID_NUMBER,
    21614: B.INVALID_NUMBER,
    21217: B.INVALID_NUMBER,
    21401: B.INVALID_NUMBER,
    21612: B.INVALID_NUMBER,
    13223: B.INVALID_NUMBER,
    13224: B.INVALID_NUMBER,
}
_TRANSIENT_CODES = frozenset({20429, 20500, 20503})
# Errors that are ours, not the recipient's: credentials, account, sender, callbacks.
# They stop the run (every send would fail the same way); any other 4xx is about this
# recipient only: that case ends, the run goes on.
_CONFIG_CODES = frozenset(
    {20003, 20005, 20008, 20404, 21212, 21601, 21603, 21606, 21609, 21659, 21701, 21703, 21704, 21705}
)
TIMEOUT = 15.0  # seconds to connect and to read: a hung API never holds the warehouse long
_CLOCK_SKEW = timedelta(minutes=2)


class TwilioConfigError(ChannelError):
    """Twilio refused the request for a reason that is ours (credentials, sender, permissions)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        super().__init__(f"twilio: request refused ({status}, code {code}): {detail}")


def make_client(
    account_sid: str,
    auth_token: str,
    *,
    api_url: str | None = None,
    http_client: HttpClient | None = None,
) -> Client:
    """A ``twilio`` client with explicit credentials; ``api_url`` replaces api.twilio.com."""
    client = Client(
        account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=TIMEOUT)
    )
    if api_url:
        client.api.base_url = api_url.rstrip("/")
    return client


def map_error(name: str, exc: Exception) -> ChannelError:
    """The channel error for a failed Twilio request (its text with numbers masked)."""
    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if exc.code is not None else 0
        detail = mask_phones(str(exc.msg))
        if exc.status == 429 or exc.status >= 500 or code in _TRANSIENT_CODES:
            return TransientSendError(name, str(code or exc.status), detail)
        if code in _PERMANENT:
            return PermanentSendError(name, str(code), detail, _PERMANENT[code])
        if exc.status in (401, 403) or code in _CONFIG_CODES:
            return TwilioConfigError(exc.status, str(code), detail)
        return PermanentSendError(name, str(code or exc.status), detail, B.UNDELIVERED)
    if isinstance(exc, requests.RequestException):
        return TransientSendError(name, type(exc).__name__, mask_phones(str(exc)))
    raise exc


class TwilioProvider:
    """SMS and voice through Twilio; ``context(case_id)`` fills {unit}/{category}/{district}."""

    rate_limited = True

    def __init__(
        self,
        client: Client,
        *,
        from_number: str | None,
        messaging_service_sid: str | None,
        public_url: str,
        sessions: SessionStore,
        lang: str = "zh",
        questionnaire: Questionnaire | None = None,
        context: Callable[[str], Mapping[str, str]] | None = None,
        name: str = "twilio",
        real_clock: bool = True,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required")
        self.client = client
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.public_url = public_url.rstrip("/")
        self.sessions = sessions
        self.lang = lang
        self.q = questionnaire or load()
        self.context = context or (lambda case_id: {})
        self.name = name
        # False only when pointed at the local emulator (MINYI_TWILIO_API_URL)
        self.real_clock = real_clock

    def channels(self) -> frozenset[str]:
        """SMS always; voice needs a caller number (a Messaging Service cannot call)."""
        return frozenset({"sms", "voice"} if self.from_number else {"sms"})

    def send(self, request: ContactRequest) -> SendReceipt:
        if request.channel not in self.channels():
            raise ValueError(f"{self.name} cannot send on {request.channel!r}")
        if self.sessions.is_opted_out(request.to):
            raise PermanentSendError(
                self.name, "21610", f"{mask_phone(request.to)} opted out earlier", B.OPTED_OUT
            )
        lang = request.lang or self.lang
        context = {**request.context, **dict(self.context(request.case_id))}
        session = self.sessions.open(
            attempt_id=request.attempt_id,
            case_id=request.case_id,
            channel=request.channel,
            phone=request.to,
            lang=lang,
            state=conversation.start(self.q),
            context=context,
        )
        if session.provider_sid:  # sent before: never contact anyone twice
            return SendReceipt(request.attempt_id, session.provider_sid, "sent")
        try:
            if request.channel == "sms":
                sender = (
                    {"messaging_service_sid": self.messaging_service_sid}
                    if self.messaging_service_sid
                    else {"from_": self.from_number}
                )
                body = twiml.sms_opening(self.q, lang, session.ref, context)
                created = self.client.messages.create(
                    to=request.to,
                    body=body,
                    status_callback=status_url(self.public_url, request.attempt_id),
                    **sender,
                )
            else:
                created = self.client.calls.create(
                    to=request.to,
                    from_=self.from_number,
                    url=voice_url(self.public_url, request.attempt_id),
                    method="POST",
                    status_callback=status_url(self.public_url, request.attempt_id),
                    status_callback_method="POST",
                    status_callback_event=["completed"],
                )
        except (TwilioRestException, requests.RequestException) as exc:
            error = map_error(self.name, exc)
            if isinstance(error, PermanentSendError) and error.outcome == B.OPTED_OUT:
                self.sessions.opt_out(request.to, clock.now(), "twilio:21610")
            raise error from exc
        sid = str(created.sid)
        self.sessions.set_sid(request.attempt_id, sid)
        return SendReceipt(request.attempt_id, sid, str(created.status or "queued"))

    def find(self, attempt_id: str) -> SendReceipt | None:
        session = self.sessions.get(attempt_id)
        if session is None:
            return None
        if session.provider_sid:
            return SendReceipt(attempt_id, session.provider_sid, "sent")
        since = session.created_at - _CLOCK_SKEW
        try:
            if session.channel == "sms":
                sids = [
                    (m.sid, m.status)
                    for m in self.client.messages.list(to=session.phone, limit=50)
                    if m.body and session.ref in m.body
                ]
            else:
                sids = [
                    (c.sid, c.status)
                    for c in self.client.calls.list(to=session.phone, limit=50)
                    if c.date_created is None or c.date_created >= since
                ]
        except (TwilioRestException, requests.RequestException) as exc:
            error = map_error(self.name, exc)
            if isinstance(error, PermanentSendError):
                error = TransientSendError(self.name, error.code, error.detail)
            raise error from exc
        if not sids:
            return None
        sid, status = sids[0]  # newest first
        self.sessions.set_sid(attempt_id, str(sid))
        return SendReceipt(attempt_id, str(sid), str(status or "sent"))
