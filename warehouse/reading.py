"""Reading one input file into text columns (CONTRACT.md "Inputs in Chinese").

- CSV (``.csv``, ``.txt``, ``.tsv``; comma or tab separated): UTF-8 with or
  without BOM by default, or the ``encoding`` given (``gb18030``). UTF-16 with
  a BOM (Excel's "Unicode text") is recognised by its BOM. A GB18030/GBK file
  read as UTF-8 fails with "pass --encoding gb18030"; a UTF-8 file read with
  another encoding fails too, rather than loading garbled text. ``encoding=
  "auto"`` (``AUTO``; the inbox of ``minyi day`` uses it) reads UTF-8 when the
  bytes are UTF-8 and GB18030 otherwise (GBK is a subset of GB18030).
- Parquet: every column cast to text.
- Excel (``.xlsx``, ``.xlsm``, ``.xls``) through polars' calamine engine: the
  first sheet unless one is named, every cell as text; a date-time cell comes
  as ``2026-11-16 09:47:00`` and a number as its digits.

The header is the first row, or — under a title row such as
``某某区政务服务办件明细表`` — the first of the first ten rows in which at
least two cells are recognised column names. Each row carries ``_row``, its
line (CSV) or row (sheet) number counted from 1 at the top of the file, and
``_extra_fields``: how many more fields it has than the header (a comma inside
an unquoted value shifts a row; the loader quarantines it). Values are
stripped; empty values are null.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from warehouse.errors import InputFileError
from warehouse.phones import mask_text

ROW: Final = "_row"
EXTRA: Final = "_extra_fields"
CSV_SUFFIXES: Final = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES: Final = (".parquet",)
AUTO: Final = "auto"  # UTF-8 when the bytes are UTF-8, else GB18030
_HEADER_SCAN: Final = 10
_HEADER_MIN_SCORE: Final = 2

HeaderScore = Callable[[Sequence[str | None]], int]


@dataclass(frozen=True)
class Table:
    """A file's rows as text: one String column per header, plus ``_row`` and ``_extra_fields``."""

    frame: pl.DataFrame
    sha256: str
    excel: bool  # cells from a workbook: a plain number in a time column is an Excel day


def read_table(
    path: Path,
    encoding: str = "utf-8",
    *,
    sheet: str | None = None,
    header_score: HeaderScore | None = None,
) -> Table:
    """Read ``path`` whole or raise ``InputFileError`` (one line, Chinese and English)."""
    if not path.exists():
        raise InputFileError(str(path), "文件不存在 / no such file")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            frame = pl.read_parquet(io.BytesIO(data))
            frame = frame.with_columns(pl.all().cast(pl.String))
            frame = _finish(frame, list(frame.columns), first_row=2, extra=None)
        elif suffix in CSV_SUFFIXES:
            frame = _read_csv(path, data, encoding, header_score)
        elif suffix in EXCEL_SUFFIXES:
            frame = _read_excel(path, sheet, header_score)
        else:
            raise InputFileError(
                str(path),
                f"不支持的文件类型 '{suffix}'（请用 .csv、.xlsx 或 .parquet）/ "
                f"unsupported file type '{suffix}' (use .csv, .xlsx or .parquet)",
            )
    except pl.exceptions.PolarsError as exc:
        first = mask_text(str(exc).splitlines()[0]) if str(exc) else exc.__class__.__name__
        raise InputFileError(str(path), f"无法解析 / cannot be parsed: {first}") from exc
    return Table(frame, digest, excel=suffix in EXCEL_SUFFIXES)


def _names(cells: Sequence[str | None]) -> list[str]:
    """Header cells as unique column names: blanks become ``_column3``, repeats ``name_2``."""
    names: list[str] = []
    for index, cell in enumerate(cells, start=1):
        name = (cell or "").strip().lstrip("\ufeff") or f"_column{index}"
        base, n = name, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def _header_index(rows: Sequence[Sequence[str | None]], header_score: HeaderScore | None) -> int:
    if header_score is not None:
        for index, row in enumerate(rows[:_HEADER_SCAN]):
            if header_score(row) >= _HEADER_MIN_SCORE:
                return index
    return 0


def _finish(
    frame: pl.DataFrame, names: list[str], first_row: int, extra: list[int] | None
) -> pl.DataFrame:
    frame.columns = names
    frame = frame.with_columns(
        [pl.col(name).str.strip_chars().replace("", None) for name in names]
    ).with_row_index(ROW, offset=first_row)
    return frame.with_columns(
        (pl.Series(EXTRA, extra, dtype=pl.Int64) if extra is not None else pl.lit(0)).alias(EXTRA)
    )


