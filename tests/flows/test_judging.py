"""The month's judgement in the warehouse: windows over closed months, flags and 十佳 in
``v_unit_month``, changes, integrity rates, and one cut-off (a late answer changes nothing).

Runs the stages directly on a real DuckDB warehouse (no Prefect): two months of a small
district, answers loaded as the receiver would, each month closed at its cut-off.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows import judging
from flows import month as month_stage
from flows.intake import draw_day, import_files
from flows.wiring import open_warehouse
from minyi.settings import Settings, load_settings
from warehouse.fieldwork import EVENT_SCHEMA, ingest
from warehouse.loaders import load_units

UNITS = ["A1", "A2", "A3", "A4", "A5", "W1", "W2", "W3", "W4", "W5"]
# satisfied share per unit and month: A1 is poor throughout, W1 falls in November
RATES = {u: {"2026-10": 0.9, "2026-11": 0.9} for u in UNITS}
RATES["A1"] = {"2026-10": 0.35, "2026-11": 0.35}
RATES["A2"] = {"2026-10": 0.97, "2026-11": 0.97}
RATES["W1"] = {"2026-10": 0.9, "2026-11": 0.45}
DAYS = {
    "2026-10": [date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)],
    "2026-11": [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)],
}
CUTOFF = {
    "2026-10": datetime(2026, 11, 5, 8, tzinfo=UTC),
    "2026-11": datetime(2026, 12, 3, 8, tzinfo=UTC),
}
PER_UNIT_DAY = 14  # cases per unit and day, in two categories; all sampled (take-all)


def _units(tmp_path: Path) -> Path:
    path = tmp_path / "units.csv"
    rows = ["unit_id,unit_name,unit_kind"]
    rows += [f"{u},{u}单位,{'agency' if u[0] == 'A' else 'window'}" for u in UNITS]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _cases(tmp_path: Path, day: date) -> Path:
    rows = ["case_id,unit_id,category,completed_at,phone"]
    for k, unit in enumerate(UNITS):
        for i in range(PER_UNIT_DAY):
            serial = (day.toordinal() % 1000) * 10_000 + k * 100 + i
            rows.append(
                f"{day:%m%d}-{unit}-{i:02d},{unit},类别{i % 2},{day} 10:00:00,139{serial:08d}"
            )
    path = tmp_path / f"cases-{day}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _answers(con: duckdb.DuckDBPyConnection, month: str) -> None:
    """Every sampled case of the month answers except each unit's last two of a day: the unit's
    satisfied share by RATES (level 4, else 2), on SMS; every tenth reports 吃拿卡要."""
    cases = con.sql(
        "SELECT case_id, unit_id, sample_date FROM v_sample "
        "WHERE strftime(sample_date, '%Y-%m') = $m ORDER BY case_id",
        params={"m": month},
    ).fetchall()
    events = []
    for case_id, unit, day in cases:
        i = int(case_id[-2:])
        if i >= PER_UNIT_DAY - 2:
            continue
        satisfied = i < round(RATES[unit][month] * (PER_UNIT_DAY - 2))  # see _share
        at = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=2)
        for item, value in (("satisfaction", "4" if satisfied else "2"), ("integrity", "yes" if i % 10 == 0 else "no")):
            events.append(_event(case_id, item, value, at))
    ingest(con, pl.DataFrame(events, schema=EVENT_SCHEMA, orient="row"))


def _share(rate: float) -> float:
    """The satisfied share a unit's answers have for a RATES value."""
    return round(rate * (PER_UNIT_DAY - 2)) / (PER_UNIT_DAY - 2)


def _event(case_id: str, item: str, value: str, at: datetime) -> tuple[object, ...]:
    return (
        f"{case_id}:{item}",
        None,
        None,
        case_id,
        "sms",
        "answer",
        at,
        json.dumps({"item": item, "value": value}),
    )


def _district(tmp_path: Path) -> Settings:
    settings = load_settings(
        tmp_path / "home",
        daily_total=1000,
        min_per_stratum=1,
        min_respondents=20,
        randomised_share=0.0,
    )
    with open_warehouse(settings) as con:
        load_units(con, _units(tmp_path))
        for month, days in DAYS.items():
            for day in days:
                import_files(con, settings, [_cases(tmp_path, day)])
                draw_day(con, settings, day, day + timedelta(days=1))
            _answers(con, month)
            month_stage.close_month(con, settings, month, CUTOFF[month])
    return settings


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _district(tmp_path_factory.mktemp("judging"))


