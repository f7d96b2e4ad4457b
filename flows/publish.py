"""Stage: publishing the staff copy, ``<home>/published/warehouse.duckdb``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from minyi.keys import home_secret
from minyi.settings import Settings
from warehouse.db import publish as publish_copy


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> Path:
    """Replace the read-only copy staff open (no raw phone numbers; keyed phone hash)."""
    key = home_secret(settings.home, "hash_key", settings.hash_key)
    return publish_copy(con, settings.published_path, key.get_secret_value())
