"""Change over time, and the 1/π-weighted rate of integrity reports.

METHODS.md "Judging performance".

**Changes** (:func:`changes`).  For a unit's month t the month-on-month change
is p_t − p_{t−1} and the year-on-year change p_t − p_{t−12}, each with
SE √(v_t + v_s): the months' samples are drawn independently (a number
sampled once is not eligible again within the cooldown), so the covariance
is taken as 0.  v is the process variance of the direct estimate of
:func:`sampling.adjustment.direct_estimates` (no fpc, n_eff ≤ respondents):
"did the service change?" is a process question, and the fpc would make a
change between two nearly complete censuses of a small category look
certain.  A rate of 0 or 1 has design variance 0; there v is
p̃(1 − p̃)/n_eff with p̃ = (n_eff·p + ½)/(n_eff + 1), so that 30 of 30
satisfied against 27 of 30 is not "certain".  A change is ``significant``
when |change|/SE ≥ z_{(1+level)/2} (two-sided Wald test, default level 0.95);
only then does the bulletin mark it.  A month whose base month has no
estimate for the unit gets no row.

**Integrity reports** (:func:`integrity_rate`).  Reports of 吃拿卡要 and the
like are leads to verify, never an automatic veto; where a rate of them is
shown it is weighted by the inverse inclusion probability,
Σ y_i/π_i / Σ 1/π_i (Hájek 1971), so that a unit whose categories are sampled
at 76% is not 10 times likelier to show a report than one sampled at 7% for
the same conduct.  No threshold, no veto: the function only measures.
"""

from __future__ import annotations

import polars as pl
from scipy import stats

from minyi.columns import (
    BASE_MONTH,
    CHANGE,
    CHANGE_SE,
    COMPARISON,
    COMPARISONS,
    INCLUSION_PROB,
    INTEGRITY_RATE,
    INTEGRITY_REPORT,
    MONTH,
    N_EFF,
    RESPONDENTS,
    SATISFACTION_RATE,
    SIGNIFICANT,
    UNIT_ID,
)
from sampling.errors import InvalidParameterError, JudgementInputError

__all__ = ["REPORTS", "changes", "integrity_rate"]

REPORTS = "reports"  # integrity_rate: answers with a report
_V = "__v"
_LAGS = {COMPARISONS[0]: 1, COMPARISONS[1]: 12}


