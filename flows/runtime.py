"""Process set-up for Prefect, done before Prefect is imported (the CLI calls it first).

Prefect with no server configured starts a temporary local one; offline
machines need analytics off. Prefect's own log lines are silenced (failures reach the user as one line) so
minyi's progress output stays readable; ``--debug`` shows them.
"""

from __future__ import annotations

import os
from pathlib import Path


def prepare(home: Path, debug: bool = False) -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if debug else "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    if "PREFECT_HOME" not in os.environ and "PREFECT_API_URL" not in os.environ:
        prefect_home = (home / ".prefect").resolve()
        prefect_home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(prefect_home)
