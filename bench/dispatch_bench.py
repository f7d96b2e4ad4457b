"""The dispatcher's achieved send rate against its configured limit.

Builds a home with N sampled cases, points the real ``twilio`` client at the
local Twilio emulator on loopback, runs one dispatch and reports the achieved
rate and the most sends seen in any one-second window (which must never
exceed the limit).

    uv run python -m bench.dispatch_bench [--cases 600] [--limit 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from channels.landing import LandingStore
from demo.twilio_emulator.loopback import run_in_thread
from demo.twilio_emulator.server import Emulator
from flows.contact import dispatch
from flows.intake import draw_day, import_files
from flows.wiring import make_provider, open_warehouse
from minyi.settings import load_settings
from warehouse.loaders import load_units

ACCOUNT, TOKEN = "AC" + "b" * 32, "bench-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--limit", type=float, default=50.0, help="messages per second")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="minyi-dispatch-bench-"))
    units = tmp / "units.csv"
    units.write_text("unit_id,unit_name,unit_kind\nU1,甲局,agency\n", encoding="utf-8")
    cases = tmp / "cases.csv"
    cases.write_text(
        "case_id,unit_id,category,completed_at,phone\n"
        + "".join(
            f"B{i:05d},U1,户籍,2026-10-12 10:00:00,+86139{i:08d}\n" for i in range(args.cases)
        ),
        encoding="utf-8",
    )
    emulator = Emulator(account_sid=ACCOUNT, auth_token=TOKEN)
    with run_in_thread(emulator.app) as api_url:
        settings = load_settings(
            tmp / "home",
            daily_total=args.cases,
            messages_per_second=args.limit,
            twilio_account_sid=ACCOUNT,
            twilio_auth_token=TOKEN,
            twilio_from_number="+15005550006",
            public_url="http://127.0.0.1:9",
            twilio_api_url=api_url,
            provider="twilio",
        )
        stamps: list[float] = []
        with open_warehouse(settings) as con, LandingStore(settings.landing_path) as landing:
            load_units(con, units)
            import_files(con, settings, [cases])
            draw_day(con, settings, date(2026, 10, 12), date(2026, 10, 13))
            provider = make_provider(settings, landing, "real")
            send = provider.send

            def timed(request):  # type: ignore[no-untyped-def]
                receipt = send(request)
                stamps.append(time.monotonic())
                return receipt

            provider.send = timed  # type: ignore[method-assign]
            at = datetime(2026, 10, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
            started = time.monotonic()
            report = dispatch(con, settings, provider, landing, at, at)
            elapsed = time.monotonic() - started
    window = max((sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps), default=0)
    print(f"sent {report.sent} messages in {elapsed:.2f} s")
    print(f"configured limit   {args.limit:8.1f} msg/s")
    print(
        f"achieved rate      {report.sent / elapsed:8.1f} msg/s ({report.sent / elapsed / args.limit:.0%} of the limit)"
    )
    print(
        f"max in any 1 s     {window:8d} (limit {int(args.limit)}: {'held' if window <= args.limit else 'EXCEEDED'})"
    )


if __name__ == "__main__":
    main()
