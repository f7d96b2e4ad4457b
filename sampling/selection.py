"""Stratified SRSWOR by permanent random numbers (METHODS.md, "Selection").

In each stratum h the n_h eligible cases with the smallest u_i = SHA-256(seed ‖ case_id)
(:func:`sampling.random_state.prn`) are selected, ties in u_i broken by ascending
``case_id``. Sorting i.i.d. uniform keys and taking the first n_h gives simple random
sampling without replacement (Ohlsson 1995; Tillé 2006, *Sampling Algorithms*, §4.5),
so π_i = n_h / N_h and the design weight is d_i = N_h / n_h. Because u_i depends only
on (seed, case_id), the same inputs always give the same sample, whatever the row
order. The seed and the allocation (N_h, n_h) are stored on every selected row.

**Repeat visitors** (METHODS.md "Frame and eligibility").  A phone number with several
eligible cases on the day enters the frame once: its cases compete by a second PRN,
u'_i = SHA-256(seed ‖ "number:" ‖ case_id) (:func:`sampling.random_state.prn` of
``"number:" + case_id``, independent of u_i), the smallest wins, and the winner carries
the multiplicity m_i = the number of that number's competing cases
(``warehouse.design.day_frame`` does this in SQL).  This is a two-phase design: phase 1
keeps one case per number with probability 1/m_i, phase 2 is the stratified SRS above
among the kept cases.  So π_i = n_h / (N_h · m_i) and d_i = m_i · N_h / n_h, and
Σ_sample d_i y_i is unbiased for the total over *all* the day's eligible cases — phase 1's
Σ_numbers m·y_chosen is the Horvitz–Thompson estimator of the all-cases total, and phase 2
estimates it without bias given phase 1 (Särndal, Swensson & Wretman 1992, *Model
Assisted Survey Sampling*, ch. 9, two-phase sampling; Lavallée 2007, *Indirect Sampling*, for the
multiplicity weight).  Using u_i itself for the competition would not do: winners would
be the numbers' smallest u_i and then be favoured in the stratum draw.  The Taylor
variance with the stratum's fpc covers phase 2 only; without fpc (the judgement's
process variance) the with-replacement approximation also covers phase 1 conservatively.
A frame without a ``multiplicity`` column has m_i = 1 everywhere.
"""

from __future__ import annotations

import polars as pl

from minyi.columns import (
    CASE_ID,
    DESIGN_WEIGHT,
    INCLUSION_PROB,
    MULTIPLICITY,
    PRN,
    SEED,
    STRATUM,
    STRATUM_POPULATION,
    STRATUM_SAMPLE,
)
from sampling.allocation import Method, allocate
from sampling.errors import (
    DuplicateCaseIdsError,
    InvalidValuesError,
    MissingColumnsError,
    PopulationMismatchError,
)
from sampling.random_state import prn

_ADDED = (PRN, STRATUM_POPULATION, STRATUM_SAMPLE, INCLUSION_PROB, DESIGN_WEIGHT, SEED)
_RANK = "__rank_in_stratum"
_COUNT = "__frame_count"


def select(
    frame: pl.DataFrame, allocation: pl.DataFrame, seed: int, key: str | None = None
) -> pl.DataFrame:
    """Select the n_h smallest-PRN cases of every stratum (METHODS.md, "Selection").

    ``frame`` holds the eligible cases, at least ``case_id`` (String, unique) and
    ``stratum`` (String), and optionally ``multiplicity`` (integer ≥ 1, see the module
    docstring); its other columns are carried through unchanged but must not already
    use the names this function adds. ``allocation`` is the output of
    :func:`sampling.allocation.allocate`; each frame stratum's row count must equal its
    N_h. Returns only the selected rows, sorted by ``stratum``, ``prn`` (then
    ``case_id``), with ``prn``, ``stratum_population``, ``stratum_sample``,
    ``inclusion_prob`` (n_h/(N_h·m)), ``design_weight`` (m·N_h/n_h) and ``seed`` added.
    """
    _check_frame(frame)
    return _select(frame, _check_allocation(allocation, frame), seed, key)


def _select(
    frame: pl.DataFrame, design: pl.DataFrame, seed: int, key: str | None = None
) -> pl.DataFrame:
    """:func:`select` on a checked frame and its checked (stratum, N_h, n_h) table.

    The PRNs use the day's selection ``key`` when given, else the seed in decimal; the
    ``seed`` is stored on the rows either way."""
    u = prn(seed if key is None else key, frame[CASE_ID])
    # Only cases at or below their stratum's n_h-th smallest PRN can be selected. The
    # cut is found on (stratum, u, n_h) alone and only the rows under it are copied and
    # sorted (ties in u_i by case_id), never the whole day's frame.
    under_cut = (
        pl.DataFrame([frame[STRATUM], u])
        .join(design, on=STRATUM, how="left", maintain_order="left")
        .select(
            pl.col(PRN) <= pl.col(PRN).bottom_k(pl.col(STRATUM_SAMPLE).first()).max().over(STRATUM)
        )
        .to_series()
    )
    ranked = (
        frame.with_columns(u)
        .filter(under_cut)
        .join(design, on=STRATUM, how="left")
        .sort([STRATUM, PRN, CASE_ID])
        .with_columns(pl.int_range(pl.len()).over(STRATUM).alias(_RANK))
    )
    m = pl.col(MULTIPLICITY).cast(pl.Float64) if MULTIPLICITY in frame.columns else pl.lit(1.0)
    return (
        ranked.filter(pl.col(_RANK) < pl.col(STRATUM_SAMPLE))
        .drop(_RANK)
        .with_columns(
            (pl.col(STRATUM_SAMPLE) / (pl.col(STRATUM_POPULATION) * m)).alias(INCLUSION_PROB),
            (m * pl.col(STRATUM_POPULATION) / pl.col(STRATUM_SAMPLE)).alias(DESIGN_WEIGHT),
            pl.lit(seed, dtype=pl.Int64).alias(SEED),
        )
        .select([*frame.columns, *_ADDED])
    )


