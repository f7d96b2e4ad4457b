"""Stage: contacting people — plan the work due, commit the outbox, send, load what came back.

The outbox row of an attempt is committed before the provider is asked to
send (``warehouse.fieldwork.write_outbox``), and ``channels.dispatcher``
reconciles before every send, so a crash and a restart never contact anyone
twice. Contact rules are checked again at the moment of each send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from channels import dispatcher
from channels.base import Provider
from channels.hours import in_window
from channels.landing import LandingStore
from channels.schedule import Policy, due
from minyi.settings import Settings
from minyi.vocab import CONTACT_SEQUENCE
from warehouse import contacts, fieldwork
from warehouse.phones import mask_text


@dataclass(frozen=True)
class DispatchReport:
    at: datetime
    started: int
    sent: int
    failed: int
    retry: int
    in_window: bool = True


def policy(settings: Settings, provider: Provider) -> Policy:
    sequence = tuple(c for c in CONTACT_SEQUENCE if c in provider.channels())
    waits = {"sms": settings.sms_wait_hours, "voice": settings.voice_wait_hours, "manual": 0.0}
    return Policy(
        sequence=sequence,
        waits=tuple(timedelta(hours=waits[c]) for c in sequence[:-1]),
        manual_capacity=settings.evaluators * settings.calls_per_evaluator,
        windows=settings.calling_windows,
        zone=settings.zone,
        randomised_share=settings.randomised_share,
        seed=settings.sample_seed,
    )


def dispatch(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    provider: Provider,
    landing: LandingStore,
    at: datetime,
    wall_clock: datetime,
) -> DispatchReport:
    """Do the contact work due at ``at``.

    ``wall_clock`` is the real time now: a real provider contacts people only when
    the real clock is inside a calling window, whatever ``at`` says (a replay may
    plan for another time; it never sends at 04:00). The simulated people follow ``at``.
    """
    plan = policy(settings, provider)
    window_clock = wall_clock if getattr(provider, "real_clock", True) else at
    if not (in_window(at, plan.windows, plan.zone) and in_window(window_clock, plan.windows, plan.zone)):
        return DispatchReport(at, 0, 0, 0, 0, in_window=False)
    state = fieldwork.case_states(con, at)
    actions = due(state, at, plan, fieldwork.manual_used(con, at, settings.zone))
    to_send = fieldwork.write_outbox(
        con, actions, provider.name, at, randomised_share=plan.randomised_share, seed=plan.seed
    )

    # the warehouse's lists cannot change while this run holds it; opt-outs that arrive by
    # webhook meanwhile land in the landing store, which is asked at every send
    blocked = contacts.blocked_among(con, to_send["phone_e164"].drop_nulls().to_list())

    def allowed(phone: str) -> bool:
        return phone not in blocked and not landing.is_opted_out(phone)

    def record(outcomes: Sequence[dispatcher.Outcome]) -> None:
        fieldwork.mark_attempts(
            con,
            [(o.attempt_id, o.status, o.provider_sid, o.error_code, o.detail, o.at) for o in outcomes],
        )

    counts = dispatcher.send_all(
        provider,
        dispatcher.attempts_of(to_send.iter_rows(named=True)),
        at,
        allowed=allowed,
        record=record,
        limits=dispatcher.Limits(
            per_second=settings.messages_per_second,
            retries=settings.send_retries,
            backoff_seconds=settings.retry_backoff_seconds,
        ),
        mask=lambda text: mask_text(text) or "",
    )
    return DispatchReport(
        at, actions.height, counts[dispatcher.SENT], counts[dispatcher.FAILED], counts[dispatcher.RETRY]
    )


def ingest(
    con: duckdb.DuckDBPyConnection, landing: LandingStore, until: datetime | None = None
) -> fieldwork.IngestReport:
    """Load what the landing store holds (that occurred by ``until``) into the warehouse.

    Casework events (complaints, 回访 and poll contacts) go to the casework file instead
    (``flows.casework.take_events``): they belong to no evaluation.
    """
    from flows.casework import is_casework, take_events

    frame = landing.pending_frame(until)
    mine = is_casework(frame)
    take_events(con, landing.path.parent, frame.filter(mine).drop("seq"))
    report = fieldwork.ingest(con, frame.filter(~mine).drop("seq"))
    landing.mark_loaded(frame["seq"].to_list())
    return report
