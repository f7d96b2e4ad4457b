"""The CLI as a user runs it: exit codes, one-line errors, counts that add up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.cli import main
from minyi.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_needs_a_scope_usage_error_exits_2(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    code, _, err = _run(capsys, "--home", str(home), "validate")
    assert code == 2
    assert "--month or --date" in err
    assert "Traceback" not in err


def test_public_listener_serves_webhooks_only_and_staff_web_apart(home: Path) -> None:
    from fastapi.testclient import TestClient

    from app.server import build_public_app, build_staff_app
    from minyi.settings import load_settings

    settings = load_settings(home)
    public = TestClient(build_public_app(settings))  # type: ignore[arg-type]
    assert public.get("/healthz").json() == {"status": "ok"}
    # without a provider there is no webhook route to abuse, and no staff page here
    assert public.post("/twilio/sms", data={"Body": "5"}).status_code == 404
    assert public.get("/worklist/").status_code == 404
    staff = TestClient(build_staff_app(settings))
    assert staff.get("/worklist", follow_redirects=False).headers["location"] == "/signin"
    assert "登录" in staff.get("/signin").text


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, _, err = _run(capsys, "--home", str(home), "sample")
    assert code == 2
    assert "--date" in err


def test_failure_exits_1_with_one_line(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, _, err = _run(capsys, "--home", str(home), "cases", "load", str(home / "missing.csv"))
    assert code == 1
    assert err.strip().count("\n") == 0
    assert err.startswith("minyi: error:") and "no such file" in err


def test_load_units_cases_and_sample(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path, prefect_api: str
) -> None:
    units = tmp_path / "units.csv"
    units.write_text(
        "unit_id,unit_name,unit_kind\nU1,甲局,agency\nU2,乙窗口,window\n", encoding="utf-8"
    )
    cases = tmp_path / "cases.csv"
    rows = ["case_id,unit_id,category,completed_at,phone"]
    rows += [
        f"C{i},U{i % 2 + 1},{'户籍' if i % 3 else '社保'},2026-10-12 10:{i % 60:02d}:00,1380000{i:04d}"
        for i in range(60)
    ]
    rows += [
        "C0,U1,社保,2026-10-12 10:00:00,13800000000",
        "C99,U7,社保,2026-10-12 10:00:00,13800009999",
    ]
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert _run(capsys, "--home", str(home), "units", "load", str(units))[0] == 0
    code, out, _ = _run(capsys, "--home", str(home), "cases", "load", str(cases))
    assert code == 0
    read, loaded, dup, quarantined = (
        int(x.replace(",", ""))
        for x in re.findall(
            r"read ([\d,]+)  loaded ([\d,]+)  duplicate ([\d,]+)  quarantined ([\d,]+)", out
        )[0]
    )
    assert (read, loaded, dup, quarantined) == (62, 60, 1, 1)
    assert "unknown unit" in out
    code, first, _ = _run(capsys, "--home", str(home), "--debug", "sample", "--date", "2026-10-12")
    assert code == 0 and "sampled 60" in first  # fewer eligible than the daily total: take all
    code, second, _ = _run(capsys, "--home", str(home), "sample", "--date", "2026-10-12")
    assert "already drawn" in second
    code, out, _ = _run(capsys, "--home", str(home), "sql", "SELECT count(*) AS n FROM v_sample")
    assert code == 0 and "60" in out


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        env = (
            field.validation_alias
            if isinstance(field.validation_alias, str)
            else f"MINYI_{name.upper()}"
        )
        assert env in text, f"{env} is not documented in README.md"
