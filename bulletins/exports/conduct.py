"""``conduct.csv`` / ``conduct.xlsx``: the assessment office's file (CONTRACT.md "Conduct export").

One row per unit of the bulletin, in the CONTRACT's order: ``unit_id``,
``unit_name``, ``peer_group``, ``months``, ``respondents``, ``estimate``, ``se``,
``ci_low``, ``ci_high``, ``rank``, ``rank_low``, ``rank_high``, ``p_below``,
``evidence``, ``honour`` — the bulletin's own judgement (:func:`bulletins.frames.judged`),
so the office ranks on exactly the figure the bulletin compares — then the
points and veto columns of :data:`POINT_COLUMNS`:

* ``index_points`` = estimate · weight · total, with ``points_low``/``points_high``
  from the interval bounds (the uncertainty carried into the assessment);
* ``veto`` / ``veto_items``: verified 一票否决 items of the month (codes of
  ``conduct.toml``); ``conduct_points`` = the veto score when vetoed, else
  ``index_points``; empty when the unit has too few respondents;
* ``month`` and ``config_version``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from bulletins import i18n
from bulletins.exports.cells import Column, csv_bytes, xlsx_bytes
from bulletins.frames import JUDGED_COLUMNS, check_data, generated_local, judged
from bulletins.model import (
    ESTIMATE,
    EVIDENCE,
    HONOUR,
    MONTHS,
    P_BELOW,
    RESPONDENTS,
    BulletinData,
)
from minyi import columns as c

DEFAULT_CONFIG: Final = Path(__file__).with_name("conduct.toml")
ITEM: Final = "item"
INDEX_POINTS: Final = "index_points"
POINTS_LOW: Final = "points_low"
POINTS_HIGH: Final = "points_high"
VETO: Final = "veto"
VETO_ITEMS: Final = "veto_items"
CONDUCT_POINTS: Final = "conduct_points"
CONFIG_VERSION: Final = "config_version"
POINT_COLUMNS: Final = (
    INDEX_POINTS,
    POINTS_LOW,
    POINTS_HIGH,
    VETO,
    VETO_ITEMS,
    CONDUCT_POINTS,
    c.MONTH,
    CONFIG_VERSION,
)
COLUMNS: Final = (*JUDGED_COLUMNS, *POINT_COLUMNS)
"""conduct.csv's columns, in order (stable: the office's import depends on them)."""


class ConductError(ValueError):
    """Bad conduct settings or inputs. Terminal; carries ``what`` and ``reason``."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"conduct export: {what} {reason}")


@dataclass(frozen=True)
class VetoItem:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class ConductConfig:
    """The settings of ``conduct.toml`` (see the comments there)."""

    version: str
    weight: float
    total: float
    min_respondents: int
    veto_score: float
    veto_items: tuple[VetoItem, ...]

    def __post_init__(self) -> None:
        if not self.version:
            raise ConductError("version", "is empty")
        if not 0 < self.weight <= 1:
            raise ConductError("points.weight", f"must be in (0, 1], got {self.weight}")
        if self.total <= 0:
            raise ConductError("points.total", f"must be > 0, got {self.total}")
        if self.min_respondents < 1:
            raise ConductError("points.min_respondents", "must be >= 1")
        codes = [v.code for v in self.veto_items]
        if len(set(codes)) != len(codes):
            raise ConductError("veto.items", "repeat a code")


