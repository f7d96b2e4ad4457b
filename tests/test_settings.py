"""Settings as operators write them: the documented comma forms, clear errors naming the setting."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from minyi.errors import SettingsError
from minyi.keys import home_secret
from minyi.settings import load_settings


def test_documented_comma_forms_work(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("MINYI_CALLING_WINDOWS", "09:00-12:00,14:00-20:00")
    monkeypatch.setenv("MINYI_EXCLUDED_CATEGORIES", "信访, 殡葬服务，劳动仲裁")
    settings = load_settings(home)
    assert settings.calling_windows == ((time(9), time(12)), (time(14), time(20)))
    assert settings.excluded_categories == ("信访", "殡葬服务", "劳动仲裁")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("12:00-09:00", "empty or reversed"),
        ("09:00-09:00", "empty or reversed"),
        ("", "no calling window"),
        ("9-12", "not two times"),
        ("09:00-12:00,11:00-13:00", "overlap"),
        ("0900", "no '-'"),
    ],
)
def test_bad_windows_are_refused_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, home: Path, value: str, said: str
) -> None:
    monkeypatch.setenv("MINYI_CALLING_WINDOWS", value)
    with pytest.raises(SettingsError) as caught:
        load_settings(home)
    message = str(caught.value)
    assert message.startswith("setting MINYI_CALLING_WINDOWS:") and said in message
    assert "09:00-12:00,14:00-20:00" in message  # the form it expects
    assert "validation error for Settings" not in message


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("MINYI_DAILY_TOTAL", "lots", "a whole number"),
        ("MINYI_ALLOCATION", "random", "one of"),
        ("MINYI_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("MINYI_PROVIDER", "sms", "one of"),
    ],
)
def test_every_settings_error_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, home: Path, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(home)
    assert str(caught.value).startswith(f"setting {name}:") and said in str(caught.value)


def test_the_homes_file_is_read_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    (home / "minyi.env").write_text("MINYI_DAILY_TOTAL=120\nMINYI_PROVIDER=manual\n", encoding="utf-8")
    assert load_settings(home).daily_total == 120
    monkeypatch.setenv("MINYI_DAILY_TOTAL", "90")
    settings = load_settings(home)
    assert (settings.daily_total, settings.provider) == (90, "manual")


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "auth-token-0123456789abcdef")
    monkeypatch.setenv("MINYI_SMTP_PASSWORD", "smtp-pass-0123")
    settings = load_settings(home)
    shown = repr(settings) + str(settings.model_dump())
    assert "auth-token-0123456789abcdef" not in shown and "smtp-pass-0123" not in shown


def test_production_refuses_weak_secrets(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("MINYI_ENV", "production")
    for value in ("changeme", "minyi-development-key", "abc123"):
        monkeypatch.setenv("MINYI_HASH_KEY", value)
        with pytest.raises(SettingsError) as caught:
            load_settings(home)
        assert "MINYI_HASH_KEY" in str(caught.value) and value not in str(caught.value)


def test_a_home_generates_its_own_key_privately(home: Path) -> None:
    first = home_secret(home, "hash_key")
    assert first.get_secret_value() == home_secret(home, "hash_key").get_secret_value()
    assert len(first.get_secret_value()) >= 40
    path = home / "secrets" / "hash_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (home / "secrets").stat().st_mode & 0o777 == 0o700
    other = home.parent / "other"
    other.mkdir()
    assert home_secret(other, "hash_key").get_secret_value() != first.get_secret_value()


def test_the_honour_period_divides_the_year(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("MINYI_HONOUR_MONTHS", "5")
    with pytest.raises(SettingsError) as caught:
        load_settings(home)
    assert str(caught.value).startswith("setting MINYI_HONOUR_MONTHS:")
    assert "divide the year" in str(caught.value)
    monkeypatch.setenv("MINYI_HONOUR_MONTHS", "6")
    monkeypatch.setenv("MINYI_LAST_MONTHS", "2")
    with pytest.raises(SettingsError, match="MINYI_LAST_MONTHS"):
        load_settings(home)
