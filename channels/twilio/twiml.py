"""Rendering the questionnaire as SMS text and TwiML: pure functions, no I/O.

Texts come from ``questionnaire.toml``; ``{unit}``, ``{category}`` and
``{district}`` are filled from a context mapping (a missing value becomes a
neutral phrase, never a KeyError). Voice reuses the SMS wording with
"回复" turned into "按键或说出" and the "回复T退订" sentence dropped.
TwiML is built with ``twilio.twiml`` (pure XML builders).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from channels.questionnaire import Item, Questionnaire

_NEUTRAL = {
    "zh": {"unit": "相关部门", "category": "相关", "district": "本区"},
    "en": {"unit": "the office", "category": "your", "district": "District"},
}
VOICE_LANGUAGE = {"zh": "zh-CN", "en": "en-US"}


class _Context(dict[str, str]):
    def __init__(self, values: Mapping[str, str], lang: str) -> None:
        super().__init__(_NEUTRAL.get(lang, _NEUTRAL["zh"]))
        self.update({k: v for k, v in values.items() if v})

    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, context: Mapping[str, str], lang: str) -> str:
    return template.format_map(_Context(context, lang))


def text(q: Questionnaire, key: str, lang: str, context: Mapping[str, str] = {}) -> str:
    """A general text (intro, thanks, reprompt, opted_out) in ``lang``."""
    return _fill(q.texts[lang][key], context, lang)


def question(item: Item, lang: str, context: Mapping[str, str] = {}) -> str:
    return _fill(item.texts[lang], context, lang)


def reference_line(ref: str, lang: str) -> str:
    """The reference code printed in the first SMS (used to reconcile sends)."""
    return f"（编号{ref}）" if lang == "zh" else f" (ref {ref})"


def sms_opening(q: Questionnaire, lang: str, ref: str, context: Mapping[str, str] = {}) -> str:
    """The first SMS: introduction, the first question and the reference code."""
    first = q.items[0]
    return (
        text(q, "intro", lang, context) + question(first, lang, context) + reference_line(ref, lang)
    )


def reprompt(q: Questionnaire, item: Item, lang: str, context: Mapping[str, str] = {}) -> str:
    """The polite apology (first sentence of ``reprompt``) followed by the question again."""
    apology = text(q, "reprompt", lang, context)
    cut = re.search(r"[。.!！]", apology)
    if cut:
        apology = apology[: cut.end()] + ("" if lang == "zh" else " ")
    return apology + question(item, lang, context)


def messaging_twiml(bodies: list[str]) -> str:
    """A Messaging webhook answer: one ``<Message>`` per body (none: an empty response)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response.to_xml(xml_declaration=True))


# --- voice -------------------------------------------------------------------


def for_voice(sms_text: str, lang: str) -> str:
    """Adapt SMS wording to a call."""
    if lang == "zh":
        spoken = re.sub(r"回复T退订。?", "", sms_text).replace("请回复数字", "请按键或说出")
        return re.sub(r"回复(?=\s*\d)", "请按键或说出", spoken).replace("回复", "回答")
    spoken = re.sub(r"Reply T to opt out\.?", "", sms_text)
    return spoken.replace("Reply", "Press or say")


def voice_gather(say: str, action: str, lang: str, kind: str, *, timeout: int = 6) -> str:
    """Ask one item: ``<Gather input="dtmf speech">`` posting its result to ``action``.

    ``actionOnEmptyResult`` makes Twilio post to ``action`` on silence too, so
    the re-prompt logic lives in one place (the conversation state machine).
    """
    language = VOICE_LANGUAGE.get(lang, "zh-CN")
    response = VoiceResponse()
    gather = Gather(
        input="speech" if kind == "text" else "dtmf speech",
        language=language,
        action=action,
        method="POST",
        timeout=timeout,
        speech_timeout="auto",
        action_on_empty_result=True,
        **({} if kind == "text" else {"num_digits": 1}),
    )
    gather.say(say, language=language)
    response.append(gather)
    return str(response.to_xml(xml_declaration=True))


def voice_goodbye(say: str, lang: str) -> str:
    """Say something and hang up."""
    response = VoiceResponse()
    if say:
        response.say(say, language=VOICE_LANGUAGE.get(lang, "zh-CN"))
    response.hangup()
    return str(response.to_xml(xml_declaration=True))
