"""Words and dates of the bulletin in Chinese (default) and English.

The tables live in :mod:`bulletins.words_zh` and :mod:`bulletins.words_en`;
labels may hold ``str.format`` placeholders that :func:`text` fills. Names of
peer groups, channels, suites and flags not listed are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import ModuleType
from typing import Final, Literal

from bulletins import words_en, words_zh

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")

MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ZH_DIGITS: Final = "〇一二三四五六七八九"
_WORDS: Final[dict[Lang, ModuleType]] = {"zh": words_zh, "en": words_en}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language, else raise ValueError."""
    for known in LANGS:
        if lang == known:
            return known
    raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")


def labels(lang: Lang) -> Mapping[str, str]:
    """All labels of one language (placeholders unfilled)."""
    labels_: Mapping[str, str] = _WORDS[lang].LABELS
    return labels_


def text(lang: Lang, key: str, **values: object) -> str:
    """One label with its placeholders filled."""
    return labels(lang)[key].format(**values)


def method(lang: Lang, part: str, **values: object) -> tuple[str, ...]:
    """The paragraphs of one part of the method note (m_sampling, m_rates, m_judging)."""
    paragraphs: tuple[str, ...] = _WORDS[lang].METHOD[part]
    return tuple(p.format(**values) for p in paragraphs)


def month_values(lang: Lang, month: str) -> dict[str, object]:
    """``year``, ``month`` and ``month_name`` of ``YYYY-MM`` for the labels."""
    year, mon = int(month[:4]), int(month[5:7])
    return {"year": year, "month": mon, "month_name": MONTHS_EN[mon - 1]}


def _lookup(lang: Lang, table: str, key: str | None) -> str:
    words: Mapping[str, str] = getattr(_WORDS[lang], table)
    return words.get(key or "", key or "")


def peer_group(lang: Lang, group: str | None) -> str:
    """A peer group's display name; unknown groups by their own name."""
    return _lookup(lang, "PEER_GROUPS", group) or _lookup(lang, "PEER_GROUPS", "")


def channel(lang: Lang, name: str) -> str:
    """A channel's display name; unknown channels by their own name."""
    return _lookup(lang, "CHANNELS", name)


def evidence(lang: Lang, name: str) -> str:
    """Evidence or honour in words: below, none, above, top."""
    return _lookup(lang, "EVIDENCE", name)


def theme(lang: Lang, code: str) -> str:
    """A dissatisfaction theme's words."""
    return _lookup(lang, "THEMES", code)


def suite(lang: Lang, name: str) -> str:
    """A validation suite's name."""
    return _lookup(lang, "SUITES", name)


def expectation(lang: Lang, name: str) -> str:
    """A Great Expectations check in words."""
    return _lookup(lang, "EXPECTATIONS", name)


def zone_name(lang: Lang, zone: str) -> str:
    """How a time zone is named after a time (北京时间 for Asia/Shanghai)."""
    return _lookup(lang, "ZONE_NAMES", zone)


def zh_date(day: date) -> str:
    """A date as 公文 write it: ``二〇二六年十二月三日`` (GB/T 9704-2012, 7.3.5.3)."""
    year = "".join(_ZH_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{zh_number(day.month)}月{zh_number(day.day)}日"


def zh_number(n: int) -> str:
    """1..99 in Chinese numerals (一, 十, 十二, 二十, 三十一)."""
    if not 0 < n < 100:
        raise ValueError(f"zh_number takes 1..99, got {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _ZH_DIGITS[tens] + "十"
    return head + (_ZH_DIGITS[ones] if ones else "")


def long_date(lang: Lang, day: date) -> str:
    """The issue date: Chinese numerals in zh, ``3 December 2026`` in en."""
    return zh_date(day) if lang == "zh" else f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def short_date(lang: Lang, day: date) -> str:
    """A date in Arabic numerals (版记: ``2026年12月3日``)."""
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def local_time(lang: Lang, when: datetime, zone: str) -> str:
    """A local time with its zone named: ``2026年12月3日 09:00（北京时间）``."""
    name = zone_name(lang, zone)
    if lang == "zh":
        return f"{short_date(lang, when.date())} {when:%H:%M}（{name}）"
    return f"{short_date(lang, when.date())} {when:%H:%M} ({name})"


def section_number(lang: Lang, n: int) -> str:
    """``一、`` / ``1.`` for the n-th section of the main text."""
    return f"{zh_number(n)}、" if lang == "zh" else f"{n}. "


def item_number(lang: Lang, n: int) -> str:
    """``（一）`` / ``(1)`` for the n-th item within a section."""
    return f"（{zh_number(n)}）" if lang == "zh" else f"({n}) "