def draw(
    frame: pl.DataFrame,
    total: int,
    minimum: int,
    method: Method,
    seed: int,
    stratum_sd: pl.DataFrame | None = None,
    key: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Allocate from the frame's stratum counts, then select; returns ``(allocation, sample)``.

    N_h is the number of rows of each stratum in ``frame`` (the eligible cases). For
    ``method="neyman"`` pass ``stratum_sd`` with columns ``stratum`` and ``stratum_sd``
    (S_h from earlier months); a frame stratum without S_h is an error. See
    :func:`sampling.allocation.allocate` and :func:`select`.
    """
    _check_frame(frame)
    strata = frame.group_by(STRATUM).agg(pl.len().cast(pl.Int64).alias(STRATUM_POPULATION))
    if stratum_sd is not None:
        strata = strata.join(stratum_sd, on=STRATUM, how="left")
    allocation = allocate(strata, total, minimum, method)
    # allocate kept every stratum and its N_h (the frame's counts) and 0 ≤ n_h ≤ N_h, so
    # select's checks of the frame and the allocation would only repeat work.
    design = allocation.select(
        pl.col(STRATUM), pl.col(STRATUM_POPULATION, STRATUM_SAMPLE).cast(pl.Int64)
    )
    return allocation, _select(frame, design, seed, key)


def _check_frame(frame: pl.DataFrame) -> None:
    missing = [c for c in (CASE_ID, STRATUM) if c not in frame.columns]
    if missing:
        raise MissingColumnsError("sampling", missing)
    clashing = [c for c in (*_ADDED, _RANK) if c in frame.columns]
    if clashing:
        raise InvalidValuesError("sampling", clashing[0], "column name is reserved for the design")
    for column in (CASE_ID, STRATUM):
        if frame.schema[column] != pl.String:
            raise InvalidValuesError(
                "sampling", column, f"must be String, not {frame.schema[column]}"
            )
        if frame[column].null_count():
            raise InvalidValuesError("sampling", column, "must not contain nulls")
    if MULTIPLICITY in frame.columns:
        m = frame[MULTIPLICITY]
        if not m.dtype.is_integer() or m.null_count() or (m.len() and int(m.min()) < 1):  # type: ignore[arg-type]
            raise InvalidValuesError("sampling", MULTIPLICITY, "must be integers >= 1, no nulls")
    # Equal ids have equal hashes, so distinct hashes prove the ids unique (fast on
    # millions of rows); only a repeated hash needs the exact check.
    ids = frame[CASE_ID]
    if ids.hash().n_unique() < frame.height and ids.n_unique() < frame.height:
        duplicated = frame.filter(pl.col(CASE_ID).is_duplicated())[CASE_ID].unique().sort()
        raise DuplicateCaseIdsError(duplicated.len(), duplicated.to_list())


def _check_allocation(allocation: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Return (stratum, N_h, n_h) as Int64 after checking it against the frame's counts."""
    missing = [
        c for c in (STRATUM, STRATUM_POPULATION, STRATUM_SAMPLE) if c not in allocation.columns
    ]
    if missing:
        raise MissingColumnsError("allocation", missing)
    design = allocation.select(
        pl.col(STRATUM), pl.col(STRATUM_POPULATION, STRATUM_SAMPLE).cast(pl.Int64)
    )
    dupes = design.filter(pl.col(STRATUM).is_duplicated())[STRATUM].unique().sort().to_list()
    if dupes:
        raise InvalidValuesError("allocation", STRATUM, "must be unique", dupes)
    bad = design.filter(
        pl.any_horizontal(pl.all().is_null())
        | (pl.col(STRATUM_SAMPLE) < 0)
        | (pl.col(STRATUM_SAMPLE) > pl.col(STRATUM_POPULATION))
    )
    if bad.height:
        raise InvalidValuesError(
            "allocation", STRATUM_SAMPLE, "needs 0 ≤ n_h ≤ N_h, no nulls", bad[STRATUM].to_list()
        )
    counts = frame.group_by(STRATUM).agg(pl.len().cast(pl.Int64).alias(_COUNT))
    compared = (
        counts.join(design, on=STRATUM, how="full", coalesce=True)
        .with_columns(pl.col(_COUNT, STRATUM_POPULATION).fill_null(0))
        .filter(pl.col(_COUNT) != pl.col(STRATUM_POPULATION))
        .sort(STRATUM)
    )
    if compared.height:
        raise PopulationMismatchError(
            list(compared.select(STRATUM, _COUNT, STRATUM_POPULATION).iter_rows())
        )
    return design
