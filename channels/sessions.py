"""Conversation state shared by the providers (which open sessions) and their receivers.

Twilio and Alibaba Cloud both keep their sessions here; the table names keep
their historical ``twilio_`` prefix so existing landing files stay readable.

Kept as extra tables in the landing SQLite file (WAL), through a connection
of its own:

- ``twilio_sessions``: one row per contact attempt: case, channel, number,
  language, reference code, Twilio SID once known, the conversation ``State``
  and the texts' context (unit, category, district). The provider writes the
  row *before* asking Twilio to send, so a reply or a voice webhook can never
  arrive for an unknown attempt, and ``find`` knows which attempts may have
  reached Twilio.
- ``twilio_handled``: webhook deliveries already acted on (MessageSid, or
  CallSid + item + try) with the answer given, replayed on a repeat.
- ``twilio_opt_outs``: numbers that opted out; never contacted again.

An inbound SMS belongs to the most recent SMS session of its ``From`` number.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from channels.conversation import State
from minyi.walstore import WalStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS twilio_sessions (
    attempt_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    phone TEXT NOT NULL,
    lang TEXT NOT NULL,
    ref TEXT NOT NULL,
    provider_sid TEXT,
    state TEXT NOT NULL,
    context TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS twilio_sessions_phone ON twilio_sessions(phone, channel, created_at);
CREATE INDEX IF NOT EXISTS twilio_sessions_sid ON twilio_sessions(provider_sid);
CREATE TABLE IF NOT EXISTS twilio_handled (
    delivery TEXT PRIMARY KEY,
    response TEXT NOT NULL,
    handled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS twilio_opt_outs (
    phone TEXT PRIMARY KEY,
    opted_out_at TEXT NOT NULL,
    source TEXT NOT NULL
);
"""

_COLUMNS = (
    "attempt_id, case_id, channel, phone, lang, ref, provider_sid, state, context, created_at"
)


def reference(attempt_id: str) -> str:
    """A short code for an attempt, printed in its SMS (8 characters, A-Z2-7)."""
    digest = hashlib.sha256(attempt_id.encode()).digest()
    return base64.b32encode(digest[:5]).decode()


@dataclass(frozen=True)
class Session:
    attempt_id: str
    case_id: str
    channel: str
    phone: str
    lang: str
    ref: str
    provider_sid: str | None
    state: State
    context: dict[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class SessionStore(WalStore):
    """Sessions, handled deliveries and opt-outs in the landing file; one per process/thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)


    # --- sessions -------------------------------------------------------------

    def open(
        self,
        *,
        attempt_id: str,
        case_id: str,
        channel: str,
        phone: str,
        lang: str,
        state: State,
        context: Mapping[str, str] = {},
        at: datetime | None = None,
    ) -> Session:
        """Register an attempt before it is sent; a session already sent is kept as it is."""
        now = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO twilio_sessions (attempt_id, case_id, channel, phone, lang, ref, "
                "provider_sid, state, context, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,NULL,?,?,?,?) ON CONFLICT(attempt_id) DO UPDATE SET "
                "state = excluded.state, created_at = excluded.created_at, "
                "updated_at = excluded.updated_at WHERE provider_sid IS NULL",
                (
                    attempt_id,
                    case_id,
                    channel,
                    phone,
                    lang,
                    reference(attempt_id),
                    state.to_json(),
                    json.dumps(dict(context), ensure_ascii=False),
                    now,
                    now,
                ),
            )
        session = self.get(attempt_id)
        assert session is not None
        return session

    def set_sid(self, attempt_id: str, sid: str) -> None:
        with self.transaction() as con:
            con.execute(
                "UPDATE twilio_sessions SET provider_sid = ?, updated_at = ? WHERE attempt_id = ?",
                (sid, datetime.now(UTC).isoformat(), attempt_id),
            )

    def _one(self, where: str, params: tuple[object, ...]) -> Session | None:
        row = self._con.execute(
            f"SELECT {_COLUMNS} FROM twilio_sessions WHERE {where} LIMIT 1", params
        ).fetchone()
        if row is None:
            return None
        attempt, case, channel, phone, lang, ref, sid, state, context, created = row
        return Session(
            attempt,
            case,
            channel,
            phone,
            lang,
            ref,
            sid,
            State.from_json(state),
            json.loads(context),
            datetime.fromisoformat(created),
        )

    def get(self, attempt_id: str) -> Session | None:
        return self._one("attempt_id = ?", (attempt_id,))

    def by_sid(self, sid: str) -> Session | None:
        return self._one("provider_sid = ?", (sid,))

    def by_ref(self, ref: str) -> Session | None:
        """The session whose reference code is ``ref`` (Alibaba Cloud's OutId)."""
        return self._one("ref = ? ORDER BY created_at DESC", (ref,))

    def recent(self, phone: str, limit: int = 5) -> list[Session]:
        """The latest sessions of a number on any channel, newest first."""
        rows = self._con.execute(
            "SELECT attempt_id FROM twilio_sessions WHERE phone = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (phone, limit),
        ).fetchall()
        return [s for (attempt,) in rows if (s := self.get(attempt)) is not None]

    def latest_sms(self, phone: str) -> Session | None:
        """The session an inbound SMS from ``phone`` answers: its most recent SMS contact."""
        return self._one(
            "phone = ? AND channel = 'sms' ORDER BY created_at DESC, rowid DESC", (phone,)
        )

    def save_state(self, con: sqlite3.Connection, attempt_id: str, state: State) -> None:
        """Within ``transaction()``: store a session's new conversation state."""
        con.execute(
            "UPDATE twilio_sessions SET state = ?, updated_at = ? WHERE attempt_id = ?",
            (state.to_json(), datetime.now(UTC).isoformat(), attempt_id),
        )

    # --- handled deliveries ---------------------------------------------------

    def handled(self, delivery: str) -> str | None:
        """The answer given to an earlier delivery with this key, if any."""
        row = self._con.execute(
            "SELECT response FROM twilio_handled WHERE delivery = ?", (delivery,)
        ).fetchone()
        return None if row is None else str(row[0])

    def mark_handled(self, con: sqlite3.Connection, delivery: str, response: str) -> None:
        """Within ``transaction()``: remember a delivery and the answer given to it."""
        con.execute(
            "INSERT OR IGNORE INTO twilio_handled VALUES (?,?,?)",
            (delivery, response, datetime.now(UTC).isoformat()),
        )

    # --- opt-outs ---------------------------------------------------------------

    def opt_out(
        self, phone: str, at: datetime, source: str, con: sqlite3.Connection | None = None
    ) -> None:
        sql = "INSERT OR IGNORE INTO twilio_opt_outs VALUES (?,?,?)"
        params = (phone, at.astimezone(UTC).isoformat(), source)
        if con is not None:
            con.execute(sql, params)
        else:
            with self.transaction() as own:
                own.execute(sql, params)

    def is_opted_out(self, phone: str) -> bool:
        row = self._con.execute("SELECT 1 FROM twilio_opt_outs WHERE phone = ?", (phone,))
        return row.fetchone() is not None
