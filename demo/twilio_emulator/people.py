"""Scripted people the emulator plays: what they do with a message or a call.

A ``Person`` decides whether a message is delivered, what (if anything) they
reply to each message they read, whether they pick up a call and what they
press or say at each ``<Gather>``. ``Scripted`` follows a list; ``Cooperative``
reads each question and answers it sensibly (for demos and load).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

Delivery = Literal["delivered", "undelivered", "failed"]
PickUp = Literal["answer", "busy", "no-answer", "failed"]


@dataclass(frozen=True)
class Input:
    """One ``<Gather>`` result: key presses, speech, silence or hanging up."""

    kind: Literal["dtmf", "speech", "silence", "hangup"]
    value: str = ""

    @classmethod
    def parse(cls, step: str) -> Input:
        """``"5"`` digits, ``"say:满意"`` speech, ``""`` silence, ``"hangup"``."""
        if step == "hangup":
            return cls("hangup")
        if step == "":
            return cls("silence")
        if step.startswith("say:"):
            return cls("speech", step[4:])
        return cls("dtmf", step)


class Person(Protocol):
    def delivery(self) -> Delivery: ...

    def reply(self, text: str) -> str | None:
        """The reply to a message just read, or None to stay silent."""
        ...

    def pick_up(self) -> PickUp: ...

    def respond(self, said: str) -> Input:
        """What the person does after hearing ``said`` at a ``<Gather>``."""
        ...


@dataclass
class Scripted:
    """Replies and voice inputs in order; when the script runs out they go quiet / hang up."""

    sms: Iterable[str | None] = ()
    voice: Iterable[str] = ()
    delivered: Delivery = "delivered"
    call: PickUp = "answer"
    heard: list[str] = field(default_factory=list)  # every text received or heard

    def __post_init__(self) -> None:
        self._sms: deque[str | None] = deque(self.sms)
        self._voice: deque[str] = deque(self.voice)

    def delivery(self) -> Delivery:
        return self.delivered

    def reply(self, text: str) -> str | None:
        self.heard.append(text)
        return self._sms.popleft() if self._sms else None

    def pick_up(self) -> PickUp:
        return self.call

    def respond(self, said: str) -> Input:
        self.heard.append(said)
        return Input.parse(self._voice.popleft()) if self._voice else Input("hangup")


@dataclass
class Cooperative:
    """Answers every question it recognises: a level, 'no' to integrity, a reason if asked."""

    level: int = 4
    speech: bool = False
    heard: list[str] = field(default_factory=list)

    def delivery(self) -> Delivery:
        return "delivered"

    def _answer(self, text: str) -> str | None:
        if "吃拿卡要" in text or "favours" in text:
            return "2"
        if "原因" in text or "why" in text:
            return "办理时间太长"
        if "满意" in text or "satisfied" in text:
            return str(self.level)
        return None

    def reply(self, text: str) -> str | None:
        self.heard.append(text)
        return self._answer(text)

    def pick_up(self) -> PickUp:
        return "answer"

    def respond(self, said: str) -> Input:
        self.heard.append(said)
        answer = self._answer(said)
        if answer is None:
            return Input("hangup")
        if self.speech or not answer.isdigit():
            return Input("speech", answer)
        return Input("dtmf", answer)


@dataclass
class Drawn:
    """A person whose behaviour is drawn at random: for demos over the emulator.

    ``satisfied`` is the chance they are satisfied with the unit that served them;
    ``rng`` decides everything else (delivery, replying, picking up, each answer).
    """

    rng: random.Random
    satisfied: float = 0.85
    reply_share: float = 0.45
    answer_call: float = 0.55

    def delivery(self) -> Delivery:
        return "undelivered" if self.rng.random() < 0.03 else "delivered"

    def _level(self) -> str:
        if self.rng.random() < 0.04:
            return "0"
        if self.rng.random() < self.satisfied:
            return self.rng.choice(["3", "4", "4", "5", "5"])
        return self.rng.choice(["1", "2", "2"])

    def _answer(self, text: str) -> str | None:
        if "退订" in text and "满意" not in text:
            return None
        if "吃拿卡要" in text or "favours" in text:
            return "1" if self.rng.random() < 0.01 else "2"
        if "原因" in text or "why" in text:
            return self.rng.choice(["办理时间太长", "来回跑了好几次", "态度不好"])
        if "满意" in text or "satisfied" in text:
            return self._level()
        return None

    def reply(self, text: str) -> str | None:
        first = not getattr(self, "_started", False)
        self._started = True
        if first and self.rng.random() > self.reply_share:
            return None
        if first and self.rng.random() < 0.02:
            return "T"
        return self._answer(text)

    def pick_up(self) -> PickUp:
        roll = self.rng.random()
        if roll < self.answer_call:
            return "answer"
        return "busy" if roll < self.answer_call + 0.08 else "no-answer"

    def respond(self, said: str) -> Input:
        answer = self._answer(said)
        if answer is None or self.rng.random() < 0.03:
            return Input("hangup")
        return Input("dtmf", answer) if answer.isdigit() else Input("speech", answer)
