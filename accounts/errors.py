"""Account errors (terminal: the same request fails the same way)."""

from __future__ import annotations

from minyi.errors import Terminal


class AccountError(Terminal):
    """A user name, role or password is not acceptable; the message says why."""


class SignInThrottled(Terminal):
    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(
            f"too many failed sign-ins: try again in {minutes} minutes / 登录失败次数过多，请 {minutes} 分钟后再试"
        )
