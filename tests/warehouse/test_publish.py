"""The staff copy: allow-listed, refreshed incrementally, atomic for readers."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from flows.intake import draw_day, import_files
from minyi.settings import Settings, load_settings
from warehouse import fieldwork
from warehouse.contacts import add_do_not_contact, add_opt_outs
from warehouse.loaders import load_cases, load_units
from warehouse.publish import STATE, current_file, publish, request_full
from warehouse.views import VIEWS

KEY = "k"
PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86|0086)?1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside hashes
CASES = """case_id,unit_id,category,completed_at,phone
C1,U1,户籍,2026-10-09 10:00:00,138 1234 5678
C2,U2,社保,2026-10-09 11:00:00,13900001111
X9,U404,社保,2026-10-09 11:00:00,13700002222
"""


def _filled(con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path) -> None:
    load_units(con, units_file)
    path = tmp_path / "c.csv"
    path.write_text(CASES, encoding="utf-8")
    load_cases(con, path, ZoneInfo("Asia/Shanghai"))
    add_do_not_contact(con, ["13600003333"], "asked by phone")


def _open(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def _elsewhere(path: Path, query: str) -> str:
    """The first value of ``query`` read by another process."""
    script = "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True).sql(sys.argv[2]).fetchall()[0][0])"
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), query], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_published_copy_has_views_and_no_raw_phone_anywhere(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = publish(con, tmp_path / "published" / "warehouse.duckdb", KEY).path
    pub = _open(target)
    try:
        views = {
            r[0]
            for r in pub.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
        assert set(VIEWS) <= views
        columns = pub.sql(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE data_type = 'VARCHAR' "
            "AND NOT internal"
        ).fetchall()
        hits = []
        for table, column in columns:
            for (value,) in pub.sql(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall():
                if value and PHONE_LIKE.search(value):
                    hits.append((table, column, value))
        assert hits == []
        masked = pub.sql("SELECT phone_masked, phone_key FROM cases ORDER BY case_id").fetchall()
        assert [m for m, _ in masked] == ["138****5678", "139****1111"]
        expected = hmac.new(KEY.encode(), b"+8613812345678", hashlib.sha256).hexdigest()
        assert masked[0][1] == expected  # a real HMAC-SHA256 with the home's key
        private = pub.sql(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE column_name IN "
            "('phone_raw', 'phone_e164', 'content_hash', 'detail', 'record')"
        ).fetchall()
        assert private == []
    finally:
        pub.close()


def test_the_name_staff_open_is_a_link_to_one_of_two_files(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = tmp_path / "published" / "warehouse.duckdb"
    first = publish(con, target, KEY)
    second = publish(con, target, KEY)
    third = publish(con, target, KEY)
    assert (first.mode, second.mode, third.mode) == ("full", "copied", "incremental")
    assert target.is_symlink()
    assert current_file(target) == target.with_name("warehouse.a.duckdb")
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "warehouse.a.duckdb",
        "warehouse.b.duckdb",
        "warehouse.duckdb",
    ]
    # nothing changed: nothing is copied and nothing rebuilt
    assert third.rebuilt == [] and set(third.rows.values()) == {0}


def test_an_old_regular_copy_is_replaced_by_the_link(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = tmp_path / "published" / "warehouse.duckdb"
    target.parent.mkdir()
    old = duckdb.connect(str(target))
    old.execute("CREATE TABLE cases AS SELECT '+8613812345678' AS phone_e164")
    old.close()
    assert publish(con, target, KEY).mode == "full"
    pub = _open(target)
    assert pub.sql("SELECT count(*) FROM cases").fetchall() == [(2,)]
    pub.close()


def test_reader_in_another_process_while_the_writer_holds_the_live_file(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = publish(con, tmp_path / "published" / "warehouse.duckdb", KEY).path
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.sql('SELECT count(*) FROM cases').fetchall()[0][0])"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True
    )
    publish(con, target, KEY)  # the writer refreshes while the reader runs
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0
    assert out.strip() == "2"
    # the live file stays locked to other processes: staff must use the copy
    live = con.sql(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()[0][0]
    blocked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)",
            live,
        ],
        capture_output=True,
        text=True,
    )
    assert blocked.returncode != 0


def test_a_reader_keeps_the_state_it_opened_even_while_it_holds_the_spare(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = tmp_path / "published" / "warehouse.duckdb"
    publish(con, target, KEY)
    publish(con, target, KEY)
    reader = _open(target)  # holds the current file, which becomes the spare after the next one
    try:
        add_do_not_contact(con, ["13600004444"], "x")
        assert publish(con, target, KEY).mode == "incremental"
        add_do_not_contact(con, ["13600005555"], "x")
        report = publish(con, target, KEY)  # the spare is the reader's file: copied, not written
        assert report.mode == "copied"
        assert reader.sql("SELECT count(*) FROM do_not_contact").fetchall() == [(1,)]
        # (another process: within one, DuckDB hands the instance already open on this name)
        assert _elsewhere(target, "SELECT count(*) FROM do_not_contact") == "3"
    finally:
        reader.close()
    assert not list(target.parent.glob(".*"))  # no temporary file left


READER = r"""
import sys, time, duckdb
path, stop = sys.argv[1], sys.argv[2]
import os
seen = bad = 0
while not os.path.exists(stop):
    try:
        c = duckdb.connect(path, read_only=True)
    except duckdb.Error:
        continue  # between two files (the copy path renames over a name)
    try:
        drawn = c.sql("SELECT coalesce(sum(sampled), 0) FROM day_draws").fetchall()[0][0]
        rows = c.sql("SELECT count(*) FROM samples").fetchall()[0][0]
        seen += 1
        bad += drawn != rows
    finally:
        c.close()
