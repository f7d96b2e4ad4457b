"""The Twilio webhook receiver: ``POST /twilio/sms``, ``/twilio/status``, ``/twilio/voice``.

Every request's ``X-Twilio-Signature`` is checked with Twilio's
``RequestValidator`` against the configured public URL + path + query (not
the Host the request arrived with, which a TLS proxy rewrites); a bad
signature gets 403 and changes nothing. What people do is written to the
landing store (never the warehouse) under deterministic event keys, so a
repeated delivery is recorded once; a repeated SMS or ``<Gather>`` delivery
also gets the same answer as the first time (``twilio_handled``).

Handlers are ``async`` and use SQLite synchronously: they run one at a time on
the event loop, which keeps each read-modify-write of a session consistent and
costs well under a millisecond per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl, quote

from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator

from channels import base as B
from channels import clock, complaints, conversation, replies
from channels.base import InboundEvent
from channels.conversation import Prompt, Record, State
from channels.landing import LandingStore
from channels.questionnaire import Questionnaire, load
from channels.sessions import Session, SessionStore
from channels.twilio import twiml

XML = "application/xml"
_SMS_STATUS = {
    "sent": B.SENT,
    "delivered": B.DELIVERED,
    "undelivered": B.UNDELIVERED,
    "failed": B.UNDELIVERED,
}
_CALL_STATUS = {"busy": B.BUSY, "no-answer": B.NO_ANSWER, "failed": B.NO_ANSWER}
# Twilio delivery error codes meaning the number itself is unusable.
_INVALID_NUMBER_CODES = frozenset({"30005", "30006", "21211", "21614", "13224", "13223"})


def voice_url(public_url: str, attempt_id: str, item: str | None = None, tries: int = 0) -> str:
    """The voice webhook of an attempt (and, with ``item``, of one ``<Gather>`` result)."""
    url = f"{public_url.rstrip('/')}/twilio/voice?attempt={quote(attempt_id, safe='')}"
    return url if item is None else f"{url}&item={item}&n={tries}"


def status_url(public_url: str, attempt_id: str) -> str:
    return f"{public_url.rstrip('/')}/twilio/status?attempt={quote(attempt_id, safe='')}"


class _Receiver:
    def __init__(
        self, auth_token: str, public_url: str, landing_path: Path, lang: str, q: Questionnaire
    ) -> None:
        self.validator = RequestValidator(auth_token)
        self.base = public_url.rstrip("/")
        self.landing = LandingStore(landing_path)
        self.sessions = SessionStore(landing_path)
        self.lang = lang
        self.q = q

    def close(self) -> None:
        self.landing.close()
        self.sessions.close()

    async def form(self, request: Request) -> dict[str, str] | None:
        """The form fields of a request whose signature verifies, else None."""
        body = (await request.body()).decode("utf-8", errors="replace")
        params = dict(parse_qsl(body, keep_blank_values=True))
        query = request.url.query
        url = self.base + request.url.path + (f"?{query}" if query else "")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not self.validator.validate(url, params, signature):
            return None
        return params

    # --- rendering --------------------------------------------------------------

    def _texts(self, prompts: tuple[Prompt, ...], lang: str, context: dict[str, str]) -> str:
        parts = []
        for prompt in prompts:
            if prompt.text == "question" and prompt.item:
                parts.append(twiml.question(self.q.item(prompt.item), lang, context))
            elif prompt.text == "reprompt" and prompt.item:
                parts.append(twiml.reprompt(self.q, self.q.item(prompt.item), lang, context))
            else:
                parts.append(twiml.text(self.q, prompt.text, lang, context))
        return ("" if lang == "zh" else " ").join(parts)

    def _events(
        self, records: tuple[Record, ...], sid: str, channel: str, session: Session | None
    ) -> list[InboundEvent]:
        now = clock.now()
        return [
            InboundEvent(
                event_key=f"{sid}:{r.key}",
                channel=channel,
                kind=r.kind,
                occurred_at=now,
                provider_sid=sid,
                attempt_id=session.attempt_id if session else None,
                case_id=session.case_id if session else None,
                detail=r.detail,
            )
            for r in records
        ]

    # --- handlers ---------------------------------------------------------------

    def sms(self, form: dict[str, str]) -> str:
        sid = form.get("MessageSid") or form.get("SmsSid", "")
        phone, body = form.get("From", ""), form.get("Body", "")
        if not sid:
            return twiml.messaging_twiml([])
        replay = self.sessions.handled(sid)
        if replay is not None:
            return replay
        session = self.sessions.latest_sms(phone)
        lang = session.lang if session else self.lang
        context = session.context if session else {}
        state = session.state if session else State(None)
        item = self.q.item(state.item) if state.item else None
        reading = replies.read(body, item.kind if item else "text")
        complaint = reading.outcome != "opt_out" and complaints.is_complaint(
            body, None if session is None else session.state.ended
        )
        if complaint:  # not an answer to an evaluation: a complaint (受理投诉), registered
            event = complaints.complaint_event(sid, "sms", phone, body, clock.now())
            self.landing.record([event])
            answer = twiml.messaging_twiml([complaints.acknowledgement(event.detail["number"], lang)])
            turn = conversation.Turn(state)
        elif reading.outcome != "opt_out" and session is None:
            answer = twiml.messaging_twiml([])
            turn = conversation.Turn(state)
        else:
            several = (
                conversation.step_many(self.q, state, body)
                if reading.outcome == "unreadable"
                else None
            )
            turn = several or conversation.step(self.q, state, reading, said=body)
            silent = reading.outcome == "opt_out" and replies.is_twilio_keyword(body)
            texts = self._texts(turn.prompts, lang, context) if turn.prompts else ""
            answer = twiml.messaging_twiml([texts] if texts and not silent else [])
        self.landing.record(self._events(turn.records, sid, "sms", session))
        with self.sessions.transaction() as con:
            if session is not None and turn.state != state:
                self.sessions.save_state(con, session.attempt_id, turn.state)
            if reading.outcome == "opt_out":
                self.sessions.opt_out(phone, clock.now(), "sms", con)
            self.sessions.mark_handled(con, sid, answer)
        return answer

    def status(self, form: dict[str, str], attempt: str | None) -> None:
        sid = form.get("MessageSid") or form.get("CallSid") or ""
        session = (self.sessions.get(attempt) if attempt else None) or self.sessions.by_sid(sid)
        if not sid:
            return
        if session is not None and session.provider_sid is None:
            self.sessions.set_sid(session.attempt_id, sid)  # proof the send reached Twilio
        code = form.get("ErrorCode", "")
        if "CallStatus" in form and "MessageStatus" not in form:
            channel, status = "voice", form["CallStatus"]
            kind = _CALL_STATUS.get(status)
            if status == "completed" and session is not None:
                if session.state.ended:
                    kind = B.COMPLETED
                elif "satisfaction" not in session.state.answers:
                    kind = B.BREAK_OFF  # picked up, hung up before the satisfaction item
        else:
            channel, status = "sms", form.get("MessageStatus", form.get("SmsStatus", ""))
            kind = _SMS_STATUS.get(status)
        if kind in (B.UNDELIVERED, B.NO_ANSWER) and code in _INVALID_NUMBER_CODES:
            kind = B.INVALID_NUMBER
        if kind is None:
            return
        detail = {"status": status, **({"error_code": code} if code else {})}
        records = (Record(kind, kind, detail if kind != B.COMPLETED else {}),)
        self.landing.record(self._events(records, sid, channel, session))

    def voice(self, form: dict[str, str], attempt: str | None, item: str | None, n: str) -> str:
        sid = form.get("CallSid", "")
        delivery = f"{sid}:{item or 'entry'}:{n}"
        replay = self.sessions.handled(delivery)
        if replay is not None:
            return replay
        session = (self.sessions.get(attempt) if attempt else None) or self.sessions.by_sid(sid)
        if session is None:
            return twiml.voice_goodbye("", self.lang)
        if session.provider_sid is None:
            self.sessions.set_sid(session.attempt_id, sid)
        state = session.state
        if item is None or state.item is None or item != state.item:
            # the call was picked up (or a stale action): ask what is due now
            prompts = conversation.opening(self.q) if item is None else ()
            turn = conversation.Turn(state, (), prompts)
        else:
            kind = self.q.item(item).kind
            digits, speech = form.get("Digits", ""), form.get("SpeechResult", "")
            reading = replies.read_digits(digits, kind) if digits else replies.read(speech, kind)
            turn = conversation.step(self.q, state, reading, said=digits or speech)
        lang, context = session.lang, session.context
        if turn.state.item is None:
            said = twiml.for_voice(self._texts(turn.prompts, lang, context), lang)
            answer = twiml.voice_goodbye(said, lang)
        else:
            prompts = turn.prompts or (Prompt("question", turn.state.item),)
            said = twiml.for_voice(self._texts(prompts, lang, context), lang)
            action = voice_url(self.base, session.attempt_id, turn.state.item, turn.state.tries)
            answer = twiml.voice_gather(said, action, lang, self.q.item(turn.state.item).kind)
        self.landing.record(self._events(turn.records, sid, "voice", session))
        with self.sessions.transaction() as con:
            if turn.state != state:
                self.sessions.save_state(con, session.attempt_id, turn.state)
            if turn.state.opted_out:
                self.sessions.opt_out(session.phone, clock.now(), "voice", con)
            self.sessions.mark_handled(con, delivery, answer)
        return answer


def create_app(
    *,
    auth_token: str,
    public_url: str,
    landing_path: Path,
    lang: str = "zh",
    questionnaire: Questionnaire | None = None,
) -> FastAPI:
    """The webhook app; ``public_url`` is the base URL Twilio calls (MINYI_PUBLIC_URL)."""
    receiver = _Receiver(auth_token, public_url, landing_path, lang, questionnaire or load())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        receiver.close()

    app = FastAPI(title="minyi Twilio webhooks", lifespan=lifespan, openapi_url=None)
    app.state.receiver = receiver
    forbidden = Response("invalid signature", status_code=403, media_type="text/plain")

    @app.post("/twilio/sms")
    async def sms(request: Request) -> Response:
        form = await receiver.form(request)
        if form is None:
            return forbidden
        return Response(receiver.sms(form), media_type=XML)

    @app.post("/twilio/status")
    async def status(request: Request) -> Response:
        form = await receiver.form(request)
        if form is None:
            return forbidden
        receiver.status(form, request.query_params.get("attempt"))
        return Response(status_code=204)

    @app.post("/twilio/voice")
    async def voice(request: Request) -> Response:
        form = await receiver.form(request)
        if form is None:
            return forbidden
        query = request.query_params
        answer = receiver.voice(form, query.get("attempt"), query.get("item"), query.get("n", "0"))
        return Response(answer, media_type=XML)

    return app
