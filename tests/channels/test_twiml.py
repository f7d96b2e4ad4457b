"""SMS text and TwiML rendering (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from channels.questionnaire import load
from channels.twilio import twiml

Q = load()
CONTEXT = {"unit": "区民政局", "category": "低保申请", "district": "示范区"}


def test_sms_opening_has_intro_first_question_context_and_reference() -> None:
    body = twiml.sms_opening(Q, "zh", "ABCD2345", CONTEXT)
    assert body.startswith("【示范区民意访评】")
    assert "区民政局办理“低保申请”事项" in body
    assert "回复T退订" in body and body.endswith("（编号ABCD2345）")
    english = twiml.sms_opening(Q, "en", "ABCD2345", CONTEXT)
    assert "Reply T to opt out" in english and english.endswith("(ref ABCD2345)")


def test_missing_context_gives_neutral_words_not_errors() -> None:
    body = twiml.sms_opening(Q, "zh", "R", {})
    assert "{" not in body and "相关部门" in body


def test_reprompt_apologises_then_repeats_the_right_question() -> None:
    text = twiml.reprompt(Q, Q.item("integrity"), "zh")
    assert text.startswith("抱歉，未能识别您的回复。") and text.endswith("回复 1有 2没有")
    assert "0-5" not in text


def test_messaging_twiml() -> None:
    root = ET.fromstring(twiml.messaging_twiml(["下一题 & <b>"]))
    assert root.tag == "Response" and [m.text for m in root.iter("Message")] == ["下一题 & <b>"]
    assert list(ET.fromstring(twiml.messaging_twiml([]))) == []


def test_voice_gather_listens_to_keys_and_speech_in_chinese() -> None:
    action = "https://minyi.example/twilio/voice?attempt=C1%3A2&item=satisfaction&n=0"
    root = ET.fromstring(twiml.voice_gather("请按键", action, "zh", "level"))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "zh-CN"
    assert gather.get("action") == action and gather.get("method") == "POST"
    assert gather.get("actionOnEmptyResult") == "true" and gather.get("numDigits") == "1"
    say = gather.find("Say")
    assert say is not None and say.text == "请按键" and say.get("language") == "zh-CN"
    text_item = ET.fromstring(twiml.voice_gather("原因？", action, "zh", "text")).find("Gather")
    assert text_item is not None and text_item.get("input") == "speech"
    assert text_item.get("numDigits") is None


def test_voice_goodbye_says_and_hangs_up() -> None:
    root = ET.fromstring(twiml.voice_goodbye("感谢您的评价！", "zh"))
    assert [child.tag for child in root] == ["Say", "Hangup"]


def test_voice_wording() -> None:
    spoken = twiml.for_voice(twiml.text(Q, "intro", "zh") + twiml.question(Q.items[0], "zh"), "zh")
    assert "退订" not in spoken and "请按键或说出：5非常满意" in spoken
    assert twiml.for_voice(twiml.question(Q.item("integrity"), "zh"), "zh").endswith(
        "请按键或说出 1有 2没有"
    )
    assert "回复" not in twiml.for_voice(twiml.reprompt(Q, Q.item("timeliness"), "zh"), "zh")
