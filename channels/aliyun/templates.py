"""Registered templates: their texts (``templates.toml``), rendering and SMS length.

Rendering is pure: a template's ``${var}`` placeholders are filled from a
context (unit, category, district; a missing value becomes a neutral phrase),
each value is checked against the service's 35-character limit, and the result
is what the person reads (SMS: ``【签名】`` + text).

Length as carriers count it: a Chinese SMS is sent in UCS-2; one segment holds
70 UTF-16 code units including the 【签名】, a longer text is split into
segments of 67 (3 units go to the concatenation header). ``segments`` is that
count and ``choose_opening`` takes the first opening variant that fits one
segment.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from channels.aliyun.config import ENV_PREFIX_TEMPLATE, AliyunConfig
from channels.aliyun.errors import AliyunConfigError

DEFAULT_PATH = Path(__file__).with_name("templates.toml")
SEGMENT = 70  # UCS-2 code units in one SMS
CONCATENATED_SEGMENT = 67  # per part of a long SMS
MAX_VARIABLE = 35  # characters in one variable value (通知短信 variables)
OPENINGS = ("opening", "opening_short")
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_NEUTRAL = {"unit": "相关部门", "category": "相关业务", "district": "本区"}

Kind = Literal["sms", "voice"]


class TemplateError(ValueError):
    """A template cannot be rendered with these values (missing or too long)."""


@dataclass(frozen=True)
class Template:
    role: str
    kind: Kind
    text: str

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_VARIABLE.findall(self.text)))

    def params(self, context: Mapping[str, str]) -> dict[str, str]:
        """The TemplateParam values: every variable filled, each at most 35 characters."""
        values: dict[str, str] = {}
        for name in self.variables:
            value = (context.get(name) or "").strip() or _NEUTRAL.get(name, "")
            if not value:
                raise TemplateError(f"模板{self.role}缺少变量{name} / missing variable {name}")
            if len(value) > MAX_VARIABLE:
                raise TemplateError(
                    f"模板{self.role}的变量{name}超过{MAX_VARIABLE}个字 / variable {name} too long"
                )
            values[name] = value
        return values

    def render(self, params: Mapping[str, str]) -> str:
        """The text with ``params`` filled in, as the service renders it."""
        missing = [name for name in self.variables if name not in params]
        if missing:
            raise TemplateError(f"模板{self.role}缺少变量 / missing variables {missing}")
        return _VARIABLE.sub(lambda m: str(params[m.group(1)]), self.text)


@dataclass(frozen=True)
class Templates:
    items: dict[str, Template]

    def __getitem__(self, role: str) -> Template:
        return self.items[role]

    def __contains__(self, role: object) -> bool:
        return role in self.items

    def of_kind(self, kind: Kind) -> list[Template]:
        return [t for t in self.items.values() if t.kind == kind]

    def registered(self, codes: Mapping[str, str]) -> dict[str, Template]:
        """Code → template, as the service knows them (for the emulator and checks)."""
        return {codes[role]: t for role, t in self.items.items() if role in codes}

    def texts(self, codes: Mapping[str, str], kind: Kind) -> dict[str, str]:
        """Code → registered text of one kind: what a local emulator is given to know."""
        return {code: t.text for code, t in self.registered(codes).items() if t.kind == kind}


@cache
def load(path: Path = DEFAULT_PATH) -> Templates:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    items: dict[str, Template] = {}
    for kind in ("sms", "voice"):
        for role, body in data.get(kind, {}).items():
            if role in items:
                raise ValueError(f"template role {role!r} is defined twice in {path}")
            items[role] = Template(role, kind, str(body["text"]))
    for role in OPENINGS:
        if role not in items:
            raise ValueError(f"{path} has no sms.{role}")
    return Templates(items)


def with_sign(sign_name: str, text: str) -> str:
    return f"【{sign_name}】{text}"


def units(text: str) -> int:
    """UTF-16 code units: what a UCS-2 segment holds (a character outside the BMP takes 2)."""
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """Billable SMS segments of ``text`` (signature included)."""
    n = units(text)
    return 1 if n <= SEGMENT else math.ceil(n / CONCATENATED_SEGMENT)


def choose_opening(
    templates: Templates, sign_name: str, context: Mapping[str, str]
) -> tuple[Template, dict[str, str], str]:
    """The first opening variant whose SMS fits one segment, else the shortest one.

    Returns the template, its TemplateParam values and the SMS as the person reads it.
    """
    best: tuple[Template, dict[str, str], str] | None = None
    for role in OPENINGS:
        template = templates[role]
        try:
            params = template.params(context)
        except TemplateError:
            continue
        sms = with_sign(sign_name, template.render(params))
        if segments(sms) == 1:
            return template, params, sms
        if best is None or units(sms) < units(best[2]):
            best = (template, params, sms)
    if best is None:
        raise TemplateError("没有可用的首条短信模板 / no opening template can be rendered")
    return best


def check_codes(config: AliyunConfig, templates: Templates, item_roles: Iterable[str]) -> None:
    """Every template the provider will send has a code; raises AliyunConfigError otherwise."""
    needed = {*OPENINGS, "reprompt", "thanks", *item_roles}
    unknown = sorted(role for role in needed if role not in templates)
    if unknown:
        raise AliyunConfigError(
            "minyi.TEMPLATE_TEXT_MISSING",
            f"模板文件缺少这些用途的登记文本：{', '.join(unknown)} / templates.toml lacks {unknown}",
        )
    if config.voice_enabled:
        needed |= {t.role for t in templates.of_kind("voice")}
    missing = sorted(role for role in needed if role not in config.templates)
    if missing:
        names = ", ".join(ENV_PREFIX_TEMPLATE + role.upper() for role in missing)
        raise AliyunConfigError(
            "minyi.TEMPLATE_CODE_MISSING",
            f"未配置模板编号：{names} / template codes not configured: {names}",
        )
