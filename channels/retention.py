"""Purging the landing file: what people sent and the contact state, once loaded and old.

Inbound events already loaded into the warehouse, conversation sessions, handled
webhook deliveries and finished worklist items older than the cut-off are
deleted (they hold numbers and free text). Opt-outs are kept: they must be honoured.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path


def purge_landing(path: Path, before: datetime) -> dict[str, int]:
    """Delete old loaded or finished rows; returns the count per table."""
    if not path.exists():
        return {}
    stamp = before.astimezone(UTC).isoformat()
    statements = {
        "inbound": "DELETE FROM inbound WHERE loaded_at IS NOT NULL AND received_at < ?",
        "twilio_sessions": "DELETE FROM twilio_sessions WHERE updated_at < ?",
        "twilio_handled": "DELETE FROM twilio_handled WHERE handled_at < ?",
        "worklist": "DELETE FROM worklist WHERE status <> 'open' AND recorded_at < ?",
        "worklist_calls": "DELETE FROM worklist_calls WHERE at < ?",
    }
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    counts: dict[str, int] = {}
    try:
        con.execute("BEGIN IMMEDIATE")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, sql in statements.items():
            if table in tables:
                counts[table] = con.execute(sql, (stamp,)).rowcount
        con.execute("COMMIT")
        con.execute("VACUUM")  # deleted pages must not keep the data
    finally:
        con.close()
    return counts
