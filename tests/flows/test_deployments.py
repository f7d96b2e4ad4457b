"""Scheduling by Prefect itself, and beyond one machine: one real Prefect server, one work pool,
two `minyi serve` processes (each a district home with its own deployments and a process worker
polling the district's queue). A scheduled run is observed to execute; runs of each district's
deployments run on that district's worker against that district's home."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

ZONE = ZoneInfo("Asia/Shanghai")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _district(tmp_path: Path, name: str, day_at: str, yesterday: str) -> Path:
    home = tmp_path / name
    inbox = home / "inbox" / "cases"
    inbox.mkdir(parents=True)
    (home / "minyi.env").write_text(
        f"MINYI_PROVIDER=manual\nMINYI_DAY_AT={day_at}\nMINYI_DISTRICT_NAME={name}区\n", encoding="utf-8"
    )
    (home / "units.csv").write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\n", encoding="utf-8")
    rows = ["case_id,unit_id,category,completed_at,phone"]
    rows += [f"{name}{i},U1,户籍,{yesterday} 10:{i:02d}:00,1390000{i:04d}" for i in range(12)]
    (inbox / "export.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return home


def _serve(home: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", "--home", str(home), "serve",
             "--port", str(_port()), "--staff-port", str(_port())],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )


async def _wait_for_run(deployment: str, timeout: float, state: str = "COMPLETED") -> object:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    flow, name = deployment.split("/")
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while time.monotonic() < deadline:
            runs = await client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name]))
            )
            flows = {f.id: f.name for f in await client.read_flows()}
            done = [r for r in runs if flows.get(r.flow_id) == flow and r.state_type and r.state_type.value == state]
            if done:
                return done[0]
            failed = [r for r in runs if r.state_type and r.state_type.value in ("FAILED", "CRASHED")]
            assert not failed, [(r.name, r.state.message if r.state else "") for r in failed]
            await asyncio.sleep(1)
    raise AssertionError(f"no {state} run of {deployment} within {timeout:.0f} s")


@pytest.mark.flow
def test_two_districts_one_server_one_pool_two_workers(prefect_api: str, tmp_path: Path) -> None:
    from prefect.deployments import run_deployment

    from flows.deployments import register
    from minyi.settings import load_settings

    now = datetime.now(UTC).astimezone(ZONE)
    yesterday = (now - timedelta(days=1)).date().isoformat()
    a = _district(tmp_path, "A", "06:30", yesterday)
    b = _district(tmp_path, "B", "06:30", yesterday)
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_WORKER_QUERY_SECONDS": "2",
           "PREFECT_WORKER_PREFETCH_SECONDS": "5"}
    for home in (a, b):
        loaded = subprocess.run(
            [sys.executable, "-m", "app.cli", "--home", str(home), "units", "load", str(home / "units.csv")],
            env=env, capture_output=True, text=True, timeout=300,
        )
        assert loaded.returncode == 0, loaded.stderr
    servers = [_serve(a, env, tmp_path / "a.log"), _serve(b, env, tmp_path / "b.log")]
    try:
        # B: its day run triggered through the API runs on B's worker, against B's home
        run_b = asyncio.run(_wait_until_deployed("minyi-day/B", 120))
        assert run_b
        flow_run = run_deployment("minyi-day/B", timeout=0, parameters={"day": yesterday})
        assert flow_run.work_queue_name == "B"  # type: ignore[union-attr]
        asyncio.run(_wait_for_run("minyi-day/B", 180))
        # A: nobody triggers it; its schedule does. Its day run is moved to 20 s from now
        # (MINYI_DAY_AT with seconds), registered again as `minyi serve` registers it.
        assert asyncio.run(_wait_until_deployed("minyi-day/A", 120))
        soon = (datetime.now(UTC).astimezone(ZONE) + timedelta(seconds=20)).time().replace(microsecond=0)
        asyncio.run(register(load_settings(a, day_at=soon)))
        done = asyncio.run(_wait_for_run("minyi-day/A", 150))
        assert getattr(done, "work_queue_name", None) == "A"
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    logs = (tmp_path / "a.log").read_text(errors="replace") + (tmp_path / "b.log").read_text(errors="replace")
    assert "deployments: minyi-day/A, minyi-dispatch/A, minyi-month/A" in logs, logs
    for home, name in ((a, "A"), (b, "B")):
        con = duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True)
        try:
            drawn = con.sql("SELECT sample_date::VARCHAR, sampled FROM day_draws").fetchall()
            ids = {r[0][:1] for r in con.sql("SELECT case_id FROM cases").fetchall()}
        finally:
            con.close()
        assert drawn == [(yesterday, 12)] and ids == {name}  # each worker used its own home


async def _wait_until_deployed(name: str, timeout: float) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while time.monotonic() < deadline:
            try:
                await client.read_deployment_by_name(name)
                return True
            except ObjectNotFound:
                await asyncio.sleep(1)
    return False
