from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from minyi import columns as C
from warehouse.errors import InputFileError
from warehouse.headers import (
    CASE_ALIASES,
    CASE_REQUIRED,
    UNIT_ALIASES,
    UNIT_REQUIRED,
    read_column_map,
    resolve,
)
from warehouse.loaders import load_cases, load_units

ZONE = ZoneInfo("Asia/Shanghai")


def test_contract_chinese_names_are_recognised() -> None:
    cases = [
        "办件编号",
        "办理单位编码",
        "事项类别",
        "办结时间",
        "联系电话",
        "事项名称",
        "经办人工号",
        "办理渠道",
    ]
    assert resolve(cases, CASE_ALIASES, CASE_REQUIRED, None, "f") == {
        "办件编号": C.CASE_ID,
        "办理单位编码": C.UNIT_ID,
        "事项类别": C.CATEGORY,
        "办结时间": C.COMPLETED_AT,
        "联系电话": C.PHONE,
        "事项名称": C.SERVICE_ITEM,
        "经办人工号": C.HANDLER_ID,
        "办理渠道": C.SERVICE_CHANNEL,
    }
    units = ["单位编码", "单位名称", "单位类别", "同类组", "上级单位编码"]
    assert resolve(units, UNIT_ALIASES, UNIT_REQUIRED, None, "f") == {
        "单位编码": C.UNIT_ID,
        "单位名称": C.UNIT_NAME,
        "单位类别": C.UNIT_KIND,
        "同类组": C.PEER_GROUP,
        "上级单位编码": C.PARENT_UNIT_ID,
    }


def test_variants_spaces_marks_and_full_width_brackets() -> None:
    found = [
        " 办件号 ",
        "*单位编码",
        "事项类别",
        "办结时间（年月日时分）",
        "手机号码",
        "Remark",
        "序号",
    ]
    assert resolve(found, CASE_ALIASES, CASE_REQUIRED, None, "f") == {
        " 办件号 ": C.CASE_ID,
        "*单位编码": C.UNIT_ID,
        "事项类别": C.CATEGORY,
        "办结时间（年月日时分）": C.COMPLETED_AT,
        "手机号码": C.PHONE,
    }
    assert (
        resolve(
            ["CASE_ID", "Unit_Id", "category", "completed_at", "联系方式"],
            CASE_ALIASES,
            CASE_REQUIRED,
            None,
            "f",
        )["联系方式"]
        == C.PHONE
    )


def test_missing_column_is_one_line_in_chinese_and_english_naming_what_was_found() -> None:
    with pytest.raises(InputFileError) as info:
        resolve(
            ["办件编号", "单位", "事项类别", "办结时间", "联系电话"],
            CASE_ALIASES,
            CASE_REQUIRED,
            None,
            "x.csv",
        )
    message = str(info.value)
    assert "\n" not in message
    assert "缺少必需的列 unit_id（办理单位编码）" in message
    assert (
        "missing column(s) unit_id (found: 办件编号, 单位, 事项类别, 办结时间, 联系电话)" in message
    )
    assert "--columns" in message


def test_two_columns_for_one_target_are_refused_unless_mapped() -> None:
    found = ["办件编号", "办理单位编码", "事项类别", "办结时间", "联系电话", "手机号码"]
    # both are Chinese names of phone: which one is meant must be said
    with pytest.raises(InputFileError, match="联系电话、手机号码 都可以作为 phone"):
        resolve(found, CASE_ALIASES, CASE_REQUIRED, None, "x.csv")
    chosen = resolve(found, CASE_ALIASES, CASE_REQUIRED, {"手机号码": C.PHONE}, "x.csv")
    assert chosen["手机号码"] == C.PHONE and "联系电话" not in chosen
    # a CONTRACT name wins over a Chinese one
    chosen = resolve([*found[:4], "phone", "联系电话"], CASE_ALIASES, CASE_REQUIRED, None, "x.csv")
    assert chosen["phone"] == C.PHONE


def test_column_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "columns.csv"
    path.write_bytes(
        "source,target\n# 本中心的系统导出\n业务流水号,case_id\n客户手机,联系电话\n 完成日期 ,办结时间\n".encode(
            "gb18030"
        )
    )
    assert read_column_map(path) == {
        "业务流水号": C.CASE_ID,
        "客户手机": C.PHONE,
        "完成日期": C.COMPLETED_AT,
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("from,to\na,case_id\n", "source,target"),
        ("source,target\n客户手机,mobile\n", "第 2 条映射无法识别"),
        ("source,target\n客户手机\n", "mapping 2 is not source,target"),
    ],
)
def test_a_bad_mapping_file_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "columns.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=problem):
        read_column_map(path)


def test_loading_with_a_mapping_file(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    load_units(con, units_file)
    mapping = tmp_path / "columns.csv"
    mapping.write_text("source,target\n业务编码,case_id\n客户手机,phone\n", encoding="utf-8")
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "业务编码,办理单位编码,事项类别,办结时间,客户手机,无关列\n"
        "A1,U1,户籍,2026/11/16 9:47,13812345678,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError, match="missing column\\(s\\) case_id, phone"):
        load_cases(con, cases, ZONE)
    report = load_cases(con, cases, ZONE, columns=read_column_map(mapping))
    assert report.loaded == 1
    assert con.sql("SELECT case_id, phone_e164 FROM cases").fetchall() == [("A1", "+8613812345678")]
