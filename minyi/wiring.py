"""The one place where implementations are chosen per environment.

- No Twilio settings (local, demo): the simulated people on every channel.
- Twilio settings present: Twilio for SMS and voice (``MINYI_TWILIO_API_URL``
  may point the real client at the local emulator), and the evaluators'
  worklist for manual calls (or the simulated evaluators, for demos).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from channels.base import Provider
from channels.composite import CompositeProvider
from channels.landing import LandingStore
from channels.simulated import SimulatedProvider
from channels.worklist import Worklist, WorklistProvider
from minyi.settings import Settings

TRUTH_FILE = "demo/truth.parquet"


def _truth(home: Path) -> dict[str, float]:
    path = home / TRUTH_FILE
    if not path.exists():
        return {}
    frame = pl.read_parquet(path)
    return dict(zip(frame["case_id"].to_list(), frame["p"].to_list(), strict=True))


def simulated_provider(settings: Settings, landing: LandingStore) -> SimulatedProvider:
    truth = _truth(settings.home)
    return SimulatedProvider(
        record=landing.record,
        recorded_sid=landing.sid_of_attempt,
        truth=lambda case_id: truth.get(case_id, 0.85),
        seed=settings.sample_seed,
    )


def make_provider(settings: Settings, landing: LandingStore) -> Provider:
    """Twilio (+ the worklist) when its settings are present, else the simulated people."""
    if not settings.twilio_configured:
        return simulated_provider(settings, landing)
    from channels.sessions import SessionStore
    from channels.twilio_provider import TwilioProvider, make_client

    if not settings.public_url:
        raise ValueError(
            "MINYI_PUBLIC_URL is required with Twilio (the base URL Twilio calls back)"
        )
    assert settings.twilio_account_sid and settings.twilio_auth_token
    twilio = TwilioProvider(
        make_client(
            settings.twilio_account_sid, settings.twilio_auth_token, api_url=settings.twilio_api_url
        ),
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        public_url=settings.public_url,
        sessions=SessionStore(settings.landing_path),
        context=lambda case_id: {"district": settings.district_name},
    )
    manual: Provider = (
        WorklistProvider(Worklist(settings.landing_path, settings.evaluators))
        if settings.manual_channel == "worklist"
        else simulated_provider(settings, landing)
    )
    return CompositeProvider([twilio, manual])
