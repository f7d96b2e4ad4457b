"""The evaluators' worklist, used through its web page as an evaluator would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.staff.worklist import create_worklist_app
from channels.base import ContactRequest
from channels.landing import LandingStore
from channels.worklist.store import Worklist, WorklistProvider
from minyi.settings import load_settings

AT = datetime(2026, 10, 13, 1, 30, tzinfo=UTC)


def _send(path: Path, n: int) -> None:
    worklist = Worklist(path, evaluators=2)
    provider = WorklistProvider(worklist)
    for i in range(n):
        request = ContactRequest(
            attempt_id=f"C{i}:3",
            case_id=f"C{i}",
            channel="manual",
            to=f"+86138000000{i:02d}",
            at=AT,
            context={"unit": "示范区人社局", "category": "社保参保", "date": "2026-10-12"},
        )
        provider.send(request)
        provider.send(request)  # a resend after a crash adds nothing
        assert provider.find(request.attempt_id) is not None
    worklist.close()


def test_evaluator_records_answers_and_outcomes_once(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, evaluators=2)
    path = settings.landing_path
    _send(path, 4)
    app = FastAPI()
    app.mount("/worklist", create_worklist_app(settings))
    client = TestClient(app)

    index = client.get("/worklist/")
    assert (
        index.status_code == 200
        and "E1</a>: 2 待访" in index.text
        and "E2</a>: 2 待访" in index.text
    )
    page = client.get("/worklist/E1")
    assert (
        "+8613800000000" in page.text and "示范区人社局" in page.text and "回复T退订" in page.text
    )

    answered = client.post(
        "/worklist/item/C0:3",
        data={
            "outcome": "answered",
            "satisfaction": "2",
            "integrity": "yes",
            "timeliness": "3",
            "reason": "来回跑了三次",
        },
        follow_redirects=False,
    )
    assert answered.status_code == 303 and answered.headers["location"] == "/worklist/E1"
    again = client.post("/worklist/item/C0:3", data={"outcome": "answered", "satisfaction": "2"})
    assert again.status_code == 200  # a double submit is harmless
    assert client.post("/worklist/item/C2:3", data={"outcome": "wrong_number"}).status_code == 200
    missing = client.post("/worklist/item/C1:3", data={"outcome": "answered", "integrity": "no"})
    assert missing.status_code == 422 and "satisfaction" in missing.text

    with LandingStore(path) as landing:
        events = landing.pending_frame()
    by_case = {
        c: sorted(events.filter(events["case_id"] == c)["kind"].to_list()) for c in ("C0", "C2")
    }
    assert by_case == {"C0": ["answer"] * 4 + ["completed"], "C2": ["wrong_number"]}
    values = dict(events.filter(events["kind"] == "answer").select("event_key", "detail").rows())
    assert any('"value": "来回跑了三次"' in d for d in values.values())
    assert "+8613800000000" not in client.get("/worklist/E1").text  # done items leave the list
