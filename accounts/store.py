"""Staff accounts, sessions, sign-in throttling and the append-only audit log.

One SQLite file per home, ``<home>/access.sqlite`` (WAL; created mode 0600),
written by the staff web and the CLI (not by the flows, which own the
warehouse). Roles (CONTRACT.md "Commands"):

- ``director``: everything, including the audit log and other evaluators' lists;
- ``evaluator``: their own worklist and the status page;
- ``liaison``: one unit's 背对背 pages only (``unit_id`` required);
- ``auditor``: reads (status, audit log), changes nothing;
- ``discipline``: the discipline office (纪检): verifies (核实) integrity reports and
  complaints; only what it verifies becomes a 一票否决 input.

Passwords are hashed with argon2id (``argon2-cffi``). A session is a random id
kept server-side with its CSRF token: disabling a user or resetting a password
ends their sessions at once. Sign-in is throttled per user name and per client
address (5 failures in 15 minutes lock both for 15 minutes).

The audit log is append-only: SQLite triggers refuse UPDATE and DELETE. Each
entry says who, when, what, and the state before and after; callers never put
personal data (a phone number, a citizen's words) in it.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accounts.errors import AccountError, SignInThrottled
from minyi.walstore import WalStore

ROLES: Final = ("director", "evaluator", "liaison", "auditor", "discipline")
MIN_PASSWORD: Final = 10
SESSION_HOURS: Final = 12
FAILURES_ALLOWED: Final = 5
LOCK_MINUTES: Final = 15

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    unit_id TEXT,
    display_name TEXT,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    must_change INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signin_failures (
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signin_failures_key ON signin_failures(key, at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    before TEXT,
    after TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    unit_id: str | None
    display_name: str | None
    active: bool
    must_change: bool


@dataclass(frozen=True)
class Session:
    session_id: str
    user: User
    csrf: str


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    role: str
    action: str
    target: str | None
    before: str | None
    after: str | None


def _now() -> datetime:
    return datetime.now(UTC)


class Accounts(WalStore):
    """The accounts file of a home; one instance per process or thread."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)
        self._con.execute("PRAGMA foreign_keys=ON")
        self._hasher = PasswordHasher()
        self._tx = self.transaction  # the same BEGIN IMMEDIATE … COMMIT

    # --- users ------------------------------------------------------------------

    def add(
        self,
        username: str,
        role: str,
        password: str,
        *,
        unit_id: str | None = None,
        display_name: str | None = None,
    ) -> User:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise AccountError("user name: 1–64 characters without spaces / 用户名不能含空格")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)} / 角色无效")
        if role == "liaison" and not unit_id:
            raise AccountError("a liaison belongs to one unit: give --unit / 联络员须指定单位")
        _check_password(password)
        try:
            with self._tx() as con:
                con.execute(
                    "INSERT INTO users (username, role, unit_id, display_name, password_hash, "
                    "created_at) VALUES (?,?,?,?,?,?)",
                    (username, role, unit_id, display_name, self._hasher.hash(password), _now().isoformat()),
                )
        except sqlite3.IntegrityError:
            raise AccountError(f"user {username!r} exists already / 用户已存在") from None
        user = self.get(username)
        assert user is not None
        return user

    def get(self, username: str) -> User | None:
        row = self._con.execute(
            "SELECT username, role, unit_id, display_name, active, must_change FROM users "
            "WHERE username = ?",
            (username,),
        ).fetchone()
        if row is None:
            return None
        return User(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]))

    def users(self) -> list[User]:
        return [
            User(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]))
            for r in self._con.execute(
                "SELECT username, role, unit_id, display_name, active, must_change FROM users "
                "ORDER BY role, username"
            )
        ]

    def disable(self, username: str) -> None:
        with self._tx() as con:
            if con.execute("UPDATE users SET active = 0 WHERE username = ?", (username,)).rowcount != 1:
                raise AccountError(f"no user {username!r} / 无此用户")
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def set_password(self, username: str, password: str, *, must_change: bool) -> None:
        _check_password(password)
        with self._tx() as con:
            changed = con.execute(
                "UPDATE users SET password_hash = ?, must_change = ?, active = 1 WHERE username = ?",
                (self._hasher.hash(password), int(must_change), username),
            ).rowcount
            if changed != 1:
                raise AccountError(f"no user {username!r} / 无此用户")
            con.execute("DELETE FROM sessions WHERE username = ?", (username,))

    # --- sign-in ------------------------------------------------------------------

    def sign_in(self, username: str, password: str, client: str) -> Session | None:
        """A new session for the right password of an active user; None otherwise.

        Raises :class:`SignInThrottled` while the user name or the client is locked.
        """
        keys = (f"user:{username.strip().lower()}", f"client:{client}")
        since = (_now() - timedelta(minutes=LOCK_MINUTES)).isoformat()
        for key in keys:
            failures = self._con.execute(
                "SELECT count(*) FROM signin_failures WHERE key = ? AND at >= ?", (key, since)
            ).fetchone()[0]
            if failures >= FAILURES_ALLOWED:
                raise SignInThrottled(LOCK_MINUTES)
        row = self._con.execute(
            "SELECT password_hash, active FROM users WHERE username = ?", (username.strip(),)
        ).fetchone()
        ok = False
        if row is not None:
            try:
                ok = self._hasher.verify(row[0], password) and bool(row[1])
            except (VerificationError, InvalidHashError):
                ok = False
        else:  # same work for unknown names: no timing oracle for which names exist
            with suppress(VerificationError, InvalidHashError):
                self._hasher.verify(_DUMMY_HASH, password)
        with self._tx() as con:
            if not ok:
                con.executemany(
                    "INSERT INTO signin_failures VALUES (?, ?)", [(k, _now().isoformat()) for k in keys]
                )
                return None
            con.execute("DELETE FROM signin_failures WHERE key = ?", (keys[0],))
            session = Session(secrets.token_urlsafe(32), self.get(username.strip()), secrets.token_urlsafe(32))  # type: ignore[arg-type]
            con.execute(
                "INSERT INTO sessions VALUES (?,?,?,?,?)",
                (
                    session.session_id,
                    session.user.username,
                    session.csrf,
                    _now().isoformat(),
                    (_now() + timedelta(hours=SESSION_HOURS)).isoformat(),
                ),
            )
        return session

    def session(self, session_id: str) -> Session | None:
        row = self._con.execute(
            "SELECT s.session_id, s.username, s.csrf, s.expires_at FROM sessions s "
            "JOIN users u USING (username) WHERE s.session_id = ? AND u.active = 1",
            (session_id,),
        ).fetchone()
        if row is None or row[3] < _now().isoformat():
            return None
        user = self.get(row[1])
        return None if user is None else Session(row[0], user, row[2])

    def sign_out(self, session_id: str) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))

    # --- the audit log ------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        role: str,
        action: str,
        target: str | None = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Append one entry; ``before``/``after`` are JSON-encoded (never personal data)."""
        with self._tx() as con:
            con.execute(
                "INSERT INTO audit (at, actor, role, action, target, before, after) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    _now().isoformat(),
                    actor,
                    role,
                    action,
                    target,
                    None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
                    None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
                ),
            )

    def audit_log(self, limit: int = 500) -> list[AuditEntry]:
        return [
            AuditEntry(*row)
            for row in self._con.execute(
                "SELECT seq, at, actor, role, action, target, before, after FROM audit "
                "ORDER BY seq DESC LIMIT ?",
                (limit,),
            )
        ]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"a password needs at least {MIN_PASSWORD} characters / 密码至少 {MIN_PASSWORD} 位"
        )


def new_password() -> str:
    """A random password to hand over once (must be changed at first sign-in)."""
    return secrets.token_urlsafe(12)


_DUMMY_HASH = PasswordHasher().hash("not-a-password-of-anyone")
