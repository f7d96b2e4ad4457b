"""Stage: closing a month — final dispositions, weights, estimates, validation, bulletin.

A month closes at its **cut-off**: by default the ``MINYI_MONTH_CLOSE_WORKING_DAY``-th
working day of the next month at ``MINYI_MONTH_AT`` (local time), so that the
last day's sample had its SMS, voice and evaluator attempts. The cut-off is
stored (``month_closes``); dispositions, weights, estimates, judgements and every re-render
use that one cut-off, so an answer arriving later never changes a closed month.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from channels.hours import is_working_day
from flows import judging, validation
from minyi import months
from minyi.errors import UsageRefused
from minyi.settings import Settings
from sampling import dispositions as aapor
from warehouse import monthly
from warehouse import validations as stored_validations

if TYPE_CHECKING:
    from bulletins.i18n import Lang
    from bulletins.model import BulletinData

SUITES_DOCS = "data_docs"


def default_cutoff(settings: Settings, month: str) -> datetime:
    """The ``month_close_working_day``-th working day of the next month, at ``month_at``."""
    _, day = months.bounds(month)
    seen = 0
    while True:
        if is_working_day(day):
            seen += 1
            if seen == settings.month_close_working_day:
                return datetime.combine(day, settings.month_at, tzinfo=settings.zone)
        day += timedelta(days=1)


class MonthStillOpen(UsageRefused):
    def __init__(self, month: str, cutoff: datetime) -> None:
        self.month = month
        self.cutoff = cutoff
        super().__init__(
            f"fieldwork of {month} is open until {cutoff:%Y-%m-%d %H:%M}: the month closes then "
            f"(or pass --cutoff to close it earlier) / {month} 访评尚未截止（{cutoff:%Y-%m-%d %H:%M}）"
        )


def resolve_cutoff(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    month: str,
    now: datetime,
    asked: datetime | None = None,
) -> datetime:
    """The month's cut-off: the stored one (a closed month keeps it), the one asked for, or the
    default; refused while the default is still in the future."""
    stored = monthly.cutoff_of(con, month)
    if stored is not None and asked is None:
        return stored
    cutoff = asked or default_cutoff(settings, month)
    if asked is None and cutoff > now:
        raise MonthStillOpen(month, cutoff)
    _, nxt = months.bounds(month)
    if cutoff.astimezone(settings.zone).date() < nxt:
        raise UsageRefused(
            f"the cut-off {cutoff:%Y-%m-%d %H:%M} is inside {month}: it must be after the month "
            f"/ 截止时间必须在 {month} 之后"
        )
    return cutoff


@dataclass(frozen=True)
class MonthReport:
    month: str
    cutoff: datetime
    sampled: int
    responded: int
    reportable: int
    validation: tuple[str, ...]
    blocking_failed: bool


def finalise_dispositions(
    con: duckdb.DuckDBPyConnection, month: str, at: datetime, final: bool
) -> pl.DataFrame:
    summary = monthly.event_summary(con, month, at)
    coded = aapor.assign(summary).with_columns(
        is_final=pl.lit(final) | ~pl.col("aapor_code").is_in(["3.19"]),
        decided_at=pl.lit(at.astimezone(UTC)).cast(pl.Datetime("us", "UTC")),
    )
    monthly.store_dispositions(con, month, coded)
    return coded


def close_month(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str, cutoff: datetime
) -> MonthReport:
    """Final dispositions, nonresponse-adjusted weights, per-unit estimates (describing the
    month), the judgements, changes and integrity rates (:mod:`flows.judging`), blocking
    validation."""
    from expectations.validate import build_data_docs, validate
    from flows.intake import reveal_selection_key
    from sampling.comparison import compare_units
    from sampling.estimation import domain_estimates
    from sampling.weights import nonresponse_adjust

    coded = finalise_dispositions(con, month, cutoff, final=True)
    monthly.record_close(con, month, cutoff)
    reveal_selection_key(con, settings, month)
    weights = nonresponse_adjust(monthly.sampled_for_weighting(con, month, cutoff))
    monthly.store_weights(con, month, weights)
    responses = monthly.responses(con, month, cutoff)
    units = monthly.units(con)
    disp = monthly.dispositions(con, month)
    outcomes = [
        validate(disp, "dispositions", sampled=coded.height, docs_run=month),
        validate(responses, "responses", docs_run=month),
    ]
    docs = build_data_docs(settings.home / SUITES_DOCS)
    validation.record(con, f"month:{month}", outcomes, cutoff, docs)
    # describing the month: the design-based rate and SE (equal to R), the interval with
    # n_eff capped at the respondents (METHODS.md "Describing the month")
    est = domain_estimates(
        responses.with_columns(pl.col("satisfied").cast(pl.Boolean)),
        domain="unit_id",
        cap_n_eff=True,
    )
    per_unit, funnel = compare_units(
        est,
        units.select("unit_id", "peer_group"),
        seed=settings.sample_seed,
        min_respondents=settings.min_respondents,
        top_n=settings.top_n,
        funnel_level=settings.funnel_level,
    )
    rates = aapor.rates(disp, ["unit_id"]).select("unit_id", pl.col("RR1").alias("response_rate"))
    monthly.store_response_rates(con, month, _all_rates(disp))
    sampled = disp.group_by("unit_id").agg(pl.len().cast(pl.Int32).alias("sampled"))
    # judging performance: rank, rank interval, flag and 十佳 come from the judgement
    # (flows.judging), shown for the units reportable this month
    judged = judging.judge_month(con, settings, month)
    judging.unit_changes(con, settings, month)
    marks = judging.month_marks(judged)
    integrity = judging.integrity_rates(con, month, cutoff)
    reportable = pl.col("reportable")
    rows = (
        units.select("unit_id")
        .join(sampled, on="unit_id", how="left")
        .join(rates, on="unit_id", how="left")
        .join(
            per_unit.drop("responded", "rank", "rank_low", "rank_high", "flag", strict=False),
            on="unit_id",
            how="left",
        )
        .join(est.select("unit_id", "responded"), on="unit_id", how="left")
        .join(marks, on="unit_id", how="left")
        .join(integrity, on="unit_id", how="left")
        .with_columns(
            pl.col("sampled").fill_null(0),
            pl.col("responded").fill_null(0).cast(pl.Int32),
            reportable.fill_null(False),
        )
        .with_columns(
            pl.when(reportable).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("rank", "rank_low", "rank_high", "flag", "honour")
        )
    )
    keep = [
        "unit_id",
        "sampled",
        "responded",
        "response_rate",
        "satisfaction_rate",
        "se",
        "ci_low",
        "ci_high",
        "n_eff",
        "reportable",
        "rank",
        "rank_low",
        "rank_high",
        "flag",
        "funnel_low",
        "funnel_high",
        "honour",
        "integrity_rate",
    ]
    monthly.store_unit_month(con, month, rows.select(keep), funnel)
    return MonthReport(
        month,
        cutoff,
        coded.height,
        responses.height,
        int(rows["reportable"].sum()),
        tuple(o.describe() for o in outcomes),
        any(o.blocking_failed for o in outcomes),
    )


def _all_rates(disp: pl.DataFrame) -> pl.DataFrame:
    """AAPOR rates by unit × channel, by unit, by channel and overall ('*' = all)."""
    frame = disp.with_columns(pl.col("channel").fill_null("none"))
    parts = []
    for unit_all, channel_all in ((False, False), (False, True), (True, False), (True, True)):
        keyed = frame.with_columns(
            *([pl.lit("*").alias("unit_id")] if unit_all else []),
            *([pl.lit("*").alias("channel")] if channel_all else []),
        )
        parts.append(aapor.rates(keyed, ["unit_id", "channel"]))
    return pl.concat(parts)


def validate_month(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str
) -> tuple[list[str], bool]:
    """Re-run the month's blocking suites now and record them."""
    from expectations.validate import build_data_docs, validate

    cutoff = monthly.cutoff_of(con, month)
    if cutoff is None:
        raise MonthNotClosed(month)
    disp = monthly.dispositions(con, month)
    sampled = con.sql(
        "SELECT count(*) FROM samples WHERE strftime(sample_date, '%Y-%m') = $m",
        params={"m": month},
    ).fetchall()[0][0]
    outcomes = [
        validate(disp, "dispositions", sampled=sampled, docs_run=month),
        validate(monthly.responses(con, month, cutoff), "responses", docs_run=month),
    ]
    docs = build_data_docs(settings.home / SUITES_DOCS)
    validation.record(con, f"month:{month}", outcomes, datetime.now(UTC), docs)
    lines = [f"month:{month} {o.describe()}" for o in outcomes]
    return lines, any(o.blocking_failed for o in outcomes)