print(seen, bad)
"""


def _settings(tmp_path: Path, **extra: object) -> Settings:
    return load_settings(tmp_path / "home", daily_total=3, min_per_stratum=0, **extra)


def _cases_file(tmp_path: Path, day: date, n: int, first: int = 0) -> Path:
    path = tmp_path / f"cases-{day}-{first}.csv"
    rows = [
        f"{day}-{i},U{1 + i % 2},{'户籍' if i % 3 else '社保'},{day} 10:{i % 60:02d}:00,139{i:08d}"
        for i in range(first, first + n)
    ]
    path.write_text("case_id,unit_id,category,completed_at,phone\n" + "\n".join(rows) + "\n")
    return path


def test_a_reader_never_sees_a_mix_of_two_publishes(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    """Every state a reader opens agrees with itself: the draws it lists are the samples it holds."""
    settings = _settings(tmp_path)
    load_units(con, units_file)
    target = tmp_path / "published" / "warehouse.duckdb"
    publish(con, target, KEY)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(target), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        for k in range(8):
            day = date(2026, 10, 1 + k)
            import_files(con, settings, [_cases_file(tmp_path, day, 20, 100 * k)])
            draw_day(con, settings, day, date(2026, 11, 1))
            publish(con, target, KEY)
    finally:
        stop.touch()
    out, _ = reader.communicate(timeout=60)
    seen, bad = map(int, out.split())
    assert seen > 0 and bad == 0


# --- incremental == full ------------------------------------------------------------------


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    pub = _open(path)
    try:
        names = [
            r[0]
            for r in pub.sql(
                "SELECT table_name FROM duckdb_tables() WHERE table_name <> ? ORDER BY 1",
                params=[STATE],
            ).fetchall()
        ]
        return {n: pub.sql(f"SELECT * FROM {n} ORDER BY ALL").fetchall() for n in names}
    finally:
        pub.close()


def _events(rows: list[tuple[str, str, str, str, dict[str, str]]], at: datetime) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "event_key": [r[0] for r in rows],
            "provider_sid": [None for _ in rows],
            "attempt_id": [r[1] for r in rows],
            "case_id": [r[2] for r in rows],
            "channel": ["sms" for _ in rows],
            "kind": [r[3] for r in rows],
            "occurred_at": [at for _ in rows],
            "detail": [json.dumps(r[4], ensure_ascii=False) for r in rows],
        },
        schema=fieldwork.EVENT_SCHEMA,
    )


def test_incremental_publishes_equal_a_full_publish_after_every_kind_of_change(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    zone = ZoneInfo("Asia/Shanghai")
    day1, day2 = date(2026, 10, 9), date(2026, 10, 10)
    at = datetime(2026, 10, 11, 10, 0, tzinfo=zone)

    def sampled() -> list[str]:
        return [r[0] for r in con.sql("SELECT case_id FROM samples ORDER BY 1").fetchall()]

    def outbox() -> None:
        actions = pl.DataFrame({"case_id": sampled(), "channel": "sms", "step": 1})
        rows = fieldwork.write_outbox(con, actions, "twilio", at)
        ids = rows["attempt_id"].to_list()
        fieldwork.mark_attempts(
            con,
            [(ids[0], "sent", "SM1", None, None, at)]
            + [(i, "failed", None, "21211", "+8613900000001 is not valid", at) for i in ids[1:2]]
            + [(i, "retry", None, "20429", "busy", at) for i in ids[2:]],
        )

    def answers() -> None:
        case = sampled()[0]
        fieldwork.ingest(
            con,
            _events(
                [
                    ("e1", f"{case}:1", case, "answer", {"item": "satisfaction", "value": "2"}),
                    ("e2", f"{case}:1", case, "answer", {"item": "reason", "value": "打13912345678"}),
                    ("e3", f"{sampled()[1]}:1", sampled()[1], "opted_out", {}),
                    ("e4", "?", "NOPE", "answer", {"item": "satisfaction", "value": "5"}),
                ],
                at,
            ),
        )

    def retried() -> None:
        pending = fieldwork.pending_attempts(con)["attempt_id"].to_list()
        fieldwork.mark_attempts(con, [(i, "sent", "SM9", None, None, at) for i in pending])

    def late() -> None:
        import_files(con, settings, [_cases_file(tmp_path, day1, 2, 500)])  # late for a drawn day
        import_files(con, settings, [_cases_file(tmp_path, day2, 8)])

    def corrected() -> None:
        fixed = _cases_file(tmp_path, day2, 1)
        fixed.write_text(fixed.read_text().replace(",U1,", ",U2,"))  # unit corrected
        import_files(con, settings, [fixed])

    def quarantined() -> None:
        bad = con.sql("SELECT * FROM answers WHERE item = 'satisfaction'").pl()
        fieldwork.quarantine_answers(con, bad, "expect_satisfaction_in_range")

    steps: list[Callable[[], object]] = [
        lambda: load_units(con, units_file),
        lambda: import_files(con, settings, [_cases_file(tmp_path, day1, 12)]),
        lambda: add_do_not_contact(con, ["13900000003"], "本人要求 13900000003"),
        lambda: draw_day(con, settings, day1, date(2026, 11, 1)),
        outbox,
        answers,
        retried,
        late,
        corrected,
        lambda: draw_day(con, settings, day2, date(2026, 11, 1)),
        quarantined,
        lambda: add_opt_outs(con, ["13900000007"], "sms", datetime(2000, 1, 1, tzinfo=UTC)),
    ]
    target = tmp_path / "published" / "warehouse.duckdb"
    publish(con, target, KEY)
    for k, step in enumerate(steps):
        step()
        report = publish(con, target, KEY)
        assert report.mode != "full" and report.repaired == [], (k, report)
        reference = publish(con, tmp_path / f"full{k}" / "warehouse.duckdb", KEY).path
        got, want = _tables(target), _tables(reference)
        assert got.keys() == want.keys()
        for name in want:
            assert got[name] == want[name], (k, name)
    assert con.sql("SELECT count(*) FROM case_corrections WHERE applied").fetchall() == [(1,)]
    assert con.sql("SELECT count(*) FROM ineligible WHERE reason = 'late'").fetchall() == [(2,)]


def test_an_unstamped_change_is_repaired_and_named(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = tmp_path / "published" / "warehouse.duckdb"
    publish(con, target, KEY)
    publish(con, target, KEY)
    con.execute("DELETE FROM cases WHERE case_id = 'C2'")  # no writer does this: no stamp
    report = publish(con, target, KEY)
    assert report.repaired == ["cases", "ineligible", "allocations", "samples"]  # the draws follow
    assert _tables(target)["cases"] == _tables(publish(con, tmp_path / "f" / "w.duckdb", KEY).path)["cases"]


def test_a_full_rebuild_can_be_requested_for_changes_in_place(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = tmp_path / "published" / "warehouse.duckdb"
    publish(con, target, KEY)
    publish(con, target, KEY)
    con.execute("UPDATE cases SET phone_e164 = NULL")  # e.g. a retention job, without a stamp
    assert publish(con, target, KEY).rebuilt == []  # not seen: same count, no stamp
    request_full(con, "cases")
    for _ in FILES_BOTH:
        assert "cases" in publish(con, target, KEY).rebuilt
    assert publish(con, target, KEY).rebuilt == []
    pub = _open(target)
    assert pub.sql("SELECT count(phone_key) FROM cases").fetchall() == [(0,)]
    pub.close()


FILES_BOTH = ("a", "b")


def test_views_are_created_once_per_schema_version_and_view_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import db, views

    path = tmp_path / "w.duckdb"
    with db.connect(path) as con:
        con.execute("DROP VIEW v_followups")
    with db.connect(path) as con:  # same text: not created again
        names = {r[0] for r in con.sql("SELECT view_name FROM duckdb_views()").fetchall()}
        assert "v_followups" not in names and "v_sample" in names
    monkeypatch.setitem(views.VIEWS, "v_followups", views.VIEWS["v_followups"] + " ")
    with db.connect(path) as con:
        names = {r[0] for r in con.sql("SELECT view_name FROM duckdb_views()").fetchall()}
        assert "v_followups" in names


def test_an_unreadable_copy_is_rebuilt(
    con: duckdb.DuckDBPyConnection, units_file: Path, tmp_path: Path
) -> None:
    _filled(con, units_file, tmp_path)
    target = tmp_path / "published" / "warehouse.duckdb"
    publish(con, target, KEY)
    publish(con, target, KEY)
    spare = target.with_name("warehouse.a.duckdb")
    assert current_file(target) == target.with_name("warehouse.b.duckdb")
    spare.write_bytes(b"not a database")
    report = publish(con, target, KEY)
    assert report.mode == "copied"
    assert _tables(target) == _tables(publish(con, tmp_path / "f" / "w.duckdb", KEY).path)
    assert os.path.islink(target)
