"""A seeded synthetic district for the demo: units, categories, a month of completed cases.

About 40 units in three peer groups (agencies, departments, service windows),
12 case categories of very unequal volume, ~1,500 completed cases per working
day (fewer on weekends and holidays) with phone numbers in the messy shapes a
case system exports: a few landlines, blanks and garbage, repeat customers,
and numbers that opted out earlier. Each unit has a true satisfaction level;
the simulated people answer from it, so the demo's estimates can be checked
against the truth.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from channels.hours import is_working_day
from sampling.random_state import generator

CATEGORIES = (
    ("户籍办理", 0.24),
    ("社保参保", 0.17),
    ("医保报销", 0.12),
    ("营业执照", 0.09),
    ("不动产登记", 0.08),
    ("税务申报", 0.07),
    ("公积金提取", 0.06),
    ("出入境证件", 0.05),
    ("建设工程审批", 0.04),
    ("食品经营许可", 0.035),
    ("劳动仲裁", 0.02),
    ("殡葬服务", 0.015),
)
_AGENCIES = (
    "公安分局",
    "市场监管局",
    "税务局",
    "自然资源局",
    "住建局",
    "生态环境局",
    "交通运输局",
    "卫健委",
    "应急管理局",
    "城管执法局",
    "司法局",
    "人防办",
)
_DEPARTMENTS = (
    "人社局",
    "医保局",
    "民政局",
    "教育局",
    "农业农村局",
    "水利局",
    "商务局",
    "文旅局",
    "退役军人局",
    "统计局",
    "信访局",
    "科技局",
    "财政局",
    "审计局",
    "林业局",
    "粮食局",
)
_WINDOWS = tuple(f"政务服务中心{i}号窗口" for i in range(1, 13))


PLANTED = ("A03", "W07")  # units planted clearly below their peers (true rate 0.62)
PLANTED_MIN_VOLUME = 1.5  # their relative case volume at least (the median unit has ~1.2)


@dataclass(frozen=True)
class District:
    units: pl.DataFrame  # unit_id, unit_name, unit_kind, peer_group, true_p, volume
    categories: tuple[str, ...]


def build_district(seed: int) -> District:
    """Units with true satisfaction levels that differ; a few clearly weaker or stronger."""
    rng = generator(seed, "district")
    rows = []
    for kind, names, prefix in (
        ("agency", _AGENCIES, "A"),
        ("department", _DEPARTMENTS, "D"),
        ("window", _WINDOWS, "W"),
    ):
        for i, name in enumerate(names, start=1):
            true_p = float(np.clip(rng.beta(40, 5), 0.76, 0.985))
            rows.append(
                (
                    f"{prefix}{i:02d}",
                    f"示范区{name}" if kind != "window" else name,
                    kind,
                    kind,
                    true_p,
                    float(rng.lognormal(0.0, 0.8)),
                )
            )
    units = pl.DataFrame(
        rows,
        schema=["unit_id", "unit_name", "unit_kind", "peer_group", "true_p", "volume"],
        orient="row",
    )
    # two units clearly below their peers, so the bulletin has something real to flag; with
    # the cases of an ordinary unit at least (A03's drawn volume is the district's second
    # smallest: ~50 answers a month, too few for one month to tell 27 points from chance,
    # see studies/README.md), so that the demo's single month can show it
    planted = pl.col("unit_id").is_in(list(PLANTED))
    units = units.with_columns(
        pl.when(planted).then(0.62).otherwise(pl.col("true_p")).alias("true_p"),
        pl.when(planted)
        .then(pl.max_horizontal(pl.col("volume"), pl.lit(PLANTED_MIN_VOLUME)))
        .otherwise(pl.col("volume"))
        .alias("volume"),
    )
    return District(units, tuple(c for c, _ in CATEGORIES))


def _citizens(seed: int) -> np.ndarray:
    """The district's mobile numbers (11 digits, no prefix)."""
    rng = generator(seed, "citizens")
    return np.array([f"1{rng.integers(3, 10)}{rng.integers(0, 10**9):09d}" for _ in range(40000)])


