"""One typed settings object, loaded at the edge (the CLI, a flow run) and passed down.

Every setting has a default, an environment variable (``MINYI_<NAME>``, or the
provider names of CONTRACT.md) and help text; the README lists them all (a
test checks that). Values come, first match wins, from explicit arguments, the
environment, then the home's own file ``<home>/minyi.env`` (``KEY=value``
lines), so that scheduled runs, the CLI and the staff web of one home agree.

Secrets are ``SecretStr``: they print as ``**********``, never reach a log
line, and flows never receive them as parameters (flows take the home and load
the settings themselves). A malformed value is refused with the name of the
setting and the form it expects (:class:`minyi.errors.SettingsError`).
"""

from __future__ import annotations

import itertools
import os
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from minyi.errors import SettingsError

ENV_FILE = "minyi.env"
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "xxx", "test", "password", "placeholder", "todo"}
)
WINDOWS_FORM = "'09:00-12:00,14:00-20:00' (start-end, local time, comma-separated)"
Provider = Literal["twilio", "aliyun", "manual", "simulated"]


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.replace("，", ",").split(",") if part.strip())
    return value


def parse_windows(value: object) -> tuple[tuple[time, time], ...]:
    """``'09:00-12:00,14:00-20:00'`` (or pairs of times) → sorted windows; refuses bad ones."""
    if isinstance(value, str):
        pairs: list[tuple[object, object]] = []
        for part in value.replace("，", ",").split(","):
            if not part.strip():
                continue
            start_text, sep, end_text = part.strip().partition("-")
            if not sep:
                raise ValueError(f"{part.strip()!r} has no '-' between start and end")
            pairs.append((start_text.strip(), end_text.strip()))
    elif isinstance(value, list | tuple):
        pairs = [tuple(p) for p in value]  # type: ignore[misc]
    else:
        raise ValueError(f"{value!r} is not a list of windows")
    windows = []
    for start, end in pairs:
        try:
            a = start if isinstance(start, time) else time.fromisoformat(str(start))
            b = end if isinstance(end, time) else time.fromisoformat(str(end))
        except ValueError:
            raise ValueError(f"{start}-{end} is not two times like 09:00-12:00") from None
        if not a < b:
            raise ValueError(f"{a:%H:%M}-{b:%H:%M} is empty or reversed")
        windows.append((a, b))
    if not windows:
        raise ValueError("no calling window given: nobody could ever be contacted")
    windows.sort()
    for (_, end1), (start2, _) in itertools.pairwise(windows):
        if start2 < end1:
            raise ValueError("calling windows overlap")
    return tuple(windows)


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
        description="Zone for timestamps without an offset, calling windows and schedules.",
    )
    district_name: str = Field("示范区", description="District name printed on the bulletin.")
    env: Literal["development", "production"] = Field(
        "development", description="'production' refuses placeholder and weak secrets."
    )
    provider: Provider | None = Field(
        None,
        description="Who contacts people: twilio, aliyun, manual (evaluators only) or "
        "simulated (only in a home made by `minyi demo`). Unset: dispatch refuses to run.",
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
    excluded_categories: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Sensitive categories never sampled (comma-separated)."
    )
    sample_seed: int = Field(20260101, description="Seed of the permanent random numbers.")

    # --- fieldwork (channels)
    sms_wait_hours: float = Field(
        24.0, gt=0, description="Wait for an SMS answer before the IVR call."
    )
    voice_wait_hours: float = Field(
        24.0, gt=0, description="Wait after the IVR call before the evaluators' worklist."
    )
    evaluators: int = Field(8, ge=1, description="Evaluators making manual calls.")
    calls_per_evaluator: int = Field(
        40, ge=0, description="Manual calls one evaluator completes per day (their daily target)."
    )
    manual_tries: int = Field(
        3, ge=1, le=10, description="Calls an evaluator makes to one person before giving up."
    )
    calling_windows: Annotated[tuple[tuple[time, time], ...], NoDecode] = Field(
        ((time(9), time(12)), (time(14), time(20))),
        description=f"Local times when people may be contacted, {WINDOWS_FORM}.",
    )
    messages_per_second: float = Field(10.0, gt=0, description="Send rate limit, never exceeded.")
    send_retries: int = Field(
        3, ge=0, description="Retries of a send after a transient error (429, 5xx, timeout)."
    )
    retry_backoff_seconds: float = Field(
        0.5, ge=0, description="First backoff before a retry; doubles each time."
    )
    hash_key: SecretStr | None = Field(
        None,
        description="Key of the phone hash in the published copy; generated into "
        "<home>/secrets/ at first use when not given.",
    )

    # --- estimation (METHODS.md "Estimates", "Judging performance")
    satisfied_min_level: int = Field(
        3, ge=1, le=5, description="Satisfied = level >= this (3 = 基本满意)."
    )
    min_respondents: int = Field(
        30, ge=1, description="Respondents a unit needs in a month to be reportable."
    )
    min_cell: int = Field(
        5, ge=1, description="Unit-facing cells with fewer respondents show counts only (背对背)."
    )
    top_n: int = Field(10, ge=0, description="Units honoured as 十佳 per peer group at most.")
    funnel_level: float = Field(0.998, gt=0.5, lt=1, description="Funnel-plot control limit.")

    # --- judging performance (METHODS.md "Judging performance", "Channels")
    judge_delta: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="δ: 'below'/'above' mean more than δ under/over the peers' mean "
        "(0.05 = 5 points).",
    )
    evidence_prob: float = Field(
        0.95, gt=0.5, lt=1, description="Probability needed for the evidence below or above."
    )
    evidence_months: int = Field(
        3,
        ge=1,
        le=12,
        description="Months pooled, ending with the bulletin's month, for its evidence, "
        "adjusted rates and ranks.",
    )
    top_share: float = Field(
        0.25, gt=0, le=1, description="十佳 places of a peer group: at most this share of its units."
    )
    honour_prob: float = Field(
        0.8, ge=0, le=1, description="A 十佳 needs P(in its group's top places) at least this."
    )
    honour_months: int = Field(
        12,
        description="Decision period of 十佳 in months (1, 2, 3, 4, 6 or 12; 12 = the calendar "
        "year); each month shows the period so far, the leading list.",
    )
    last_prob: float = Field(
        0.9, gt=0, le=1, description="A 末位 needs P(last in its group) at least this, and 'below'."
    )
    last_months: int = Field(
        3, ge=3, le=12, description="Months pooled, ending with the month, for 末位 (3–12)."
    )
    randomised_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of the sample given a randomly chosen first channel (the channel "
        "experiment that measures channel effects).",
    )
    reference_channel: Literal["sms", "voice", "manual"] = Field(
        "sms", description="Channel the channel effects are measured against."
    )
    channel_months: int = Field(
        12,
        ge=1,
        le=36,
        description="Months of the channel experiment the channel effects are estimated from.",
    )
    change_level: float = Field(
        0.95,
        gt=0,
        lt=1,
        description="Level of the test that marks a month-on-month or year-on-year change.",
    )

    # --- the 统计通报 as an official document (GB/T 9704)
    issuer: str | None = Field(
        None, description="发文机关 printed on the bulletin; default '<district>民意访评中心'."
    )
    recipients: str = Field(
        "各镇（街道），区直各部门，各窗口单位", description="主送: who the bulletin is addressed to."
    )
    doc_prefix: str = Field(
        "", description="机关代字 of the 发文字号, e.g. 东民评 (empty: no number printed)."
    )
    signer: str | None = Field(None, description="签发人 printed on the bulletin.")
    copy_to: str | None = Field(None, description="抄送 line of the bulletin.")

    # --- operating: schedules (in MINYI_TIMEZONE), notifications, Prefect
    day_at: time = Field(
        time(6, 30), description="When the scheduled day run draws yesterday (local time)."
    )
    dispatch_every_minutes: int = Field(
        10, ge=1, le=60, description="Minutes between scheduled dispatch runs in calling windows."
    )
    month_close_working_day: int = Field(
        3,
        ge=1,
        le=10,
        description="The month closes on this working day of the next month (fieldwork cut-off).",
    )
    month_at: time = Field(time(8, 0), description="When the scheduled month run starts.")
    work_pool: str = Field("minyi", description="Prefect work pool of the scheduled runs.")
    district_id: str | None = Field(
        None,
        description="This home's name in Prefect (deployments, work queue); default: the "
        "home folder's name.",
    )
    retention_days: int = Field(
        180,
        ge=30,
        description="Days after a month's close before its phone numbers and landing rows are purged.",
    )
    staff_https: bool = Field(
        False, description="The staff web is served over HTTPS (its cookies are then Secure)."
    )
    warehouse_wait_seconds: float = Field(
        300.0, ge=0, description="How long a run waits for another run to free the warehouse."
    )
    notify_email_to: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Addresses told when a run fails or is missing (comma-separated)."
    )
    smtp_host: str | None = Field(None, description="SMTP server for notifications.")
    smtp_port: int = Field(465, description="SMTP port (465 = SSL, 587 = STARTTLS, 25 = plain).")
    smtp_security: Literal["ssl", "starttls", "none"] = Field("ssl", description="SMTP security.")
    smtp_user: str | None = Field(None, description="SMTP user name.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str | None = Field(None, description="Sender address of notifications.")
    notify_webhook_url: SecretStr | None = Field(
        None, description="钉钉/企业微信 group robot webhook URL (holds its access token)."
    )
    notify_webhook_secret: SecretStr | None = Field(
        None, description="钉钉 robot signing secret (加签), when the robot uses one."
    )

    # --- closing the loop: follow-ups, complaints, appeals, polls (issue 13)
    followup_days_dissatisfied: int = Field(
        5, ge=1, le=60, description="Working days a unit has to answer a 不满意 follow-up."
    )
    followup_days_integrity: int = Field(
        10, ge=1, le=60, description="Working days the discipline office has to verify (核实) an integrity report."
    )
    followup_days_complaint: int = Field(
        5, ge=1, le=60, description="Working days a unit has to answer a complaint routed to it."
    )
    followup_remind_days: int = Field(
        1, ge=0, le=10, description="Working days before a deadline when the unit is reminded."
    )
    revisit_channel: Literal["manual", "sms"] = Field(
        "manual",
        description="How the center's 回访 reaches the citizen after the unit's reply: the "
        "evaluators' calls (manual) or SMS where the provider can ask the recovery question.",
    )
    revisit_wait_days: int = Field(
        3, ge=1, le=30, description="Working days a 回访 waits for an answer before the ticket closes without one."
    )
    public_form_per_hour: int = Field(
        5, ge=1, le=1000, description="Complaint and poll forms one address may submit per hour (public listener)."
    )

    # --- Twilio (CONTRACT.md; unprefixed names)
    twilio_account_sid: str | None = Field(
        None, validation_alias="TWILIO_ACCOUNT_SID", description="Twilio account SID."
    )
    twilio_auth_token: SecretStr | None = Field(
        None, validation_alias="TWILIO_AUTH_TOKEN", description="Twilio auth token."
    )
    twilio_from_number: str | None = Field(
        None, validation_alias="TWILIO_FROM_NUMBER", description="Twilio sender number."
    )
    twilio_messaging_service_sid: str | None = Field(
        None,
        validation_alias="TWILIO_MESSAGING_SERVICE_SID",
        description="Twilio messaging service (instead of a sender number).",
    )
    public_url: str | None = Field(
        None,
        validation_alias="MINYI_PUBLIC_URL",
        description="Base URL providers call back (the public listener behind its proxy).",
    )
    twilio_api_url: str | None = Field(
        None,
        validation_alias="MINYI_TWILIO_API_URL",
        description="Replaces Twilio's REST base URL (tests, the emulator).",
    )

    # --- Alibaba Cloud (CONTRACT.md "Domestic provider"; the SDK's own names for the key)
    aliyun_access_key_id: str | None = Field(
        None,
        validation_alias="ALIBABA_CLOUD_ACCESS_KEY_ID",
        description="Alibaba Cloud AccessKey ID (a RAM user allowed SMS and voice only).",
    )
    aliyun_access_key_secret: SecretStr | None = Field(
        None,
        validation_alias="ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        description="Alibaba Cloud AccessKey secret.",
    )
    aliyun_sign_name: str | None = Field(
        None, description="The approved SMS signature (短信签名), without 【】."
    )
    aliyun_sms_endpoint: str | None = Field(
        None,
        description="Replaces dysmsapi.aliyuncs.com (the local emulator: http://127.0.0.1:PORT).",
    )
    aliyun_voice_endpoint: str | None = Field(
        None,
        description="Replaces dyvmsapi.aliyuncs.com (the local emulator: http://127.0.0.1:PORT).",
    )
    aliyun_voice_caller: str | None = Field(
        None,
        description="The purchased number (真实号) IVR calls come from; unset: SMS only, "
        "then the evaluators.",
    )
    aliyun_callback_token: SecretStr | None = Field(
        None,
        description="Secret last path segment of the callback URLs entered in the console "
        "(at least 16 characters; Alibaba Cloud does not sign its pushes).",
    )
    aliyun_templates: Path | None = Field(
        None,
        description="TOML of the registered template texts (default: "
        "channels/aliyun/templates.toml).",
    )
    aliyun_template_opening: str | None = Field(
        None, description="Template code (SMS_…) of the first SMS."
    )
    aliyun_template_opening_short: str | None = Field(
        None, description="Template code of the shorter first SMS (when the first needs 2 segments)."
    )
    aliyun_template_integrity: str | None = Field(
        None, description="Template code of the 吃拿卡要 question (SMS)."
    )
    aliyun_template_timeliness: str | None = Field(
        None, description="Template code of the timeliness question (SMS)."
    )
    aliyun_template_reason: str | None = Field(
        None, description="Template code of the dissatisfaction-reason question (SMS)."
    )
    aliyun_template_reprompt: str | None = Field(
        None, description="Template code of the re-prompt after an unreadable reply (SMS)."
    )
    aliyun_template_thanks: str | None = Field(
        None, description="Template code of the closing thanks (SMS)."
    )
    aliyun_template_ivr_start: str | None = Field(
        None, description="Template code (TTS_…) of the IVR call's question."
    )
    aliyun_template_ivr_key: str | None = Field(
        None, description="Template code of what the IVR call says after a key press."
    )
    aliyun_template_ivr_bye: str | None = Field(
        None, description="Template code of the IVR call's goodbye."
    )
    aliyun_connect_timeout_ms: int = Field(
        3000, ge=100, description="Alibaba Cloud SDK connect timeout (milliseconds)."
    )
    aliyun_read_timeout_ms: int = Field(
        10000, ge=100, description="Alibaba Cloud SDK read timeout (milliseconds)."
    )

    @field_validator("excluded_categories", "notify_email_to", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("honour_months")
    @classmethod
    def _divides_the_year(cls, value: int) -> int:
        if value not in (1, 2, 3, 4, 6, 12):
            raise ValueError(f"{value} does not divide the year into periods")
        return value

    @field_validator("calling_windows", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        return parse_windows(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

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
    def casework_path(self) -> Path:
        """Follow-ups, complaints, appeals and polls (written by the staff web and the flows)."""
        return self.home / "casework.sqlite"

    @property
    def inbox(self) -> Path:
        """Where the case system drops its exports for ``minyi day``."""
        return self.home / "inbox" / "cases"

    @property
    def district(self) -> str:
        """The home's name in Prefect: deployments ``minyi-day/<district>``, work queue."""
        return self.district_id or self.home.resolve().name

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def aliyun_configured(self) -> bool:
        """An AccessKey and a callback token are set (the callbacks can be received)."""
        return bool(
            self.aliyun_access_key_id and self.aliyun_access_key_secret and self.aliyun_callback_token
        )

    @property
    def aliyun_template_codes(self) -> dict[str, str]:
        """Template role → code, from the ``MINYI_ALIYUN_TEMPLATE_<ROLE>`` settings given."""
        prefix = "aliyun_template_"
        return {
            name.removeprefix(prefix): value.strip()
            for name in type(self).model_fields
            if name.startswith(prefix)
            and isinstance(value := getattr(self, name), str)
            and value.strip()
        }


def env_name(field: str) -> str:
    """The environment variable of a settings field."""
    info = Settings.model_fields.get(field)
    alias = getattr(info, "validation_alias", None) if info else None
    return alias if isinstance(alias, str) else f"MINYI_{field.upper()}"


def _field_of(loc: tuple[Any, ...]) -> str:
    name = str(loc[0]) if loc else "?"
    for field, info in Settings.model_fields.items():
        if name in (field, info.validation_alias):
            return field
    return name


def load_settings(home: Path | str | None = None, **overrides: object) -> Settings:
    """Settings from the environment and ``<home>/minyi.env``, explicit values winning.

    The home is ``--home``, else ``$MINYI_HOME``, else ``./minyi-home``. Raises
    :class:`SettingsError` naming the first bad setting and the form it expects.
    """
    if home is None:
        home = os.environ.get("MINYI_HOME") or "minyi-home"
    home = Path(home)
    values = {key: val for key, val in overrides.items() if val is not None}
    env_file = home / ENV_FILE
    try:
        settings = Settings(
            home=home,
            _env_file=env_file if env_file.is_file() else None,  # type: ignore[call-arg]
            **values,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_of(tuple(first.get("loc", ())))
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        given = first.get("input")
        shown = "" if isinstance(given, dict) or field in _SECRET_FIELDS else f" (given {given!r})"
        expected = WINDOWS_FORM if field == "calling_windows" else _expected(field)
        raise SettingsError(env_name(field), message + shown, expected) from None
    _refuse_weak_secrets(settings)
    return settings


def _refuse_weak_secrets(settings: Settings) -> None:
    """In production, placeholder or short secrets are refused (the value is never shown)."""
    if settings.env != "production":
        return
    for name, value, minimum in (
        ("MINYI_HASH_KEY", settings.hash_key, 16),
        ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token, 16),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", settings.aliyun_access_key_secret, 16),
        ("MINYI_ALIYUN_CALLBACK_TOKEN", settings.aliyun_callback_token, 24),
        ("MINYI_SMTP_PASSWORD", settings.smtp_password, 1),
    ):
        if value is None:
            continue
        secret = value.get_secret_value().strip()
        if secret.lower() in PLACEHOLDER_SECRETS or "development" in secret.lower():
            raise SettingsError(name, "a placeholder is not a secret in production", "the real secret")
        if len(secret) < minimum:
            raise SettingsError(name, f"too weak for production (fewer than {minimum} characters)")


_SECRET_FIELDS = frozenset(
    name
    for name, info in Settings.model_fields.items()
    if "SecretStr" in str(info.annotation)
)


def _expected(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is None:
        return ""
    annotation = str(info.annotation)
    if "Literal" in annotation:
        return "one of " + annotation.split("Literal[", 1)[1].split("]", 1)[0]
    if "tuple[str" in annotation:
        return "a comma-separated list"
    if "time" in annotation:
        return "a local time like 06:30"
    for kind in ("int", "float", "bool"):
        if annotation.startswith(f"<class '{kind}'>"):
            return {"int": "a whole number", "float": "a number", "bool": "true or false"}[kind]
    return ""
