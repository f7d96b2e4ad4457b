"""Secrets a home keeps for itself: generated at first use into ``<home>/secrets/``.

A home never runs on a known key: when a secret is not given in the settings
(``MINYI_HASH_KEY``…), it is read from ``<home>/secrets/<name>``, or generated
there (32 random bytes, URL-safe text) in a folder of mode 0700 and a file of
mode 0600, created exclusively so that two processes starting together agree.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

SECRETS_DIR = "secrets"


def home_secret(home: Path, name: str, given: SecretStr | None = None) -> SecretStr:
    """``given`` when set, else the home's own secret ``name`` (created on first use)."""
    if given is not None and given.get_secret_value():
        return given
    folder = home / SECRETS_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return SecretStr(value)
        raise
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    return SecretStr(path.read_text(encoding="utf-8").strip())


def private_file(home: Path, name: str, text: str) -> Path:
    """A file only this user can read, under ``<home>/secrets/`` (handing data to a flow run)."""
    folder = home / SECRETS_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return path.resolve()


def selection_secret(home: Path, month: str, demo_seed: int | None = None) -> str:
    """The month's selection secret (METHODS.md "Selection key"), kept in ``<home>/secrets/``.

    A demo home derives it from its seed, so that the same seed gives the same draws;
    a real home's is random and nobody can compute a draw before it is made.
    """
    if demo_seed is not None:
        return hashlib.sha256(f"minyi-demo-selection:{demo_seed}:{month}".encode()).hexdigest()
    return home_secret(home, f"selection-{month}").get_secret_value()


def day_key(secret: str, day: str) -> str:
    """The PRN key of a day: HMAC-SHA256(month secret, ISO date), hex."""
    return hmac.new(secret.encode(), day.encode(), hashlib.sha256).hexdigest()


def commitment(secret: str) -> str:
    """What is published before the month: SHA-256 of the secret, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()
