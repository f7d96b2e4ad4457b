"""The survey conversation as a pure state machine, shared by SMS and voice.

Given the state (the item being asked, the answers so far, how many readings
of this item failed) and what the person just did (a ``Reading``), ``step``
says what to record and what to say next:

- an answer is recorded at once (a hang-up later keeps it) and the next
  item is asked (``ask_if`` conditions such as ``satisfaction<=2`` are
  evaluated on the answers so far; level 0, 不了解, satisfies no condition);
- an unreadable reply (or silence on a call) gets one polite re-prompt; a
  second failure leaves the item unanswered: a required item ends the
  conversation, an optional one moves on;
- an opt-out ends it for good, whatever was being asked;
- after the last item: ``completed`` and thanks.

Records carry a key suffix; the caller prefixes the provider SID, which makes
event keys deterministic, so a repeated webhook delivery records nothing new.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

from channels import base as B
from channels.questionnaire import Item, Questionnaire
from channels.replies import Reading, read

_CONDITION = re.compile(r"^\s*(\w+)\s*(<=|>=|==|<|>)\s*(\d+)\s*$")


@dataclass(frozen=True)
class State:
    item: str | None  # the item being asked; None once the conversation ended
    answers: dict[str, str] = field(default_factory=dict)
    tries: int = 0  # failed readings of the current item
    opted_out: bool = False

    @property
    def ended(self) -> bool:
        return self.item is None

    def to_json(self) -> str:
        return json.dumps(
            {
                "item": self.item,
                "answers": self.answers,
                "tries": self.tries,
                "opted_out": self.opted_out,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> State:
        raw = json.loads(text)
        return cls(raw["item"], dict(raw["answers"]), int(raw["tries"]), bool(raw["opted_out"]))


@dataclass(frozen=True)
class Record:
    """An event to record; ``key`` is appended to the provider SID to form the event key."""

    kind: str
    key: str
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Prompt:
    """Something to say: ``text`` is a questionnaire text key or ``question``/``reprompt``."""

    text: str
    item: str | None = None


@dataclass(frozen=True)
class Turn:
    state: State
    records: tuple[Record, ...] = ()
    prompts: tuple[Prompt, ...] = ()

    @property
    def ended(self) -> bool:
        return self.state.ended


def start(q: Questionnaire) -> State:
    return State(item=q.items[0].key)


def opening(q: Questionnaire) -> tuple[Prompt, ...]:
    """What a call says when picked up (an SMS opening is rendered by ``twiml.sms_opening``)."""
    return (Prompt("intro"), Prompt("question", q.items[0].key))


def applies(item: Item, answers: dict[str, str]) -> bool:
    """Whether ``item.ask_if`` holds for the answers so far (no condition: always)."""
    if not item.ask_if:
        return True
    match = _CONDITION.match(item.ask_if)
    if match is None:
        raise ValueError(f"unsupported ask_if {item.ask_if!r}")
    name, op, bound = match.group(1), match.group(2), int(match.group(3))
    value = answers.get(name)
    if value is None or not value.isdigit() or int(value) == 0:
        return False
    number = int(value)
    return {
        "<=": number <= bound,
        ">=": number >= bound,
        "==": number == bound,
        "<": number < bound,
        ">": number > bound,
    }[op]


def next_item(q: Questionnaire, after: str, answers: dict[str, str]) -> str | None:
    keys = q.keys
    for item in q.items[keys.index(after) + 1 :]:
        if applies(item, answers):
            return item.key
    return None


def _advance(q: Questionnaire, state: State, records: list[Record]) -> Turn:
    assert state.item is not None
    following = next_item(q, state.item, state.answers)
    if following is None:
        records.append(Record(B.COMPLETED, B.COMPLETED))
        return Turn(State(None, state.answers), tuple(records), (Prompt("thanks"),))
    return Turn(State(following, state.answers), tuple(records), (Prompt("question", following),))


def step(q: Questionnaire, state: State, reading: Reading, *, said: str = "") -> Turn:
    """One turn of the conversation; ``said`` is the raw reply, kept on unreadable events."""
    if reading.outcome == "opt_out":
        if state.opted_out:
            return Turn(state)
        ended = State(None, state.answers, opted_out=True)
        detail = {"item": state.item} if state.item else {}
        return Turn(ended, (Record(B.OPTED_OUT, B.OPTED_OUT, detail),), (Prompt("opted_out"),))
    if state.item is None:
        return Turn(state)  # a late reply after the end: nothing to do
    item = q.item(state.item)
    if reading.outcome == "answer":
        assert reading.value is not None
        answers = {**state.answers, item.key: reading.value}
        record = Record(
            B.ANSWER, f"{B.ANSWER}:{item.key}", {"item": item.key, "value": reading.value}
        )
        return _advance(q, State(item.key, answers), [record])
    records: list[Record] = []
    if reading.outcome == "unreadable":
        records.append(
            Record(
                B.UNREADABLE,
                f"{B.UNREADABLE}:{item.key}:{state.tries}",
                {"item": item.key, "text": said[:200]},
            )
        )
    if state.tries == 0:
        return Turn(replace(state, tries=1), tuple(records), (Prompt("reprompt", item.key),))
    if item.required:
        if reading.outcome == "empty" and not state.answers:
            records.append(Record(B.NO_ANSWER, f"{B.NO_ANSWER}:{item.key}", {"item": item.key}))
        return Turn(State(None, state.answers), tuple(records), (Prompt("thanks"),))
    return _advance(q, replace(state, tries=0), records)


_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def step_many(q: Questionnaire, state: State, text: str) -> Turn | None:
    """A reply that answers several closed items at once ("5 2 4", "5，没有，4"), or None.

    Each part must read as an answer to the item it falls on, in order; parts
    stop at a free-text item. Returns the combined turn (records of every part,
    prompts of the last), or None when the reply is not such a list.
    """
    parts = [p for p in _SEPARATORS.split(text.strip()) if p]
    if len(parts) < 2 or state.item is None:
        return None
    records: list[Record] = []
    turn = Turn(state)
    for part in parts:
        if turn.state.item is None:
            return None  # more parts than questions left: not a list of answers
        item = q.item(turn.state.item)
        if item.kind == "text":
            return None
        reading = read(part, item.kind)
        if reading.outcome != "answer":
            return None
        turn = step(q, turn.state, reading, said=part)
        records.extend(turn.records)
    return Turn(turn.state, tuple(records), turn.prompts)
