"""Signing staff in and out, sessions, roles and CSRF for the staff web.

- The session cookie carries a random session id, signed with the home's own
  key (``<home>/secrets/session_key``, ``itsdangerous``); the session itself
  (user, CSRF token, expiry) is kept server-side in the accounts file, so
  disabling a user or resetting a password ends it at once. The cookie is
  HttpOnly, SameSite=Strict, and Secure when ``MINYI_STAFF_HTTPS`` is set.
- Every form carries the session's CSRF token; a POST without the right token
  gets 403 and changes nothing. The sign-in form uses a double-submit token
  (a cookie and a field) since there is no session yet.
- Sign-in is throttled (``accounts.store``); a user whose password was set by
  someone else must choose a new one first.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeSerializer

from flows import staff
from minyi.keys import home_secret
from minyi.settings import Settings

COOKIE = "minyi_session"
SIGNIN_COOKIE = "minyi_signin"


class Auth:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        key = home_secret(settings.home, "session_key").get_secret_value()
        self.signer = URLSafeSerializer(key, salt="minyi-staff-session")

    def cookie_args(self) -> dict[str, Any]:
        return {
            "httponly": True,
            "samesite": "strict",
            "secure": self.settings.staff_https,
            "path": "/",
        }

    def session(self, request: Request) -> staff.Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            session_id = self.signer.loads(raw)
        except BadSignature:
            return None
        with staff.accounts(self.settings) as store:
            return store.session(str(session_id))

    def sign_in_cookie(self, session: staff.Session) -> str:
        return self.signer.dumps(session.session_id)

    def require(self, request: Request, *roles: str) -> staff.Session:
        """The signed-in session with one of ``roles`` (any role when none is given)."""
        session = self.session(request)
        if session is None:
            raise NotSignedIn()
        if roles and session.user.role not in roles:
            raise HTTPException(403, "你的账号无权访问此页面 / not allowed for your role")
        if session.user.must_change and request.url.path not in ("/password", "/signout"):
            raise MustChangePassword()
        return session

    @staticmethod
    def check_csrf(session: staff.Session, token: str) -> None:
        if not token or not hmac.compare_digest(token, session.csrf):
            raise HTTPException(403, "表单已过期，请刷新页面后重试 / invalid or missing CSRF token")


class NotSignedIn(Exception):
    """Handled by the app: a redirect to the sign-in page."""


class MustChangePassword(Exception):
    """Handled by the app: a redirect to the password page."""


def signin_token() -> str:
    return secrets.token_urlsafe(24)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


Guard = Callable[..., staff.Session]
