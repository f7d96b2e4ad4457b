from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from warehouse.errors import InputFileError
from warehouse.headers import CASE_ALIASES, score
from warehouse.reading import AUTO, EXTRA, ROW, read_table

HEADER = "办件编号,办理单位编码,事项类别,办结时间,联系电话"
ROW_1 = "A1,U1,户籍,2026/11/16 9:47,13812345678"


def _score(cells: object) -> int:
    return score(list(cells), CASE_ALIASES)  # type: ignore[call-overload]


def _csv(tmp_path: Path, data: bytes, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (f"{HEADER}\n{ROW_1}\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + f"{HEADER}\r\n{ROW_1}\r\n".encode(), "utf-8"),
        (f"{HEADER}\r\n{ROW_1}\r\n".encode("gb18030"), "gb18030"),
        (f"{HEADER}\n{ROW_1}\n".encode("gbk"), "gbk"),
        # Excel's "Unicode text": UTF-16 with BOM, tab separated, whatever was asked
        (f"{HEADER}\n{ROW_1}\n".replace(",", "\t").encode("utf-16"), "utf-8"),
        # a BOM says UTF-8 even when GB18030 was asked for
        (codecs.BOM_UTF8 + f"{HEADER}\n{ROW_1}\n".encode(), "gb18030"),
    ],
)
def test_csv_encodings(tmp_path: Path, data: bytes, encoding: str) -> None:
    table = read_table(_csv(tmp_path, data), encoding)
    assert table.frame.columns == [ROW, *HEADER.split(","), EXTRA]
    assert table.frame.row(0) == (2, *ROW_1.split(","), 0)
    assert not table.excel


def test_gb18030_read_as_utf8_says_pass_encoding_gb18030(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER}\n{ROW_1}\n".encode("gb18030"))
    with pytest.raises(InputFileError) as info:
        read_table(path)
    message = str(info.value)
    assert "\n" not in message
    assert "请加 --encoding gb18030" in message
    assert "not valid utf-8 text" in message and "pass --encoding gb18030" in message


def test_utf8_read_as_gb18030_is_refused_not_garbled(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"{HEADER}\n{ROW_1}\n".encode())
    with pytest.raises(InputFileError, match="leave out --encoding"):
        read_table(path, "gb18030")


def test_a_workbook_named_csv_and_an_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"give it the \.xlsx"):
        read_table(_csv(tmp_path, b"PK\x03\x04rest"))
    with pytest.raises(InputFileError, match=r"unsupported file type '\.json'"):
        read_table(_csv(tmp_path, b"{}", "c.json"))


def test_header_under_a_title_row_and_line_numbers(tmp_path: Path) -> None:
    text = f"示范区办件明细表,,,,\n\n{HEADER}\n{ROW_1}\n\nA2,U1,户籍,2026/11/16 10:00,\n"
    table = read_table(_csv(tmp_path, text.encode()), header_score=_score)
    frame = table.frame
    assert frame.columns[1:-1] == HEADER.split(",")
    assert frame[ROW].to_list() == [4, 5, 6]  # the lines of the file
    assert frame["办件编号"].to_list() == ["A1", None, "A2"]


def test_a_shifted_row_is_marked_not_fatal(tmp_path: Path) -> None:
    text = f"{HEADER}\n{ROW_1}\nA2,U1,户籍,加急,2026/11/16 10:00,13812345679\nA3,U1,户籍,2026/11/16 11:00,\n"
    frame = read_table(_csv(tmp_path, text.encode())).frame
    assert frame[EXTRA].to_list() == [0, 1, 0]
    assert frame[ROW].to_list() == [2, 3, 4]
    assert frame.row(2)[1:-1] == ("A3", "U1", "户籍", "2026/11/16 11:00", None)


