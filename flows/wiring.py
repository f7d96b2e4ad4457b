"""The one place where implementations are chosen and leaves are plugged together.

- The warehouse: ``<home>/warehouse.duckdb``, opened once per flow run (waiting
  while another run holds it), with the settings its views need.
- The provider, by ``MINYI_PROVIDER`` (CONTRACT.md "Operating a center"):
  ``twilio`` (SMS and voice through Twilio, ``MINYI_TWILIO_API_URL`` may point
  the real client at the local emulator), ``aliyun`` (SMS and IVR through Alibaba
  Cloud's official SDKs; ``MINYI_ALIYUN_SMS_ENDPOINT`` / ``…_VOICE_ENDPOINT`` may
  point them at the local emulator), ``manual`` (the evaluators' worklist
  only), ``simulated`` (simulated people; only in a home made by ``minyi demo``).
  In every real mode the evaluators' calls go to the worklist; in a demo home the
  evaluators are simulated too. Unset: nothing is sent and nothing recorded.
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from channels.base import Provider
from channels.composite import CompositeProvider
from channels.landing import LandingStore
from channels.simulated import SimulatedProvider
from channels.worklist.store import Worklist, WorklistProvider
from minyi.errors import SettingsError, UsageRefused
from minyi.settings import Settings
from minyi.vocab import HOME_DEMO, HOME_REAL
from warehouse import db
from warehouse.errors import WarehouseBusy

if TYPE_CHECKING:
    from fastapi import FastAPI

    from channels.aliyun.config import AliyunConfig

TRUTH_FILE = "demo/truth.parquet"


def warehouse_config(settings: Settings) -> dict[str, object]:
    """Settings the views need, stored in the warehouse's ``config`` table."""
    return {"satisfied_min_level": settings.satisfied_min_level, "min_cell": settings.min_cell}


