"""The stages of the daily and monthly work, each wiring leaf packages together.

These are plain functions (the Prefect tasks in ``flows.daily`` and
``flows.monthly`` call them, and tests may call them directly). Each opens the
warehouse by path, so tasks never receive a connection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from channels.base import ContactRequest, Provider, SendReceipt
from channels.errors import PermanentSendError, TransientSendError
from channels.hours import in_window
from channels.landing import LandingStore
from channels.schedule import Policy, due
from expectations.validate import Outcome
from minyi.settings import Settings
from sampling import dispositions as aapor
from sampling.selection import draw as draw_sample
from warehouse import design, draws, fieldwork, monthly
from warehouse.db import connect, publish
from warehouse.loaders import LoadReport, load_cases


def warehouse_config(settings: Settings) -> dict[str, object]:
    """Settings the views need, stored in the warehouse's ``config`` table."""
    return {"satisfied_min_level": settings.satisfied_min_level, "min_cell": settings.min_cell}


def open_warehouse(settings: Settings):  # type: ignore[no-untyped-def]
    return connect(settings.warehouse_path, warehouse_config(settings))


# --- import -----------------------------------------------------------------


def import_cases(
    settings: Settings, paths: list[Path], encoding: str = "utf-8"
) -> list[LoadReport]:
    with open_warehouse(settings) as con:
        return [load_cases(con, path, settings.zone, encoding) for path in paths]


# --- sample -----------------------------------------------------------------


@dataclass(frozen=True)
class DrawReport:
    day: date
    cases: int
    eligible: int
    sampled: int
    strata: int
    already_drawn: bool
    ineligible: dict[str, int]


def draw_day(settings: Settings, day: date) -> DrawReport:
    """Draw the sample of ``day`` once; a second call shows the stored draw and changes nothing."""
    with open_warehouse(settings) as con:
        stored = draws.stored_draw(con, day)
        if stored is not None:
            return DrawReport(
                day,
                stored.cases,
                stored.eligible,
                stored.sampled,
                stored.strata,
                True,
                stored.ineligible,
            )
        frame = design.day_frame(con, day, settings.cooldown_days, settings.excluded_categories)
        eligible, ineligible = design.split_frame(frame, day)
        allocation, sample = draw_sample(
            eligible,
            total=settings.daily_total,
            minimum=settings.min_per_stratum,
            method=settings.allocation,
            seed=settings.sample_seed,
        )
        design.store_sample(
            con,
            day,
            frame,
            allocation,
            sample,
            settings.allocation,
            settings.daily_total,
            settings.min_per_stratum,
            settings.sample_seed,
        )
        return DrawReport(
            day, frame.height, eligible.height, sample.height, allocation.height, False, ineligible
        )


# --- contact ----------------------------------------------------------------


@dataclass(frozen=True)
class DispatchReport:
    at: datetime
    started: int
    sent: int
    failed: int
    retry: int


def policy(settings: Settings, provider: Provider) -> Policy:
    sequence = tuple(c for c in ("sms", "voice", "manual") if c in provider.channels())
    waits = {"sms": settings.sms_wait_hours, "voice": settings.voice_wait_hours, "manual": 0.0}
    return Policy(
        sequence=sequence,
        waits=tuple(timedelta(hours=waits[c]) for c in sequence[:-1]),
        manual_capacity=settings.evaluators * settings.calls_per_evaluator,
        windows=settings.calling_windows,
        zone=settings.zone,
    )


def dispatch(settings: Settings, provider: Provider, at: datetime) -> DispatchReport:
    """Do the contact work due at ``at``; outbox rows are committed before any send."""
    plan = policy(settings, provider)
    if not in_window(at, plan.windows, plan.zone):  # nobody is contacted outside the windows
        return DispatchReport(at, 0, 0, 0, 0)
    with open_warehouse(settings) as con:
        state = fieldwork.case_states(con, at)
        actions = due(state, at, plan, fieldwork.manual_used(con, at, settings.zone))
        to_send = fieldwork.write_outbox(con, actions, provider.name, at)
        results: list[tuple[str, str, str | None, str | None, str | None, datetime]] = []
        counts = {"sent": 0, "failed": 0, "retry": 0}
        # the send-rate limit protects real networks; the simulated people need none
        pacer = _Pacer(
            settings.messages_per_second if getattr(provider, "rate_limited", True) else None
        )

        def flush() -> None:
            fieldwork.mark_attempts(con, results)
            for outcome in results:
                counts[outcome[1]] += 1
            results.clear()

        try:
            for row in to_send.iter_rows(named=True):
                attempt = row["attempt_id"]
                try:
                    receipt = _send(provider, _request(row, at), pacer, settings)
                except TransientSendError as exc:  # still failing: the next run tries again
                    results.append((attempt, "retry", None, exc.code, exc.detail, at))
                except PermanentSendError as exc:
                    results.append((attempt, "failed", None, exc.code, exc.detail, at))
                else:
                    results.append((attempt, "sent", receipt.provider_sid, None, None, at))
                if len(results) >= 50:
                    flush()
        finally:
            flush()  # what was sent is recorded even when the run stops on an error
        return DispatchReport(at, actions.height, counts["sent"], counts["failed"], counts["retry"])


