"""Which column of an input file is which (CONTRACT.md "Input files", "Inputs in Chinese").

A header is recognised by its CONTRACT name (``case_id``), by one of its
Chinese names (``办件编号``) or through a column mapping file. Headers are
compared after Unicode NFKC folding (full-width letters, digits and brackets
become ASCII), without spaces, ``*`` marks or case; ``联系电话（手机）`` also
matches ``联系电话`` when nothing matches the whole header.

The column mapping file (``--columns FILE``) is a CSV of two columns with the
header ``source,target``: ``source`` is a header as it appears in the export,
``target`` a CONTRACT column name or one of its Chinese names. UTF-8 (with or
without BOM) or GB18030; lines starting with ``#`` are comments::

    source,target
    客户手机,phone
    业务办结时间,办结时间

A mapping names the column for its target and wins over the built-in names.
Unknown extra columns are ignored. Two columns that could both be the same
target are refused: the mapping file says which one is meant.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from minyi import columns as C
from warehouse.errors import InputFileError
from warehouse.phones import mask_text

CASE_REQUIRED: Final = (C.CASE_ID, C.UNIT_ID, C.CATEGORY, C.COMPLETED_AT, C.PHONE)
CASE_OPTIONAL: Final = (C.SERVICE_ITEM, C.HANDLER_ID, C.SERVICE_CHANNEL)
UNIT_REQUIRED: Final = (C.UNIT_ID, C.UNIT_NAME, C.UNIT_KIND)
UNIT_OPTIONAL: Final = (C.PEER_GROUP, C.PARENT_UNIT_ID)

# The first name is the CONTRACT's Chinese name; the others are variants seen in exports.
CASE_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    C.CASE_ID: ("办件编号", "办件号", "办件编码", "受理编号", "业务流水号"),
    C.UNIT_ID: ("办理单位编码", "办理单位代码", "单位编码", "单位代码", "承办单位编码"),
    C.CATEGORY: ("事项类别", "办件类别", "事项类型", "业务类别"),
    C.COMPLETED_AT: ("办结时间", "办结日期", "办结日期时间", "完成时间"),
    C.PHONE: ("联系电话", "手机号码", "手机号", "联系方式", "手机", "联系人电话", "申请人电话"),
    C.SERVICE_ITEM: ("事项名称", "办理事项", "业务名称"),
    C.HANDLER_ID: ("经办人工号", "经办人编号", "承办人工号", "工号"),
    C.SERVICE_CHANNEL: ("办理渠道", "受理渠道", "申报渠道", "办理方式"),
}
UNIT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    C.UNIT_ID: ("单位编码", "单位代码", "部门编码", "办理单位编码"),
    C.UNIT_NAME: ("单位名称", "部门名称"),
    C.UNIT_KIND: ("单位类别", "单位类型"),
    C.PEER_GROUP: ("同类组", "考核分组", "考核组"),
    C.PARENT_UNIT_ID: ("上级单位编码", "上级单位代码", "上级编码"),
}


def label(column: str, aliases: Mapping[str, tuple[str, ...]] = CASE_ALIASES) -> str:
    """``case_id（办件编号）``: a column as staff know it, for messages."""
    zh = (aliases.get(column) or CASE_ALIASES.get(column) or UNIT_ALIASES.get(column) or ("",))[0]
    return f"{column}（{zh}）" if zh else column


def header_key(name: str) -> str:
    """The form headers are compared in: NFKC, no spaces or ``*``, lower case."""
    folded = unicodedata.normalize("NFKC", name).lower()
    return re.sub(r"[\s*:]", "", folded)


def _without_remark(key: str) -> str:
    return re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", key)


def _known(aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    known = {header_key(target): target for target in aliases}
    for target, names in aliases.items():
        known.update({header_key(name): target for name in names})
    return known


_CASES_KNOWN: Final = _known(CASE_ALIASES)
_UNITS_KNOWN: Final = _known(UNIT_ALIASES)
_ANY_KNOWN: Final = {**_UNITS_KNOWN, **_CASES_KNOWN}


def _target_of(
    name: str | None, known: Mapping[str, str], mapping: Mapping[str, str]
) -> tuple[str, int] | None:
    """(target, rank) for one header: 0 mapping file, 1 CONTRACT name, 2 Chinese name."""
    if name is None:
        return None
    key = header_key(name)
    for candidate in (key, _without_remark(key)):
        if candidate in mapping:
            return mapping[candidate], 0
        if candidate in known:
            return known[candidate], 1 if known[candidate] == candidate else 2
    return None


def score(
    cells: Sequence[str | None],
    aliases: Mapping[str, tuple[str, ...]],
    mapping: Mapping[str, str] | None = None,
) -> int:
    """How many cells of a row are recognised headers (finds the header under a title row)."""
    known = _known(aliases)
    folded = {header_key(source): target for source, target in (mapping or {}).items()}
    return sum(_target_of(cell, known, folded) is not None for cell in cells)


def resolve(
    found: Sequence[str],
    aliases: Mapping[str, tuple[str, ...]],
    required: Sequence[str],
    mapping: Mapping[str, str] | None,
    path: str,
) -> dict[str, str]:
    """``{header in the file: target column}`` for every recognised header.

    Raises ``InputFileError`` (one line, Chinese and English) when a required
    column is missing or two headers claim one target.
    """
    known = _known(aliases)
    folded = {header_key(source): target for source, target in (mapping or {}).items()}
    claims: dict[str, list[tuple[int, str]]] = {}
    for name in found:
        hit = _target_of(name, known, folded)
        if hit is not None and hit[0] in aliases:
            claims.setdefault(hit[0], []).append((hit[1], name))
    chosen: dict[str, str] = {}
    for target, names in claims.items():
        best = min(rank for rank, _ in names)
        tied = [name for rank, name in names if rank == best]
        if len(tied) > 1:
            tied = [mask_text(name) for name in tied]
            both = "、".join(tied)
            raise InputFileError(
                path,
                f"列 {both} 都可以作为 {label(target, aliases)}，请用列映射文件（--columns）指定其一 / "
                f"columns {', '.join(tied)} could each be {target}: "
                "name the right one in a column mapping file (--columns FILE)",
            )
        chosen[tied[0]] = target
    missing = [target for target in required if target not in chosen.values()]
    if missing:
        found = [mask_text(name) for name in found]  # a file without header shows a data row
        shown = "、".join(found) or "（无）"
        raise InputFileError(
            path,
            f"缺少必需的列 {'、'.join(label(m, aliases) for m in missing)}（文件中的列：{shown}）；"
            "可用列映射文件（--columns）对应 / "
            f"missing column(s) {', '.join(missing)} (found: {', '.join(found) or 'none'}); "
            "map them with --columns FILE",
        )
    return chosen


def read_column_map(path: Path) -> dict[str, str]:
    """The ``source,target`` mapping file (module docstring); raises ``InputFileError``."""
    if not path.exists():
        raise InputFileError(str(path), "列映射文件不存在 / no such column mapping file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    rows = [
        [cell.strip() for cell in row]
        for row in csv.reader(io.StringIO(text))
        if row and any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows or [header_key(cell) for cell in rows[0][:2]] != ["source", "target"]:
        raise InputFileError(
            str(path),
            "列映射文件的第一行应为 source,target / "
            "a column mapping file starts with the header line source,target",
        )
    mapping: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        target = _ANY_KNOWN.get(header_key(row[1])) if len(row) >= 2 else None
        if len(row) < 2 or not row[0] or target is None:
            allowed = ", ".join((*CASE_ALIASES, *UNIT_ALIASES.keys() - CASE_ALIASES.keys()))
            raise InputFileError(
                str(path),
                f"第 {number} 条映射无法识别：{','.join(row)}（目标应为 {allowed} 或其中文列名）/ "
                f"mapping {number} is not source,target with a known target "
                f"(one of {allowed} or its Chinese name)",
            )
        mapping[row[0]] = target
    return mapping
