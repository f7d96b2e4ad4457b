"""The tables of the judgement study (:mod:`studies.flag_study`) and its targets.

``results`` has one row per unit and judgement window of every replicate:
the columns of :func:`sampling.judgement.judge` plus ``scenario``,
``window`` (``1m``, ``3m``, ``year``), ``true_rate``, ``planted`` (the planted
shortfall or null), ``shortfall`` (true peer mean − true rate),
``truly_below``, ``at_or_above``, ``covered``, ``truly_top``, ``truly_last``,
``raw_top``, ``raw_last`` and ``error``.  Targets: METHODS.md "Judging
performance".
"""

from __future__ import annotations

import polars as pl

from minyi.columns import EVIDENCE, HONOUR, LAST, REPORTABLE, RESPONDENTS, TOP_K

TRUE = "true_rate"
PLANTED = "planted"
BANDS = ((0, 29, "<30"), (30, 59, "30-59"), (60, 119, "60-119"), (120, 239, "120-239"))


def summarise(results: pl.DataFrame, delta: float) -> dict[str, pl.DataFrame]:
    """The study's tables from the evaluated judgements of every replicate."""
    rep = results.filter(pl.col(REPORTABLE))
    flags = (
        rep.filter(pl.col("window") != "year")
        .group_by("scenario", "window")
        .agg(
            pl.len().alias("unit_months"),
            (pl.col(EVIDENCE) == "below").sum().alias("below_flags"),
            ((pl.col(EVIDENCE) == "below") & ~pl.col("truly_below")).sum().alias("false_below"),
            ((pl.col(EVIDENCE) == "below") & pl.col("at_or_above"))
            .sum()
            .alias("false_at_or_above"),
            ((pl.col(EVIDENCE) == "above") & (pl.col("shortfall") > -delta))
            .sum()
            .alias("false_above"),
            pl.col("truly_below").sum().alias("truly_below"),
            ((pl.col(EVIDENCE) == "below") & pl.col("truly_below")).sum().alias("caught"),
        )
        .with_columns(
            (pl.col("false_below") / pl.col("unit_months")).alias("false_below_rate"),
            (pl.col("false_at_or_above") / pl.col("unit_months")).alias("false_at_or_above_rate"),
            (pl.col("caught") / pl.col("truly_below")).alias("power_truly_below"),
        )
        .sort("scenario", "window")
    )
    band = pl.lit(f">={BANDS[-1][1] + 1}")
    for lo, hi, name in reversed(BANDS):
        band = pl.when(pl.col(RESPONDENTS).is_between(lo, hi)).then(pl.lit(name)).otherwise(band)
    planted = rep.filter(pl.col(PLANTED).is_not_null()).with_columns(
        (pl.col(PLANTED) * 100).round(0).cast(pl.Int64).alias("shortfall_points"),
        pl.when(pl.col(RESPONDENTS) < 60)
        .then(pl.lit("30-59"))
        .otherwise(pl.lit(">=60"))
        .alias("band"),
    )
    flagged = pl.col(EVIDENCE) == "below"
    power = (
        planted.group_by("window", "shortfall_points")
        .agg(
            pl.len().alias("unit_months"),
            pl.col("shortfall").mean().alias("mean_true_shortfall"),
            flagged.mean().alias("power"),
            flagged.filter(pl.col("band") == "30-59").mean().alias("power_30_59"),
            flagged.filter(pl.col("band") == ">=60").mean().alias("power_60_plus"),
        )
        .sort("window", "shortfall_points")
    )
    cover = (
        results.filter(pl.col("scenario") != "shortfall")
        .with_columns(band.alias("band"), pl.col(RESPONDENTS).min().alias("_lo"))
        .group_by("scenario", "window", "band")
        .agg(
            pl.len().alias("unit_months"),
            pl.col("covered").mean().alias("coverage"),
            pl.col("error").mean().alias("mean_error"),
            pl.col(RESPONDENTS).min().alias("_order"),
        )
        .with_columns(
            (pl.col("coverage") * (1 - pl.col("coverage")) / pl.col("unit_months"))
            .sqrt()
            .alias("mc_se")
        )
        .sort("scenario", "window", "_order")
        .drop("_order")
    )
    year = rep.filter(pl.col("window") == "year")
    honours = (
        year.group_by("scenario")
        .agg(
            pl.col(HONOUR).sum().alias("honours"),
            pl.col(TOP_K).filter(pl.col(HONOUR).is_not_null()).first().alias("_k"),
            (pl.col(HONOUR) & pl.col("truly_top")).sum().alias("honours_truly_top"),
            pl.col("raw_top").sum().alias("raw_top"),
            (pl.col("raw_top") & pl.col("truly_top")).sum().alias("raw_top_truly_top"),
            pl.col("truly_top").sum().alias("top_places"),
        )
        .with_columns(
            (pl.col("honours_truly_top") / pl.col("honours")).alias("precision"),
            (pl.col("honours") / pl.col("top_places")).alias("places_filled"),
            (pl.col("raw_top_truly_top") / pl.col("raw_top")).alias("raw_top_precision"),
        )
        .drop("_k")
        .sort("scenario")
    )
    lasts = (
        rep.filter(pl.col("window") == "3m")
        .group_by("scenario")
        .agg(
            pl.col(LAST).sum().alias("last_marks"),
            (pl.col(LAST) & pl.col("truly_last")).sum().alias("truly_last"),
            (pl.col(LAST) & pl.col("truly_below")).sum().alias("truly_below"),
            pl.col("raw_last").sum().alias("raw_last"),
            (pl.col("raw_last") & pl.col("truly_last")).sum().alias("raw_last_truly_last"),
        )
        .with_columns(
            (pl.col("truly_last") / pl.col("last_marks")).alias("precision_last"),
            (pl.col("truly_below") / pl.col("last_marks")).alias("precision_below"),
            (pl.col("raw_last_truly_last") / pl.col("raw_last")).alias("raw_last_precision"),
        )
        .sort("scenario")
    )
    return {"flags": flags, "power": power, "coverage": cover, "honours": honours, "last": lasts}