class _Pacer:
    """Spaces sends so that no more than ``per_second`` start in any second."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next_slot = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        delay = self.next_slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_slot = max(self.next_slot, time.monotonic()) + self.interval


def _send(
    provider: Provider, request: ContactRequest, pacer: _Pacer, settings: Settings
) -> SendReceipt:
    """Reconcile, then send; transient errors are retried with doubling backoff, then raised."""
    for tried in range(settings.send_retries + 1):
        try:
            # a crash or a lost response may have left this attempt sent but unconfirmed
            receipt = provider.find(request.attempt_id)
            if receipt is None:
                pacer.wait()
                receipt = provider.send(request)
            return receipt
        except TransientSendError:
            if tried == settings.send_retries:
                raise
            time.sleep(settings.retry_backoff_seconds * 2**tried)
    raise AssertionError("unreachable")


def _request(row: dict[str, Any], at: datetime) -> ContactRequest:
    return ContactRequest(
        attempt_id=row["attempt_id"],
        case_id=row["case_id"],
        channel=row["channel"],
        to=row["phone_e164"],
        at=at,
        context={
            "unit": row["unit_name"] or "",
            "category": row["category"],
            "date": row["service_date"],
        },
    )


def ingest(settings: Settings, until: datetime | None = None) -> fieldwork.IngestReport:
    """Load what the landing store holds (that occurred by ``until``) into the warehouse."""
    with LandingStore(settings.landing_path) as landing:
        frame = landing.pending_frame(until)
        with open_warehouse(settings) as con:
            report = fieldwork.ingest(con, frame.drop("seq"))
        landing.mark_loaded(frame["seq"].to_list())
    return report


# --- month ------------------------------------------------------------------


def finalise_dispositions(
    settings: Settings, month: str, at: datetime, final: bool
) -> pl.DataFrame:
    with open_warehouse(settings) as con:
        summary = monthly.event_summary(con, month, at)
        coded = aapor.assign(summary).with_columns(
            is_final=pl.lit(final) | ~pl.col("aapor_code").is_in(["3.19"]),
            decided_at=pl.lit(at.astimezone(UTC)).cast(pl.Datetime("us", "UTC")),
        )
        monthly.store_dispositions(con, month, coded)
        return coded


def publish_copy(settings: Settings) -> Path:
    with open_warehouse(settings) as con:
        return publish(con, settings.published_path, settings.hash_key)


@dataclass(frozen=True)
class MonthReport:
    month: str
    sampled: int
    responded: int
    reportable: int
    validation: tuple[str, ...]
    blocking_failed: bool


def estimate_month(settings: Settings, month: str, at: datetime) -> MonthReport:
    """Final dispositions, nonresponse-adjusted weights, per-unit estimates and fair comparison."""
    from expectations.validate import build_data_docs, validate
    from sampling.comparison import compare_units
    from sampling.estimation import domain_estimates
    from sampling.weights import nonresponse_adjust

    coded = finalise_dispositions(settings, month, at, final=True)
    with open_warehouse(settings) as con:
        weights = nonresponse_adjust(monthly.sampled_for_weighting(con, month))
        monthly.store_weights(con, month, weights)
        responses = monthly.responses(con, month)
        units = monthly.units(con)
        disp = monthly.dispositions(con, month)
        outcomes = [
            validate(disp, "dispositions", sampled=coded.height, docs_run=month),
            validate(responses, "responses", docs_run=month),
        ]
        docs = build_data_docs(settings.home / "data_docs")
        record_validations(con, f"month:{month}", outcomes, at, docs)
        est = domain_estimates(
            responses.with_columns(pl.col("satisfied").cast(pl.Boolean)), domain="unit_id"
        )
        per_unit, funnel = compare_units(
            est,
            units.select("unit_id", "peer_group"),
            seed=settings.sample_seed,
            min_respondents=settings.min_respondents,
            top_n=settings.top_n,
            funnel_level=settings.funnel_level,
        )
        rates = aapor.rates(disp, ["unit_id"]).select(
            "unit_id", pl.col("RR1").alias("response_rate")
        )
        monthly.store_response_rates(con, month, _all_rates(disp))
        sampled = disp.group_by("unit_id").agg(pl.len().cast(pl.Int32).alias("sampled"))
        rows = (
            units.select("unit_id")
            .join(sampled, on="unit_id", how="left")
            .join(rates, on="unit_id", how="left")
            .join(per_unit.drop("responded", strict=False), on="unit_id", how="left")
            .join(est.select("unit_id", "responded"), on="unit_id", how="left")
            .with_columns(
                pl.col("sampled").fill_null(0),
                pl.col("responded").fill_null(0).cast(pl.Int32),
                pl.col("reportable").fill_null(False),
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
        ]
        monthly.store_unit_month(con, month, rows.select(keep), funnel)
        return MonthReport(
            month,
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


def record_validations(
    con: duckdb.DuckDBPyConnection,
    scope: str,
    outcomes: list[Outcome],
    at: datetime,
    data_docs: Path | None = None,
) -> None:
    """Store one run of suites; they share ``recorded_at`` so the latest run reads back whole."""
    recorded = datetime.now(UTC)
    con.executemany(
        "INSERT INTO validations (run_at, scope, suite, success, blocking, evaluated, failed, "
        "recorded_at, data_docs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                at,
                scope,
                o.suite,
                o.success,
                o.blocking_failed,
                o.evaluated,
                None if o.success else o.describe(),
                recorded,
                None if data_docs is None else str(data_docs),
            ]
            for o in outcomes
        ],
    )


def validation_history(settings: Settings, scope: str) -> tuple[list[str], bool]:
    """The latest recorded validation of a scope, one line per suite."""
    with open_warehouse(settings) as con:
        rows = con.sql(
            "SELECT suite, success, blocking, evaluated, failed, run_at FROM validations "
            "WHERE scope = $s "
            "AND recorded_at = (SELECT max(recorded_at) FROM validations WHERE scope = $s) "
            "ORDER BY suite",
            params={"s": scope},
        ).fetchall()
    if not rows:
        return [f"{scope}: no validation recorded"], False
    lines = [
        f"{scope} {suite}: "
        + ("ok" if ok else f"FAILED{' (blocking)' if blocking else ''}: {failed}")
        for suite, ok, blocking, _evaluated, failed, _at in rows
    ]
    return lines, any(row[2] for row in rows)  # validations.blocking = a blocking failure


def validate_month(settings: Settings, month: str) -> tuple[list[str], bool]:
    """Re-run the month's blocking suites now and record them."""
    from expectations.validate import build_data_docs, validate

    at = datetime.now(UTC)
    with open_warehouse(settings) as con:
        disp = monthly.dispositions(con, month)
        sampled = con.sql(
            "SELECT count(*) FROM samples WHERE strftime(sample_date, '%Y-%m') = $m",
            params={"m": month},
        ).fetchall()[0][0]
        outcomes = [
            validate(disp, "dispositions", sampled=sampled, docs_run=month),
            validate(monthly.responses(con, month), "responses", docs_run=month),
        ]
        docs = build_data_docs(settings.home / "data_docs")
        record_validations(con, f"month:{month}", outcomes, at, docs)
    lines = [f"month:{month} {o.describe()}" for o in outcomes]
    return lines, any(o.blocking_failed for o in outcomes)