# --- the bulletin -------------------------------------------------------------


@dataclass(frozen=True)
class BulletinFiles:
    directory: Path
    html: Path
    csv: Path
    pdf: Path | None = None
    conduct: Path | None = None


class ValidationBlocked(UsageRefused):
    """The month's validation failed: the bulletin is not published."""


class MonthNotClosed(UsageRefused):
    def __init__(self, month: str) -> None:
        super().__init__(
            f"no estimates for {month}: close the month first (`minyi month --month {month}`) "
            f"/ {month} 尚未结账，请先运行 minyi month"
        )


def write_bulletin(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str, lang: str = "zh"
) -> BulletinFiles:
    """Render the month's bulletin and exports into ``<home>/bulletins/<month>/``, replaced
    whole: a failed or killed run leaves the previous complete set. Refuses when the month's
    validation failed or the month was not closed."""
    data = _bulletin_data(con, settings, month)
    final = settings.home / "bulletins" / month
    with _replaced_directory(final) as directory:
        files = _render_all(settings, data, month, lang, directory)
    return BulletinFiles(
        final,
        final / files.html.name,
        final / files.csv.name,
        None if files.pdf is None else final / files.pdf.name,
        None if files.conduct is None else final / files.conduct.name,
    )


def _bulletin_data(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str
) -> tuple[BulletinData, pl.DataFrame]:
    """Everything the bulletin shows, from the warehouse, at the month's stored cut-off."""
    from bulletins import model
    from channels.reasons import code as reason_theme
    from sampling.estimation import domain_estimates, overall_estimate

    scope = f"month:{month}"
    failed = stored_validations.blocking_failures(con, scope)
    if failed:
        raise ValidationBlocked(
            f"the {month} bulletin is not published: validation failed ({'; '.join(failed)}); "
            f"see `minyi validate --month {month}` / {month} 数据校验未通过，通报不予发布"
        )
    cutoff = monthly.cutoff_of(con, month)
    units = monthly.unit_month(con, month)
    if cutoff is None or units.is_empty():
        raise MonthNotClosed(month)
    docs = stored_validations.data_docs_of(con, scope)
    counts = monthly.fieldwork_counts(con, month, cutoff)
    responses = monthly.responses(con, month, cutoff)
    channels = monthly.channel_fieldwork(con, month, cutoff)
    disp = monthly.dispositions(con, month)
    overall_rr = aapor.rates(disp.with_columns(pl.lit(1).alias("_all")), ["_all"])["RR1"]

    def district_of(which: str) -> model.DistrictFigure | None:
        closed = monthly.cutoff_of(con, which)
        if closed is None:
            return None
        rows = monthly.responses(con, which, closed)
        if rows.is_empty():
            return None
        d = overall_estimate(rows.with_columns(pl.col("satisfied").cast(pl.Boolean)))
        return model.DistrictFigure(
            d["satisfaction_rate"], d["ci_low"], d["ci_high"], d["responded"], d["se"]
        )

    def units_of(which: str) -> pl.DataFrame | None:
        frame = monthly.unit_month(con, which)
        return None if frame.is_empty() else frame

    by_category = domain_estimates(
        responses.with_columns(pl.col("satisfied").cast(pl.Boolean)), domain="category"
    ) if responses.height else None
    categories = monthly.category_counts(con, month)
    if by_category is not None:
        categories = categories.join(
            by_category.select("category", "responded", "satisfaction_rate", "ci_low", "ci_high"),
            on="category",
            how="left",
        ).with_columns(pl.col("responded").fill_null(0))
    themes: dict[str, int] = {}
    for text in monthly.reason_texts(con, month, cutoff):
        theme = reason_theme(text)
        if theme:
            themes[theme] = themes.get(theme, 0) + 1
    generated = datetime.now(UTC)
    issued = generated.astimezone(settings.zone).date()
    serial = monthly.issue_serial(con, month, issued.year) if settings.doc_prefix else None
    texts = settings.home / "texts" / month
    validations = tuple(
        model.SuiteOutcome(
            r.suite,
            r.evaluated,
            r.rows or 0,
            ()
            if r.success
            else (model.SuiteFailure(r.description, None, 0, r.blocking_failed),),
        )
        for r in stored_validations.latest_results(con, scope)
    )
    district = district_of(month)
    data = model.BulletinData(
        month=month,
        district_name=settings.district_name,
        fieldwork=model.Fieldwork(
            cases=counts["cases"],
            eligible=counts["eligible"],
            sampled=counts["sampled"],
            responded=counts["responded"],
            response_rate=overall_rr[0] if overall_rr.len() else None,
            channels=tuple(
                model.ChannelFieldwork(
                    r["channel"],
                    r["contacted"],
                    r["responded"],
                    r["responded"] / r["contacted"] if r["contacted"] else None,
                )
                for r in channels.iter_rows(named=True)
            ),
        ),
        district=district or model.DistrictFigure(None, None, None, 0),
        units=units.with_columns(pl.lit(month).alias("month")),
        funnel=monthly.funnel(con, month),
        channel_mix=monthly.channel_mix(con, month, cutoff),
        previous=units_of(months.previous(month)),
        integrity=model.IntegritySummary(
            counts["integrity_reports"],
            counts["integrity_units"],
            counts["dissatisfied_followups"],
        ),
        validation_ok=True,
        data_docs_path=None if docs is None else "../../data_docs/index.html",
        generated_at=generated.strftime("%Y-%m-%d %H:%M UTC"),
        generated=generated,
        timezone=settings.timezone,
        issued_on=issued,
        document=model.DocumentInfo(
            issuer=settings.issuer or f"{settings.district_name}民意访评中心",
            recipients=settings.recipients,
            doc_prefix=settings.doc_prefix,
            doc_serial=serial,
            signer=settings.signer,
            copy_to=settings.copy_to,
        ),
        year_ago=units_of(months.previous(month, 12)),
        district_previous=district_of(months.previous(month)),
        district_year_ago=district_of(months.previous(month, 12)),
        categories=categories if by_category is not None else None,
        reasons=pl.DataFrame(
            {"theme": list(themes), "mentions": list(themes.values())},
            schema={"theme": pl.String, "mentions": pl.Int64},
        )
        if themes
        else None,
        validations=validations,
        judgement=judging.bulletin_judgement(con, month),
        channel_effects=judging.bulletin_channel_effects(con, month),
        changes=judging.bulletin_changes(con, month),
        delta=settings.judge_delta,
        problems_text=_text(texts / "存在问题.txt"),
        requirements_text=_text(texts / "工作要求.txt"),
    )
    data = _casework_extras(con, settings, month, cutoff, data)  # issue 13: follow-ups, complaints…
    return data, responses


