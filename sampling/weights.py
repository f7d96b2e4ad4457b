"""Weights after fieldwork: nonresponse adjustment within weighting classes.

Method (METHODS.md, "Weights after fieldwork"): for a respondent *i* in
weighting class *c* (default category × month),

    w_i = d_i · Σ_{j sampled in c} d_j / Σ_{j responded in c} d_j,

the weighting-class adjustment of Kalton & Flores-Cervantes (2003), "Weighting
methods", *Journal of Official Statistics* 19(2), §2.1; Lohr (2022), *Sampling:
Design and Analysis*, 3rd ed., §8.5.  The respondents of a class carry the
design weight of the whole class, so Σ_{respondents in c} w_i = Σ_{sampled in c} d_j.

d_i is the design weight as drawn, m_i · N_h / n_h, with the multiplicity m_i of a
repeat visitor's chosen case (:mod:`sampling.selection`, "Repeat visitors"): the
adjustment keeps it, so a chosen case still stands for its number's other cases of the
day and the weighted estimates stay unbiased for all the day's eligible cases.

A *respondent* answered the satisfaction item with a level 1..5; "don't know /
不了解" is item nonresponse and is **not** a respondent.  Non-respondents keep
their row but get a null ``final_weight``.

Classes without respondents.  Collapsing classes is out of scope: a class with
no respondent gets no adjustment, all its cases keep a null ``final_weight``
and its design weight is lost from the weighted totals (the estimate then
describes the classes that did respond).  :func:`classes_without_respondents`
lists such classes so that the caller can report them.
"""

from __future__ import annotations

import polars as pl

from minyi.columns import (
    CASE_ID,
    DESIGN_WEIGHT,
    FINAL_WEIGHT,
    RESPONDED,
    SAMPLED,
    WEIGHT_CLASS,
)

__all__ = [
    "WeightingInputError",
    "classes_without_respondents",
    "nonresponse_adjust",
]


class WeightingInputError(ValueError):
    """The sampled-case frame cannot be weighted (missing column, null, bad weight).

    Terminal: the same input always fails.  Carries the offending ``column``
    and a ``reason``; the message is built from them.
    """

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"cannot weight: column {column!r} {reason}")


def _validate(sampled: pl.DataFrame, class_col: str) -> None:
    for col in (CASE_ID, DESIGN_WEIGHT, RESPONDED, class_col):
        if col not in sampled.columns:
            raise WeightingInputError(col, "is missing")
        if sampled[col].null_count():
            raise WeightingInputError(col, "has nulls")
    if sampled.schema[RESPONDED] != pl.Boolean:
        raise WeightingInputError(RESPONDED, f"must be Boolean, not {sampled.schema[RESPONDED]}")
    if not sampled.schema[DESIGN_WEIGHT].is_numeric():
        raise WeightingInputError(DESIGN_WEIGHT, "must be numeric")
    d = sampled[DESIGN_WEIGHT].cast(pl.Float64)
    if not bool((d.is_finite() & (d > 0)).all()):
        raise WeightingInputError(DESIGN_WEIGHT, "must be finite and > 0")
    if sampled[CASE_ID].n_unique() != sampled.height:
        raise WeightingInputError(CASE_ID, "is not unique")


def nonresponse_adjust(sampled: pl.DataFrame, class_col: str = WEIGHT_CLASS) -> pl.DataFrame:
    """Add ``final_weight`` by the weighting-class nonresponse adjustment.

    Args:
        sampled: one row per sampled case with ``case_id``, ``design_weight``
            (d_i = N_h / n_h, > 0), a Boolean ``responded`` (answered the
            satisfaction item 1..5; "don't know" is False) and ``class_col``.
        class_col: the weighting-class column (default ``weight_class``).

    Returns:
        The input rows in the input order with a Float64 ``final_weight``:
        ``d_i · Σ_{sampled in class} d_j / Σ_{respondents in class} d_j`` for
        respondents, null for non-respondents and for every case of a class
        without respondents (see the module docstring).

    Raises:
        WeightingInputError: a required column is missing or has nulls,
            ``responded`` is not Boolean, a design weight is not finite and
            positive, or ``case_id`` is not unique.

    Reference: Kalton & Flores-Cervantes (2003), J. Off. Stat. 19(2), §2.1.
    """
    _validate(sampled, class_col)
    d = pl.col(DESIGN_WEIGHT).cast(pl.Float64)
    responded = pl.col(RESPONDED)
    sampled_sum = d.sum().over(class_col)
    responded_sum = pl.when(responded).then(d).otherwise(0.0).sum().over(class_col)
    return sampled.with_columns(
        pl.when(responded & (responded_sum > 0))
        .then(d * (sampled_sum / responded_sum))
        .otherwise(None)
        .cast(pl.Float64)
        .alias(FINAL_WEIGHT)
    )


def classes_without_respondents(
    sampled: pl.DataFrame, class_col: str = WEIGHT_CLASS
) -> pl.DataFrame:
    """Weighting classes whose sampled cases include no respondent.

    Returns one row per such class with ``class_col``, ``sampled`` (cases) and
    ``design_weight`` (Σ d_j, the weight that :func:`nonresponse_adjust`
    cannot carry), sorted by class.  Empty when every class has a respondent.

    Raises:
        WeightingInputError: as :func:`nonresponse_adjust`.
    """
    _validate(sampled, class_col)
    return (
        sampled.group_by(class_col)
        .agg(
            pl.len().cast(pl.Int64).alias(SAMPLED),
            pl.col(DESIGN_WEIGHT).cast(pl.Float64).sum().alias(DESIGN_WEIGHT),
            pl.col(RESPONDED).any().alias("_any"),
        )
        .filter(~pl.col("_any"))
        .drop("_any")
        .sort(class_col)
    )
