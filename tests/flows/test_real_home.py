"""A home `minyi demo` did not make, run as a center runs it: files in the inbox, the day,
dispatch on the manual channel with evaluators answering on the staff web, the month, the
bulletin. And the refusals that keep invented answers out of real data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.server import build_staff_app
from minyi.settings import load_settings

UNITS = "unit_id,unit_name,unit_kind\nU1,甲局,agency\nU2,乙窗口,window\n"


def _cases(day: str, n: int, start: int = 0, categories: int = 2) -> str:
    rows = ["case_id,unit_id,category,completed_at,phone"]
    rows += [
        f"{day}-{i:04d},U{i % 2 + 1},类别{i % categories:03d},{day} 10:{i % 60:02d}:00,139{start + i:08d}"
        for i in range(n)
    ]
    return "\n".join(rows) + "\n"


def _minyi(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


PASSWORD = "evaluators-own-pass"


def _sign_in(client: TestClient, username: str) -> str:
    """Sign in with the home's own account: the one-time password is changed first."""
    from flows import staff

    settings = client.app.state.settings  # type: ignore[attr-defined]
    with staff.accounts(settings) as store:
        store.set_password(username, PASSWORD, must_change=False)
    token = re.search(r"name='csrf' value='([^']+)'", client.get("/signin").text).group(1)  # type: ignore[union-attr]
    client.post("/signin", data={"username": username, "password": PASSWORD, "csrf": token})
    return re.search(r"name='csrf' value='([^']+)'", client.get("/").text).group(1)  # type: ignore[union-attr]


