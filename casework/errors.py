"""Casework errors: terminal (the same request fails the same way); messages Chinese first."""

from __future__ import annotations

from minyi.errors import Terminal


class CaseworkError(Terminal):
    """A casework request that cannot be done; the message says why (中文 / English)."""


class NotFound(CaseworkError):
    def __init__(self, what: str, key: str) -> None:
        self.what = what
        self.key = key
        super().__init__(f"没有这个{what} / no such {what}: {key}")


class NotAllowed(CaseworkError):
    """The ticket, appeal or poll is not in a state (or not of a unit) that allows this."""


class BadInput(CaseworkError):
    """A value given by a person (a reason, a level, a questionnaire) is not acceptable."""
