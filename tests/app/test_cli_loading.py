"""Loading exports from the command line as a center's staff do: `--columns`, `--sheet`, the
phone-quality and corrections lines, exit 1 for a file of which nothing was loaded, and the
inbox of `minyi day` (GB18030 without being told, `<home>/inbox/columns.csv`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cli import main

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"
PHONES_OF_THE_EXPORT = "电话 phones: 手机 mobile 418 · 固话 landline 8 · 空 blank 10 · 无效 invalid 3 · 境外 foreign 1"
# headers a case system might use that minyi does not know: the mapping file names them
ODD_HEADER = "受理号,单位编码,事项类别,业务办结时间,客户手机"
MAPPING = "source,target\n# 本中心办件系统的列名\n受理号,case_id\n业务办结时间,办结时间\n客户手机,phone\n"


def _minyi(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


@pytest.mark.flow
def test_cases_load_maps_columns_reports_phones_and_refuses_empty_files(
    prefect_api: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _minyi(capsys, home, "units", "load", str(EXPORTS / "units.csv"))
    assert code == 0 and "units.csv: read 13  loaded 13" in out
    assert "电话 phones" not in out  # a registry has no phones

    code, out, err = _minyi(
        capsys, home, "cases", "load", str(EXPORTS / "cases_gb18030.csv"), "--encoding", "gb18030"
    )
    assert code == 0, err
    assert "cases_gb18030.csv: read 446  loaded 440  duplicate 2  quarantined 4" in out
    assert PHONES_OF_THE_EXPORT in out

    # the workbook's named sheet: the same cases, already loaded
    code, out, err = _minyi(
        capsys, home, "cases", "load", str(EXPORTS / "cases.xlsx"), "--sheet", "办件明细"
    )
    assert code == 0, err
    assert "cases.xlsx: read 447  loaded 0  duplicate 442" in out
    code, _, err = _minyi(capsys, home, "cases", "load", str(EXPORTS / "cases.xlsx"), "--sheet", "汇总")
    assert code == 1 and "no sheet named '汇总'" in err and err.count("\n") == 1

    # unknown headers: refused in one line pointing at --columns; mapped, loaded
    odd = _write(
        tmp_path / "odd.csv",
        f"{ODD_HEADER}\nK1,0102,户籍,2026-11-17 10:00,13900000001\nK2,0102,户籍,2026-11-17 11:00,\n",
    )
    code, _, err = _minyi(capsys, home, "cases", "load", str(odd))
    assert code == 1 and "--columns" in err and err.count("\n") == 1
    mapping = _write(tmp_path / "columns.csv", MAPPING)
    code, out, err = _minyi(capsys, home, "cases", "load", str(odd), "--columns", str(mapping))
    assert code == 0, err
    assert "odd.csv: read 2  loaded 2" in out
    assert "手机 mobile 1 · 固话 landline 0 · 空 blank 1" in out
    assert "corrections" not in out

    # a newer version of a case whose day is not drawn replaces it, and says so
    newer = _write(
        tmp_path / "odd-v2.csv",
        f"{ODD_HEADER}\nK1,0102,社保,2026-11-17 10:00,13900000001\n",
    )
    code, out, err = _minyi(capsys, home, "cases", "load", str(newer), "--columns", str(mapping))
    assert code == 0, err
    assert "更正 corrections: 已替换 applied 1" in out and "recorded, day already drawn 0" in out

    # every file is loaded; then exit 1 naming the file of which nothing was loaded
    bad = _write(
        tmp_path / "bad.csv",
        "办件编号,办理单位编码,事项类别,办结时间,联系电话\n"
        "B1,9999,户籍,2026-11-17 10:00,13900000011\nB2,9999,户籍,2026-11-17 10:05,13900000012\n",
    )
    good = _write(
        tmp_path / "good.csv",
        "办件编号,办理单位编码,事项类别,办结时间,联系电话\nG1,0102,户籍,2026-11-17 10:00,13900000021\n",
    )
    empty = _write(tmp_path / "empty.csv", "办件编号,办理单位编码,事项类别,办结时间,联系电话\n")
    code, out, err = _minyi(capsys, home, "cases", "load", str(bad), str(good), str(empty))
    assert code == 1
    assert "bad.csv: read 2  loaded 0  duplicate 0  quarantined 2" in out
    assert "good.csv: read 1  loaded 1" in out
    assert err.count("\n") == 1 and err.startswith("minyi: error: 未导入任何数据：bad.csv、empty.csv")
    assert "nothing was loaded from bad.csv, empty.csv" in err and "good.csv" not in err
    code, out, _ = _minyi(
        capsys, home, "sql", "SELECT category FROM cases WHERE case_id IN ('G1', 'K1') ORDER BY 1"
    )
    assert code == 0 and "户籍" in out and "社保" in out


@pytest.mark.flow
def test_units_load_from_a_named_sheet_with_a_mapping(
    prefect_api: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlsxwriter

    workbook_path = tmp_path / "单位名册.xlsx"
    workbook = xlsxwriter.Workbook(str(workbook_path))
    workbook.add_worksheet("说明").write(0, 0, "本表由组织部门提供")
    sheet = workbook.add_worksheet("单位")
    sheet.write_row(0, 0, ["机构代码", "单位名称", "单位类别"])
    for r, row in enumerate([("A01", "区公安分局", "行政机关"), ("W01", "不动产窗口", "窗口")], 1):
        sheet.write_row(r, 0, row)
    workbook.close()
    mapping = _write(tmp_path / "columns.csv", "source,target\n机构代码,单位编码\n", "gb18030")

    code, _, err = _minyi(capsys, home, "units", "load", str(workbook_path), "--columns", str(mapping))
    assert code == 1 and err.count("\n") == 1  # the first sheet is the note
    code, out, err = _minyi(
        capsys, home, "units", "load", str(workbook_path), "--sheet", "单位", "--columns", str(mapping)
    )
    assert code == 0, err
    assert "单位名册.xlsx: read 2  loaded 2  duplicate 0  quarantined 0" in out
    code, out, _ = _minyi(capsys, home, "sql", "SELECT unit_id, unit_kind FROM units ORDER BY 1")
    assert "A01" in out and "agency" in out and "window" in out

    kinds = _write(tmp_path / "kinds.csv", "单位编码,单位名称,单位类别\nX1,某单位,某类\n")
    code, out, err = _minyi(capsys, home, "units", "load", str(kinds))
    assert code == 1 and "quarantined 1" in out and "kinds.csv" in err


@pytest.mark.flow
def test_the_inbox_takes_gb18030_and_its_column_mapping(
    prefect_api: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _minyi(capsys, home, "units", "load", str(EXPORTS / "units.csv"))[0] == 0
    inbox = home / "inbox" / "cases"
    inbox.mkdir(parents=True)
    shutil.copy(EXPORTS / "cases_gb18030.csv", inbox / "办件明细-1116.csv")
    _write(
        inbox / "补录-1116.csv",
        f"{ODD_HEADER}\nM1,0102,户籍,2026/11/16 9:05,13900000031\n",
        "gb18030",
    )
    _write(home / "inbox" / "columns.csv", MAPPING)

    code, out, err = _minyi(capsys, home, "day", "--date", "2026-11-16")
    assert code == 0, err
    assert "办件明细-1116.csv: read 446  loaded 440  duplicate 2  quarantined 4" in out
    assert PHONES_OF_THE_EXPORT in out
    assert "补录-1116.csv: read 1  loaded 1" in out
    assert sorted(p.name for p in (inbox / "loaded").iterdir()) == ["办件明细-1116.csv", "补录-1116.csv"]
    assert not (inbox / "rejected").exists()

    # a broken mapping stops the import: nothing loaded, nothing moved, one line
    _write(inbox / "later.csv", f"{ODD_HEADER}\nM2,0102,户籍,2026/11/17 9:05,13900000032\n")
    _write(home / "inbox" / "columns.csv", "来源,目标\n客户手机,phone\n")
    code, _, err = _minyi(capsys, home, "day", "--date", "2026-11-17")
    assert code == 1 and "columns.csv" in err and "source,target" in err and err.count("\n") == 1
    assert (inbox / "later.csv").exists()