def load_config(path: Path | str | None = None) -> ConductConfig:
    """Read a conduct TOML (default: the packaged ``exports/conduct.toml``)."""
    raw = tomllib.loads(Path(path or DEFAULT_CONFIG).read_text(encoding="utf-8"))
    try:
        points: dict[str, Any] = raw["points"]
        veto: dict[str, Any] = raw.get("veto", {})
        return ConductConfig(
            version=str(raw["version"]),
            weight=float(points["weight"]),
            total=float(points["total"]),
            min_respondents=int(points.get("min_respondents", 30)),
            veto_score=float(veto.get("score", 0)),
            veto_items=tuple(
                VetoItem(str(i["code"]), str(i.get("zh", "")), str(i.get("en", "")))
                for i in veto.get("items", [])
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ConductError):
            raise
        raise ConductError("config", f"is malformed: {exc!r}") from exc


def conduct_frame(
    data: BulletinData, vetoes: pl.DataFrame | None, config: ConductConfig
) -> pl.DataFrame:
    """One row per unit with :data:`COLUMNS` (see the module doc).

    ``vetoes``: ``unit_id``, ``item`` (a configured code). Raises ConductError for
    a missing column, a unit not in the bulletin or an unknown item.
    """
    check_data(data)
    base = judged(data).drop("adjusted")
    vetoes = (
        pl.DataFrame(schema={c.UNIT_ID: pl.String, ITEM: pl.String}) if vetoes is None else vetoes
    )
    for col in (c.UNIT_ID, ITEM):
        if col not in vetoes.columns:
            raise ConductError("vetoes", f"lack column {col!r}")
    strangers = sorted(set(vetoes[c.UNIT_ID].to_list()) - set(base[c.UNIT_ID].to_list()))
    if strangers:
        raise ConductError("vetoes", f"name units not in the bulletin: {strangers[:5]}")
    unknown = sorted(set(vetoes[ITEM].to_list()) - {v.code for v in config.veto_items})
    if unknown:
        raise ConductError("vetoes", f"name items not configured: {unknown}")
    flagged = (
        vetoes.select(pl.col(c.UNIT_ID).cast(pl.String), pl.col(ITEM).cast(pl.String))
        .group_by(c.UNIT_ID)
        .agg(pl.col(ITEM).unique().sort().str.join(";").alias(VETO_ITEMS))
    )
    scale = config.weight * config.total
    scored = pl.col(RESPONDENTS).fill_null(0) >= config.min_respondents

    def points(col: str) -> pl.Expr:
        return pl.when(scored).then(pl.col(col) * scale).otherwise(None)

    return (
        base.join(flagged, on=c.UNIT_ID, how="left")
        .with_columns(pl.col(VETO_ITEMS).fill_null(""))
        .with_columns(
            points(ESTIMATE).alias(INDEX_POINTS),
            points(c.CI_LOW).alias(POINTS_LOW),
            points(c.CI_HIGH).alias(POINTS_HIGH),
            (pl.col(VETO_ITEMS) != "").alias(VETO),
        )
        .with_columns(
            pl.when(pl.col(VETO))
            .then(pl.lit(config.veto_score))
            .otherwise(pl.col(INDEX_POINTS))
            .alias(CONDUCT_POINTS),
            pl.lit(data.month).alias(c.MONTH),
            pl.lit(config.version).alias(CONFIG_VERSION),
            pl.col(HONOUR).cast(pl.String),
            pl.col(EVIDENCE).cast(pl.String),
        )
        .select(COLUMNS)
        .sort([c.PEER_GROUP, c.RANK, c.UNIT_ID], nulls_last=True)
    )


def conduct_csv(frame: pl.DataFrame) -> bytes:
    """conduct.csv: UTF-8 with BOM, English headers :data:`COLUMNS`, text cells escaped.

    Rates keep 6 decimals, points 2; empty cells mean "not judged / no points".
    """
    missing = [col for col in COLUMNS if col not in frame.columns]
    if missing:
        raise ConductError("frame", f"lacks columns {missing}")
    rounded = frame.select(COLUMNS).with_columns(
        pl.col(ESTIMATE, c.SE, c.CI_LOW, c.CI_HIGH, P_BELOW).round(6),
        pl.col(INDEX_POINTS, POINTS_LOW, POINTS_HIGH, CONDUCT_POINTS).round(2),
    )
    return csv_bytes(rounded)


XLSX_COLUMNS: Final[tuple[Column, ...]] = (
    (c.UNIT_ID, "单位编码", "text"),
    (c.UNIT_NAME, "单位名称", "text"),
    (c.PEER_GROUP, "单位类别", "text"),
    (MONTHS, "累计月数", "int"),
    (RESPONDENTS, "累计有效回答", "int"),
    (ESTIMATE, "比较用满意率", "pct"),
    (c.SE, "标准误", "float"),
    (c.CI_LOW, "95%置信区间下限", "pct"),
    (c.CI_HIGH, "95%置信区间上限", "pct"),
    (c.RANK, "名次", "int"),
    (c.RANK_LOW, "名次区间下限", "int"),
    (c.RANK_HIGH, "名次区间上限", "int"),
    (P_BELOW, "低于同类的概率", "pct"),
    (EVIDENCE, "与同类比较", "text"),
    (HONOUR, "十佳", "text"),
    (INDEX_POINTS, "满意度得分", "points"),
    (POINTS_LOW, "得分下限", "points"),
    (POINTS_HIGH, "得分上限", "points"),
    (VETO, "一票否决", "text"),
    (VETO_ITEMS, "否决事项", "text"),
    (CONDUCT_POINTS, "计入考核得分", "points"),
    (CONFIG_VERSION, "计分规则版本", "text"),
)


def conduct_xlsx(frame: pl.DataFrame, data: BulletinData, config: ConductConfig) -> bytes:
    """conduct.xlsx for the 考核办: a title row, Chinese headers and words."""
    items = {v.code: v.zh for v in config.veto_items}
    rows = []
    for r in frame.iter_rows(named=True):
        r = dict(r)
        r[c.PEER_GROUP] = i18n.peer_group("zh", r[c.PEER_GROUP])
        r[EVIDENCE] = i18n.evidence("zh", r[EVIDENCE]) if r[EVIDENCE] else None
        r[HONOUR] = "十佳" if r[HONOUR] else None
        r[VETO] = "是" if r[VETO] else "否"
        r[VETO_ITEMS] = "；".join(
            items.get(code, code) for code in r[VETO_ITEMS].split(";") if code
        )
        rows.append(r)
    mv = i18n.month_values("zh", data.month)
    when = generated_local(data)
    return xlsx_bytes(
        rows,
        XLSX_COLUMNS,
        title=f"{data.district_name}{mv['year']}年{mv['month']}月政风行风考核满意度数据",
        subtitle=(
            f"{data.doc().issuer}　计分规则{config.version}　"
            f"数据生成时间：{i18n.local_time('zh', when, data.timezone)}"
        ),
        sheet="考核数据",
        created=when,
        notes=(
            f"满意度得分 = 比较用满意率 × {config.weight:g} × {config.total:g}；"
            "得分上下限由95%置信区间换算，名次区间内的单位之间不宜区分高下。",
            f"与同类比较为“明显低于同类”的，表示有95%以上把握其满意率低于同类平均{data.delta * 100:g}个百分点以上。",
            "一票否决仅依据经核实的事项；群众反映的线索须先核实。",
        ),
    )
