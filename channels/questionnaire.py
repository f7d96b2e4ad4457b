"""The questionnaire, read from the versioned ``questionnaire.toml`` beside this module."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("questionnaire.toml")


@dataclass(frozen=True)
class Item:
    key: str
    kind: str  # level, yes_no, text
    texts: dict[str, str]
    required: bool = False
    ask_if: str | None = None
    call: dict[str, str] = field(default_factory=dict)  # the evaluator's spoken wording


@dataclass(frozen=True)
class Questionnaire:
    version: str
    items: tuple[Item, ...]
    texts: dict[str, dict[str, str]]

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)


@cache
def load(path: Path = DEFAULT_PATH) -> Questionnaire:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    items = tuple(
        Item(
            key=raw["key"],
            kind=raw["kind"],
            required=raw.get("required", False),
            ask_if=raw.get("ask_if"),
            texts={lang: raw[lang] for lang in ("zh", "en") if lang in raw},
            call={lang: raw[f"call_{lang}"] for lang in ("zh", "en") if f"call_{lang}" in raw},
        )
        for raw in data["items"]
    )
    return Questionnaire(version=str(data["version"]), items=items, texts=data["texts"])