def _shift_month(month: pl.Expr, back: int) -> pl.Expr:
    """``YYYY-MM`` of ``back`` months earlier."""
    index = month.str.slice(0, 4).cast(pl.Int64) * 12 + month.str.slice(5, 2).cast(pl.Int64) - 1
    earlier = index - back
    return pl.format(
        "{}-{}",
        (earlier // 12).cast(pl.String).str.zfill(4),
        (earlier % 12 + 1).cast(pl.String).str.zfill(2),
    )


def changes(monthly: pl.DataFrame, *, level: float = 0.95) -> pl.DataFrame:
    """Month-on-month and year-on-year changes of each unit's rate, with SEs.

    Args:
        monthly: one row per unit × month, as
            ``direct_estimates(responses, by=("unit_id", "month"))`` returns:
            ``unit_id``, ``month`` (``YYYY-MM``), ``satisfaction_rate`` and
            ``n_eff`` (> 0); include the base months (the month before, the
            same month a year before).
        level: two-sided level of the significance test.

    Returns:
        One row per unit × month × comparison that has its base month, sorted
        by ``unit_id``, ``month``, ``comparison``: ``unit_id``, ``month``,
        ``comparison`` (``month_on_month`` or ``year_on_year``),
        ``base_month``, ``change`` (p_t − p_base), ``change_se`` and
        ``significant`` (Boolean).
    """
    if not 0.0 < level < 1.0:
        raise InvalidParameterError("level", level, "in (0, 1)")
    for col in (UNIT_ID, MONTH, SATISFACTION_RATE, N_EFF):
        if col not in monthly.columns:
            raise JudgementInputError("monthly", col, "缺少该列 / missing")
        if monthly[col].null_count():
            raise JudgementInputError("monthly", col, "有空值 / has nulls")
    if not monthly[MONTH].str.contains(r"^\d{4}-\d{2}$").all():
        raise JudgementInputError("monthly", MONTH, "须为 YYYY-MM / must be YYYY-MM")
    if monthly.select(pl.struct(UNIT_ID, MONTH).is_duplicated().any()).item():
        raise JudgementInputError("monthly", MONTH, "单位×月重复 / unit × month repeats")
    p, n = pl.col(SATISFACTION_RATE), pl.col(N_EFF)
    smooth = (n * p + 0.5) / (n + 1.0)
    base = monthly.select(
        UNIT_ID,
        MONTH,
        SATISFACTION_RATE,
        pl.when((p > 0) & (p < 1))
        .then(p * (1 - p) / n)
        .otherwise(smooth * (1 - smooth) / n)
        .alias(_V),
    )
    z = float(stats.norm.ppf((1.0 + level) / 2.0))
    parts = []
    for name, lag in _LAGS.items():
        earlier = base.select(
            UNIT_ID,
            pl.col(MONTH).alias(BASE_MONTH),
            pl.col(SATISFACTION_RATE).alias("__p0"),
            pl.col(_V).alias("__v0"),
        )
        parts.append(
            base.with_columns(_shift_month(pl.col(MONTH), lag).alias(BASE_MONTH))
            .join(earlier, on=[UNIT_ID, BASE_MONTH], how="inner")
            .select(
                UNIT_ID,
                MONTH,
                pl.lit(name).alias(COMPARISON),
                BASE_MONTH,
                (pl.col(SATISFACTION_RATE) - pl.col("__p0")).alias(CHANGE),
                (pl.col(_V) + pl.col("__v0")).sqrt().alias(CHANGE_SE),
            )
        )
    out = pl.concat(parts).with_columns(
        ((pl.col(CHANGE).abs() >= z * pl.col(CHANGE_SE)) & (pl.col(CHANGE_SE) > 0)).alias(
            SIGNIFICANT
        )
    )
    return out.sort(UNIT_ID, MONTH, COMPARISON)


def integrity_rate(answers: pl.DataFrame) -> pl.DataFrame:
    """The 1/π-weighted share of answers reporting an integrity problem, per unit.

    Args:
        answers: one row per answer to the integrity item with ``unit_id``,
            ``inclusion_prob`` (π_i of the sampled case, in (0, 1]) and
            ``integrity_report`` (Boolean).

    Returns:
        One row per unit, sorted: ``unit_id``, ``respondents`` (answers),
        ``reports`` (answers with a report) and ``integrity_rate``
        (Σ y/π / Σ 1/π).
    """
    for col in (UNIT_ID, INCLUSION_PROB, INTEGRITY_REPORT):
        if col not in answers.columns:
            raise JudgementInputError("answers", col, "缺少该列 / missing")
        if answers[col].null_count():
            raise JudgementInputError("answers", col, "有空值 / has nulls")
    pi = answers[INCLUSION_PROB].cast(pl.Float64).to_numpy()
    if not ((pi > 0) & (pi <= 1)).all():
        raise JudgementInputError("answers", INCLUSION_PROB, "须在 (0, 1] / must be in (0, 1]")
    d = pl.lit(1.0) / pl.col(INCLUSION_PROB).cast(pl.Float64)
    y = pl.col(INTEGRITY_REPORT).cast(pl.Float64)
    return (
        answers.group_by(UNIT_ID)
        .agg(
            pl.len().cast(pl.Int64).alias(RESPONDENTS),
            y.sum().cast(pl.Int64).alias(REPORTS),
            ((d * y).sum() / d.sum()).alias(INTEGRITY_RATE),
        )
        .sort(UNIT_ID)
        .with_columns(pl.col(INTEGRITY_RATE).cast(pl.Float64))
        .select(UNIT_ID, RESPONDENTS, REPORTS, INTEGRITY_RATE)
        if answers.height
        else pl.DataFrame(
            schema={
                UNIT_ID: answers.schema[UNIT_ID],
                RESPONDENTS: pl.Int64,
                REPORTS: pl.Int64,
                INTEGRITY_RATE: pl.Float64,
            }
        )
    )
