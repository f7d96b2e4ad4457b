"""Checks and normal forms of the bulletin's frames, shared by the page, the PDF and the exports.

What each optional frame of :class:`~bulletins.model.BulletinData` must hold, and
what the warehouse computes for it:

``judgement`` (:data:`~bulletins.model.JUDGEMENT_COLUMNS`)
    The judging model of METHODS.md "Judging performance", one row per judged
    unit: ``months`` pooled, ``respondents`` over them, ``estimate`` (case-mix and
    channel adjusted rate), its ``se``/``ci_low``/``ci_high``, ``rank`` with
    ``rank_low``/``rank_high`` from the posterior, ``p_below`` (P(rate < peer mean
    − δ)), ``evidence`` (below/none/above) and ``honour`` ("top" or null);
    ``p_above`` optional. Optional ``last`` (Boolean): 末位, from the judgement of
    purpose ``last`` (``v_unit_judgement``: P(last) ≥ 0.9 and ``below`` over a
    pooled window of 3–12 months); null, False or absent = not marked. It is shown
    as its own badge; ``conduct.csv`` keeps its columns (:data:`JUDGED_COLUMNS`).
``channel_effects`` (:data:`~bulletins.model.CHANNEL_EFFECT_COLUMNS`)
    The channel effects the judgement adjusts each unit's channel mix by
    (METHODS.md "Channels"; table ``channel_effects`` of the month), one row per
    ``channel``: ``respondents`` answering on the channel randomly assigned to
    them (the randomised first-channel share), ``channel_effect`` (log-odds
    against the reference channel; null when not estimated), its ``se`` and
    ``reference`` (Boolean, exactly one row True when the frame is not empty);
    ``first_month``/``last_month`` of the pooled window optional. Shown in
    附件1 next to the channel mix; an empty frame shows nothing.
``changes`` (:data:`~bulletins.model.CHANGE_COLUMNS`)
    Per unit and ``comparison`` ("mom" 环比, "yoy" 同比): ``change`` in rate and
    its ``change_se``. Without it, changes are derived from ``previous`` and
    ``year_ago`` with independent-sample SEs √(se₁² + se₀²).
``categories`` (:data:`~bulletins.model.CATEGORY_COLUMNS`)
    Per 办件类别: completed ``cases``, ``sampled``, ``responded``, the rate and
    its 95% interval as a domain of the month's design.
``reasons`` (:data:`~bulletins.model.REASON_COLUMNS`)
    District-wide counts of dissatisfaction reasons coded into the
    :data:`~bulletins.model.REASON_THEMES`; any other theme is refused, so no
    citizen's words can reach the page.
``followups`` (:data:`~bulletins.model.FOLLOWUP_COLUMNS`)
    Per unit: ``tickets`` opened, ``on_time_rate`` (按期办结率), ``overdue``
    and ``revisit_satisfaction_rate`` (回访满意率).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from bulletins.errors import BulletinDataError
from bulletins.model import (
    CATEGORY_COLUMNS,
    CHANGE_COLUMNS,
    CHANNEL_EFFECT_COLUMNS,
    CHANNEL_MIX_COLUMNS,
    COMPARISONS,
    ESTIMATE,
    ESTIMATE_COLUMNS,
    EVIDENCE,
    EVIDENCE_VALUES,
    FOLLOWUP_COLUMNS,
    FUNNEL_COLUMNS,
    HONOUR,
    JUDGEMENT_COLUMNS,
    LAST,
    MENTIONS,
    MONTHS,
    P_BELOW,
    REASON_COLUMNS,
    REASON_THEMES,
    REFERENCE,
    RESPONDENTS,
    THEME,
    UNIT_COLUMNS,
    BulletinData,
)
from minyi import columns as c

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

JUDGED_COLUMNS = (
    c.UNIT_ID,
    c.UNIT_NAME,
    c.PEER_GROUP,
    MONTHS,
    RESPONDENTS,
    ESTIMATE,
    c.SE,
    c.CI_LOW,
    c.CI_HIGH,
    c.RANK,
    c.RANK_LOW,
    c.RANK_HIGH,
    P_BELOW,
    EVIDENCE,
    HONOUR,
)
"""The CONTRACT's conduct columns, in order (see :func:`judged`)."""