def validate_day(settings: Settings, day: date, at: datetime) -> list[str]:
    """Validate the day's cases and sample, and the answers loaded so far."""
    from expectations.validate import validate

    with open_warehouse(settings) as con:
        cases = con.sql("SELECT * FROM cases WHERE service_date = $d", params={"d": day}).pl()
        sample = design.stored_sample(con, day)
        answers = con.sql(
            "SELECT a.*, o.sent_at FROM answers a JOIN events e USING (event_key) "
            "JOIN outbox o ON o.attempt_id = e.attempt_id "
            "WHERE CAST(a.answered_at AS DATE) >= $d - 3",
            params={"d": day},
        ).pl()
        outcomes = [
            validate(cases, "cases"),
            validate(sample, "sample"),
            validate(answers, "answers"),
        ]
        record_validations(con, f"day:{day.isoformat()}", outcomes, at)
        problems = [o.describe() for o in outcomes if not o.success]
        # answers that fail a row-level expectation leave the warehouse for quarantine
        for failure in outcomes[2].failures:
            if failure.unexpected_rows:
                bad = answers[list(failure.unexpected_rows)]
                moved = fieldwork.quarantine_answers(
                    con, bad, f"failed expectation {failure.expectation} on {failure.column}"
                )
                problems.append(f"{moved} answer(s) quarantined ({failure.expectation})")
        return problems