def _decode(path: Path, data: bytes, encoding: str) -> str:
    """The file's text; refuses bytes that are not text in the encoding asked for."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(
            str(path),
            "这是 Excel 工作簿，请用 .xlsx（或 .xls）扩展名 / "
            "this is an Excel workbook: give it the .xlsx (or .xls) extension",
        )
    auto = encoding.strip().lower() == AUTO
    if auto:
        encoding = "utf-8" if data.startswith(codecs.BOM_UTF8) or _is_utf8(data) else "gb18030"
    try:
        wanted = codecs.lookup(encoding).name
    except LookupError as exc:
        raise InputFileError(
            str(path), f"未知编码 '{encoding}' / unknown encoding '{encoding}'"
        ) from exc
    if wanted == "utf-8" or data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            hint = (
                "看起来是 GB18030/GBK 编码，请加 --encoding gb18030 / "
                "it looks like GB18030/GBK: pass --encoding gb18030"
                if _looks_like_gb18030(data)
                else "请转换为 UTF-8，或用 --encoding 指定编码 / "
                "convert it to UTF-8 or pass --encoding"
            )
            raise InputFileError(
                str(path),
                f"不是有效的 UTF-8 文本（第 {exc.start} 字节）；{hint.split(' / ')[0]} / "
                f"not valid utf-8 text (byte {exc.start}); {hint.split(' / ')[1]}",
            ) from exc
    if not data.isascii() and _is_utf8(data):
        raise InputFileError(
            str(path),
            f"文件是 UTF-8 编码，请去掉 --encoding {encoding} / "
            f"the file is UTF-8 text, not {encoding}: leave out --encoding",
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        shown = "UTF-8 或 GB18030" if auto else encoding
        raise InputFileError(
            str(path),
            f"不是有效的 {shown} 文本（第 {exc.start} 字节）/ "
            f"not valid {shown.replace('或', 'or')} text (byte {exc.start})",
        ) from exc


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_gb18030(data: bytes) -> bool:
    try:
        text = data[:65536].decode("gb18030", errors="strict")
    except UnicodeDecodeError:
        # the sample may end inside a character
        text = data[:65536].decode("gb18030", errors="ignore")
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def _read_csv(
    path: Path, data: bytes, encoding: str, header_score: HeaderScore | None
) -> pl.DataFrame:
    text = _decode(path, data, encoding)
    head = [line.rstrip("\r") for line in text.split("\n", _HEADER_SCAN + 1)[:_HEADER_SCAN]]
    first = head[0] if head else ""
    separator = "\t" if first.count("\t") > first.count(",") else ","
    rows = list(csv.reader(head, delimiter=separator))
    skip = _header_index(rows, header_score)
    names = _names(rows[skip] if skip < len(rows) else [])
    utf8 = text.encode("utf-8")
    try:
        frame = pl.read_csv(utf8, infer_schema=False, separator=separator, skip_rows=skip)
    except pl.exceptions.ComputeError:
        # a row with more fields than the header: read it with the csv module, mark the row
        return _read_ragged(text, separator, skip)
    if len(frame.columns) != len(names):
        names = _names(frame.columns)
    return _finish(frame, names, first_row=skip + 2, extra=None)


def _read_ragged(text: str, separator: str, skip: int) -> pl.DataFrame:
    rows = list(csv.reader(io.StringIO(text), delimiter=separator))[skip:]
    names = _names(rows[0] if rows else [])
    body = rows[1:]
    width = len(names)
    columns = {
        name: [row[i] if i < len(row) else None for row in body] for i, name in enumerate(names)
    }
    frame = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))
    extra = [max(0, len(row) - width) for row in body]
    return _finish(frame, names, first_row=skip + 2, extra=extra)


def _read_excel(path: Path, sheet: str | None, header_score: HeaderScore | None) -> pl.DataFrame:
    import fastexcel

    try:
        sheets = fastexcel.read_excel(path).sheet_names
    except Exception as exc:  # fastexcel raises its own errors for damaged workbooks
        raise InputFileError(
            str(path), f"无法读取工作簿 / cannot read the workbook: {str(exc).splitlines()[0]}"
        ) from exc
    if sheet is not None and sheet not in sheets:
        raise InputFileError(
            str(path),
            f"没有名为 '{sheet}' 的工作表（有：{'、'.join(sheets)}）/ "
            f"no sheet named '{sheet}' (sheets: {', '.join(sheets)})",
        )
    raw = pl.read_excel(
        path,
        engine="calamine",
        sheet_name=sheet or sheets[0],
        has_header=False,
        read_options={"header_row": None, "skip_rows": 0, "dtypes": "string"},  # keep top rows
        drop_empty_rows=False,
        drop_empty_cols=False,
        raise_if_empty=False,
    )
    rows = [list(row) for row in raw.head(_HEADER_SCAN).iter_rows()]
    skip = _header_index(rows, header_score)
    names = _names(rows[skip] if rows else [])
    frame = raw.slice(skip + 1)
    return _finish(frame, names, first_row=skip + 2, extra=None)