@contextlib.contextmanager
def open_warehouse(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The live warehouse; waits up to ``warehouse_wait_seconds`` for another run to free it."""
    deadline = time.monotonic() + settings.warehouse_wait_seconds
    while True:
        try:
            manager = db.connect(settings.warehouse_path, warehouse_config(settings))
            con = manager.__enter__()
        except WarehouseBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)
            continue
        break
    try:
        yield con
    except BaseException as exc:
        if not manager.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        manager.__exit__(None, None, None)


def home_kind(con: duckdb.DuckDBPyConnection) -> str:
    """``demo`` for a home made by ``minyi demo``, else ``real``."""
    rows = con.sql("SELECT value FROM config WHERE key = 'home_kind'").fetchall()
    return str(rows[0][0]) if rows else HOME_REAL


def mark_demo_home(con: duckdb.DuckDBPyConnection) -> None:
    """Record that this warehouse was made by ``minyi demo`` (refused if it holds real data)."""
    kind = home_kind(con)
    if kind == HOME_DEMO:
        return
    has_data = con.sql("SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM cases)")
    if int(has_data.fetchall()[0][0]):
        raise UsageRefused(
            "this home already holds real units or cases; `minyi demo` needs a new home "
            "(--home DIR) / 该数据目录已有真实数据，演示请使用新目录"
        )
    con.execute("INSERT OR REPLACE INTO config VALUES ('home_kind', ?)", [HOME_DEMO])


class ProviderNotConfigured(UsageRefused):
    def __init__(self) -> None:
        super().__init__(
            "MINYI_PROVIDER is not set: nobody was contacted and nothing was recorded; set it "
            "to twilio, aliyun or manual / 未设置 MINYI_PROVIDER（twilio、aliyun 或 manual），未联系任何人"
        )


class SimulatedRefused(UsageRefused):
    def __init__(self) -> None:
        super().__init__(
            "MINYI_PROVIDER=simulated writes invented answers and is allowed only in a home "
            "made by `minyi demo` / 模拟渠道只能用于 minyi demo 生成的演示数据目录"
        )


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


def check_provider(settings: Settings, kind: str) -> None:
    """Refuse before anything is recorded: no provider, or simulated people in a real home."""
    if settings.provider is None:
        raise ProviderNotConfigured()
    if settings.provider == "simulated" and kind != HOME_DEMO:
        raise SimulatedRefused()


def evaluator_names(settings: Settings) -> tuple[str, ...]:
    from flows.staff import evaluator_names as names

    return names(settings)


def make_provider(settings: Settings, landing: LandingStore, kind: str) -> Provider:
    """The provider ``MINYI_PROVIDER`` names, with the evaluators' worklist for manual calls."""
    check_provider(settings, kind)
    if settings.provider == "simulated":
        return simulated_provider(settings, landing)
    manual: Provider = (
        simulated_provider(settings, landing)
        if kind == HOME_DEMO
        else WorklistProvider(Worklist(settings.landing_path, evaluator_names(settings)))
    )
    if settings.provider == "manual":
        return manual
    if settings.provider == "twilio":
        return CompositeProvider([_twilio(settings), manual])
    if settings.provider == "aliyun":
        return CompositeProvider([_aliyun(settings), manual])
    raise SettingsError("MINYI_PROVIDER", f"{settings.provider} is not available yet")


def _twilio(settings: Settings) -> Provider:
    from channels.sessions import SessionStore
    from channels.twilio.provider import TwilioProvider, make_client

    if not settings.twilio_configured:
        raise SettingsError(
            "TWILIO_ACCOUNT_SID", "MINYI_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        )
    if not settings.public_url:
        raise SettingsError("MINYI_PUBLIC_URL", "required with Twilio (the base URL it calls back)")
    assert settings.twilio_account_sid and settings.twilio_auth_token
    return TwilioProvider(
        make_client(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            api_url=settings.twilio_api_url,
        ),
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        public_url=settings.public_url,
        sessions=SessionStore(settings.landing_path),
        context=lambda case_id: {"district": settings.district_name},
        real_clock=settings.twilio_api_url is None,
    )


_ALIYUN_REQUIRED = (
    ("aliyun_access_key_id", "ALIBABA_CLOUD_ACCESS_KEY_ID"),
    ("aliyun_access_key_secret", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("aliyun_sign_name", "MINYI_ALIYUN_SIGN_NAME"),
    ("aliyun_callback_token", "MINYI_ALIYUN_CALLBACK_TOKEN"),
)


def aliyun_config(settings: Settings) -> AliyunConfig:
    """The Alibaba Cloud provider's configuration from the settings (environment and
    ``<home>/minyi.env``); a missing or malformed value raises ``SettingsError`` naming it."""
    from pydantic import ValidationError

    from channels.aliyun.config import (
        DEFAULT_SMS_ENDPOINT,
        DEFAULT_VOICE_ENDPOINT,
        ENV_NAMES,
        AliyunConfig,
    )

    missing = [env for field, env in _ALIYUN_REQUIRED if not getattr(settings, field)]
    if missing:
        raise SettingsError(
            missing[0],
            f"MINYI_PROVIDER=aliyun needs {', '.join(missing)} / 阿里云短信语音需要设置这些项",
        )
    values = {
        "access_key_id": settings.aliyun_access_key_id,
        "access_key_secret": settings.aliyun_access_key_secret,
        "sign_name": settings.aliyun_sign_name,
        "callback_token": settings.aliyun_callback_token,
        "sms_endpoint": settings.aliyun_sms_endpoint or DEFAULT_SMS_ENDPOINT,
        "voice_endpoint": settings.aliyun_voice_endpoint or DEFAULT_VOICE_ENDPOINT,
        "voice_caller": settings.aliyun_voice_caller or None,
        "templates": settings.aliyun_template_codes,
        "templates_path": settings.aliyun_templates,
        "connect_timeout_ms": settings.aliyun_connect_timeout_ms,
        "read_timeout_ms": settings.aliyun_read_timeout_ms,
    }
    try:
        return AliyunConfig.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first.get("loc", ("?",))[0])
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        raise SettingsError(ENV_NAMES.get(field, "MINYI_ALIYUN_" + field.upper()), message) from None


def _on_loopback(endpoint: str) -> bool:
    """An endpoint on this machine (``http://127.0.0.1:8790``): the local emulator."""
    from channels.aliyun.config import split_endpoint

    host = split_endpoint(endpoint)[1].rsplit("@", 1)[-1]
    host = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _aliyun(settings: Settings) -> Provider:
    from channels.aliyun import AliyunProvider, make_api
    from channels.sessions import SessionStore

    config = aliyun_config(settings)
    return AliyunProvider(
        make_api(config),
        config,
        sessions=SessionStore(settings.landing_path),
        context=lambda case_id: {"district": settings.district_name},
        # the wall clock rules calling windows unless both services are the local emulator
        real_clock=not (_on_loopback(config.sms_endpoint) and _on_loopback(config.voice_endpoint)),
    )


def webhook_apps(settings: Settings) -> list[FastAPI]:
    """The provider webhook apps the public listener serves (none without a provider).

    Twilio's (``/twilio/…``) when it is the provider or configured; Alibaba Cloud's
    (``/aliyun/…/<token>``) when it is the provider or its key and callback token are set,
    so late callbacks are still taken after a switch of provider.
    """
    apps: list[FastAPI] = []
    if settings.provider == "twilio" or settings.twilio_configured:
        from channels.twilio.receiver import create_app

        if not (settings.twilio_auth_token and settings.public_url):
            raise SettingsError(
                "MINYI_PUBLIC_URL", "Twilio webhooks need TWILIO_AUTH_TOKEN and MINYI_PUBLIC_URL"
            )
        apps.append(
            create_app(
                auth_token=settings.twilio_auth_token.get_secret_value(),
                public_url=settings.public_url,
                landing_path=settings.landing_path,
            )
        )
    if settings.provider == "aliyun" or settings.aliyun_configured:
        from channels.aliyun import create_app as create_aliyun_app

        apps.append(
            create_aliyun_app(config=aliyun_config(settings), landing_path=settings.landing_path)
        )
    return apps


def normalise_phones(phones: pl.Series) -> pl.DataFrame:
    """``phone_e164`` and ``phone_status`` per input (``warehouse.phones.normalise``)."""
    from warehouse.phones import normalise

    return normalise(phones)
