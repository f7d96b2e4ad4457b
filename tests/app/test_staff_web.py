"""The staff web attacked as an outsider and as a careless insider would (issue [7] findings)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.server import build_public_app, build_staff_app
from channels.base import ContactRequest
from channels.landing import LandingStore
from channels.worklist.store import Worklist, WorklistProvider
from flows import staff
from minyi.settings import Settings, load_settings

AT = datetime(2026, 10, 13, 1, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"


def _users(settings: Settings) -> None:
    with staff.accounts(settings) as store:
        store.add("wang", "evaluator", PASSWORD)
        store.add("li", "evaluator", PASSWORD)
        store.add("zhao", "director", PASSWORD)
        store.add("qian", "auditor", PASSWORD)
        store.add("sun", "liaison", PASSWORD, unit_id="U1")
        for name in ("wang", "li", "zhao", "qian", "sun"):
            store.set_password(name, PASSWORD, must_change=False)


def _worklist(settings: Settings, n: int) -> None:
    with Worklist(settings.landing_path, ("wang", "li")) as worklist:
        provider = WorklistProvider(worklist)
        for i in range(n):
            provider.send(
                ContactRequest(
                    attempt_id=f"C{i}:3",
                    case_id=f"C{i}",
                    channel="manual",
                    to=f"+86138000000{i:02d}",
                    at=AT,
                    context={"unit": "示范区人社局", "category": "社保参保", "date": "2026-10-12"},
                )
            )


def _sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    form = client.get("/signin").text
    token = re.search(r"name='csrf' value='([^']+)'", form).group(1)  # type: ignore[union-attr]
    reply = client.post(
        "/signin", data={"username": username, "password": password, "csrf": token},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    page = client.get("/").text
    found = re.search(r"name='csrf' value='([^']+)'", page)
    return found.group(1) if found else ""


@pytest.fixture
def center(home: Path) -> tuple[Settings, TestClient]:
    settings = load_settings(home)
    _users(settings)
    _worklist(settings, 4)
    return settings, TestClient(build_staff_app(settings))


def test_nothing_without_signing_in_and_nothing_staff_on_the_public_port(
    center: tuple[Settings, TestClient],
) -> None:
    settings, client = center
    for path in ("/", "/status", "/worklist", "/worklist/wang", "/audit"):
        reply = client.get(path, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"] == "/signin"
    posted = client.post("/worklist/item/C0:3", data={"outcome": "answered", "satisfaction": "1"})
    assert posted.status_code == 401
    public = TestClient(build_public_app(settings))  # type: ignore[arg-type]
    for path in ("/worklist", "/status", "/signin", "/audit"):
        assert public.get(path).status_code == 404


def test_an_evaluator_sees_and_submits_only_their_own_open_items_with_checked_values(
    center: tuple[Settings, TestClient],
) -> None:
    settings, client = center
    csrf = _sign_in(client, "wang")
    mine = client.get("/worklist").text
    own = re.findall(r"action='/worklist/item/([^'#]+)", mine)
    assert own and "tel:138000000" in mine  # tap-to-dial
    assert client.get("/worklist/li").status_code == 403
    with Worklist(settings.landing_path, ("wang", "li")) as worklist:
        theirs = [i.attempt_id for i in worklist.open_items("li") if i.evaluator == "li"]
    good = {"outcome": "answered", "satisfaction": "4", "integrity": "no", "timeliness": "4", "csrf": csrf}
    # no CSRF token: refused, nothing recorded
    assert client.post(f"/worklist/item/{own[0]}", data={**good, "csrf": ""}).status_code == 403
    # someone else's item
    assert client.post(f"/worklist/item/{theirs[0]}", data=good).status_code == 403
    # values out of range, several outcomes at once
    for bad in (
        {**good, "satisfaction": "99"},
        {**good, "timeliness": "-7"},
        {**good, "outcome": ["answered", "refused", "busy", "wrong_number"]},
    ):
        assert client.post(f"/worklist/item/{own[0]}", data=bad).status_code == 422
    with LandingStore(settings.landing_path) as landing:
        assert landing.count() == 0
    assert client.post(f"/worklist/item/{own[0]}", data=good, follow_redirects=False).status_code == 303
    # done: a second submit is refused and records nothing
    assert client.post(f"/worklist/item/{own[0]}", data={**good, "outcome": "refused"}).status_code == 404
    with LandingStore(settings.landing_path) as landing:
        kinds = sorted(landing.pending_frame()["kind"].to_list())
    assert kinds == ["answer", "answer", "answer", "completed"]


def test_roles_limit_what_each_account_may_do(center: tuple[Settings, TestClient]) -> None:
    settings, _ = center
    for who, allowed, refused in (
        ("zhao", ["/status", "/worklist", "/worklist/wang", "/audit"], []),
        ("qian", ["/status", "/audit", "/worklist/wang"], []),
        ("sun", [], ["/status", "/worklist", "/audit"]),
        ("wang", ["/status", "/worklist"], ["/audit"]),
    ):
        client = TestClient(build_staff_app(settings))
        csrf = _sign_in(client, who)
        for path in allowed:
            assert client.get(path).status_code == 200, (who, path)
        for path in refused:
            assert client.get(path).status_code == 403, (who, path)
        if who != "wang":  # only evaluators record calls
            reply = client.post(
                "/worklist/item/C0:3",
                data={"outcome": "answered", "satisfaction": "1", "csrf": csrf},
            )
            assert reply.status_code == 403, who


def test_sign_in_is_throttled_and_disabling_ends_sessions(center: tuple[Settings, TestClient]) -> None:
    settings, client = center
    other = TestClient(build_staff_app(settings))
    _sign_in(other, "wang")
    form = client.get("/signin").text
    token = re.search(r"name='csrf' value='([^']+)'", form).group(1)  # type: ignore[union-attr]
    for _ in range(5):
        reply = client.post("/signin", data={"username": "li", "password": "guess-guess", "csrf": token},
                            follow_redirects=False)
        assert reply.headers["location"] == "/signin?error=1"
    locked = client.post("/signin", data={"username": "li", "password": PASSWORD, "csrf": token})
    assert locked.status_code == 429  # the right password, but locked: name and address
    assert other.get("/worklist").status_code == 200
    with staff.accounts(settings) as store:
        store.disable("wang")
    assert other.get("/worklist", follow_redirects=False).status_code == 303  # the session ended


def test_a_new_account_must_choose_its_own_password(home: Path) -> None:
    settings = load_settings(home)
    with staff.accounts(settings) as store:
        store.add("zhou", "evaluator", "one-time-pass-123")
    client = TestClient(build_staff_app(settings))
    form = client.get("/signin").text
    token = re.search(r"name='csrf' value='([^']+)'", form).group(1)  # type: ignore[union-attr]
    reply = client.post("/signin", data={"username": "zhou", "password": "one-time-pass-123", "csrf": token},
                        follow_redirects=False)
    assert reply.headers["location"] == "/password"
    assert client.get("/worklist", follow_redirects=False).headers["location"] == "/password"


def test_every_change_is_audited_and_the_log_is_append_only(center: tuple[Settings, TestClient]) -> None:
    settings, client = center
    csrf = _sign_in(client, "wang")
    attempt = re.findall(r"action='/worklist/item/([^'#]+)", client.get("/worklist").text)[0]
    client.post(f"/worklist/item/{attempt}", data={"outcome": "busy", "csrf": csrf})
    with staff.accounts(settings) as store:
        actions = [(e.actor, e.action, e.target) for e in store.audit_log()]
    assert ("wang", "worklist.record", attempt) in actions and ("wang", "signin", None) in actions
    con = sqlite3.connect(settings.home / "access.sqlite")
    try:
        for statement in ("UPDATE audit SET actor = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(statement)
        text = " ".join(str(v) for row in con.execute("SELECT * FROM audit") for v in row)
    finally:
        con.close()
    assert not re.search(r"1[3-9]\d{9}", text)  # no phone number in the log
