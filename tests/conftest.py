"""Shared fixtures: a clean environment, a data home, one Prefect harness for flow tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
# no test may start a temporary Prefect server: flows run against the session's server
os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Twilio or Alibaba Cloud credentials or minyi settings leak in from the machine."""
    for name in list(os.environ):
        if name.startswith(("TWILIO_", "MINYI_", "ALIBABA_CLOUD_")):
            monkeypatch.delenv(name)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real ``prefect server`` process for the test session, started the way minyi starts
    a home's persistent server (``flows.runtime``); every flow and CLI run talks to it."""
    from flows.runtime import ensure_local_server, point_prefect_at, stop_local_server

    home = tmp_path_factory.mktemp("prefect-home")
    previous = {k: os.environ.get(k) for k in ("PREFECT_API_URL", "PREFECT_HOME")}
    os.environ["PREFECT_HOME"] = str(home / ".prefect")
    url = ensure_local_server(home)
    point_prefect_at(url)  # also when a test imported Prefect before this fixture ran
    try:
        yield url
    finally:
        stop_local_server(home)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
