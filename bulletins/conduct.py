"""LEGACY conduct export, kept only while ``flows/steps.py`` still calls it.

Superseded by :mod:`bulletins.exports.conduct`, whose points come from the
bulletin's own judged ``estimate`` (issue 11) and whose columns follow CONTRACT.md
"Conduct export". Once the flows call ``bulletins.exports.conduct.conduct_frame``
(or ``bulletins.render.render_all``), delete this module, ``conduct.toml`` beside
it and ``tests/bulletins/test_conduct_legacy.py``.

The monthly conduct-score export (政风行风考核): satisfaction index, points, vetoes.

Pure: :func:`conduct_scores` turns a month's weighted answer counts into one row
per unit, :func:`conduct_csv` into the file the assessment office imports, and
:func:`load_config` reads the versioned settings (``conduct.toml``).

**Inputs.** ``level_counts`` holds one row per unit and satisfaction level of
the month's respondents: ``unit_id``, ``level`` (1..5, 5 = 非常满意),
``respondents`` (how many answered that level) and ``weighted`` (the sum of
their ``final_weight``: design weight after the nonresponse adjustment, see
:mod:`sampling.weights`). "Don't know" answers are not respondents and are not
counted. An optional ``month`` column must hold one value. ``units`` is the
registry (``unit_id``, ``unit_name``, ``peer_group``): every unit gets a row,
answered or not. ``vetoes`` lists the month's verified veto items (``unit_id``,
``item``), ``item`` one of the configured codes.

**Index.** satisfaction_index = Σ_l points(l)·W_l / Σ_l W_l with W_l the
weighted count of level l: the final-weighted mean points, the same weights as
the bulletin's satisfaction rate, so the index describes the unit's cases, not
the equal-allocation sample. A unit is ``reportable`` with at least
``min_respondents`` respondents (as in the bulletin); otherwise its index and
points are left empty (样本不足) and the office decides.

**Points.** index_points = index / 100 · weight · total. A unit with any veto
item (一票否决, seed 000) gets ``conduct_points`` = the veto score whatever its
index (also when it is not reportable); otherwise conduct_points = index_points.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from bulletins.exports.cells import csv_bytes
from minyi.columns import (
    FINAL_WEIGHT,
    MONTH,
    PEER_GROUP,
    REPORTABLE,
    SATISFACTION,
    UNIT_ID,
    UNIT_NAME,
)

DEFAULT_CONFIG: Final = Path(__file__).with_name("conduct.toml")
LEVELS: Final = (1, 2, 3, 4, 5)

# input columns
LEVEL: Final = "level"
RESPONDENTS: Final = "respondents"
WEIGHTED: Final = "weighted"
ITEM: Final = "item"

# output columns, in file order (stable: the office's import depends on them)
WEIGHTED_RESPONDENTS: Final = "weighted_respondents"
SATISFACTION_INDEX: Final = "satisfaction_index"
INDEX_POINTS: Final = "index_points"
VETO: Final = "veto"
VETO_ITEMS: Final = "veto_items"
CONDUCT_POINTS: Final = "conduct_points"
CONFIG_VERSION: Final = "config_version"
COLUMNS: Final = (
    MONTH,
    UNIT_ID,
    UNIT_NAME,
    PEER_GROUP,
    RESPONDENTS,
    WEIGHTED_RESPONDENTS,
    REPORTABLE,
    SATISFACTION_INDEX,
    INDEX_POINTS,
    VETO,
    VETO_ITEMS,
    CONDUCT_POINTS,
    CONFIG_VERSION,
)


class ConductError(ValueError):
    """Bad conduct settings or inputs. Terminal; carries ``what`` and ``reason``."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"conduct scores: {what} {reason}")


