"""Signed webhook load on the receiver, over loopback only.

    uv run python -m bench.receiver_bench [--requests N] [--concurrency C] [--repeat-share R]

Starts the receiver (``channels.twilio.receiver.create_app``) with uvicorn in a child
process on a free 127.0.0.1 port, registers one SMS session per simulated
person, then sends ``--requests`` webhook deliveries, each signed as Twilio
signs (``X-Twilio-Signature`` over the public URL + sorted form):

* message status callbacks (``sent``, ``delivered``), one new event each,
* inbound replies (``5``), one per person: one ``answer`` event each,
* repeats: exact copies of earlier deliveries (``--repeat-share``), which must
  record nothing new.

Afterwards the landing file is read back: every expected event key must be
there exactly once (lost = expected − found; duplicated = rows beyond one per
key; unexpected = keys nobody sent). Prints throughput and latency
percentiles; the targets are ≥ 1,000 requests/s and p99 ≤ 50 ms with nothing
lost or duplicated. Exit status 1 when a target is missed. Bounded: at most
``--requests`` requests and ``--max-seconds`` of sending.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import socket
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

TOKEN = "bench-token"
OWN = "+15005550006"


def _serve(sock: socket.socket, public: str, landing: str) -> None:
    import uvicorn

    from channels.twilio.receiver import create_app

    app = create_app(auth_token=TOKEN, public_url=public, landing_path=Path(landing))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none")
    uvicorn.Server(config).run(sockets=[sock])


def _register(landing: Path, people: int) -> list[str]:
    from channels import conversation
    from channels.questionnaire import load
    from channels.sessions import SessionStore

    phones = [f"+861390000{i:04d}" for i in range(people)]
    start = conversation.start(load())
    with SessionStore(landing) as sessions:
        for i, phone in enumerate(phones):
            sessions.open(
                attempt_id=f"B{i}:1",
                case_id=f"B{i}",
                channel="sms",
                phone=phone,
                lang="zh",
                state=start,
            )
    return phones


def _workload(
    public: str, phones: list[str], total: int, repeat_share: float, seed: int
) -> tuple[list[tuple[str, dict[str, str]]], set[str]]:
    """(path, form) deliveries in sending order, and the event keys they must leave."""
    rng = random.Random(seed)
    fresh: list[tuple[str, dict[str, str]]] = []
    expected: set[str] = set()
    n_fresh = int(total * (1 - repeat_share))
    replies = min(len(phones), n_fresh // 3)
    for i, phone in enumerate(phones[:replies]):
        sid = f"SMin{i:028d}"
        fresh.append(("/twilio/sms", {"MessageSid": sid, "From": phone, "To": OWN, "Body": "5"}))
        expected.add(f"{sid}:answer:satisfaction")
    i = 0
    while len(fresh) < n_fresh:
        sid = f"SMout{i // 2:027d}"
        status = ("sent", "delivered")[i % 2]
        fresh.append(
            (
                f"/twilio/status?attempt=B{i // 2}%3A1",
                {"MessageSid": sid, "MessageStatus": status, "To": phones[0]},
            )
        )
        expected.add(f"{sid}:{status}")
        i += 1
    rng.shuffle(fresh)
    order: list[tuple[str, dict[str, str]]] = []
    for item in fresh:
        order.append(item)
        if rng.random() < repeat_share / (1 - repeat_share):
            order.append(rng.choice(order))  # an earlier delivery, again
    order = order[:total]
    sent = {
        f"{form['MessageSid']}:{form.get('MessageStatus', 'answer:satisfaction')}"
        for _, form in order
    }
    return order, expected & sent


async def _post(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    request: tuple[str, bytes, str],
) -> int:
    """One HTTP/1.1 keep-alive POST; returns the status (a minimal client keeps the load cheap)."""
    path, body, sig = request
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {sig}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    answer = await reader.readuntil(b"\r\n\r\n")
    lines = answer.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _send(
    address: tuple[str, int],
    public: str,
    work: list[tuple[str, dict[str, str]]],
    concurrency: int,
    max_seconds: float,
) -> tuple[list[float], int, float]:
    from twilio.request_validator import RequestValidator

    signer = RequestValidator(TOKEN)
    signed = [
        (path, urlencode(form).encode(), signer.compute_signature(public + path, form))
        for path, form in work
    ]
    latencies: list[float] = []
    failures = 0
    queue = iter(signed)
    deadline = time.monotonic() + max_seconds
    host = f"{address[0]}:{address[1]}"

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(*address)
        try:
            for request in queue:
                if time.monotonic() > deadline:
                    return
                began = time.perf_counter()
                status = await _post(reader, writer, host, request)
                latencies.append(time.perf_counter() - began)
                if status >= 300:
                    failures += 1
        finally:
            writer.close()
            await writer.wait_closed()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, failures, time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat-share", type=float, default=0.15)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing.sqlite"
        phones = _register(landing, args.requests // 3 + 1)
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets (else Nagle adds ~40 ms)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        address = sock.getsockname()[:2]
        public = "https://minyi.example.gov.cn"  # signed as the proxy's public URL
        work, expected = _workload(public, phones, args.requests, args.repeat_share, args.seed)
        child = mp.get_context("spawn").Process(target=_serve, args=(sock, public, str(landing)))
        child.start()
        try:
            for _ in range(200):
                try:
                    socket.create_connection(address, timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            latencies, failures, elapsed = asyncio.run(
                _send(address, public, work, args.concurrency, args.max_seconds)
            )
        finally:
            child.terminate()
            child.join(10)
            sock.close()
        con = sqlite3.connect(landing)
        keys = [row[0] for row in con.execute("SELECT event_key FROM inbound")]
        con.close()

    sent = len(latencies)
    complete = sent == len(work)
    found = set(keys)
    lost = len(expected - found) if complete else -1
    duplicated = len(keys) - len(found)
    unexpected = len(found - expected)
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    rate = sent / elapsed
    repeats = len(work) - len({(p, tuple(sorted(f.items()))) for p, f in work})
    print(
        f"requests sent    {sent} of {len(work)} ({repeats} repeats), concurrency {args.concurrency}"
    )
    print(f"elapsed          {elapsed:.2f} s  ->  {rate:,.0f} requests/s (target >= 1,000)")
    print(
        f"latency ms       p50 {pct(0.50):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  "
        f"max {1000 * latencies[-1]:.1f} (target p99 <= 50)"
    )
    print(f"non-2xx          {failures}")
    print(
        f"records          {len(keys)} (expected {len(expected)}): lost {lost}, "
        f"duplicated {duplicated}, unexpected {unexpected}"
    )
    ok = complete and rate >= 1000 and pct(0.99) <= 50 and failures == 0
    ok = ok and lost == 0 and duplicated == 0 and unexpected == 0
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
