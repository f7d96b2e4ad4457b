"""Process set-up for Prefect, done before Prefect is imported: which API, quiet logs.

Every command that runs a flow talks to a Prefect API (CONTRACT.md "Operating
a center"): ``PREFECT_API_URL`` when it is set (a city or province runs one
Prefect server for many districts), else a **persistent local server** that
minyi starts once under the home (``<home>/.prefect/``: its database, its log
``server.log`` and ``server.json`` with its address and process id) and every
later command reuses. No command starts a temporary server of its own; the
server keeps running after the command that started it, like a database.

Starting is guarded by a file lock, so two commands starting at once share
one server. ``minyi prefect stop`` stops it (``stop_local_server``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from minyi.errors import Transient

STATE_FILE = "server.json"
_STARTED: list[subprocess.Popen[bytes]] = []
START_TIMEOUT_SECONDS = 180.0


class PrefectUnavailable(Transient):
    def __init__(self, detail: str) -> None:
        super().__init__(f"the Prefect server is not available: {detail} / Prefect 服务不可用")


def quiet(debug: bool = False) -> None:
    """Analytics off (offline machines), Prefect's own log lines silenced unless ``debug``."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if debug else "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_UI_ENABLED", "true")
    os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"  # never a temporary server
    # the console handler prints flow/task state lines; minyi prints its own progress
    if not debug:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "CRITICAL")
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "CRITICAL")


def prefect_home(home: Path) -> Path:
    return (home / ".prefect").resolve()


def prepare(
    home: Path, debug: bool = False, echo: Callable[[str], None] | None = None, wait: bool = True
) -> str:
    """Point this process at a Prefect API (starting the home's server if needed); its URL."""
    quiet(debug)
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        os.environ.setdefault("PREFECT_HOME", str(prefect_home(home)))
        url = ensure_local_server(home, echo, wait)
    point_prefect_at(url)
    return url


def point_prefect_at(url: str) -> None:
    """Make ``url`` the API of this process, also when Prefect was imported before.

    Prefect reads its settings from the environment once, when ``prefect.context`` is
    first imported; a process that imported it earlier (the staff web, a test session)
    would otherwise keep talking to no server at all.
    """
    os.environ["PREFECT_API_URL"] = url
    context = sys.modules.get("prefect.context")
    if context is not None:
        from prefect.settings import get_current_settings

        if get_current_settings().api.url != url:
            context.refresh_global_settings_context()


def _healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def local_server(home: Path) -> dict[str, object] | None:
    """The home's server as recorded (``url``, ``pid``, ``port``), when it is alive."""
    state = prefect_home(home) / STATE_FILE
    try:
        info = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not _alive(int(info.get("pid", 0))):
        return None
    return dict(info)


def ensure_local_server(
    home: Path, echo: Callable[[str], None] | None = None, wait: bool = True
) -> str:
    """The URL of the home's persistent Prefect server, started if it is not running.

    With ``wait=False`` a server just started may still be booting: call
    :func:`wait_ready` before the first flow run (the demo builds its inputs meanwhile).
    """
    folder = prefect_home(home)
    with _locked(folder / "server.lock"):
        info = local_server(home)
        if info is None:
            if echo:
                echo(f"starting the Prefect server of this home ({folder}); it keeps running…")
            url = _spawn(folder)
        else:
            url = str(info["url"])
    if wait:
        wait_ready(home, url)
    return url


def wait_ready(home: Path, url: str | None = None) -> None:
    """Wait until the home's server answers (or raise PrefectUnavailable)."""
    folder = prefect_home(home)
    url = url or os.environ.get("PREFECT_API_URL") or ""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _healthy(url):
        info = local_server(home)
        if info is None and not os.environ.get("PREFECT_API_URL"):
            raise PrefectUnavailable(f"it stopped while starting; see {folder / 'server.log'}")
        if time.monotonic() > deadline:
            raise PrefectUnavailable(f"{url} does not answer; see {folder / 'server.log'}")
        time.sleep(0.25)


def _spawn(folder: Path) -> str:
    """Start the server in its own session (it outlives this command); record where it is."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(folder),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    log = open(folder / "server.log", "ab")  # noqa: SIM115 (the server owns it from now on)
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=folder,
        start_new_session=True,
    )
    log.close()
    _STARTED.append(process)  # reaped by a thread when it exits (``minyi prefect stop``)
    threading.Thread(target=process.wait, name="prefect-server-reaper", daemon=True).start()
    (folder / STATE_FILE).write_text(
        json.dumps({"url": url, "pid": process.pid, "port": port}), encoding="utf-8"
    )
    return url


def stop_local_server(home: Path) -> bool:
    """Stop the home's persistent server; False when none was running."""
    info = local_server(home)
    if info is None:
        return False
    pid = int(str(info["pid"]))
    os.killpg(pid, signal.SIGTERM)
    for _ in range(100):
        if not _alive(pid):
            break
        time.sleep(0.1)
    (prefect_home(home) / STATE_FILE).unlink(missing_ok=True)
    return True