def _real_home(tmp_path: Path, provider: str | None = "manual") -> Path:
    home = tmp_path / "center"
    (home / "inbox" / "cases").mkdir(parents=True)
    lines = [f"MINYI_PROVIDER={provider}"] if provider else []
    lines += ["MINYI_MIN_RESPONDENTS=5", "MINYI_EVALUATORS=2"]
    (home / "minyi.env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "units.csv").write_text(UNITS, encoding="utf-8")
    return home


@pytest.mark.flow
def test_a_real_home_from_files_to_a_published_bulletin(
    prefect_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _real_home(tmp_path)
    assert _minyi(capsys, home, "units", "load", str(tmp_path / "units.csv"))[0] == 0
    passwords = {}
    for name, role in (("wang", "evaluator"), ("li", "evaluator"), ("zhao", "director")):
        code, out, _ = _minyi(capsys, home, "users", "add", name, "--role", role)
        assert code == 0
        passwords[name] = out.split("one-time password: ")[1].split()[0]
    (home / "inbox" / "cases" / "export-1116.csv").write_text(_cases("2026-11-16", 40), encoding="utf-8")

    code, out, err = _minyi(capsys, home, "day", "--date", "2026-11-16")
    assert code == 0, err
    assert "export-1116.csv: read 40  loaded 40" in out and "sampled 40" in out
    assert (home / "inbox" / "cases" / "loaded" / "export-1116.csv").exists()

    # evening: nobody is put on the list outside the calling windows
    code, out, _ = _minyi(capsys, home, "dispatch", "--at", "2026-11-17T21:00:00+08:00")
    assert code == 0 and "due 0, sent 0" in out
    code, out, err = _minyi(capsys, home, "dispatch", "--at", "2026-11-17T10:00:00+08:00")
    assert code == 0, err
    assert "sent 40" in out  # the manual channel: the evaluators' worklist

    answered = 0
    for evaluator in ("wang", "li"):
        staff = TestClient(build_staff_app(load_settings(home)))
        csrf = _sign_in(staff, evaluator)
        page = staff.get("/worklist").text
        for attempt in re.findall(r"action='/worklist/item/([^'#]+)", page):
            level = "2" if answered % 5 == 0 else "4"
            reply = staff.post(
                f"/worklist/item/{attempt}",
                data={"outcome": "answered", "satisfaction": level, "integrity": "no",
                      "timeliness": "4", "csrf": csrf},
                follow_redirects=False,
            )
            assert reply.status_code == 303
            answered += 1
    assert answered == 40

    # the evaluators answered just now: the next run (now) loads their answers
    code, out, _ = _minyi(capsys, home, "dispatch")
    assert code == 0 and "(40 answers)" in out
    cutoff = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    code, out, err = _minyi(capsys, home, "month", "--month", "2026-11", "--cutoff", cutoff)
    assert code == 0, err
    assert "respondents 40" in out and "bulletin:" in out
    assert (home / "bulletins" / "2026-11" / "bulletin.pdf").exists()

    con = duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True)
    try:
        channels = con.sql("SELECT DISTINCT channel FROM v_responses").fetchall()
        kind = con.sql("SELECT value FROM config WHERE key = 'home_kind'").fetchall()
        rows = con.sql("SELECT count(*) FROM v_unit_month WHERE month = '2026-11'").fetchall()
    finally:
        con.close()
    assert channels == [("manual",)] and kind == [] and rows == [(2,)]

    staff = TestClient(build_staff_app(load_settings(home)))
    _sign_in(staff, "zhao")
    status = staff.get("/status")
    assert status.status_code == 200
    for heading in ("今日导入", "最近抽样", "今日联系", "故障", "最近运行", "下次计划运行"):
        assert heading in status.text
    assert "2026-11-16" in status.text and "minyi-month" in status.text  # the draw, the runs
    assert not re.search(r"1[3-9]\d{9}", status.text)  # aggregates only, never a number


@pytest.mark.flow
def test_no_provider_or_simulated_in_a_real_home_is_refused_and_records_nothing(
    prefect_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _real_home(tmp_path, provider=None)
    assert _minyi(capsys, home, "units", "load", str(tmp_path / "units.csv"))[0] == 0
    (home / "inbox" / "cases" / "a.csv").write_text(_cases("2026-11-16", 10), encoding="utf-8")
    assert _minyi(capsys, home, "day", "--date", "2026-11-16")[0] == 0

    def outbox() -> int:
        con = duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True)
        try:
            return int(con.sql("SELECT count(*) FROM outbox").fetchall()[0][0])
        finally:
            con.close()

    code, _, err = _minyi(capsys, home, "dispatch", "--at", "2026-11-17T10:00:00+08:00")
    assert code == 1 and "MINYI_PROVIDER is not set" in err and err.count("\n") == 1
    (home / "minyi.env").write_text("MINYI_PROVIDER=simulated\n", encoding="utf-8")
    for env in ({}, {"MINYI_ENV": "production"}):
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            code, _out, err = _minyi(capsys, home, "dispatch", "--at", "2026-11-17T10:00:00+08:00")
        assert code == 1 and "simulated" in err and "minyi demo" in err
    assert outbox() == 0
    assert not (home / "landing.sqlite").exists() or _landing_rows(home) == 0


def _landing_rows(home: Path) -> int:
    import sqlite3

    con = sqlite3.connect(home / "landing.sqlite")
    try:
        return int(con.execute("SELECT count(*) FROM inbound").fetchone()[0])
    finally:
        con.close()


@pytest.mark.flow
def test_day_closing_rules(prefect_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = _real_home(tmp_path)
    inbox = home / "inbox" / "cases"
    assert _minyi(capsys, home, "units", "load", str(tmp_path / "units.csv"))[0] == 0
    # today and the future are refused: their cases are not all in
    for when in ("2999-01-01",):
        code, _, err = _minyi(capsys, home, "day", "--date", when)
        assert code == 1 and "not over yet" in err
    # a day with no eligible case is drawn again when its cases arrive
    code, out, _ = _minyi(capsys, home, "sample", "--date", "2026-11-14")  # a Saturday, nothing in
    assert code == 0 and "eligible 0" in out
    (inbox / "late-sat.csv").write_text(_cases("2026-11-14", 6), encoding="utf-8")
    code, out, err = _minyi(capsys, home, "day", "--date", "2026-11-14")
    assert code == 0, err
    assert "drawn: completed 6  eligible 6  sampled 6" in out
    # cases that arrive for a day already drawn are reported and counted ineligible, late
    (inbox / "more-sat.csv").write_text(
        _cases("2026-11-14", 4, start=500).replace("2026-11-14-", "L-"), encoding="utf-8"
    )
    code, out, err = _minyi(capsys, home, "day", "--date", "2026-11-15")
    assert code == 0, err
    assert "4 cases belong to days already drawn" in out and "2026-11-14 (4)" in out
    code, out, _ = _minyi(capsys, home, "sample", "--date", "2026-11-14")
    assert "already drawn" in out and "sampled 6" in out and "not eligible 4: late" in out
    # a real catalogue: 200 categories cannot each get 2 of a daily total of 300
    (inbox / "many.csv").write_text(
        _cases("2026-11-16", 1000, start=2000, categories=200), encoding="utf-8"
    )
    code, out, err = _minyi(capsys, home, "day", "--date", "2026-11-16")
    assert code == 0, err
    assert "sampled 300 in 200 strata" in out
    assert "drawn with 1 per category" in out

