"""The bulletin as a sequence of blocks, built once and drawn by both renderers.

:mod:`bulletins.view` turns :class:`~bulletins.model.BulletinData` into a
:class:`Document`; the HTML template (:mod:`bulletins.render`) and the PDF
(:mod:`bulletins.pdf`) only lay the blocks out, so both show the same words,
numbers and charts. The layout follows GB/T 9704-2012 (党政机关公文格式):
版头 (masthead, 发文字号, 签发人, red rule), 标题, 主送, 正文, 附件说明,
署名 and 成文日期, attachments, and the 版记 (抄送, 印发) at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bulletins.charts import Chart

Tone = Literal["below", "above", "last", "top", "muted", "strong"]


@dataclass(frozen=True)
class Cell:
    """One table cell; ``tone`` marks evidence (below/above), 末位 (last), 十佳 (top) or emphasis."""

    text: str
    tone: Tone | None = None
    bar: tuple[tuple[str, float], ...] = ()  # (colour, share) segments of a small bar
    marks: tuple[tuple[str, Tone], ...] = ()  # badges (words, tone); ``text`` joins them


@dataclass(frozen=True)
class Table:
    caption: str
    heads: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...]
    footer: tuple[Cell, ...] | None = None
    row_tones: tuple[Tone | None, ...] = ()  # a tinted row for a unit below/above/last/top
    grow: int = 0  # the column that takes the spare width (usually the unit's name)


@dataclass(frozen=True)
class Heading:
    text: str
    level: Literal[1, 2, 3]  # 1 = 一、 (黑体), 2 = （一） (楷体), 3 = attachment title


@dataclass(frozen=True)
class Para:
    text: str
    kind: Literal["body", "note", "caution"] = "body"
    lead: str = ""  # a bold lead-in, e.g. "（一）" or a sub-heading run into the paragraph


@dataclass(frozen=True)
class Figure:
    chart: Chart
    caption: str
    aria: str
    key_label: str = ""  # e.g. "序号对照："
    key: tuple[str, ...] = ()  # "1 区发展改革局", ...: numbers on the chart → unit names


@dataclass(frozen=True)
class Link:
    """A link in the HTML (e.g. the offline Data Docs); the PDF prints only ``text``, never the target."""

    text: str
    href: str


Block = Heading | Para | Table | Figure | Link


@dataclass(frozen=True)
class Attachment:
    label: str  # 附件1
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    lang: Literal["zh", "en"]
    html_lang: str
    title: str
    title_lines: tuple[str, ...]  # where the title breaks when it needs two lines
    short_title: str
    masthead: str
    doc_number: str
    signer: str
    recipients: str
    body: tuple[Block, ...]
    attachment_lines: tuple[str, ...]  # 附件说明
    issuer: str
    issue_date: str
    attachments: tuple[Attachment, ...]
    copy_to: str
    printed_by: str
    printed_date: str
    generated: str
