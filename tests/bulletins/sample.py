"""A realistic month for the bulletin tests, built inline (no warehouse).

:func:`sample_data` gives every field of the 统计通报 (judgement, changes,
categories, reasons, follow-ups, validations, document furniture);
:func:`legacy_data` gives only what ``flows/steps.py::write_bulletin`` passes
today (v_unit_month with a "top" flag and funnel columns, text time in UTC).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime

import polars as pl

from bulletins.model import (
    BulletinData,
    ChannelFieldwork,
    DistrictFigure,
    DocumentInfo,
    Fieldwork,
    IntegritySummary,
    SuiteFailure,
    SuiteOutcome,
)
from minyi import columns as c

TARGETS = {"agency": 0.90, "department": 0.88, "window": 0.93}

# unit_id, name, group, sampled, responded, rate, rank, rank_low, rank_high, evidence, honour
UnitRow = tuple[
    str, str, str, int, int, float, int | None, int | None, int | None, str | None, bool
]
UNITS: list[UnitRow] = [
    ("A1", "区发展改革局", "agency", 80, 60, 0.962, 1, 1, 2, "above", True),
    ("A2", "区市场监管局", "agency", 70, 52, 0.903, 2, 1, 3, "none", False),
    ("A3", "区人力社保局", "agency", 75, 55, 0.871, 3, 2, 3, "none", False),
    ("A4", "区档案馆", "agency", 20, 12, 0.583, None, None, None, None, False),
    ("D1", "区教育局", "department", 90, 70, 0.921, 1, 1, 2, "none", True),
    ("D2", "区住建局", "department", 85, 64, 0.703, 3, 2, 3, "below", False),
    ("D3", "区卫健委", "department", 60, 41, 0.902, 2, 1, 3, "none", False),
    ("W1", "政务大厅不动产窗口", "window", 150, 120, 0.991, 1, 1, 1, "none", True),
    ("W2", "政务大厅社保窗口", "window", 110, 90, 0.933, 2, 2, 3, "none", False),
    ("W3", "政务大厅<税务>窗口", "window", 100, 80, 0.912, 3, 2, 4, "none", False),
]
# a crowded window group: many units with near-equal respondents and rates (labels!)
CROWD = [
    (f"W{k}", f"政务大厅第{k}号综合窗口", "window", 60, 44 + k % 3, 0.90 + (k % 5) * 0.006)
    for k in range(4, 16)
]
CROWD[1] = ("W5", "政务大厅喆堃联办窗口", *CROWD[1][2:])  # hanzi outside GB 2312 (extra_chars.txt)


def _rows() -> list[UnitRow]:
    rows = list(UNITS)
    for k, (uid, name, group, sampled, responded, rate) in enumerate(CROWD):
        rows.append((uid, name, group, sampled, responded, rate, 4 + k, 3, 15, "none", False))
    return rows


def units_frame(month: str, rows: list[UnitRow], shift: float = 0.0) -> pl.DataFrame:
    records = []
    for uid, name, group, sampled, responded, rate, rank, rlo, rhi, ev, honour in rows:
        rate = min(rate + shift, 0.999)
        se = math.sqrt(rate * (1 - rate) / responded)
        records.append(
            {
                c.MONTH: month,
                c.UNIT_ID: uid,
                c.UNIT_NAME: name,
                c.PEER_GROUP: group,
                c.SAMPLED: sampled,
                c.RESPONDED: responded,
                c.RESPONSE_RATE: responded / sampled,
                c.SATISFACTION_RATE: rate,
                c.SE: se,
                c.CI_LOW: max(rate - 1.96 * se, 0.0),
                c.CI_HIGH: min(rate + 1.96 * se, 1.0),
                c.REPORTABLE: responded >= 30,
                c.RANK: rank,
                c.RANK_LOW: rlo,
                c.RANK_HIGH: rhi,
                c.FLAG: ev if ev in ("below", "above") else None,
                c.N_EFF: rate * (1 - rate) / se**2,
                "honour": "top" if honour else None,
            }
        )
    return pl.DataFrame(records)


def judgement(rows: list[UnitRow]) -> pl.DataFrame:
    records = []
    for uid, _, _group, _, responded, rate, rank, rlo, rhi, ev, honour in rows:
        if responded < 30:
            continue
        adjusted = rate - 0.01 if ev != "below" else rate + 0.02
        se = math.sqrt(adjusted * (1 - adjusted) / (responded * 3))
        records.append(
            {
                c.UNIT_ID: uid,
                "months": 3,
                "respondents": responded * 3,
                "estimate": adjusted,
                c.SE: se,
                c.CI_LOW: adjusted - 1.96 * se,
                c.CI_HIGH: min(adjusted + 1.96 * se, 1.0),
                c.RANK: rank,
                c.RANK_LOW: rlo,
                c.RANK_HIGH: rhi,
                "p_below": 0.991 if ev == "below" else 0.012,
                "evidence": ev,
                "honour": "top" if honour else None,
                "p_above": 0.97 if ev == "above" else 0.01,
            }
        )
    return pl.DataFrame(records)


def sample_data(**changes: object) -> BulletinData:
    rows = _rows()
    units = units_frame("2026-11", rows)
    previous = units_frame(
        "2026-10", [r if r[0] != "D3" else (*r[:4], 20, *r[5:]) for r in rows], shift=-0.012
    )
    previous = previous.with_columns(
        pl.when(pl.col(c.UNIT_ID) == "D2")
        .then(pl.col(c.SATISFACTION_RATE) + 0.2)
        .otherwise(pl.col(c.SATISFACTION_RATE))
        .alias(c.SATISFACTION_RATE)
    )
    mix = pl.DataFrame(
        {
            c.UNIT_ID: [u[0] for u in rows for _ in range(3)],
            c.CHANNEL: ["sms", "voice", "manual"] * len(rows),
            c.RESPONDED: [
                n for u in rows for n in (u[4] // 2, u[4] // 3, u[4] - u[4] // 2 - u[4] // 3)
            ],
        }
    )
    funnel = pl.DataFrame({"peer_group": list(TARGETS), "target": list(TARGETS.values())})
    categories = pl.DataFrame(
        {
            c.CATEGORY: ["不动产登记", "社保业务", "税务办理", "户籍办理", "企业开办", "建设审批"],
            "cases": [4200, 3100, 2500, 1500, 800, 380],
            c.SAMPLED: [150, 150, 150, 150, 150, 90],
            c.RESPONDED: [118, 121, 109, 115, 102, 21],
            c.SATISFACTION_RATE: [0.951, 0.932, 0.915, 0.944, 0.901, 0.714],
            c.CI_LOW: [0.91, 0.89, 0.87, 0.90, 0.85, 0.50],
            c.CI_HIGH: [0.98, 0.96, 0.95, 0.97, 0.94, 0.88],
        }
    )
    reasons = pl.DataFrame(
        {
            "theme": ["timeliness", "repeat_visits", "attitude", "waiting", "information", "other"],
            "mentions": [23, 17, 12, 9, 6, 4],
        }
    )
    followups = pl.DataFrame(
        {
            c.UNIT_ID: ["D2", "A3", "W2"],
            "tickets": [14, 5, 3],
            "on_time_rate": [0.714, 1.0, 0.667],
            "overdue": [3, 0, 1],
            "revisit_satisfaction_rate": [0.5, 0.8, None],
        }
    )
    validations = (
        SuiteOutcome("cases", 7, 12_480),
        SuiteOutcome("sample", 6, 3_300),
        SuiteOutcome(
            "responses",
            5,
            1_106,
            (SuiteFailure("ExpectColumnValuesToBeBetween", "answered_at", 2, False),),
        ),
        SuiteOutcome("dispositions", 4, 3_300),
    )
    data = BulletinData(
        month="2026-11",
        district_name="东湖区",
        fieldwork=Fieldwork(
            cases=12_480,
            eligible=9_870,
            sampled=3_300,
            responded=1_106,
            response_rate=0.335,
            channels=(
                ChannelFieldwork("sms", 3_300, 700, 0.212),
                ChannelFieldwork("voice", 2_400, 330, 0.1375),
                ChannelFieldwork("manual", 300, 76, 0.253),
            ),
        ),
        district=DistrictFigure(rate=0.925, ci_low=0.911, ci_high=0.938, responded=1_106),
        units=units,
        funnel=funnel,
        channel_mix=mix,
        previous=previous,
        integrity=IntegritySummary(reports=3, units_with_reports=2, dissatisfied_followups=27),
        validation_ok=True,
        data_docs_path="../../data_docs/index.html",
        generated_at="ignored when generated is given",
        generated=datetime(2026, 12, 3, 1, 5, tzinfo=UTC),
        document=DocumentInfo(
            issuer="东湖区民意访评中心",
            doc_prefix="东民评",
            doc_serial=11,
            signer="王建国",
            copy_to="区委办公室，区政府办公室，区纪委监委",
        ),
        judgement=judgement(rows),
        district_previous=DistrictFigure(0.901, 0.886, 0.915, 1_050),
        district_year_ago=DistrictFigure(0.921, 0.906, 0.935, 990),
        categories=categories,
        reasons=reasons,
        followups=followups,
        complaints=6,
        validations=validations,
        problems_text="部分窗口午间时段人员不足，群众等候时间较长。",
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def legacy_data() -> BulletinData:
    """What the current caller builds: no new fields, a legacy "top" flag, UTC text time."""
    units = units_frame("2026-11", list(UNITS))
    units = units.with_columns(
        pl.when(pl.col("honour") == "top")
        .then(pl.lit("top"))
        .otherwise(pl.col(c.FLAG))
        .alias(c.FLAG),
        pl.lit(0.8).alias("funnel_low"),
        pl.lit(0.99).alias("funnel_high"),
    ).drop("honour")
    full = sample_data()
    funnel = full.funnel.with_columns(
        pl.lit(0.0).alias("tau2"), pl.lit(1.0).alias("phi"), pl.lit(3.09).alias("z")
    )
    return BulletinData(
        month=full.month,
        district_name=full.district_name,
        fieldwork=full.fieldwork,
        district=full.district,
        units=units,
        funnel=funnel,
        channel_mix=full.channel_mix,
        previous=None,
        integrity=full.integrity,
        validation_ok=True,
        data_docs_path="../../data_docs/index.html",
        generated_at="2026-12-03 01:05 UTC",
    )


ISSUED = date(2026, 12, 3)
