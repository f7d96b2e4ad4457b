"""The one error root of minyi, split into transient and terminal; the split drives retries.

::

    MinyiError                  base of every error minyi raises on purpose
     ├── Transient              try again later (a busy file, a provider's 429/5xx, a timeout)
     └── Terminal               the same input fails again: fix the input or the settings
          ├── SettingsError     a setting is missing or malformed (names the setting)
          └── UsageRefused      a command may not run here (today's draw, simulated in a real home…)

Each leaf's ``errors.py`` subclasses these (``sampling.errors.SamplingError`` is
terminal, ``channels.errors.TransientSendError`` transient, …). Flows retry only
``Transient``; the CLI prints any ``MinyiError`` as one line. An error carries its
facts as attributes and builds its own message, in Chinese and English where staff
read it.
"""

from __future__ import annotations


class MinyiError(Exception):
    """Base of every error minyi raises on purpose."""

    transient: bool = False


class Transient(MinyiError):
    """Worth retrying later: the cause is outside (a busy resource, a network)."""

    transient = True


class Terminal(MinyiError):
    """Not worth retrying: the same input fails the same way."""


class SettingsError(Terminal):
    """A setting is missing or malformed; ``name`` is the environment variable."""

    def __init__(self, name: str, problem: str, expected: str = "") -> None:
        self.name = name
        self.problem = problem
        self.expected = expected
        hint = f"; expected {expected}" if expected else ""
        super().__init__(f"setting {name}: {problem}{hint} / 设置 {name} 有误")


class UsageRefused(Terminal):
    """A command or flow may not do this here; the message says why and what to do."""


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying (used by Prefect task retry conditions)."""
    return bool(getattr(exc, "transient", False))
