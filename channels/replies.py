"""Reading what people reply: pure functions, no I/O.

A reply is normalised first (NFKC, so full-width digits and letters become
half-width; case folded; spaces and punctuation dropped), then read for the
kind of item asked:

- ``level``: one of 0..5 as a digit (``5``, ``５``, ``5分``), a Chinese numeral
  (零/〇 一..五, 壹..伍) or a level word (非常满意 满意 基本满意 不满意 非常不满意,
  不了解 说不清 and common variants such as 很满意, 比较满意, 一般, 不太满意,
  不知道, English "very satisfied" ...). 0 means 不了解/说不清.
- ``yes_no``: ``1``/有/是/yes → ``yes``; ``2``/没有/无/否/no → ``no``.
- ``text``: any non-empty reply.

Several different readings in one reply ("3 或 4") make it unreadable; the
same reading twice ("5 非常满意") is fine. Opt-out words are checked before
anything else: the whole reply being T, TD, 退订 or one of Twilio's keywords
(STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE), or a reply
containing 退订 / 取消订阅 / 拒收.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# Twilio's own opt-out keywords: Twilio also blocks the number on its side.
TWILIO_OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
)
OPT_OUT_WORDS = TWILIO_OPT_OUT_WORDS | {"t", "td", "退订", "n退订", "退订t"}
_OPT_OUT_CONTAINS = ("退订", "取消订阅", "拒收", "不要再发")

# Longest first: a longer phrase wins over the phrase it contains.
_LEVEL_WORDS: tuple[tuple[str, int], ...] = tuple(
    sorted(
        {
            "非常不满意": 1,
            "很不满意": 1,
            "特别不满意": 1,
            "极不满意": 1,
            "verydissatisfied": 1,
            "不太满意": 2,
            "不满意": 2,
            "不大满意": 2,
            "dissatisfied": 2,
            "基本满意": 3,
            "还算满意": 3,
            "一般": 3,
            "还行": 3,
            "还可以": 3,
            "fairlysatisfied": 3,
            "比较满意": 4,
            "满意": 4,
            "satisfied": 4,
            "非常满意": 5,
            "很满意": 5,
            "特别满意": 5,
            "十分满意": 5,
            "verysatisfied": 5,
            "不了解": 0,
            "说不清": 0,
            "不清楚": 0,
            "不知道": 0,
            "dontknow": 0,
        }.items(),
        key=lambda kv: -len(kv[0]),
    )
)
_YES_NO_WORDS: tuple[tuple[str, str], ...] = (
    ("没有", "no"),
    ("不是", "no"),
    ("没", "no"),
    ("无", "no"),
    ("否", "no"),
    ("no", "no"),
    ("有", "yes"),
    ("是", "yes"),
    ("yes", "yes"),
    ("y", "yes"),
    ("n", "no"),
)
_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_NUMERALS |= {"壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5}
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)

Outcome = Literal["answer", "opt_out", "unreadable", "empty"]


@dataclass(frozen=True)
class Reading:
    """What a reply says: an answer value, an opt-out, or nothing readable."""

    outcome: Outcome
    value: str | None = None


def normalise(text: str) -> str:
    """NFKC, case-folded, without spaces and punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).casefold())


def is_opt_out(text: str) -> bool:
    norm = normalise(text)
    return norm in OPT_OUT_WORDS or any(word in norm for word in _OPT_OUT_CONTAINS)


def is_twilio_keyword(text: str) -> bool:
    """Twilio answers these itself (and blocks our replies), so we stay silent."""
    return normalise(text) in TWILIO_OPT_OUT_WORDS


def _take_words(norm: str, words: tuple[tuple[str, object], ...]) -> tuple[set[object], str]:
    found: set[object] = set()
    for word, value in words:
        if word in norm:
            found.add(value)
            norm = norm.replace(word, " ")
    return found, norm


def read_level(text: str, *, lowest: int = 0, highest: int = 5) -> int | None:
    """A level in ``lowest..highest`` or None when absent or ambiguous."""
    norm = normalise(text)
    if not norm:
        return None
    found, rest = _take_words(norm, _LEVEL_WORDS)
    rest = re.sub(r"(分|星|颗星|points?|stars?)", " ", rest)
    for char in rest:
        if char.isdigit():
            found.add(int(char))
        elif char in _NUMERALS:
            found.add(_NUMERALS[char])
    if re.search(r"\d\d", rest):  # "10", "45": not a single level
        return None
    leftover = re.sub(r"[\d零〇一二两三四五壹贰叁肆伍 ]", "", rest)
    if len(found) != 1 or len(leftover) > 6:
        return None
    value = int(next(iter(found)))  # type: ignore[call-overload]
    return value if lowest <= value <= highest else None


def read_yes_no(text: str) -> str | None:
    norm = normalise(text)
    if not norm:
        return None
    found: set[object] = set()
    rest = norm
    for char, value in (("1", "yes"), ("2", "no"), ("一", "yes"), ("二", "no")):
        if char in rest:
            found.add(value)
            rest = rest.replace(char, " ")
    if re.search(r"\d", rest):
        return None
    words, rest = _take_words(rest, _YES_NO_WORDS)
    found |= words
    if len(found) != 1 or len(rest.replace(" ", "")) > 6:
        return None
    return str(next(iter(found)))


def read(text: str | None, kind: str) -> Reading:
    """Read a reply to an item of ``kind`` (level, yes_no, text)."""
    if text is None or not text.strip():
        return Reading("empty")
    if is_opt_out(text):
        return Reading("opt_out")
    if kind == "level":
        level = read_level(text)
        return Reading("unreadable") if level is None else Reading("answer", str(level))
    if kind == "yes_no":
        answer = read_yes_no(text)
        return Reading("unreadable") if answer is None else Reading("answer", answer)
    if kind == "text":
        return Reading("answer", text.strip()[:500])
    raise ValueError(f"unknown item kind {kind!r}")


def read_digits(digits: str | None, kind: str) -> Reading:
    """Read DTMF key presses (a voice ``<Gather>``)."""
    if not digits:
        return Reading("empty")
    if kind == "yes_no":
        return {"1": Reading("answer", "yes"), "2": Reading("answer", "no")}.get(
            digits, Reading("unreadable")
        )
    if kind == "level" and len(digits) == 1 and digits in "012345":
        return Reading("answer", digits)
    return Reading("unreadable")
