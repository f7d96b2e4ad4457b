"""The center's day at a glance, for the staff web's status page (``/status``).

Read from the published copy (never the live warehouse, which the flows own)
and from the Prefect API (recent runs and the next scheduled ones). Every
figure is an aggregate: no case, no number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from minyi.settings import Settings


@dataclass(frozen=True)
class Status:
    today: str
    published_at: str | None
    imports: list[tuple[str, int, int, int]] = field(default_factory=list)  # file, read, loaded, quarantined
    draws: list[tuple[str, int, int, int]] = field(default_factory=list)  # day, cases, eligible, sampled
    contacts: list[tuple[str, int, int]] = field(default_factory=list)  # channel, sent, failed
    answers_today: int = 0
    open_worklist: int = 0
    failures: list[str] = field(default_factory=list)
    runs: list[tuple[str, str, str, str]] = field(default_factory=list)  # flow, state, start, message
    next_runs: list[tuple[str, str]] = field(default_factory=list)


def _local(stamp: datetime | None, settings: Settings) -> str:
    return "" if stamp is None else stamp.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")


def gather(settings: Settings) -> Status:
    now = datetime.now(UTC)
    today = now.astimezone(settings.zone).date()
    status = Status(today.isoformat(), None)
    path = settings.published_path
    if path.exists():
        con = duckdb.connect(str(path), read_only=True)
        try:
            status = _from_copy(con, settings, today, path)
        finally:
            con.close()
    runs, next_runs, failures = _from_prefect(settings)
    return Status(
        status.today,
        status.published_at,
        status.imports,
        status.draws,
        status.contacts,
        status.answers_today,
        status.open_worklist,
        status.failures + failures,
        runs,
        next_runs,
    )


def _from_copy(con: duckdb.DuckDBPyConnection, settings: Settings, today, path) -> Status:  # type: ignore[no-untyped-def]
    zone = settings.timezone
    since = datetime.combine(today, datetime.min.time(), tzinfo=settings.zone) - timedelta(days=1)
    imports = [
        (str(f).rsplit("/", 1)[-1], int(r), int(ld), int(q))
        for f, r, ld, q in con.sql(
            "SELECT source_file, rows_read, rows_loaded, rows_quarantined FROM loads "
            "WHERE source = 'cases' AND loaded_at >= $since ORDER BY loaded_at DESC LIMIT 20",
            params={"since": since},
        ).fetchall()
    ]
    draws = [
        (str(d), int(c), int(e), int(s))
        for d, c, e, s in con.sql(
            "SELECT sample_date, cases, eligible, sampled FROM day_draws "
            "ORDER BY sample_date DESC LIMIT 7"
        ).fetchall()
    ]
    contacts = [
        (str(ch), int(sent), int(failed))
        for ch, sent, failed in con.sql(
            "SELECT channel, count(*) FILTER (WHERE status = 'sent'), "
            "count(*) FILTER (WHERE status = 'failed') FROM outbox "
            "WHERE CAST(timezone($zone, coalesce(sent_at, created_at)) AS DATE) = $today "
            "GROUP BY channel ORDER BY channel",
            params={"zone": zone, "today": today},
        ).fetchall()
    ]
    answers = con.sql(
        "SELECT count(*) FROM answers WHERE item = 'satisfaction' "
        "AND CAST(timezone($zone, answered_at) AS DATE) = $today",
        params={"zone": zone, "today": today},
    ).fetchall()[0][0]
    failures = [
        f"{scope} {suite}: {failed}"
        for scope, suite, failed in con.sql(
            "SELECT scope, suite, failed FROM validations WHERE NOT success "
            "AND run_at >= $since ORDER BY run_at DESC LIMIT 10",
            params={"since": since},
        ).fetchall()
    ]
    stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return Status(
        today.isoformat(),
        _local(stamp, settings),
        imports,
        draws,
        contacts,
        int(answers),
        0,
        failures,
    )


def _from_prefect(settings: Settings) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]], list[str]]:
    import asyncio

    from flows.deployments import next_runs

    async def recent() -> list[tuple[str, str, str, str]]:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
        from prefect.client.schemas.sorting import FlowRunSort

        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[settings.district])),
                sort=FlowRunSort.START_TIME_DESC,
                limit=10,
            )
            flows = {f.id: f.name for f in await client.read_flows()}
        return [
            (
                flows.get(r.flow_id, "?"),
                r.state_name or "?",
                _local(r.start_time, settings),
                (r.state.message or "")[:200] if r.state else "",
            )
            for r in runs
            if r.state_name != "Scheduled"
        ]

    try:
        runs = asyncio.run(recent())
        upcoming = asyncio.run(next_runs(settings))
    except Exception as exc:  # the page still shows the data without Prefect
        return [], [], [f"Prefect 服务无法连接（{type(exc).__name__}），计划运行可能停止：请运行 minyi prefect status"]
    failed = [f"{flow} {state} {start}: {message}" for flow, state, start, message in runs if state in ("Failed", "Crashed")]
    return runs, upcoming, failed
