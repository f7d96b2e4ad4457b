"""Stage: publishing the staff copy, ``<home>/published/warehouse.duckdb``.

Only what changed since the last publish is copied (``warehouse.publish``);
the copy holds the allow-listed columns only (``warehouse.allowlist``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from minyi.keys import home_secret
from minyi.settings import Settings
from warehouse.publish import PublishReport
from warehouse.publish import publish as publish_copy


def publish_report(
    con: duckdb.DuckDBPyConnection, settings: Settings, *, full: bool = False
) -> PublishReport:
    """Bring the copy staff open up to date; what was copied and how long it took."""
    key = home_secret(settings.home, "hash_key", settings.hash_key)
    return publish_copy(con, settings.published_path, key.get_secret_value(), full=full)


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> Path:
    """Refresh the read-only copy staff open (no raw phone numbers; keyed phone hash)."""
    return publish_report(con, settings).path
