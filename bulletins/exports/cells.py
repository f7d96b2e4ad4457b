"""Writing frames as CSV and XLSX safely (CSV/formula injection, OWASP).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is prefixed with ``'`` so that Excel, WPS and LibreOffice show it as text
and never run it as a formula (e.g. a unit named ``=HYPERLINK("http://x","y")``).
Numbers stay numbers. The XLSX writer also turns off xlsxwriter's conversion of
strings to formulas, URLs and numbers, and fixes the document dates, so the same
data gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import polars as pl
import xlsxwriter

DANGEROUS_START: Final = ("=", "+", "-", "@", "\t", "\r")
_BOM: Final = b"\xef\xbb\xbf"


def escape_cell(value: str) -> str:
    """``value`` made inert for spreadsheets: prefixed with ``'`` when it could start a formula."""
    return "'" + value if value.startswith(DANGEROUS_START) else value


def escape_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every string column of ``frame`` passed through :func:`escape_cell`."""
    pattern = "^[=+\\-@\t\r]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(pattern))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """``frame`` as CSV, UTF-8 with BOM (Excel reads the Chinese), text cells escaped."""
    return _BOM + escape_frame(frame).write_csv().encode("utf-8")


Column = tuple[str, str, str]  # (column name, header, kind: text | int | pct | float | bool)


def xlsx_bytes(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str,
    subtitle: str,
    sheet: str,
    created: datetime,
    notes: Sequence[str] = (),
) -> bytes:
    """One sheet: a merged title row, a subtitle row, headers, the rows, then notes.

    ``kind`` sets the number format: ``pct`` (0.0%), ``float`` (0.0000), ``points``
    (0.00), ``int``; ``text`` cells are escaped. None is an empty cell.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties({"title": title, "created": created.replace(tzinfo=None)})
    ws = book.add_worksheet(sheet[:31])
    base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
    fmt_title = book.add_format({**base, "bold": True, "font_size": 14, "align": "center"})
    fmt_sub = book.add_format({**base, "font_color": "#4b5563", "align": "center"})
    fmt_head = book.add_format(
        {
            **base,
            "bold": True,
            "bg_color": "#e8ecf3",
            "border": 1,
            "text_wrap": True,
            "align": "center",
        }
    )
    formats = {
        "text": book.add_format({**base, "border": 1}),
        "int": book.add_format({**base, "border": 1, "num_format": "#,##0"}),
        "pct": book.add_format({**base, "border": 1, "num_format": "0.0%"}),
        "float": book.add_format({**base, "border": 1, "num_format": "0.0000"}),
        "points": book.add_format({**base, "border": 1, "num_format": "0.00"}),
    }
    last = len(columns) - 1
    ws.merge_range(0, 0, 0, last, title, fmt_title)
    ws.merge_range(1, 0, 1, last, subtitle, fmt_sub)
    ws.set_row(0, 24)
    for j, (_, header, kind) in enumerate(columns):
        ws.write_string(2, j, header, fmt_head)
        ws.set_column(j, j, _width(header, kind))
    for i, row in enumerate(rows, start=3):
        for j, (name, _, kind) in enumerate(columns):
            value = row.get(name)
            fmt = formats.get(kind, formats["text"])
            if value is None:
                ws.write_blank(i, j, None, fmt)
            elif kind == "text" or isinstance(value, str):
                ws.write_string(i, j, escape_cell(str(value)), formats["text"])
            else:
                ws.write_number(i, j, float(value), fmt)
    for k, note in enumerate(notes, start=len(rows) + 4):
        ws.write_string(k, 0, escape_cell(note))
    ws.freeze_panes(3, 0)
    book.close()
    return buffer.getvalue()


def _width(header: str, kind: str) -> float:
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in header)
    return max(wide + 2, {"text": 14, "int": 9, "pct": 9, "float": 10, "points": 9}.get(kind, 10))
