"""The one place where implementations are chosen per environment.

Local/demo: the DuckDB file under the home and the simulated provider.
With Twilio settings present: the Twilio provider (issue [3]; not built yet).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from channels.base import Provider
from channels.landing import LandingStore
from channels.simulated import SimulatedProvider
from minyi.settings import Settings

TRUTH_FILE = "demo/truth.parquet"


class NotAvailableYet(RuntimeError):
    """A part of the product that is planned but not built."""


def _truth(home: Path) -> dict[str, float]:
    path = home / TRUTH_FILE
    if not path.exists():
        return {}
    frame = pl.read_parquet(path)
    return dict(zip(frame["case_id"].to_list(), frame["p"].to_list(), strict=True))


def make_provider(settings: Settings, landing: LandingStore, seed: int | None = None) -> Provider:
    """Twilio when its settings are present, else the simulated people."""
    if settings.twilio_configured:
        raise NotAvailableYet(
            "the Twilio provider is not available yet (issue [3]); unset TWILIO_ACCOUNT_SID "
            "to use the simulated channel"
        )
    truth = _truth(settings.home)
    return SimulatedProvider(
        record=lambda events: landing.record(events),
        truth=lambda case_id: truth.get(case_id, 0.85),
        seed=settings.sample_seed if seed is None else seed,
    )
