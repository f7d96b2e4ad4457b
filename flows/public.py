"""What the public listener's forms need: the landing store to write to, a poll's questions.

The public listener writes only the landing store (the flows register what arrives) and
reads only a poll's questionnaire; it never opens the warehouse.
"""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from casework import polls as casework_polls
from casework.errors import CaseworkError
from casework.polls import PollSpec, Question
from casework.store import Casework
from channels import clock
from channels.base import InboundEvent
from channels.landing import LandingStore
from minyi.keys import home_secret
from minyi.registration import registration_number
from minyi.settings import Settings
from minyi.vocab import ANSWER, COMPLAINT, POLL_PREFIX

__all__ = ["PollSpec", "Question", "member_link", "member_of", "poll_spec", "record_complaint", "record_poll"]


def record_complaint(
    settings: Settings, *, nonce: str, text: str, name: str | None, phone: str | None,
    unit_id: str | None, consent: bool,
) -> str:
    """Land a web complaint (once per form nonce); its registration number."""
    at = clock.now()
    key = f"web:{nonce}"
    number = registration_number(key, at, settings.zone)
    event = InboundEvent(
        event_key=key, channel="web", kind=COMPLAINT, occurred_at=at, provider_sid=key,
        detail={k: v for k, v in {
            "text": text, "name": name, "phone": phone, "unit_id": unit_id,
            "consent": "1" if consent else "", "number": number,
        }.items() if v},
    )
    with LandingStore(settings.landing_path) as landing:
        if landing.record([event]) == 0:  # a replayed form: the number it got the first time
            row = landing._con.execute(
                "SELECT json_extract(detail, '$.number') FROM inbound WHERE event_key = ?", (key,)
            ).fetchone()
            number = str(row[0]) if row and row[0] else number
    return number


def poll_spec(settings: Settings, poll_id: str) -> PollSpec | None:
    """A poll open for answers (its period not over), or None."""
    if not settings.casework_path.exists() or not poll_id.isalnum():
        return None
    store = Casework(settings.casework_path)
    try:
        poll = casework_polls.get(store, poll_id)
    except CaseworkError:
        return None
    finally:
        store.close()
    today = clock.now().astimezone(settings.zone).date()
    if poll.status not in (casework_polls.FIELDING, casework_polls.DRAWN) or today > poll.spec.ends:
        return None
    return poll.spec


def _link_signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(home_secret(settings.home, "form_key").get_secret_value(), salt="minyi-poll-member")


def member_link(settings: Settings, poll_id: str, member_id: str) -> str:
    """A sampled member's personal link (printed by ``minyi poll links``)."""
    token = _link_signer(settings).dumps([poll_id, member_id])
    base = (settings.public_url or "").rstrip("/")
    return f"{base}/poll/{poll_id}?m={token}"


def member_of(settings: Settings, poll_id: str, token: str) -> str | None:
    try:
        data = _link_signer(settings).loads(token)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 2 and data[0] == poll_id):
        return None
    return str(data[1])


def record_poll(settings: Settings, poll_id: str, respondent: str, answers: dict[str, str]) -> int | None:
    """Land a web poll's answers (each checked); None when an answer is out of range."""
    spec = poll_spec(settings, poll_id)
    if spec is None:
        return None
    kept = {}
    for q in spec.questions:
        value = answers.get(q.key, "")
        if not value:
            continue
        try:
            kept[q.key] = casework_polls.check_answer(q, value)
        except CaseworkError:
            return None
    if not kept:
        return None
    at: datetime = clock.now()
    attempt = f"{POLL_PREFIX}{poll_id}-{respondent}"
    events = [
        InboundEvent(
            event_key=f"web:{poll_id}:{respondent}:{item}", channel="web", kind=ANSWER, occurred_at=at,
            attempt_id=attempt, case_id=respondent, detail={"item": item, "value": value},
        )
        for item, value in kept.items()
    ]
    with LandingStore(settings.landing_path) as landing:
        return landing.record(events)
