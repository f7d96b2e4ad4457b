"""Channel (mode) effects from the randomised share, and each unit's channel offset.

METHODS.md "Channels".  IVR and telephone respondents rate more positively
than other modes (Elliott et al. 2009, "Effects of survey mode, patient mix,
and nonresponse on CAHPS hospital survey scores", Health Services Research
44(2), 501–518), so units with different channel mixes are compared only
after adjustment, with effects measured in-house.

**Channel effects** (:func:`channel_effects`).  A randomised share of the
sample (default 5%) gets a randomly chosen first channel.  Among its
respondents who answered on their assigned channel (so the channel compared
is the one chance chose, not one the person fell back to), the logistic
regression satisfied ~ channel + category (:func:`sampling.logistic.fit_logistic`,
no prior: R ``glm(cbind(s, n − s) ~ channel + category, binomial)``) gives
γ_c, the log-odds effect of channel c against the reference (default
``sms``), and its SE.  Unweighted: randomisation makes the arms comparable
within the sample, and category only adds precision.  A channel with fewer
than ``min_respondents`` such respondents, or whose respondents all answered
alike, gets no estimate (null: no adjustment for it), and so do all
channels when the reference has none.  Categories whose respondents all
answered alike carry no information on γ and are left out.  Pass the
randomised respondents of a long window (e.g. the last 12 months): a month
holds only about 60 per channel.

**Channel offset** (:func:`channel_offsets`).  A unit's offset on the logit
scale is c = Σ_c (s_c − s̄_c)·γ_c, s_c its weighted share of answers on
channel c and s̄_c the district's; channels without an effect count as the
reference.  Its variance Σ_c (s_c − s̄_c)² se(γ_c)² ignores the covariance
of the γ_c and the correlation of the offsets across units: offsets' errors
are shared by units with similar mixes and partly cancel in comparisons, so
treating them as independent is conservative (and small next to the
sampling variance).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from minyi.columns import (
    ASSIGNED_CHANNEL,
    CATEGORY,
    CHANNEL,
    CHANNEL_EFFECT,
    CHANNEL_OFFSET,
    CHANNEL_OFFSET_SE,
    FINAL_WEIGHT,
    RESPONDENTS,
    SATISFIED,
    SE,
    UNIT_ID,
)
from sampling.errors import JudgementInputError
from sampling.logistic import fit_logistic

__all__ = ["REFERENCE", "channel_effects", "channel_offsets"]

REFERENCE = "reference"  # column of channel_effects: the reference channel's row
_Y = "__y"


_require = JudgementInputError.require


def channel_effects(
    randomised: pl.DataFrame, *, reference: str = "sms", min_respondents: int = 30
) -> pl.DataFrame:
    """Channel effects (log-odds against ``reference``) from the randomised share.

    Args:
        randomised: one row per respondent of the randomised share (any number
            of months) with ``assigned_channel`` (the randomly chosen first
            channel), ``channel`` (the channel answered on), ``satisfied``
            (Boolean or 0/1) and ``category``.
        reference: the reference channel (effect 0).
        min_respondents: fewest respondents on the assigned channel for a
            channel to be estimated.

    Returns:
        One row per assigned channel (the reference first, then sorted):
        ``channel``, ``respondents`` (answered on the assigned channel),
        ``channel_effect`` and ``se`` (0 for the reference; null when not
        estimated) and ``reference`` (Boolean).
    """
    _require(randomised, "randomised", [ASSIGNED_CHANNEL, CHANNEL, SATISFIED, CATEGORY])
    data = randomised.filter(pl.col(ASSIGNED_CHANNEL) == pl.col(CHANNEL)).with_columns(
        pl.col(SATISFIED).cast(pl.Float64).alias(_Y)
    )
    stats = data.group_by(CHANNEL).agg(
        pl.len().cast(pl.Int64).alias(RESPONDENTS),
        pl.col(_Y).min().alias("lo"),
        pl.col(_Y).max().alias("hi"),
    )
    channels = sorted(
        set(randomised[ASSIGNED_CHANNEL].unique().to_list()) | {reference},
        key=lambda c: (c != reference, c),
    )
    usable = set(
        stats.filter((pl.col(RESPONDENTS) >= min_respondents) & (pl.col("lo") < pl.col("hi")))[
            CHANNEL
        ].to_list()
    )
    effect: dict[str, float | None] = dict.fromkeys(channels)
    se: dict[str, float | None] = dict.fromkeys(channels)
    if reference in usable:
        effect[reference] = se[reference] = 0.0
        others = [c for c in channels if c != reference and c in usable]
        if others:
            beta, cov = _fit(data.filter(pl.col(CHANNEL).is_in([reference, *others])), others)
            for j, c in enumerate(others, start=1):
                effect[c] = float(beta[j])
                se[c] = float(np.sqrt(cov[j, j]))
    counts = dict(zip(stats[CHANNEL].to_list(), stats[RESPONDENTS].to_list(), strict=True))
    return pl.DataFrame(
        {
            CHANNEL: channels,
            RESPONDENTS: [int(counts.get(c, 0)) for c in channels],
            CHANNEL_EFFECT: [effect[c] for c in channels],
            SE: [se[c] for c in channels],
            REFERENCE: [c == reference for c in channels],
        },
        schema={
            CHANNEL: pl.String,
            RESPONDENTS: pl.Int64,
            CHANNEL_EFFECT: pl.Float64,
            SE: pl.Float64,
            REFERENCE: pl.Boolean,
        },
    )


def _fit(data: pl.DataFrame, others: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """y ~ 1 + channel dummies (``others``) + category dummies (first = base), on cells."""
    informative = data.group_by(CATEGORY).agg(pl.col(_Y).n_unique().alias("u"))
    keep = informative.filter(pl.col("u") > 1)[CATEGORY].sort().to_list()
    cells = (
        data.filter(pl.col(CATEGORY).is_in(keep))
        .group_by(CHANNEL, CATEGORY)
        .agg(pl.len().alias("t"), pl.col(_Y).sum().alias("s"))
        .sort(CHANNEL, CATEGORY)
    )
    ch = cells[CHANNEL].to_numpy()
    cat = cells[CATEGORY].to_numpy()
    cols = [np.ones(cells.height)]
    cols += [(ch == c).astype(np.float64) for c in others]
    cols += [(cat == c).astype(np.float64) for c in keep[1:]]
    return fit_logistic(np.column_stack(cols), cells["s"].to_numpy(), cells["t"].to_numpy())


def channel_offsets(responses: pl.DataFrame, effects: pl.DataFrame) -> pl.DataFrame:
    """Each unit's channel offset c = Σ (s_c − s̄_c)·γ_c and its SE (module docstring).

    ``responses``: the respondents frame (``unit_id``, ``channel``,
    ``final_weight``); ``effects``: :func:`channel_effects` output.  Returns
    one row per unit: ``unit_id``, ``channel_offset``, ``channel_offset_se``.
    """
    _require(responses, "responses", [UNIT_ID, CHANNEL, FINAL_WEIGHT])
    _require(effects, "effects", [CHANNEL])
    gamma = effects.select(
        CHANNEL,
        pl.col(CHANNEL_EFFECT).fill_null(0.0).alias("__g"),
        pl.col(SE).fill_null(0.0).alias("__s"),
    )
    w = pl.col(FINAL_WEIGHT).cast(pl.Float64)
    shares = (
        responses.group_by(UNIT_ID, CHANNEL)
        .agg(w.sum().alias("__w"))
        .with_columns((pl.col("__w") / pl.col("__w").sum().over(UNIT_ID)).alias("__s_u"))
    )
    district = (
        responses.group_by(CHANNEL)
        .agg(w.sum().alias("__w"))
        .with_columns((pl.col("__w") / pl.col("__w").sum()).alias("__s_d"))
    )
    grid = responses.select(UNIT_ID).unique().join(district.select(CHANNEL, "__s_d"), how="cross")
    dev = (
        grid.join(shares.select(UNIT_ID, CHANNEL, "__s_u"), on=[UNIT_ID, CHANNEL], how="left")
        .join(gamma, on=CHANNEL, how="left")
        .with_columns(
            (pl.col("__s_u").fill_null(0.0) - pl.col("__s_d")).alias("__d"),
            pl.col("__g").fill_null(0.0),
            pl.col("__s").fill_null(0.0),
        )
    )
    return (
        dev.group_by(UNIT_ID)
        .agg(
            (pl.col("__d") * pl.col("__g")).sum().alias(CHANNEL_OFFSET),
            ((pl.col("__d") * pl.col("__s")) ** 2).sum().sqrt().alias(CHANNEL_OFFSET_SE),
        )
        .sort(UNIT_ID)
    )
