"""The time events are stamped with, which a replay or a demo may hold at a chosen moment.

In production nothing sets it and ``now()`` is the wall clock. ``minyi dispatch
--at TIME`` and the demo run the contact work of a moment that is not now;
they ``hold(at)`` so that what the network and the people do in response (in
this process, e.g. over the local Twilio emulator) is stamped at that moment
too, and the flows' "by this time" rules stay consistent.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

_lock = threading.Lock()
_held: datetime | None = None


def now() -> datetime:
    with _lock:
        return _held if _held is not None else datetime.now(UTC)


def hold(at: datetime | None) -> None:
    """Stamp events at ``at`` from now on (None: back to the wall clock)."""
    global _held
    with _lock:
        _held = None if at is None else at.astimezone(UTC)