def targets(tables: dict[str, pl.DataFrame]) -> list[tuple[str, str, bool]]:
    """(target, figure, met) for METHODS.md's targets, read both ways where the text allows.

    Power: "a 5-point shortfall" is read as 5 points under the peer mean (the
    δ boundary itself, where a flag claiming "more than δ under" can be right
    only by luck) and as 5 points beyond δ (10 under the peer mean); "25
    points" likewise as 25 and 30.  Coverage: the ``spread`` scenario (real
    differences, as in the district), cells of at least 200 unit-months (the
    ``null`` scenario has no spread at all, which six to sixteen units cannot
    tell from a little: its intervals are conservative by design).  十佳: the
    scenarios with real differences (in ``null`` no unit is truly better).
    """
    out = []
    flags = tables["flags"]
    for window in ("1m", "3m"):
        rows = flags.filter(pl.col("window") == window)
        if rows.height:
            worst = float(rows["false_below_rate"].max())  # type: ignore[arg-type]
            label = f"false below <= 0.1% per unit-month ({window} window, worst scenario)"
            out.append((label, f"{worst:.3%}", worst <= 0.001))
    power = tables["power"]
    for window in ("1m", "3m"):
        for pts, goal in ((5, 0.35), (10, 0.35), (25, 0.85), (30, 0.85)):
            row = power.filter((pl.col("window") == window) & (pl.col("shortfall_points") == pts))
            if row.height:
                val = float(row["power"][0])
                beyond = f", {pts - 5} beyond δ" if pts in (10, 30) else ""
                label = (
                    f"power >= {goal:.0%} at {pts} points under the peer mean{beyond} ({window})"
                )
                out.append((label, f"{val:.1%}", val >= goal))
    cover = tables["coverage"].filter(
        (pl.col("scenario") == "spread")
        & (pl.col("band") != "<30")
        & (pl.col("unit_months") >= 200)
    )
    for window in cover["window"].unique(maintain_order=True).to_list():
        rows = cover.filter(pl.col("window") == window)
        lo, hi = float(rows["coverage"].min()), float(rows["coverage"].max())  # type: ignore[arg-type]
        label = f"coverage 95% +/- 1.5 in every band >= 30 respondents ({window}, spread)"
        out.append((label, f"{lo:.1%}-{hi:.1%}", lo >= 0.935 and hi <= 0.965))
    hon = tables["honours"].filter((pl.col("scenario") != "null") & (pl.col("honours") > 0))
    if hon.height:
        worst_p = float(hon["precision"].min())  # type: ignore[arg-type]
        out.append(
            (">= 80% of 十佳 truly in the group's top k (year)", f"{worst_p:.1%}", worst_p >= 0.8)
        )
    return out
