"""AAPOR final dispositions and outcome rates (METHODS.md "Response rates").

Reference: AAPOR, *Standard Definitions: Final Dispositions of Case Codes and
Outcome Rates for Surveys* (10th ed., 2023). Codes used here, first match wins:

====== ============================================================ ===========
code   when (from the case's event history)                          group
====== ============================================================ ===========
1.1    satisfaction and every later closed item answered             I
1.2    satisfaction answered, a later item not                       P
4.70   an evaluator learnt the number is not the service recipient's  NE
2.11   refusal: opt-out (SMS 退订/T/STOP) or refused on a call         R
2.12   break-off before the satisfaction item                        R
2.30   other: replied but nothing readable                           O
2.20   non-contact: delivered or rung, never answered                NC
3.16   unknown eligibility: every attempt undeliverable/invalid      U
3.19   unknown eligibility: never attempted                          U
====== ============================================================ ===========
"""

from __future__ import annotations

import polars as pl

SUMMARY_COLUMNS = (
    "case_id",
    "attempts",
    "satisfaction_answered",
    "later_items_answered",
    "wrong_number",
    "refused",
    "break_off",
    "unreadable",
    "contacted",
    "undeliverable",
)


def assign(summary: pl.DataFrame) -> pl.DataFrame:
    """Add ``aapor_code`` to a per-case event summary with ``SUMMARY_COLUMNS``."""
    code = (
        pl.when(pl.col("satisfaction_answered") & pl.col("later_items_answered"))
        .then(pl.lit("1.1"))
        .when(pl.col("satisfaction_answered"))
        .then(pl.lit("1.2"))
        .when(pl.col("wrong_number"))
        .then(pl.lit("4.70"))
        .when(pl.col("refused"))
        .then(pl.lit("2.11"))
        .when(pl.col("break_off"))
        .then(pl.lit("2.12"))
        .when(pl.col("unreadable"))
        .then(pl.lit("2.30"))
        .when(pl.col("contacted"))
        .then(pl.lit("2.20"))
        .when(pl.col("attempts") > 0)
        .then(pl.lit("3.16"))
        .otherwise(pl.lit("3.19"))
    )
    return summary.with_columns(aapor_code=code)


def _group(code: pl.Expr) -> pl.Expr:
    return (
        pl.when(code == "1.1")
        .then(pl.lit("I"))
        .when(code == "1.2")
        .then(pl.lit("P"))
        .when(code.str.starts_with("2.1"))
        .then(pl.lit("R"))
        .when(code.str.starts_with("2.2"))
        .then(pl.lit("NC"))
        .when(code.str.starts_with("2."))
        .then(pl.lit("O"))
        .when(code.str.starts_with("3."))
        .then(pl.lit("U"))
        .otherwise(pl.lit("NE"))
    )


def rates(dispositions: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """RR1, RR3, COOP1, REF1 and CON1 by the given columns.

    RR3 estimates e, the eligible share of unknown-eligibility cases, as
    (I+P+R+NC+O) / (I+P+R+NC+O+NE) within the group (AAPOR's proportional
    allocation); a rate with an empty denominator is null.
    """
    counts = (
        dispositions.with_columns(_group(pl.col("aapor_code")).alias("_g"))
        .group_by(by)
        .agg([(pl.col("_g") == g).sum().alias(g) for g in ("I", "P", "R", "NC", "O", "U", "NE")])
    )
    known = pl.col("I") + pl.col("P") + pl.col("R") + pl.col("NC") + pl.col("O")
    e = known / (known + pl.col("NE"))

    def ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
        return pl.when(den > 0).then(num / den).otherwise(None)

    return counts.with_columns(
        RR1=ratio(pl.col("I"), known + pl.col("U")),
        RR3=ratio(pl.col("I"), known + e.fill_nan(0).fill_null(0) * pl.col("U")),
        COOP1=ratio(pl.col("I"), pl.col("I") + pl.col("P") + pl.col("R") + pl.col("O")),
        REF1=ratio(pl.col("R"), known + pl.col("U")),
        CON1=ratio(pl.col("I") + pl.col("P") + pl.col("R") + pl.col("O"), known + pl.col("U")),
    ).sort(by)
