"""Running the demo's month over the local Twilio emulator instead of the simulated channel.

The real ``twilio`` client sends to the emulator (``MINYI_TWILIO_API_URL``); the
emulator plays each number's person and calls the real webhook receiver back,
signed as Twilio signs; the receiver writes the landing store; the flows load
it. Evaluators' calls stay simulated (nobody works the worklist in a demo).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

import polars as pl

from minyi.settings import Settings
from twilio_emulator.loopback import bind_loopback, run_in_thread, url_of
from twilio_emulator.people import Drawn
from twilio_emulator.server import Emulator
from warehouse.phones import normalise

ACCOUNT_SID = "AC" + "d" * 32
AUTH_TOKEN = "demo-emulator-token"
FROM_NUMBER = "+15005550006"


def _satisfaction_by_number(files: dict[date, Path], truth: dict[str, float]) -> dict[str, float]:
    frames = [
        pl.read_csv(path, infer_schema=False).select("case_id", "unit_id", "phone")
        for path in files.values()
    ]
    cases = pl.concat(frames)
    phones = normalise(cases["phone"])
    cases = cases.with_columns(phones["phone_e164"]).drop_nulls("phone_e164")
    return {
        number: truth.get(unit, 0.85)
        for number, unit in cases.unique("phone_e164", keep="first", maintain_order=True)
        .select("phone_e164", "unit_id")
        .iter_rows()
    }


@contextmanager
def emulated_twilio(
    settings: Settings, files: dict[date, Path], unit_truth: dict[str, float], seed: int
) -> Iterator[Settings]:
    """Start the emulator and the receiver on loopback; yields settings that point at them."""
    from minyi.server import build_app

    satisfied = _satisfaction_by_number(files, unit_truth)

    def person(number: str) -> Drawn:
        digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
        return Drawn(random.Random(digest), satisfied=satisfied.get(number, 0.85))

    receiver_socket = bind_loopback()
    public_url = url_of(receiver_socket)
    emulator = Emulator(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sms_url=f"{public_url}/twilio/sms",
        people_factory=person,
        own_number=FROM_NUMBER,
    )
    with ExitStack() as stack:
        api_url = stack.enter_context(run_in_thread(emulator.app))
        over = settings.model_copy(
            update={
                "twilio_account_sid": ACCOUNT_SID,
                "twilio_auth_token": AUTH_TOKEN,
                "twilio_from_number": FROM_NUMBER,
                "public_url": public_url,
                "twilio_api_url": api_url,
                "messages_per_second": 2000.0,
                "manual_channel": "simulated",
            }
        )
        stack.enter_context(run_in_thread(build_app(over), receiver_socket))
        yield over
        emulator.wait_idle(30)
