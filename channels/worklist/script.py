"""The evaluator's call script: what to say, in order, with the case's names filled in.

Greeting with the evaluator's 工号, an identity check (the number's last four
digits, the service and its date), the questions in their spoken wording (not
the SMS text: no "reply with a digit", no 退订), and the closing. Pure: data in,
lines out.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.questionnaire import Questionnaire


@dataclass(frozen=True)
class Script:
    greeting: str
    identity: str
    questions: dict[str, str]  # item key → spoken question
    closing: str


def call_script(
    q: Questionnaire,
    *,
    district: str,
    evaluator: str,
    phone: str,
    unit: str,
    category: str,
    service_date: str,
    lang: str = "zh",
) -> Script:
    values = {
        "district": district,
        "evaluator": evaluator,
        "last4": phone[-4:],
        "unit": unit or "有关单位",
        "category": category,
        "date": _spoken_date(service_date) if lang == "zh" else service_date,
    }
    texts = q.texts[lang]
    return Script(
        greeting=texts["call_greeting"].format(**values),
        identity=texts["call_identity"].format(**values),
        questions={
            item.key: item.call.get(lang, item.texts.get(lang, "")).format(**values)
            for item in q.items
        },
        closing=texts["call_closing"],
    )


def _spoken_date(iso: str) -> str:
    try:
        _year, month, day = (int(part) for part in iso.split("-"))
    except ValueError:
        return iso
    return f"{month}月{day}日"
