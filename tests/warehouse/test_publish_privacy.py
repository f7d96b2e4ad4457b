"""A month with every error path leaves no mobile number in the staff copy or any file of the home.

The real ``twilio`` client talks to the local Twilio emulator, whose signed
callbacks reach the real webhook receiver on loopback: Twilio refuses numbers
with 21211, 21614 and 21610 (error texts quoting the number), one person replies
退订, one gives a reason quoting a number, a cases file has a row with shifted
columns, a do-not-contact reason quotes a number. Then the month is closed and
its bulletin written. Everything under the home is scanned, except the live
warehouse, the landing store and ``secrets/``, which hold numbers by design.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from channels import clock
from channels.landing import LandingStore
from channels.twilio.receiver import create_app
from demo.twilio_emulator import Emulator, Scripted, bind_loopback, run_in_thread, url_of
from flows import contact, month
from flows.intake import draw_day, import_files
from flows.publish import publish_report
from flows.wiring import make_provider, open_warehouse
from minyi.settings import load_settings
from warehouse.contacts import add_do_not_contact
from warehouse.loaders import load_units

ACCOUNT, TOKEN = "AC" + "7" * 32, "privacy-token"
ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 10, 12)
MOBILE = re.compile(rb"(?<![0-9])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])")
HEX = re.compile(rb"[0-9a-fA-F]{32,}")

PEOPLE = {
    "+8613900000001": Scripted(sms=["1", "没有", "2", "请打13912345678找我，别打这个 139 8765 4321"]),
    "+8613900000002": Scripted(sms=["5", "没有", "4"]),
    "+8613900000003": Scripted(sms=["退订"]),
    "+8613900000004": Scripted(sms=["4", "有", "3"]),
}
ERRORS = {
    "+8613900000005": (400, 21211),
    "+8613900000006": (400, 21614),
    "+8613900000007": (400, 21610),
}


def _cases(path: Path) -> Path:
    rows = [f"P{i:02d},U{1 + i % 2},户籍,{DAY} 10:{i:02d}:00,1390000{i:04d}" for i in range(1, 9)]
    rows.append(f"P99,U1,{DAY} 11:00:00,户籍,13912340000")  # shifted columns: quarantined
    path.write_text("case_id,unit_id,category,completed_at,phone\n" + "\n".join(rows) + "\n")
    return path


def _mobiles(data: bytes) -> list[bytes]:
    hexes = [m.span() for m in HEX.finditer(data)]
    return [
        m.group()
        for m in MOBILE.finditer(data)
        if not any(a <= m.start() and m.end() <= b for a, b in hexes)
    ]


def _contents(path: Path) -> Iterator[bytes]:
    """The file's bytes, and what its compressed parts hold (xlsx members, PDF streams)."""
    data = path.read_bytes()
    yield data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield archive.read(name)
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            yield zlib.decompress(stream)
        except zlib.error:
            continue


def test_a_month_with_every_error_path_publishes_no_mobile_number(tmp_path: Path) -> None:
    home = tmp_path / "home"
    units = tmp_path / "units.csv"
    units.write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\nU2,乙局,agency\n", encoding="utf-8")
    sock = bind_loopback()
    public = url_of(sock)
    emulator = Emulator(account_sid=ACCOUNT, auth_token=TOKEN, people=PEOPLE, errors=ERRORS)
    settings = load_settings(
        home,
        daily_total=8,
        min_per_stratum=0,
        messages_per_second=1000,
        provider="twilio",
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_from_number="+15005550006",
        public_url=public,
    )
    receiver = create_app(auth_token=TOKEN, public_url=public, landing_path=settings.landing_path)
    at = datetime(2026, 10, 13, 10, 0, tzinfo=ZONE)
    with run_in_thread(receiver, sock), run_in_thread(emulator.app) as api_url:
        emulator.sms_url = public + "/twilio/sms"
        settings = settings.model_copy(update={"twilio_api_url": api_url})
        with open_warehouse(settings) as con, LandingStore(settings.landing_path) as landing:
            load_units(con, units)
            import_files(con, settings, [_cases(tmp_path / "cases.csv")])
            add_do_not_contact(con, ["13900000008"], "市民来电 13900000008 要求不再联系")
            assert draw_day(con, settings, DAY, DAY.replace(day=20)).sampled == 7
            provider = make_provider(settings, landing, "real")
            clock.hold(at)
            try:
                report = contact.dispatch(con, settings, provider, landing, at, at)
                assert emulator.wait_idle(20)
                contact.ingest(con, landing, at.replace(hour=12))
                # the next round: the person who replied 退订 is not contacted again
                later = at.replace(day=14, hour=11)
                clock.hold(later)
                contact.dispatch(con, settings, provider, landing, later, later)
                assert emulator.wait_idle(20)
                contact.ingest(con, landing, later.replace(hour=12))
            finally:
                clock.hold(None)
            assert report.failed == 3
            codes = {r[0] for r in con.sql("SELECT error_code FROM outbox WHERE status = 'failed'").fetchall()}
            assert codes == {"21211", "21614", "21610"}
            assert con.sql("SELECT count(*) FROM opt_outs").fetchall() == [(1,)]
            assert con.sql("SELECT count(*) FROM answers WHERE item = 'reason'").fetchall() == [(1,)]
            assert con.sql("SELECT count(*) FROM quarantine WHERE source = 'cases'").fetchall() == [(1,)]
            cutoff = datetime(2026, 11, 5, 18, 0, tzinfo=ZONE)
            closed = month.close_month(con, settings, "2026-10", cutoff)
            if not closed.blocking_failed:
                month.write_bulletin(con, settings, "2026-10")
            publish_report(con, settings)
            publish_report(con, settings)  # both files of the copy
    assert emulator.callback_failures == []

    # every text column of both published files
    published = sorted(settings.published_path.parent.glob("*.duckdb"))
    assert len(published) == 3  # the name staff open and the two files it points between
    hits: list[tuple[str, str, str, str]] = []
    for path in published:
        pub = duckdb.connect(str(path), read_only=True)
        try:
            columns = pub.sql(
                "SELECT table_name, column_name FROM duckdb_columns() "
                "WHERE data_type = 'VARCHAR' AND NOT internal"
            ).fetchall()
            assert len(columns) > 50
            for table, column in columns:
                for (value,) in pub.sql(f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall():
                    if value and _mobiles(value.encode()):
                        hits.append((path.name, table, column, value))
        finally:
            pub.close()
    assert hits == []

    # every file under the home but the live warehouse, the landing store and the secrets
    exempt = {settings.warehouse_path, settings.landing_path}
    scanned, found = 0, []
    for path in sorted(home.rglob("*")):
        if not path.is_file() or path.relative_to(home).parts[0] == "secrets":
            continue
        if any(path == e or path.name.startswith(e.name + "-") or path.name == e.name + ".wal" for e in exempt):
            continue
        scanned += 1
        for blob in _contents(path):
            found += [(str(path.relative_to(home)), m) for m in _mobiles(blob)]
    assert scanned > 5
    assert {"bulletin.pdf", "units.xlsx", "conduct.csv", "index.html"} <= {
        p.name for p in home.rglob("*")
    }
    assert found == []
    # the reason was published without its text, the error texts masked
    pub = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        assert pub.sql("SELECT count(value) FROM answers WHERE item = 'reason'").fetchall() == [(0,)]
        messages = {r[0] for r in pub.sql("SELECT error_message FROM outbox WHERE error_message IS NOT NULL").fetchall()}
        assert any("139****0005" in m for m in messages), messages
    finally:
        pub.close()