def test_blank_and_repeated_headers_get_names(tmp_path: Path) -> None:
    text = "办件编号,,备注,备注\nA1,x,y,z\n"
    assert read_table(_csv(tmp_path, text.encode())).frame.columns == [
        ROW,
        "办件编号",
        "_column2",
        "备注",
        "备注_2",
        EXTRA,
    ]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    when = workbook.add_format({"num_format": "yyyy/m/d h:mm"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, when)
                elif isinstance(value, float | int):
                    sheet.write_number(r, c, value)
                elif value is not None:
                    sheet.write_string(r, c, str(value))
    workbook.close()
    return path


def test_xlsx_first_sheet_all_cells_as_text(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "c.xlsx",
        {
            "办件": [
                ["示范区办件明细"],
                HEADER.split(","),
                ["A1", "0101", "户籍", datetime(2026, 11, 16, 9, 47), 13812345678],
                ["A2", "0101", "户籍", 46342.40763888889, "'13812345679"],
                [12345, "0101", "社保", "2026/11/16 9:47", 1.3812345677e10],
            ],
            "说明": [["x"]],
        },
    )
    table = read_table(path, header_score=_score)
    assert table.excel
    frame = table.frame
    assert frame.schema[HEADER.split(",")[0]] == pl.String
    assert frame[ROW].to_list() == [3, 4, 5]  # the sheet's rows: title 1, header 2
    assert frame["办结时间"].to_list() == [
        "2026-11-16 09:47:00",
        "46342.407638889",  # as calamine prints a number cell
        "2026/11/16 9:47",
    ]
    assert frame["联系电话"].to_list() == ["13812345678", "'13812345679", "13812345677"]
    assert frame["办件编号"].to_list() == ["A1", "A2", "12345"]


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "c.xlsx",
        {"封面": [["说明"]], "办件": [HEADER.split(","), ROW_1.split(",")]},
    )
    assert read_table(path, sheet="办件").frame["办件编号"].to_list() == ["A1"]
    with pytest.raises(InputFileError, match="no sheet named '案件' \\(sheets: 封面, 办件\\)"):
        read_table(path, sheet="案件")


def test_parquet_columns_become_text(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pl.DataFrame(
        {
            "case_id": ["P1"],
            "phone": [13812345678.0],
            "completed_at": [datetime(2026, 11, 16, 9, 47)],
        }
    ).write_parquet(path)
    frame = read_table(path).frame
    assert frame.row(0)[1:-1] == ("P1", "13812345678.0", "2026-11-16 09:47:00.000000")


def test_xlsx_rows_are_numbered_as_in_the_sheet_even_below_empty_rows(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "c.xlsx",
        {"办件": [[], [], [None, *HEADER.split(",")], [None, *ROW_1.split(",")], [], [None, "A2"]]},
    )
    frame = read_table(path, header_score=_score).frame
    assert frame["办件编号"].to_list() == ["A1", None, "A2"]
    assert frame[ROW].to_list() == [4, 5, 6]


@pytest.mark.parametrize(
    "data",
    [
        f"{HEADER}\n{ROW_1}\n".encode(),
        codecs.BOM_UTF8 + f"{HEADER}\r\n{ROW_1}\r\n".encode(),
        f"{HEADER}\r\n{ROW_1}\r\n".encode("gb18030"),
        f"{HEADER}\n{ROW_1}\n".encode("gbk"),
    ],
)
def test_auto_reads_utf8_or_gb18030_without_being_told(tmp_path: Path, data: bytes) -> None:
    table = read_table(_csv(tmp_path, data), AUTO)
    assert table.frame.columns == [ROW, *HEADER.split(","), EXTRA]
    assert table.frame.row(0) == (2, *ROW_1.split(","), 0)


def test_auto_refuses_bytes_that_are_neither(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not valid UTF-8 or GB18030 text") as info:
        read_table(_csv(tmp_path, HEADER.encode() + b"\n\x80\x80,\xff\n"), AUTO)
    assert "UTF-8 或 GB18030" in str(info.value)