def test_windows_pool_the_closed_months() -> None:
    settings = load_settings(Path("/nonexistent"), evidence_months=3, last_months=6)
    closed = {"2025-12", "2026-01", "2026-02", "2026-04"}
    w = judging.windows(settings, "2026-04", closed)
    assert w.evidence == ("2026-02", "2026-04")  # 2026-03 not closed
    assert w.honour == ("2026-01", "2026-02", "2026-04")  # the calendar year so far
    assert w.last == ("2025-12", "2026-01", "2026-02", "2026-04")  # six months back
    assert w.channels == ("2025-12", "2026-01", "2026-02", "2026-04")
    half = judging.windows(load_settings(Path("/nonexistent"), honour_months=6), "2026-08", {"2026-06", "2026-07", "2026-08"})
    assert half.honour == ("2026-07", "2026-08")  # the second half-year


def test_the_judgement_pools_months_and_marks_the_month(district: Settings) -> None:
    con = duckdb.connect(str(district.warehouse_path), read_only=True)
    try:
        judged = con.sql(
            "SELECT purpose, unit_id, months, first_month, last_month, respondents, evidence, "
            "honour, last FROM v_unit_judgement WHERE month = '2026-11' ORDER BY purpose, unit_id"
        ).pl()
        month = con.sql(
            "SELECT unit_id, reportable, rank, rank_low, rank_high, flag, honour, integrity_rate "
            "FROM v_unit_month WHERE month = '2026-11' ORDER BY unit_id"
        ).pl()
        october = con.sql(
            "SELECT unit_id, flag FROM v_unit_month WHERE month = '2026-10' AND flag IS NOT NULL "
            "ORDER BY unit_id"
        ).fetchall()
        changes = con.sql(
            "SELECT unit_id, comparison, base_month, change, significant FROM v_unit_changes "
            "WHERE month = '2026-11' ORDER BY unit_id"
        ).pl()
    finally:
        con.close()
    assert set(judged["purpose"]) == {"evidence", "honour", "last"}
    # every window of November holds October and November: two months pooled
    assert (judged["months"] == 2).all() and (judged["first_month"] == "2026-10").all()
    assert (judged["respondents"] == 2 * 3 * (PER_UNIT_DAY - 2)).all()
    # 末位 needs three pooled months: none yet, A1's evidence notwithstanding
    assert not judged["last"].any()
    evidence = judged.filter(pl.col("purpose") == "evidence")
    # A1 is poor throughout; W1's fall pools to 0.675 against peers at 0.9
    assert evidence.filter(pl.col("evidence") == "below")["unit_id"].to_list() == ["A1", "W1"]
    # v_unit_month carries the evidence window's marks
    assert month.filter(pl.col("flag") == "below")["unit_id"].to_list() == ["A1", "W1"]
    assert month["reportable"].all() and month["rank"].is_not_null().all()
    assert (month["rank_low"] <= month["rank"]).all() and (month["rank"] <= month["rank_high"]).all()
    honoured = judged.filter((pl.col("purpose") == "honour") & pl.col("honour"))["unit_id"]
    assert month.filter(pl.col("honour") == "top")["unit_id"].to_list() == honoured.to_list()
    # October alone already shows A1 (and A2 well above a mean pulled down by A1), not W1
    assert october == [("A1", "below"), ("A2", "above")]
    # W1 fell 45 points from October: a significant month-on-month change; A1 did not change
    w1 = changes.filter(pl.col("unit_id") == "W1").row(0, named=True)
    assert w1["comparison"] == "month_on_month" and w1["base_month"] == "2026-10"
    assert w1["change"] == pytest.approx(_share(0.45) - _share(0.9)) and w1["significant"]
    a1 = changes.filter(pl.col("unit_id") == "A1").row(0, named=True)
    assert a1["change"] == pytest.approx(0.0) and not a1["significant"]
    # integrity: every tenth answer reports, all π = 1 here, so the rate is the plain share
    assert month["integrity_rate"].to_list() == pytest.approx([2 / 12] * len(UNITS))


