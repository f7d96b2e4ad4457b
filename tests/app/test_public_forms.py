"""The public complaint and poll forms, attacked as anyone on the internet could."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.server import build_public_app, build_staff_app
from casework import polls
from casework.store import Casework
from flows import public, staff
from minyi.registration import looks_like_registration
from minyi.settings import Settings, load_settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PASSWORD = "correct horse battery"


def _token(page: str) -> str:
    return re.search(r"name='token' value='([^']+)'", page).group(1)  # type: ignore[union-attr]


def _landing(settings: Settings) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(settings.landing_path)
    try:
        return list(con.execute("SELECT event_key, kind, detail FROM inbound ORDER BY seq"))
    finally:
        con.close()


@pytest.fixture
def settings(home: Path) -> Settings:
    (home / "minyi.env").write_text("MINYI_PUBLIC_FORM_PER_HOUR=3\n", encoding="utf-8")
    return load_settings(home)


def test_a_complaint_gets_a_registration_number_and_nothing_else_comes_back(settings: Settings) -> None:
    web = TestClient(build_public_app(settings))  # type: ignore[arg-type]
    page = web.get("/complaint?unit=U07")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert "default-src 'none'" in page.headers["content-security-policy"]
    token = _token(page.text)
    sent = {"token": token, "text": "窗口人员索要好处费", "name": "张三", "phone": "13800138000", "consent": "1"}
    reply = web.post("/complaint", data=sent)
    assert reply.status_code == 200
    number = re.search(r"<strong>([^<]+)</strong>", reply.text).group(1)  # type: ignore[union-attr]
    assert looks_like_registration(number)
    for private in ("张三", "13800138000", "索要", "U07"):
        assert private not in reply.text  # nothing of what was sent is shown back
    rows = _landing(settings)
    assert len(rows) == 1 and rows[0][1] == "complaint"
    detail = json.loads(rows[0][2])
    assert (detail["unit_id"], detail["number"], detail["consent"]) == ("U07", number, "1")
    again = web.post("/complaint", data=sent)  # a replayed form: recorded once, same number
    assert number in again.text and len(_landing(settings)) == 1


def test_forged_stale_or_foreign_tokens_and_bodies_are_refused(settings: Settings) -> None:
    web = TestClient(build_public_app(settings))  # type: ignore[arg-type]
    good = _token(web.get("/complaint").text)
    for token in ("", "x", good[:-2] + "AA"):
        assert web.post("/complaint", data={"token": token, "text": "投诉"}).status_code == 403
    # a poll's token cannot post a complaint, nor JSON replace the form
    assert web.post("/complaint", content=json.dumps({"token": good, "text": "投诉"}),
                    headers={"Content-Type": "application/json"}).status_code == 400
    assert web.post("/complaint", data={"token": good, "text": "长" * 1001}).status_code == 422
    assert web.post("/complaint", data={"token": good, "text": "x", "phone": "1" * 21}).status_code == 422
    huge = "text=" + "a" * (70 * 1024) + f"&token={good}"
    assert web.post("/complaint", content=huge, headers=FORM).status_code == 413
    assert not settings.landing_path.exists() or _landing(settings) == []


def test_each_address_may_post_only_so_many_forms_an_hour(settings: Settings) -> None:
    web = TestClient(build_public_app(settings))  # type: ignore[arg-type]
    codes = [
        web.post("/complaint", data={"token": _token(web.get("/complaint").text), "text": f"投诉{k}"}).status_code
        for k in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    assert len(_landing(settings)) == 3


def test_the_public_listener_cannot_reach_the_staff_web_nor_the_reverse(settings: Settings) -> None:
    with staff.accounts(settings) as store:
        store.add("wang", "evaluator", PASSWORD)
        store.set_password("wang", PASSWORD, must_change=False)
    inside = TestClient(build_staff_app(settings))
    signin = inside.get("/signin").text
    csrf = re.search(r"name='csrf' value='([^']+)'", signin).group(1)  # type: ignore[union-attr]
    inside.post("/signin", data={"username": "wang", "password": PASSWORD, "csrf": csrf})
    outside = TestClient(build_public_app(settings))  # type: ignore[arg-type]
    for path in ("/tickets", "/unit", "/appeals", "/complaints/new", "/polls", "/worklist", "/audit"):
        assert outside.get(path).status_code == 404
    assert outside.post("/complaints", data={"text": "x"}).status_code in (404, 405)
    # the public form's token is no CSRF token of the staff web, even for a signed-in evaluator
    public_token = _token(outside.get("/complaint").text)
    entry = {"csrf": public_token, "entry": "e1", "text": "电话投诉"}
    assert inside.post("/complaints", data=entry).status_code == 403
    # and the staff session cookie means nothing on the public listener
    cookie = inside.cookies.get("minyi_session")
    assert cookie
    outside.cookies.set("minyi_session", cookie)
    replay = outside.post("/complaint", data={"token": "", "text": "x"})
    assert replay.status_code == 403
    with Casework(settings.casework_path) as store:
        assert store.complaints() == []


OPEN_POLL = """
title = "公园改造意见征集"
subject = "project"
starts = 2026-01-01
ends = 2099-12-31
target = "{target}"
{sample}
[[questions]]
key = "support"
kind = "single"
text = "是否支持？"
options = ["支持", "不支持"]
"""


def test_poll_forms_take_checked_answers_and_sample_polls_only_from_their_members(settings: Settings) -> None:
    with Casework(settings.casework_path) as store:
        polls.create(store, polls.parse(OPEN_POLL.format(target="open", sample="").replace("公园", "广场")),
                     "zhao", datetime.now(UTC))
        sampled = polls.parse(OPEN_POLL.format(target="sample", sample="[sample]\ntotal = 1"))
        polls.create(store, sampled, "zhao", datetime.now(UTC))
        polls.store_sample(store, sampled.poll_id, [("M1", "s", 1, 1, 1.0, None)], {})
        open_id = next(p.poll_id for p in polls.all_polls(store) if p.spec.target == "open")
    web = TestClient(build_public_app(settings))  # type: ignore[arg-type]
    form = web.get(f"/poll/{open_id}")
    assert form.status_code == 200 and "是否支持" in form.text
    token = _token(form.text)
    assert web.post(f"/poll/{open_id}", data={"token": token, "q_support": "3"}).status_code == 422
    assert web.post(f"/poll/{open_id}", data={"token": token, "q_support": "1"}).status_code == 200
    assert web.get(f"/poll/{sampled.poll_id}").status_code == 403  # a sample poll needs a member link
    assert web.get(f"/poll/{sampled.poll_id}?m=forged").status_code == 403
    link = public.member_link(settings, sampled.poll_id, "M1")
    member = web.get(link[link.index("/poll/"):])
    assert member.status_code == 200
    assert web.post(f"/poll/{sampled.poll_id}", data={"token": _token(member.text), "q_support": "2"}).status_code == 200
    assert web.get("/poll/NOSUCH").status_code == 404
    kinds = [(k.split(":")[0], kind) for k, kind, _ in _landing(settings)]
    assert kinds == [("web", "answer"), ("web", "answer")]


def test_behind_the_local_proxy_the_limit_is_per_real_address(settings: Settings) -> None:
    web = TestClient(build_public_app(settings), client=("127.0.0.1", 50000))  # type: ignore[arg-type]

    def post(forwarded: str) -> int:
        token = _token(web.get("/complaint").text)
        return web.post("/complaint", data={"token": token, "text": "投诉"},
                        headers={"X-Forwarded-For": forwarded}).status_code

    # a client that forges X-Forwarded-For still gets the address the proxy appended last
    assert [post(f"1.2.3.{k}, 203.0.113.7") for k in range(4)] == [200, 200, 200, 429]
    assert post("203.0.113.8") == 200  # another citizen is not held up
