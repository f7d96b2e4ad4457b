"""One typed settings object, loaded at the edge (the CLI) and passed down.

Every setting has a default, an environment variable (``MINYI_<NAME>``, or the
Twilio names of CONTRACT.md) and help text; ``minyi settings`` prints them all.
Pure modules never read the environment: they receive values from here.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "xxx", "test"})


class Settings(BaseSettings):
    """Everything an operator can configure. Explicit arguments win over the environment."""

    model_config = SettingsConfigDict(
        env_prefix="MINYI_", extra="ignore", frozen=True, populate_by_name=True
    )

    home: Path = Field(
        Path("minyi-home"), description="Data home; the warehouse is <home>/warehouse.duckdb."
    )
    timezone: str = Field(
        "Asia/Shanghai",
        description="Zone for timestamps without an offset and for calling windows.",
    )
    district_name: str = Field("示范区", description="District name printed on the bulletin.")
    env: Literal["development", "production"] = Field(
        "development", description="'production' refuses placeholder secrets."
    )

    # --- sampling (METHODS.md "Frame and eligibility", "Strata and allocation")
    daily_total: int = Field(300, ge=1, description="Guaranteed sample size n per day.")
    min_per_stratum: int = Field(2, ge=0, description="Minimum m per stratum (capped by N_h).")
    allocation: Literal["equal", "proportional", "neyman"] = Field(
        "equal", description="Allocation across the day's categories (seed 002: equal)."
    )
    cooldown_days: int = Field(
        30, ge=0, description="A number contacted within this many days is not eligible."
    )
    excluded_categories: tuple[str, ...] = Field(
        (), description="Sensitive categories never sampled (comma-separated in the environment)."
    )
    sample_seed: int = Field(20260101, description="Seed of the permanent random numbers.")

    # --- fieldwork (channels)
    sms_wait_hours: float = Field(
        24.0, gt=0, description="Wait for an SMS answer before the IVR call."
    )
    voice_wait_hours: float = Field(
        24.0, gt=0, description="Wait after the IVR call before the evaluators' worklist."
    )
    evaluators: int = Field(8, ge=0, description="Evaluators making manual calls.")
    calls_per_evaluator: int = Field(
        40, ge=0, description="Manual calls one evaluator completes per day."
    )
    calling_windows: tuple[tuple[time, time], ...] = Field(
        ((time(9), time(12)), (time(14), time(20))),
        description="Local times when people may be contacted (e.g. '09:00-12:00,14:00-20:00').",
    )
    messages_per_second: float = Field(10.0, gt=0, description="Send rate limit, never exceeded.")
    send_retries: int = Field(
        3, ge=0, description="Retries of a send after a transient error (429, 5xx, timeout)."
    )
    retry_backoff_seconds: float = Field(
        0.5, ge=0, description="First backoff before a retry; doubles each time."
    )
    manual_channel: Literal["worklist", "simulated"] = Field(
        "worklist", description="Who makes the evaluators' calls when Twilio is configured."
    )
    hash_key: str = Field(
        "minyi-development-key",
        description="Key of the phone hash in the published copy; set a secret in production.",
    )

    # --- estimation (METHODS.md "Estimates", "Fair comparison")
    satisfied_min_level: int = Field(
        3, ge=1, le=5, description="Satisfied = level >= this (3 = 基本满意)."
    )
    min_respondents: int = Field(
        30, ge=1, description="Respondents a unit needs in a month to be reportable."
    )
    min_cell: int = Field(
        5, ge=1, description="Unit-facing cells with fewer respondents show counts only (背对背)."
    )
    top_n: int = Field(
        10, ge=0, description="How many best reportable units are marked top (十佳)."
    )
    funnel_level: float = Field(0.998, gt=0.5, lt=1, description="Funnel-plot control limit.")

    # --- Twilio (CONTRACT.md; unprefixed names)
    twilio_account_sid: str | None = Field(None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_from_number: str | None = Field(None, validation_alias="TWILIO_FROM_NUMBER")
    twilio_messaging_service_sid: str | None = Field(
        None, validation_alias="TWILIO_MESSAGING_SERVICE_SID"
    )
    public_url: str | None = Field(None, validation_alias="MINYI_PUBLIC_URL")
    twilio_api_url: str | None = Field(None, validation_alias="MINYI_TWILIO_API_URL")

    @field_validator("excluded_categories", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("calling_windows", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        if isinstance(value, str):
            windows = []
            for part in value.split(","):
                start, _, end = part.strip().partition("-")
                windows.append((time.fromisoformat(start), time.fromisoformat(end)))
            return tuple(windows)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        if self.env == "production" and self.hash_key in {
            "minyi-development-key",
            *PLACEHOLDER_SECRETS,
        }:
            raise ValueError("MINYI_HASH_KEY is the development default; set a secret key")
        token = self.twilio_auth_token
        if (
            self.env == "production"
            and token is not None
            and token.strip().lower() in PLACEHOLDER_SECRETS
        ):
            raise ValueError("TWILIO_AUTH_TOKEN is a placeholder; set the real token")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
        return self.home / "published" / "warehouse.duckdb"

    @property
    def landing_path(self) -> Path:
        return self.home / "landing.sqlite"

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


def load_settings(home: Path | str | None = None, **overrides: object) -> Settings:
    """Settings from the environment, with explicit values winning.

    The home is ``--home``, else ``$MINYI_HOME``, else ``./minyi-home``.
    """
    if home is None:
        home = os.environ.get("MINYI_HOME") or "minyi-home"
    values = {key: val for key, val in overrides.items() if val is not None}
    return Settings(home=Path(home), **values)  # type: ignore[arg-type]
