"""Reply reading and the conversation state machine (pure)."""

from __future__ import annotations

import pytest

from channels import base as B
from channels import conversation as C
from channels import replies
from channels.questionnaire import load
from channels.replies import Reading

Q = load()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", "5"),
        ("５", "5"),
        (" 4 ", "4"),
        ("3分", "3"),
        ("五星", "5"),
        ("一", "1"),
        ("贰", "2"),
        ("0", "0"),
        ("非常满意", "5"),
        ("满意", "4"),
        ("基本满意", "3"),
        ("不满意", "2"),
        ("非常不满意", "1"),
        ("很不满意！", "1"),
        ("不了解", "0"),
        ("说不清", "0"),
        ("不知道", "0"),
        ("5 非常满意", "5"),
        ("我觉得还行吧", "3"),
        ("Very satisfied", "5"),
        ("dissatisfied", "2"),
        ("don't know", "0"),
    ],
)
def test_levels_are_read_generously(text: str, value: str) -> None:
    assert replies.read(text, "level") == Reading("answer", value)


@pytest.mark.parametrize(
    "text", ["好", "3或4", "10", "6", "45", "满意，但是不满意", "收到了谢谢你们辛苦了啊"]
)
def test_ambiguous_or_foreign_levels_are_unreadable(text: str) -> None:
    assert replies.read(text, "level").outcome == "unreadable"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", "yes"),
        ("１", "yes"),
        ("有", "yes"),
        ("是的", "yes"),
        ("2", "no"),
        ("没有", "no"),
        ("无", "no"),
        ("No", "no"),
        ("2没有", "no"),
    ],
)
def test_yes_no(text: str, value: str) -> None:
    assert replies.read(text, "yes_no") == Reading("answer", value)


@pytest.mark.parametrize("text", ["1 2", "有没有", "3", "不好说啊这个事情很复杂"])
def test_yes_no_unreadable(text: str) -> None:
    assert replies.read(text, "yes_no").outcome == "unreadable"


@pytest.mark.parametrize(
    "text",
    [
        "T",
        "t",
        "TD",
        "退订",
        "Ｔ",
        "STOP",
        "stop",
        "StopAll",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "REVOKE",
        "请退订",
        "退订！",
        "拒收",
    ],
)
def test_opt_out_words_win_over_everything(text: str) -> None:
    for kind in ("level", "yes_no", "text"):
        assert replies.read(text, kind).outcome == "opt_out"


def test_only_twilio_keywords_are_left_to_twilio() -> None:
    assert replies.is_twilio_keyword("stop")
    assert not replies.is_twilio_keyword("退订")
    assert not replies.is_opt_out("Stop by the office was fine 5")


def test_text_items_take_any_reply_and_empty_is_empty() -> None:
    assert replies.read(" 排队太久 ", "text") == Reading("answer", "排队太久")
    assert replies.read("   ", "level").outcome == "empty"
    assert replies.read(None, "text").outcome == "empty"


def test_digits() -> None:
    assert replies.read_digits("4", "level") == Reading("answer", "4")
    assert replies.read_digits("9", "level").outcome == "unreadable"
    assert replies.read_digits("1", "yes_no") == Reading("answer", "yes")
    assert replies.read_digits("3", "yes_no").outcome == "unreadable"
    assert replies.read_digits("", "level").outcome == "empty"


# --- conversation -------------------------------------------------------------


def _answer(value: str) -> Reading:
    return Reading("answer", value)


def _run(readings: list[Reading]) -> tuple[C.State, list[C.Record], list[C.Prompt]]:
    state = C.start(Q)
    records: list[C.Record] = []
    prompts: list[C.Prompt] = []
    for reading in readings:
        turn = C.step(Q, state, reading, said="x")
        state = turn.state
        records += turn.records
        prompts += turn.prompts
    return state, records, prompts


def test_satisfied_path_skips_the_reason() -> None:
    state, records, prompts = _run([_answer("4"), _answer("no"), _answer("5")])
    assert state.ended and state.answers == {
        "satisfaction": "4",
        "integrity": "no",
        "timeliness": "5",
    }
    assert [r.kind for r in records] == [B.ANSWER, B.ANSWER, B.ANSWER, B.COMPLETED]
    assert records[0].detail == {"item": "satisfaction", "value": "4"}
    assert [p.item for p in prompts] == ["integrity", "timeliness", None]
    assert prompts[-1].text == "thanks"


def test_dissatisfied_path_asks_the_reason_and_dont_know_does_not() -> None:
    state, _records, _ = _run([_answer("2"), _answer("no"), _answer("2"), _answer("太慢")])
    assert state.answers["reason"] == "太慢" and state.ended
    state, _, _ = _run([_answer("0"), _answer("no"), _answer("3")])
    assert state.ended and "reason" not in state.answers


def test_one_reprompt_then_a_required_item_ends_unanswered() -> None:
    bad = Reading("unreadable")
    state, records, prompts = _run([bad])
    assert not state.ended and state.tries == 1
    assert prompts == [C.Prompt("reprompt", "satisfaction")]
    assert records[0].kind == B.UNREADABLE and records[0].detail["item"] == "satisfaction"
    state, records, prompts = _run([bad, bad])
    assert state.ended and state.answers == {}
    assert [r.kind for r in records] == [B.UNREADABLE, B.UNREADABLE]
    assert len({r.key for r in records}) == 2  # distinct event keys


def test_a_reprompt_then_an_answer_goes_on() -> None:
    state, _records, _ = _run([Reading("unreadable"), _answer("5")])
    assert state.item == "integrity" and state.tries == 0


def test_an_optional_item_is_skipped_after_two_failures() -> None:
    state, _, prompts = _run([_answer("5"), Reading("unreadable"), Reading("unreadable")])
    assert state.item == "timeliness" and "integrity" not in state.answers
    assert prompts[-1] == C.Prompt("question", "timeliness")


def test_silence_twice_on_a_call_is_no_answer() -> None:
    state, records, _ = _run([Reading("empty"), Reading("empty")])
    assert state.ended and [r.kind for r in records] == [B.NO_ANSWER]


def test_opt_out_ends_at_once_and_only_once() -> None:
    state, records, prompts = _run(
        [_answer("5"), Reading("opt_out"), Reading("opt_out"), _answer("1")]
    )
    assert state.ended and state.opted_out
    assert [r.kind for r in records] == [B.ANSWER, B.OPTED_OUT]
    assert prompts[-1] == C.Prompt("opted_out")


def test_state_round_trips_through_json() -> None:
    state = C.State("integrity", {"satisfaction": "2"}, 1, False)
    assert C.State.from_json(state.to_json()) == state


def test_ask_if_conditions() -> None:
    reason = Q.item("reason")
    assert C.applies(reason, {"satisfaction": "1"})
    assert not C.applies(reason, {"satisfaction": "3"})
    assert not C.applies(reason, {"satisfaction": "0"})
    assert not C.applies(reason, {})