def _phone_text(rng: np.random.Generator, number: str) -> str:
    shape = rng.random()
    if shape < 0.55:
        return number
    if shape < 0.75:
        return f"+86 {number[:3]} {number[3:7]} {number[7:]}"
    if shape < 0.88:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if shape < 0.95:
        return "0086" + number
    return number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def month_cases(
    district: District, month: str, seed: int, zone: ZoneInfo, per_day: int = 1500
) -> dict[date, pl.DataFrame]:
    """The month's completed cases by day, as the case system would export them."""
    rng = generator(seed, "cases", month)
    year, mon = (int(p) for p in month.split("-"))
    days = [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]
    citizens = _citizens(seed)
    cat_p = np.array([w for _, w in CATEGORIES])
    cat_p = cat_p / cat_p.sum()
    units = district.units
    # each unit handles a few categories
    handles = {
        u: set(rng.choice(len(CATEGORIES), size=int(rng.integers(2, 5)), replace=False).tolist())
        for u in units["unit_id"].to_list()
    }
    volume = dict(zip(units["unit_id"].to_list(), units["volume"].to_list(), strict=True))
    by_category = {}
    for k in range(len(CATEGORIES)):
        ids = [u for u, cats in handles.items() if k in cats] or [units["unit_id"][k]]
        w = np.array([volume[u] for u in ids])
        by_category[k] = (ids, w / w.sum())
    out: dict[date, pl.DataFrame] = {}
    serial = 0
    for day in days:
        n = int(rng.poisson(per_day if is_working_day(day) else per_day * 0.15))
        cats = rng.choice(len(CATEGORIES), size=n, p=cat_p)
        rows = []
        for k in cats:
            serial += 1
            ids, w = by_category[int(k)]
            unit = ids[int(rng.choice(len(ids), p=w))]
            minute = int(rng.integers(8 * 60 + 30, 17 * 60 + 30))
            local = datetime(
                day.year,
                day.month,
                day.day,
                minute // 60,
                minute % 60,
                int(rng.integers(0, 60)),
                tzinfo=zone,
            )
            stamp = local.strftime("%Y-%m-%d %H:%M:%S") if rng.random() < 0.7 else local.isoformat()
            kind = rng.random()
            if kind < 0.02:
                phone = ""
            elif kind < 0.04:
                phone = f"0{rng.integers(10, 99)}-{rng.integers(1000000, 99999999)}"
            elif kind < 0.05:
                phone = str(rng.integers(1000, 999999))
            else:
                phone = _phone_text(
                    rng,
                    str(
                        citizens[int(rng.zipf(1.3)) % len(citizens)]
                        if rng.random() < 0.08
                        else rng.choice(citizens)
                    ),
                )
            rows.append(
                (
                    f"{day:%Y%m%d}-{serial:06d}",
                    unit,
                    CATEGORIES[int(k)][0],
                    stamp,
                    phone,
                    f"H{rng.integers(1, 400):03d}",
                )
            )
        frame = pl.DataFrame(
            rows,
            schema=["case_id", "unit_id", "category", "completed_at", "phone", "handler_id"],
            orient="row",
        )
        # the case system sometimes exports a row twice
        out[day] = pl.concat([frame, frame.sample(n=min(3, frame.height), seed=serial)])
    return out


DEMO_DIR = "demo"
EXPORTS = "demo/exports"  # the case system's daily files, dropped into the inbox day by day
UNITS_FILE = "demo/units.csv"
OPTED_OUT_FILE = "demo/opted_out.txt"


def write_demo_inputs(
    home: Path, month: str, seed: int, zone: ZoneInfo, per_day: int = 1500
) -> tuple[Path, dict[date, Path], list[str]]:
    """Write the units file, one cases CSV per day, the numbers that opted out earlier and the
    truth files under ``<home>/demo/``; returns the units path, the day files and the numbers."""
    district = build_district(seed)
    exports = home / EXPORTS
    exports.mkdir(parents=True, exist_ok=True)
    units_path = home / UNITS_FILE
    district.units.select("unit_id", "unit_name", "unit_kind", "peer_group").write_csv(units_path)
    files: dict[date, Path] = {}
    truth = []
    p = dict(
        zip(district.units["unit_id"].to_list(), district.units["true_p"].to_list(), strict=True)
    )
    for day, frame in month_cases(district, month, seed, zone, per_day).items():
        path = exports / f"cases-{day.isoformat()}.csv"
        frame.write_csv(path)
        files[day] = path
        truth.append(
            frame.select(
                "case_id", pl.col("unit_id").replace_strict(p, return_dtype=pl.Float64).alias("p")
            )
        )
    pl.concat(truth).unique("case_id").write_parquet(home / DEMO_DIR / "truth.parquet")
    district.units.write_parquet(home / DEMO_DIR / "units_truth.parquet")
    rng = generator(seed, "opt-outs")
    opted = ["+86" + n for n in rng.choice(_citizens(seed), size=60, replace=False).tolist()]
    (home / OPTED_OUT_FILE).write_text("\n".join(opted) + "\n", encoding="utf-8")
    return units_path, files, opted


def demo_clock(day: date, zone: ZoneInfo) -> list[datetime]:
    """The dispatcher rounds that follow a day: the next day at 09:30, 14:30 and 19:30."""
    nxt = day + timedelta(days=1)
    return [datetime(nxt.year, nxt.month, nxt.day, h, 30, tzinfo=zone) for h in (9, 14, 19)]
