"""The landing store: where inbound events wait until a flow loads them into the warehouse.

DuckDB allows one writer process, and the flows own the warehouse, so the
webhook receiver (and the simulated provider) write here instead: a SQLite
file in WAL mode, safe for one writer and many readers across processes.
Each event is recorded once, keyed by ``event_key`` (a repeated delivery of
the same Twilio callback is ignored).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from channels.base import InboundEvent
from minyi.walstore import WalStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL UNIQUE,
    provider_sid TEXT,
    attempt_id TEXT,
    case_id TEXT,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    detail TEXT NOT NULL,
    received_at TEXT NOT NULL,
    loaded_at TEXT
);
CREATE INDEX IF NOT EXISTS inbound_unloaded ON inbound(loaded_at, occurred_at);
CREATE INDEX IF NOT EXISTS inbound_attempt ON inbound(attempt_id);
CREATE TABLE IF NOT EXISTS twilio_opt_outs (
    phone TEXT PRIMARY KEY,
    opted_out_at TEXT NOT NULL,
    source TEXT NOT NULL
);
"""


class LandingStore(WalStore):
    """A SQLite WAL file of inbound events; open one per process or thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)


    def record(self, events: Iterable[InboundEvent]) -> int:
        """Record events; returns how many were new (repeats are ignored)."""
        now = datetime.now(UTC).isoformat()
        rows = [
            (
                e.event_key,
                e.provider_sid,
                e.attempt_id,
                e.case_id,
                e.channel,
                e.kind,
                e.occurred_at.astimezone(UTC).isoformat(),
                json.dumps(e.detail, ensure_ascii=False),
                now,
            )
            for e in events
        ]
        with self.transaction() as con:
            before = con.total_changes
            con.executemany(
                "INSERT OR IGNORE INTO inbound (event_key, provider_sid, attempt_id, case_id, "
                "channel, kind, occurred_at, detail, received_at) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )
            return con.total_changes - before

    def pending(self, until: datetime | None = None) -> list[tuple[int, InboundEvent]]:
        """Events not yet loaded (and, if given, that occurred by ``until``), in arrival order."""
        query = (
            "SELECT seq, event_key, provider_sid, attempt_id, case_id, channel, kind, "
            "occurred_at, detail FROM inbound WHERE loaded_at IS NULL"
        )
        params: list[object] = []
        if until is not None:
            query += " AND occurred_at <= ?"
            params.append(until.astimezone(UTC).isoformat())
        rows = self._con.execute(query + " ORDER BY seq", params).fetchall()
        return [
            (
                seq,
                InboundEvent(
                    event_key=key,
                    provider_sid=sid,
                    attempt_id=attempt,
                    case_id=case,
                    channel=channel,
                    kind=kind,
                    occurred_at=datetime.fromisoformat(at),
                    detail=json.loads(detail),
                ),
            )
            for seq, key, sid, attempt, case, channel, kind, at, detail in rows
        ]

    def pending_frame(self, until: datetime | None = None) -> pl.DataFrame:
        """``pending`` as a frame: ``seq`` plus the warehouse's event columns (detail as JSON)."""
        rows = self.pending(until)
        return pl.DataFrame(
            {
                "seq": [seq for seq, _ in rows],
                "event_key": [e.event_key for _, e in rows],
                "provider_sid": [e.provider_sid for _, e in rows],
                "attempt_id": [e.attempt_id for _, e in rows],
                "case_id": [e.case_id for _, e in rows],
                "channel": [e.channel for _, e in rows],
                "kind": [e.kind for _, e in rows],
                "occurred_at": [e.occurred_at.astimezone(UTC) for _, e in rows],
                "detail": [json.dumps(e.detail, ensure_ascii=False) for _, e in rows],
            },
            schema={
                "seq": pl.Int64,
                "event_key": pl.String,
                "provider_sid": pl.String,
                "attempt_id": pl.String,
                "case_id": pl.String,
                "channel": pl.String,
                "kind": pl.String,
                "occurred_at": pl.Datetime("us", "UTC"),
                "detail": pl.String,
            },
        )

    def mark_loaded(self, seqs: Iterable[int]) -> None:
        """Mark events as loaded into the warehouse (after the warehouse committed them)."""
        now = datetime.now(UTC).isoformat()
        with self.transaction() as con:
            con.executemany(
                "UPDATE inbound SET loaded_at = ? WHERE seq = ?", [(now, s) for s in seqs]
            )

    def sid_of_attempt(self, attempt_id: str) -> str | None:
        """The provider SID recorded as sent for an attempt, if any (reconciliation)."""
        row = self._con.execute(
            "SELECT provider_sid FROM inbound WHERE attempt_id = ? AND kind = 'sent' LIMIT 1",
            (attempt_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    def is_opted_out(self, phone: str) -> bool:
        """True when a provider recorded an opt-out of ``phone`` (not yet in the warehouse, maybe)."""
        row = self._con.execute("SELECT 1 FROM twilio_opt_outs WHERE phone = ?", (phone,))
        return row.fetchone() is not None

    def count(self) -> int:
        return int(self._con.execute("SELECT count(*) FROM inbound").fetchone()[0])