def _casework_extras(
    con: duckdb.DuckDBPyConnection, settings: Settings, month: str, cutoff: datetime, data: BulletinData
) -> BulletinData:
    from flows.casework import bulletin_extras

    return bulletin_extras(con, settings, month, cutoff, data)


def _text(path: Path) -> str | None:
    """The director's own paragraphs for a month (``<home>/texts/<month>/存在问题.txt`` …)."""
    return path.read_text(encoding="utf-8").strip() or None if path.exists() else None


def _render_all(
    settings: Settings, gathered: tuple[BulletinData, pl.DataFrame], month: str, lang: str, directory: Path
) -> BulletinFiles:
    from bulletins.render import render_all
    from flows.casework import verified_vetoes

    data, _ = gathered
    vetoes = verified_vetoes(settings, month)  # issue 13: only what the discipline office verified
    langs: tuple[Lang, ...] = ("zh",) if lang == "zh" else ("zh", "en")
    files = render_all(data, langs=langs, vetoes=vetoes, min_respondents=settings.min_respondents)
    for name, content in files.items():
        (directory / name).write_bytes(content)
    suffix = "" if lang == "zh" else f".{lang}"
    return BulletinFiles(
        directory,
        directory / f"bulletin{suffix}.html",
        directory / "units.csv",
        directory / f"bulletin{suffix}.pdf",
        directory / "conduct.csv",
    )


class _replaced_directory:
    """Write into a fresh folder beside ``final``; on success swap it in, else remove it.

    The previous complete set stays in place until the new one is complete; after a
    crash between the two renames the next run puts the previous set back.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        tag = f"{os.getpid()}"
        self.fresh = final.with_name(f".{final.name}.new-{tag}")
        self.old = final.with_name(f".{final.name}.old")

    def __enter__(self) -> Path:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        if self.old.exists() and not self.final.exists():
            self.old.rename(self.final)  # a crash between the renames: restore the last set
        shutil.rmtree(self.fresh, ignore_errors=True)
        self.fresh.mkdir()
        return self.fresh

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if exc is not None:
            shutil.rmtree(self.fresh, ignore_errors=True)
            return
        shutil.rmtree(self.old, ignore_errors=True)
        if self.final.exists():
            self.final.rename(self.old)
        self.fresh.rename(self.final)
        shutil.rmtree(self.old, ignore_errors=True)