@dataclass(frozen=True)
class VetoItem:
    """One 一票否决 item: a code used in the vetoes frame and its words."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class ConductConfig:
    """The settings of ``conduct.toml`` (see the comments there)."""

    version: str
    points: Mapping[int, float]
    weight: float
    total: float
    min_respondents: int
    veto_score: float
    veto_items: tuple[VetoItem, ...]

    def __post_init__(self) -> None:
        if not self.version:
            raise ConductError("version", "is empty")
        if sorted(self.points) != list(LEVELS):
            raise ConductError("index.points", f"must give levels 1..5, got {sorted(self.points)}")
        pts = [self.points[level] for level in LEVELS]
        if any(not 0 <= p <= 100 for p in pts):
            raise ConductError("index.points", "must be within 0..100")
        if any(a > b for a, b in itertools.pairwise(pts)):
            raise ConductError("index.points", "must not fall as satisfaction rises")
        if not 0 < self.weight <= 1:
            raise ConductError("index.weight", f"must be in (0, 1], got {self.weight}")
        if self.total <= 0:
            raise ConductError("index.total", f"must be > 0, got {self.total}")
        if self.min_respondents < 1:
            raise ConductError("index.min_respondents", "must be >= 1")
        codes = [v.code for v in self.veto_items]
        if len(set(codes)) != len(codes):
            raise ConductError("veto.items", "repeat a code")


def load_config(path: Path | str | None = None) -> ConductConfig:
    """Read a conduct TOML (default: the packaged ``conduct.toml``)."""
    raw = tomllib.loads(Path(path or DEFAULT_CONFIG).read_text(encoding="utf-8"))
    try:
        index: dict[str, Any] = raw["index"]
        veto: dict[str, Any] = raw.get("veto", {})
        return ConductConfig(
            version=str(raw["version"]),
            points={int(k): float(v) for k, v in index["points"].items()},
            weight=float(index["weight"]),
            total=float(index["total"]),
            min_respondents=int(index.get("min_respondents", 30)),
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


def level_counts_of(responses: pl.DataFrame) -> pl.DataFrame:
    """``level_counts`` from respondent rows (``unit_id``, ``satisfaction`` 1..5, ``final_weight``).

    Rows whose satisfaction is null ("don't know") are not respondents and are dropped;
    a ``month`` column is kept as a key when present.
    """
    _check(responses.drop_nulls(SATISFACTION), "responses", (UNIT_ID, FINAL_WEIGHT))
    keys = [k for k in (MONTH, UNIT_ID) if k in responses.columns]
    return (
        responses.filter(pl.col(SATISFACTION).is_not_null())
        .group_by([*keys, pl.col(SATISFACTION).cast(pl.Int64).alias(LEVEL)])
        .agg(
            pl.len().cast(pl.Int64).alias(RESPONDENTS),
            pl.col(FINAL_WEIGHT).cast(pl.Float64).sum().alias(WEIGHTED),
        )
        .sort([*keys, LEVEL])
    )


def _check(frame: pl.DataFrame, what: str, cols: tuple[str, ...]) -> None:
    for col in cols:
        if col not in frame.columns:
            raise ConductError(what, f"lacks column {col!r}")
        if frame[col].null_count():
            raise ConductError(what, f"has nulls in {col!r}")


def conduct_scores(
    level_counts: pl.DataFrame,
    units: pl.DataFrame,
    vetoes: pl.DataFrame,
    config: ConductConfig,
) -> pl.DataFrame:
    """One row per unit of ``units`` with the columns :data:`COLUMNS` (see the module doc).

    Raises ConductError for a missing column, a null, a level outside 1..5, a
    negative count, a unit or veto item not in the registry or configuration,
    or more than one month.
    """
    _check(level_counts, "level_counts", (UNIT_ID, LEVEL, RESPONDENTS, WEIGHTED))
    _check(units, "units", (UNIT_ID, UNIT_NAME, PEER_GROUP))
    _check(vetoes, "vetoes", (UNIT_ID, ITEM))
    if units[UNIT_ID].is_duplicated().any():
        raise ConductError("units", "repeat a unit_id")
    if not level_counts[LEVEL].is_in(LEVELS).all():
        raise ConductError("level_counts", "has a level outside 1..5")
    if (level_counts[RESPONDENTS] < 0).any() or (level_counts[WEIGHTED] < 0).any():
        raise ConductError("level_counts", "has a negative count")
    known = set(units[UNIT_ID].to_list())
    for what, frame in (("level_counts", level_counts), ("vetoes", vetoes)):
        strangers = sorted(set(frame[UNIT_ID].to_list()) - known)
        if strangers:
            raise ConductError(what, f"name units not in the registry: {strangers[:5]}")
    codes = {v.code for v in config.veto_items}
    unknown = sorted(set(vetoes[ITEM].to_list()) - codes)
    if unknown:
        raise ConductError("vetoes", f"name items not configured: {unknown}")
    month: str | None = None
    if MONTH in level_counts.columns:
        months = level_counts[MONTH].unique().drop_nulls().to_list()
        if len(months) > 1:
            raise ConductError("level_counts", f"holds several months: {sorted(months)}")
        month = str(months[0]) if months else None

    points = pl.col(LEVEL).replace_strict(
        {level: config.points[level] for level in LEVELS}, return_dtype=pl.Float64
    )
    per_unit = level_counts.group_by(UNIT_ID).agg(
        pl.col(RESPONDENTS).sum().cast(pl.Int64),
        pl.col(WEIGHTED).sum().cast(pl.Float64).alias(WEIGHTED_RESPONDENTS),
        (points * pl.col(WEIGHTED)).sum().alias("_wpoints"),
    )
    flagged = vetoes.group_by(UNIT_ID).agg(
        pl.col(ITEM).unique().sort().str.join(";").alias(VETO_ITEMS)
    )
    scale = config.weight * config.total / 100.0
    out = (
        units.select(UNIT_ID, UNIT_NAME, PEER_GROUP)
        .join(per_unit, on=UNIT_ID, how="left")
        .join(flagged, on=UNIT_ID, how="left")
        .with_columns(
            pl.col(RESPONDENTS).fill_null(0),
            pl.col(WEIGHTED_RESPONDENTS).fill_null(0.0),
            pl.col(VETO_ITEMS).fill_null(""),
        )
        .with_columns(
            (pl.col(RESPONDENTS) >= config.min_respondents).alias(REPORTABLE),
            (pl.col(VETO_ITEMS) != "").alias(VETO),
        )
        .with_columns(
            pl.when(pl.col(REPORTABLE) & (pl.col(WEIGHTED_RESPONDENTS) > 0))
            .then(pl.col("_wpoints") / pl.col(WEIGHTED_RESPONDENTS))
            .otherwise(None)
            .alias(SATISFACTION_INDEX)
        )
        .with_columns((pl.col(SATISFACTION_INDEX) * scale).alias(INDEX_POINTS))
        .with_columns(
            pl.when(pl.col(VETO))
            .then(pl.lit(config.veto_score))
            .otherwise(pl.col(INDEX_POINTS))
            .alias(CONDUCT_POINTS),
            pl.lit(month, dtype=pl.String).alias(MONTH),
            pl.lit(config.version).alias(CONFIG_VERSION),
        )
        .select(COLUMNS)
        .sort(PEER_GROUP, UNIT_ID)
    )
    return out


def conduct_csv(frame: pl.DataFrame) -> bytes:
    """The export file: UTF-8 with BOM (Excel), English headers :data:`COLUMNS`.

    Index and points are rounded to 2 decimals; empty cells mean "no score"
    (not reportable). Raises ConductError if a column is missing.
    """
    missing = [col for col in COLUMNS if col not in frame.columns]
    if missing:
        raise ConductError("frame", f"lacks columns {missing}")
    rounded = frame.select(COLUMNS).with_columns(
        pl.col(WEIGHTED_RESPONDENTS, SATISFACTION_INDEX, INDEX_POINTS, CONDUCT_POINTS).round(2)
    )
    return csv_bytes(rounded)  # text cells escaped against formula injection