def test_the_bulletin_gets_the_judgement_and_the_changes(district: Settings) -> None:
    with open_warehouse(district) as con:
        data, _ = month_stage._bulletin_data(con, district, "2026-11")
    assert data.judgement is not None and data.changes is not None
    assert data.delta == district.judge_delta
    row = data.judgement.filter(pl.col("unit_id") == "A1").row(0, named=True)
    assert row["evidence"] == "below" and row["months"] == 2 and row["p_below"] >= 0.95
    assert set(data.judgement["honour"].drop_nulls()) <= {"top"}
    assert set(data.changes["comparison"]) == {"mom"}


def test_a_late_answer_changes_no_rerender_and_no_reclose(district: Settings) -> None:
    with open_warehouse(district) as con:
        before, _ = month_stage._bulletin_data(con, district, "2026-11")
        stored = con.sql("SELECT * FROM unit_judgement ORDER BY ALL").pl()
        # a November case that never answered answers after the cut-off, dissatisfied
        late_case = con.sql(
            "SELECT case_id FROM v_sample WHERE unit_id = 'A2' AND sample_date = DATE '2026-11-18' "
            "AND case_id NOT IN (SELECT case_id FROM answers) ORDER BY case_id LIMIT 1"
        ).fetchall()[0][0]
        late = CUTOFF["2026-11"] + timedelta(hours=1)
        ingest(con, pl.DataFrame([_event(late_case, "satisfaction", "1", late)], schema=EVENT_SCHEMA, orient="row"))
        after, _ = month_stage._bulletin_data(con, district, "2026-11")
        month_stage.close_month(con, district, "2026-11", CUTOFF["2026-11"])
        reclosed = con.sql("SELECT * FROM unit_judgement ORDER BY ALL").pl()
        again, _ = month_stage._bulletin_data(con, district, "2026-11")
    for frame in ("judgement", "changes", "units"):
        assert_frame_equal(getattr(before, frame), getattr(after, frame))
        assert_frame_equal(getattr(before, frame), getattr(again, frame))
    assert_frame_equal(stored, reclosed)


def test_the_bulletin_gets_last_place_and_the_channel_effects(
    district: Settings, tmp_path: Path
) -> None:
    from bulletins.render import render_html
    from warehouse import monthly

    with open_warehouse(district) as con:
        data, _ = month_stage._bulletin_data(con, district, "2026-11")
    assert data.judgement is not None
    # two months pooled: the 末位 window judges every unit and marks none
    assert data.judgement["last"].dtype == pl.Boolean and data.judgement["last"].not_().all()
    assert data.channel_effects is None  # no randomised share, no effects
    # on a copy of the warehouse: A1 marked 末位, channel effects stored at the close
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(district.warehouse_path.read_bytes())
    con = duckdb.connect(str(copy))
    try:
        con.execute(
            "UPDATE unit_judgement SET last = (unit_id = 'A1') "
            "WHERE month = '2026-11' AND purpose = 'last'"
        )
        monthly.store_channel_effects(
            con,
            "2026-11",
            pl.DataFrame(
                {
                    "channel": ["sms", "voice"],
                    "first_month": ["2026-10"] * 2,
                    "last_month": ["2026-11"] * 2,
                    "respondents": [40, 35],
                    "channel_effect": [0.0, 0.31],
                    "se": [0.0, 0.2],
                    "reference": [True, False],
                }
            ),
        )
        planted, _ = month_stage._bulletin_data(con, district, "2026-11")
    finally:
        con.close()
    assert planted.judgement is not None and planted.channel_effects is not None
    last = planted.judgement.filter(pl.col("last"))["unit_id"].to_list()
    assert last == ["A1"] and planted.judgement.height == data.judgement.height
    assert planted.channel_effects.sort("channel").select(
        "channel", "respondents", "channel_effect", "reference"
    ).rows() == [("sms", 40, 0.0, True), ("voice", 35, 0.31, False)]
    html = render_html(planted)
    assert '<span class="badge tone-last">◆末位</span>' in html and "末位：A1单位。" in html
    assert "访评方式效应</caption>" in html and "（2026年10月至2026年11月）" in html