@dataclass(frozen=True)
class BulletinFiles:
    directory: Path
    html: Path
    csv: Path
    pdf: Path | None = None
    conduct: Path | None = None


class ValidationBlocked(RuntimeError):
    """The month's validation failed: the bulletin is not published."""


def _previous_month(month: str) -> str:
    first, _ = monthly.month_bounds(month)
    prev = first - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


def write_bulletin(settings: Settings, month: str, lang: str = "zh") -> BulletinFiles:
    """Render the month's bulletin from the warehouse; refuses when validation failed."""
    from bulletins import model
    from bulletins.pdf import render_pdf
    from bulletins.render import render_html, units_csv
    from sampling.estimation import overall_estimate

    with open_warehouse(settings) as con:
        failed = con.sql(
            "SELECT suite, failed FROM validations WHERE scope = $s AND blocking "
            "AND recorded_at = (SELECT max(recorded_at) FROM validations WHERE scope = $s)",
            params={"s": f"month:{month}"},
        ).fetchall()
        docs = con.sql(
            "SELECT max(data_docs) FROM validations WHERE scope = $s",
            params={"s": f"month:{month}"},
        ).fetchall()[0][0]
        if failed:
            reasons = "; ".join(str(r[1]) for r in failed)
            raise ValidationBlocked(
                f"the {month} bulletin is not published: validation failed ({reasons}); "
                f"see `minyi validate --month {month}`"
            )
        units = monthly.unit_month(con, month)
        if units.is_empty():
            raise ValidationBlocked(f"no estimates for {month}: run the month first")
        counts = monthly.fieldwork_counts(con, month)
        responses = monthly.responses(con, month)
        district = overall_estimate(responses.with_columns(pl.col("satisfied").cast(pl.Boolean)))
        channels = monthly.channel_fieldwork(con, month)
        disp = monthly.dispositions(con, month)
        overall_rr = aapor.rates(disp.with_columns(pl.lit(1).alias("_all")), ["_all"])["RR1"]
        previous = monthly.unit_month(con, _previous_month(month))
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
            district=model.DistrictFigure(
                district["satisfaction_rate"],
                district["ci_low"],
                district["ci_high"],
                district["responded"],
            ),
            units=units.with_columns(pl.lit(month).alias("month")),
            funnel=monthly.funnel(con, month),
            channel_mix=monthly.channel_mix(con, month),
            previous=None if previous.is_empty() else previous,
            integrity=model.IntegritySummary(
                counts["integrity_reports"],
                counts["integrity_units"],
                counts["dissatisfied_followups"],
            ),
            validation_ok=True,
            data_docs_path=None if docs is None else "../../data_docs/index.html",
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    directory = settings.home / "bulletins" / month
    directory.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "zh" else f".{lang}"
    html = directory / f"bulletin{suffix}.html"
    csv = directory / "units.csv"
    html.write_text(
        render_html(data, lang, min_respondents=settings.min_respondents),  # type: ignore[arg-type]
        encoding="utf-8",
    )
    csv.write_bytes(units_csv(data))
    pdf = directory / f"bulletin{suffix}.pdf"
    pdf.write_bytes(render_pdf(data, lang, min_respondents=settings.min_respondents))  # type: ignore[arg-type]
    conduct = directory / "conduct.csv"
    conduct.write_bytes(_conduct_export(settings, month, responses, data.units))
    return BulletinFiles(directory, html, csv, pdf, conduct)


def _conduct_export(
    settings: Settings, month: str, responses: pl.DataFrame, units: pl.DataFrame
) -> bytes:
    """The assessment office's file: index, points, vetoes (<home>/conduct/vetoes-YYYY-MM.csv)."""
    from bulletins.conduct import conduct_csv, conduct_scores, level_counts_of, load_config

    veto_file = settings.home / "conduct" / f"vetoes-{month}.csv"
    vetoes = (
        pl.read_csv(veto_file, infer_schema=False).select("unit_id", "item")
        if veto_file.exists()
        else pl.DataFrame(schema={"unit_id": pl.String, "item": pl.String})
    )
    counts = level_counts_of(responses).with_columns(pl.lit(month).alias("month"))
    frame = conduct_scores(
        counts, units.select("unit_id", "unit_name", "peer_group"), vetoes, load_config()
    )
    return conduct_csv(frame)
