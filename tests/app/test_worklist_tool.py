"""The worklist as an evaluator's phone tool: script, tap-to-dial, tries over windows,
约定回访, a daily target, errors shown on the form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from channels import clock
from channels.landing import LandingStore
from flows import staff
from minyi.settings import Settings
from tests.app.test_staff_web import _sign_in, center  # noqa: F401  (the fixture)


@pytest.fixture
def wang(center: tuple[Settings, TestClient]) -> tuple[Settings, TestClient, str]:  # noqa: F811
    settings, client = center
    clock.hold(datetime(2026, 10, 13, 2, 30, tzinfo=UTC))  # 10:30 in Beijing, a working day
    try:
        yield settings, client, _sign_in(client, "wang")  # type: ignore[misc]
    finally:
        clock.hold(None)


def _items(client: TestClient) -> list[str]:
    return re.findall(r"action='/worklist/item/([^'#]+)", client.get("/worklist").text)


def test_the_page_is_a_call_script_with_the_names_filled_in(wang: tuple[Settings, TestClient, str]) -> None:
    _, client, _ = wang
    page = client.get("/worklist").text
    assert "工号wang" in page and "尾号" in page and "10月12日" in page and "示范区人社局" in page
    assert "社保参保" in page and "您对示范区人社局办理“社保参保”这项业务的服务满意吗" in page
    assert "{unit}" not in page and "{category}" not in page
    assert "回复T退订" not in page and "请回复数字" not in page  # the SMS text is not a call script
    assert re.search(r"href='tel:1380000000\d'", page) and re.search(r"138 0000 000\d", page)
    assert "今日已拨打 0 / 目标 40" in page


def test_no_answer_is_tried_again_in_a_later_window_until_the_last_try(
    wang: tuple[Settings, TestClient, str],
) -> None:
    settings, client, csrf = wang
    first = _items(client)[0]
    for _ in range(1, settings.manual_tries + 1):
        assert first in _items(client)
        client.post(f"/worklist/item/{first}", data={"outcome": "no_answer", "csrf": csrf})
        assert first not in _items(client)  # not due again now
        clock.hold(clock.now() + timedelta(days=1))  # the next day's window
    with LandingStore(settings.landing_path) as landing:
        keys = sorted(landing.pending_frame()["event_key"].to_list())
    assert len(set(keys)) == settings.manual_tries  # one event per call, none lost
    assert [k.rsplit(":", 1)[-1] for k in keys] == ["no_answer", "try1", "try2"]
    with staff.worklist(settings) as store:
        item = store.get(first)
    assert item is not None and item.status == "done"  # the last try ends the case
    assert "今日已拨打 0" in client.get("/worklist").text  # a new day
    del item


def test_an_appointment_hides_the_case_until_its_time(wang: tuple[Settings, TestClient, str]) -> None:
    _, client, csrf = wang
    attempt = _items(client)[0]
    night = client.post(f"/worklist/appointment/{attempt}", data={"when": "2026-10-13T23:00", "csrf": csrf})
    assert night.status_code == 422 and "访评时段" in night.text  # shown on the form
    ok = client.post(f"/worklist/appointment/{attempt}", data={"when": "2026-10-14T15:00", "csrf": csrf},
                     follow_redirects=False)
    assert ok.status_code == 303
    page = client.get("/worklist").text
    assert attempt not in _items(client) and "（约定）" in page
    clock.hold(datetime(2026, 10, 14, 7, 5, tzinfo=UTC))  # 15:05 the next day
    assert _items(client)[0] == attempt  # appointments first


def test_a_form_error_is_shown_on_the_form_with_what_was_entered(
    wang: tuple[Settings, TestClient, str],
) -> None:
    settings, client, csrf = wang
    attempt = _items(client)[0]
    reply = client.post(
        f"/worklist/item/{attempt}",
        data={"outcome": "answered", "satisfaction": "", "integrity": "yes", "reason": "排队太久", "csrf": csrf},
    )
    assert reply.status_code == 422 and "text/html" in reply.headers["content-type"]
    assert "满意度须为 0–5" in reply.text and "value='排队太久'" in reply.text
    assert "{\"detail\"" not in reply.text
    done = client.post(
        f"/worklist/item/{attempt}",
        data={"outcome": "answered", "satisfaction": "2", "integrity": "yes", "reason": "排队太久", "csrf": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "今日已拨打 1 / 目标 40" in client.get("/worklist").text
    del settings
