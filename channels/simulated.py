"""A simulated provider that answers like people do.

Used by the demo and by ``minyi dispatch`` when no Twilio settings are present.
On each send it plays the contacted person: whether the message is delivered
or the phone picked up, whether and when they answer (delays differ by
channel), some "don't know", some partial answers, some opt-outs and refusals.
What they do is written to the landing store with the time it happens, exactly
as the webhook receiver would record real callbacks; the flows load it from
there when their clock reaches that time.

Everything is drawn from a generator seeded by (seed, attempt_id), so the same
attempt always gets the same person's behaviour, whatever the order of sends.
Like any fake it can be told to fail: ``fail_numbers`` raise a permanent error,
``transient_every`` makes every Nth send raise a transient one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from channels import base as B
from channels.base import ContactRequest, InboundEvent, SendReceipt
from channels.errors import PermanentSendError, TransientSendError
from minyi.vocab import RECOVERY_ITEM, SURVEY_KEY


@dataclass(frozen=True)
class Behaviour:
    """How people react on one channel (probabilities are per contact)."""

    reach: float  # delivered / picked up
    respond: float  # answers the satisfaction item, given reached
    opt_out: float  # opts out or refuses, given reached
    break_off: float  # starts but stops before the satisfaction item, given reached
    partial: float  # answers satisfaction but not the later items, given responding
    dont_know: float  # answers 不了解/说不清, given responding
    median_delay_minutes: float
    positivity: float  # shift of the chance to be satisfied (mode effect)


DEFAULT_BEHAVIOUR: Mapping[str, Behaviour] = {
    "sms": Behaviour(0.96, 0.38, 0.02, 0.0, 0.12, 0.05, 90.0, 0.0),
    "voice": Behaviour(0.55, 0.62, 0.06, 0.06, 0.05, 0.04, 1.5, 0.04),
    "manual": Behaviour(0.72, 0.80, 0.05, 0.02, 0.02, 0.03, 4.0, 0.06),
}

_REASONS = (
    "办理时间太长",
    "来回跑了好几次",
    "工作人员态度不好",
    "材料要求说不清楚",
    "系统故障无法办理",
)


_SUGGESTIONS = (
    "希望加快施工进度",
    "费用分摊要公开透明",
    "施工期间注意安全和噪音",
    "低楼层住户的补偿要说清楚",
    "建议先做试点再推广",
)


def _tilted(k: int) -> list[float]:
    """Choice probabilities leaning to the first options (people answer unevenly)."""
    raw = [1.0 / (i + 1) for i in range(k)]
    total = sum(raw)
    return [r / total for r in raw]


def _unit_fraction(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


@dataclass
class SimulatedProvider:
    """The simulated people; ``truth`` gives the true satisfaction level of a case's unit."""

    record: Callable[[list[InboundEvent]], int]
    truth: Callable[[str], float] = lambda case_id: 0.85
    seed: int = 0
    behaviour: Mapping[str, Behaviour] = field(default_factory=lambda: dict(DEFAULT_BEHAVIOUR))
    dead_share: float = 0.03  # numbers that look like mobiles but are not in service
    fail_numbers: Mapping[str, str] = field(default_factory=dict)  # E.164 -> outcome
    transient_every: int = 0
    # where earlier sends can be looked up after a restart (the landing store's SENT events)
    recorded_sid: Callable[[str], str | None] = lambda attempt_id: None
    name: str = "simulated"
    surveys: frozenset[str] = frozenset({"evaluation", "revisit", "poll"})
    rate_limited: bool = False  # no network to protect
    real_clock: bool = False  # its people live at the dispatcher's clock
    _sent: dict[str, SendReceipt] = field(default_factory=dict)
    _count: int = 0

    def channels(self) -> frozenset[str]:
        return frozenset(self.behaviour)

    def find(self, attempt_id: str) -> SendReceipt | None:
        if attempt_id in self._sent:
            return self._sent[attempt_id]
        sid = self.recorded_sid(attempt_id)
        return None if sid is None else SendReceipt(attempt_id, sid, "sent")

    def send(self, request: ContactRequest) -> SendReceipt:
        self._count += 1
        if self.transient_every and self._count % self.transient_every == 0:
            raise TransientSendError(self.name, "20429", "too many requests (simulated)")
        if request.to in self.fail_numbers:
            outcome = self.fail_numbers[request.to]
            raise PermanentSendError(
                self.name, "21211", f"simulated failure for {request.to}", outcome
            )
        sid = "SIM" + hashlib.sha256(f"{self.seed}:{request.attempt_id}".encode()).hexdigest()[:32]
        receipt = SendReceipt(request.attempt_id, sid)
        self._sent[request.attempt_id] = receipt
        survey = request.context.get(SURVEY_KEY, "evaluation")
        if survey == "revisit":
            self.record(self._play_revisit(request, sid))
        elif survey == "poll":
            self.record(self._play_poll(request, sid))
        else:
            self.record(self._play(request, sid))
        return receipt

    def _rng(self, req: ContactRequest) -> np.random.Generator:
        digest = hashlib.sha256(f"{self.seed}:{req.attempt_id}".encode()).digest()
        return np.random.default_rng(np.random.SeedSequence(list(digest[:16])))

    def _event(self, req: ContactRequest, sid: str, kind: str, at: datetime, suffix: str = "", **detail: str) -> InboundEvent:
        return InboundEvent(
            event_key=f"{sid}:{kind}{suffix}", channel=req.channel, kind=kind, occurred_at=at,
            provider_sid=sid, attempt_id=req.attempt_id, case_id=req.case_id, detail=dict(detail),
        )

    def _play_revisit(self, req: ContactRequest, sid: str) -> list[InboundEvent]:
        """The center's 回访: picked up or not; if so, how the citizen now rates the handling."""
        rng = self._rng(req)
        how = self.behaviour[req.channel]
        events = [self._event(req, sid, B.SENT, req.at)]
        t = req.at + timedelta(minutes=float(how.median_delay_minutes * rng.lognormal(0.0, 0.5)))
        if rng.random() >= min(0.95, how.reach + 0.1):
            events.append(self._event(req, sid, B.NO_ANSWER, t))
            return events
        level = int(rng.choice([5, 4, 3, 2, 1], p=[0.3, 0.3, 0.15, 0.15, 0.1]))
        events.append(self._event(req, sid, B.ANSWER, t, f":{RECOVERY_ITEM}", item=RECOVERY_ITEM, value=str(level)))
        return events

    def _play_poll(self, req: ContactRequest, sid: str) -> list[InboundEvent]:
        """A poll member: answers (about half do) each question of the poll's list."""
        rng = self._rng(req)
        events = [self._event(req, sid, B.SENT, req.at)]
        if rng.random() >= 0.55:
            return events
        t = req.at + timedelta(minutes=float(30 * rng.lognormal(0.0, 1.0)))
        for q in json.loads(req.context.get("questions", "[]")):
            kind, k = q["kind"], int(q.get("options", 0))
            if kind == "single":
                value = str(int(rng.choice(np.arange(1, k + 1), p=_tilted(k))))
            elif kind == "multiple":
                picks = sorted({int(rng.integers(1, k + 1)) for _ in range(int(rng.integers(1, 3)))})
                value = ",".join(str(p) for p in picks)
            elif kind == "scale":
                value = str(int(rng.choice([1, 2, 3, 4, 5], p=[0.08, 0.12, 0.2, 0.35, 0.25])))
            else:
                if rng.random() >= 0.4:
                    continue
                value = str(rng.choice(_SUGGESTIONS))
            t += timedelta(seconds=40)
            events.append(self._event(req, sid, B.ANSWER, t, f":{q['key']}", item=q["key"], value=value))
        return events

    def _play(self, req: ContactRequest, sid: str) -> list[InboundEvent]:
        digest = hashlib.sha256(f"{self.seed}:{req.attempt_id}".encode()).digest()
        rng = np.random.default_rng(np.random.SeedSequence(list(digest[:16])))
        how = self.behaviour[req.channel]
        events: list[InboundEvent] = []

        def emit(kind: str, at: datetime, suffix: str = "", **detail: str) -> None:
            events.append(
                InboundEvent(
                    event_key=f"{sid}:{kind}{suffix}",
                    channel=req.channel,
                    kind=kind,
                    occurred_at=at,
                    provider_sid=sid,
                    attempt_id=req.attempt_id,
                    case_id=req.case_id,
                    detail=dict(detail),
                )
            )

        t = req.at
        emit(B.SENT, t)
        if _unit_fraction(f"dead:{req.to}") < self.dead_share:
            emit(
                B.UNDELIVERED if req.channel == "sms" else B.INVALID_NUMBER,
                t + timedelta(seconds=20),
            )
            return events
        if rng.random() >= how.reach:
            if req.channel == "sms":
                emit(B.DELIVERED, t + timedelta(seconds=8))  # delivered, never read
            else:
                emit(B.BUSY if rng.random() < 0.2 else B.NO_ANSWER, t + timedelta(seconds=40))
            return events
        if req.channel == "sms":
            emit(B.DELIVERED, t + timedelta(seconds=8))
        delay = timedelta(minutes=float(how.median_delay_minutes * rng.lognormal(0.0, 1.0)))
        t = t + timedelta(seconds=30) + delay
        draw = rng.random()
        if draw < how.opt_out:
            emit(B.OPTED_OUT if req.channel == "sms" else B.REFUSED, t)
            return events
        if draw < how.opt_out + how.break_off:
            emit(B.BREAK_OFF, t)
            return events
        if draw >= how.opt_out + how.break_off + how.respond:
            if req.channel != "sms":
                emit(B.NO_ANSWER, t)  # picked up, said they were busy, no interview
            return events
        if req.channel == "sms" and rng.random() < 0.05:
            emit(B.UNREADABLE, t, text="好")
            t += timedelta(minutes=3)
        p = min(0.995, self.truth(req.case_id) + how.positivity)
        if rng.random() < how.dont_know:
            level = 0
        elif rng.random() < p:
            level = int(rng.choice([3, 4, 5], p=[0.2, 0.4, 0.4]))
        else:
            level = int(rng.choice([1, 2], p=[0.35, 0.65]))
        emit(B.ANSWER, t, ":satisfaction", item="satisfaction", value=str(level))
        if rng.random() < how.partial:
            return events
        gap = timedelta(minutes=2 if req.channel == "sms" else 0.3)
        integrity_p = 0.06 if 1 <= level <= 2 else 0.005
        t += gap
        emit(
            B.ANSWER,
            t,
            ":integrity",
            item="integrity",
            value="yes" if rng.random() < integrity_p else "no",
        )
        t += gap
        timeliness = (
            int(np.clip(level + rng.integers(-1, 2), 1, 5)) if level else int(rng.integers(1, 6))
        )
        emit(B.ANSWER, t, ":timeliness", item="timeliness", value=str(timeliness))
        if 1 <= level <= 2:
            t += gap
            emit(B.ANSWER, t, ":reason", item="reason", value=str(rng.choice(_REASONS)))
        if req.channel != "sms":
            emit(B.COMPLETED, t + timedelta(seconds=20))
        return events