def check_data(data: BulletinData) -> None:
    """Raise BulletinDataError unless every frame has its promised columns and values."""
    if not _MONTH.match(data.month):
        raise BulletinDataError("month", f"expected YYYY-MM, got {data.month!r}")
    frames: list[tuple[str, pl.DataFrame | None, Sequence[str]]] = [
        ("units", data.units, UNIT_COLUMNS),
        ("previous", data.previous, UNIT_COLUMNS),
        ("year_ago", data.year_ago, UNIT_COLUMNS),
        ("funnel", data.funnel, FUNNEL_COLUMNS),
        ("channel_mix", data.channel_mix, CHANNEL_MIX_COLUMNS),
        ("judgement", data.judgement, JUDGEMENT_COLUMNS),
        ("changes", data.changes, CHANGE_COLUMNS),
        ("categories", data.categories, CATEGORY_COLUMNS),
        ("reasons", data.reasons, REASON_COLUMNS),
        ("followups", data.followups, FOLLOWUP_COLUMNS),
        ("channel_effects", data.channel_effects, CHANNEL_EFFECT_COLUMNS),
    ]
    for what, frame, required in frames:
        if frame is None:
            continue
        missing = [col for col in required if col not in frame.columns]
        if missing:
            raise BulletinDataError(what, f"missing columns {', '.join(missing)}")
    if data.units[c.UNIT_ID].is_duplicated().any():
        raise BulletinDataError("units", "unit_id is not unique")
    if data.judgement is not None:
        bad = set(data.judgement[EVIDENCE].drop_nulls().to_list()) - set(EVIDENCE_VALUES)
        if bad:
            raise BulletinDataError("judgement", f"evidence must be below/none/above, got {bad}")
        if data.judgement[c.UNIT_ID].is_duplicated().any():
            raise BulletinDataError("judgement", "unit_id is not unique")
        last = data.judgement.get_column(LAST, default=None)
        if last is not None and last.dtype not in (pl.Boolean, pl.Null):
            raise BulletinDataError("judgement", f"last must be Boolean, got {last.dtype}")
    effects = data.channel_effects
    if effects is not None and not effects.is_empty():
        if effects[c.CHANNEL].is_duplicated().any():
            raise BulletinDataError("channel_effects", "channel is not unique")
        if int(effects[REFERENCE].fill_null(False).sum()) != 1:
            raise BulletinDataError("channel_effects", "exactly one channel must be the reference")
    if data.changes is not None:
        bad = set(data.changes["comparison"].to_list()) - set(COMPARISONS)
        if bad:
            raise BulletinDataError("changes", f"comparison must be mom or yoy, got {bad}")
    if data.reasons is not None:
        bad = set(data.reasons[THEME].to_list()) - set(REASON_THEMES)
        if bad:  # a theme is a code, never a citizen's words
            raise BulletinDataError(
                "reasons", f"themes must be codes of REASON_THEMES, got {len(bad)} other value(s)"
            )
        if (data.reasons[MENTIONS] < 0).any():
            raise BulletinDataError("reasons", "mentions must not be negative")
    if data.generated is not None and data.generated.tzinfo is None:
        raise BulletinDataError("generated", "must be timezone-aware")
    zone(data)


def zone(data: BulletinData) -> tzinfo:
    """The zone times are printed in."""
    try:
        return ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BulletinDataError("timezone", f"unknown zone {data.timezone!r}") from exc


def generated_local(data: BulletinData) -> datetime:
    """When the bulletin was generated, in the bulletin's zone.

    ``generated`` when given; else the legacy ``generated_at`` text (``YYYY-MM-DD HH:MM``,
    read as UTC when it says so, else as local); else the month's first day.
    """
    tz = zone(data)
    if data.generated is not None:
        return data.generated.astimezone(tz)
    text = data.generated_at.strip()
    try:
        naive = datetime.strptime(text[:16], "%Y-%m-%d %H:%M")
    except ValueError:
        return datetime(int(data.month[:4]), int(data.month[5:7]), 1, tzinfo=tz)
    if text.upper().endswith(("UTC", "Z", "+00:00")):
        return naive.replace(tzinfo=UTC).astimezone(tz)
    return naive.replace(tzinfo=tz)


def normalised_units(frame: pl.DataFrame) -> pl.DataFrame:
    """Units with ``honour`` (a legacy flag "top" becomes honour), estimates withheld when
    not reportable, ``reportable`` never null."""
    out = frame.with_columns(pl.col(c.REPORTABLE).fill_null(False))
    if HONOUR not in out.columns:
        out = out.with_columns(
            pl.when(pl.col(c.FLAG) == "top").then(pl.lit("top")).otherwise(None).alias(HONOUR)
        )
    out = out.with_columns(
        pl.when(pl.col(c.FLAG) == "top").then(None).otherwise(pl.col(c.FLAG)).alias(c.FLAG)
    )
    return out.with_columns(
        pl.when(pl.col(c.REPORTABLE)).then(pl.col(col)).otherwise(None).alias(col)
        for col in (*ESTIMATE_COLUMNS, HONOUR)
    )


def judged(data: BulletinData) -> pl.DataFrame:
    """One row per unit of ``units`` with :data:`JUDGED_COLUMNS` plus ``last`` and
    ``adjusted`` (bool).

    ``last`` is True for a 末位 unit, else False (null for a unit not judged); it comes
    from ``judgement``'s optional ``last`` column only.
    From ``judgement`` when given (units it does not judge get empty estimates);
    otherwise from the month's own figures: months 1, respondents, the design-based
    rate and interval, the rank of ``units``, no P(below), evidence from ``flag``
    ("none" for a reportable unit without a flag).
    """
    units = normalised_units(data.units)
    names = units.select(c.UNIT_ID, c.UNIT_NAME, c.PEER_GROUP)
    if data.judgement is not None:
        last = (
            pl.col(LAST).cast(pl.Boolean).fill_null(False)
            if LAST in data.judgement.columns
            else pl.lit(False)
        )
        j = data.judgement.select(*JUDGEMENT_COLUMNS, last.alias(LAST))
        out = names.join(j, on=c.UNIT_ID, how="left").with_columns(pl.lit(True).alias("adjusted"))
    else:
        out = units.select(
            c.UNIT_ID,
            c.UNIT_NAME,
            c.PEER_GROUP,
            pl.when(pl.col(c.REPORTABLE)).then(pl.lit(1)).otherwise(None).alias(MONTHS),
            pl.col(c.RESPONDED).alias(RESPONDENTS),
            pl.col(c.SATISFACTION_RATE).alias(ESTIMATE),
            c.SE,
            c.CI_LOW,
            c.CI_HIGH,
            c.RANK,
            c.RANK_LOW,
            c.RANK_HIGH,
            pl.lit(None, dtype=pl.Float64).alias(P_BELOW),
            pl.when(~pl.col(c.REPORTABLE))
            .then(None)
            .otherwise(pl.col(c.FLAG).fill_null("none"))
            .alias(EVIDENCE),
            HONOUR,
            pl.when(pl.col(c.REPORTABLE)).then(pl.lit(False)).otherwise(None).alias(LAST),
            pl.lit(False).alias("adjusted"),
        )
    return out.select(*JUDGED_COLUMNS, LAST, "adjusted")
