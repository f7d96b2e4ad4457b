"""A local Alibaba Cloud SMS and voice service for tests and the demo.

``Emulator`` holds the state and the FastAPI app (the RPC API the official SDK
calls, signature V3 verified; HTTP pushes to the receiver); serve it with
``run_in_thread`` on a loopback port. The people it plays are the Twilio
emulator's (``Scripted``, ``Cooperative``, ``Drawn``). ``demo_account`` and
``emulator_for`` (account.py) give a made-up account's settings and the
emulator that knows it (the demo over the emulator uses them).
"""

from demo.aliyun_emulator.account import demo_account, emulator_for
from demo.aliyun_emulator.server import Emulator
from demo.aliyun_emulator.signature import Refusal, verify
from demo.twilio_emulator.loopback import bind_loopback, run_in_thread, url_of
from demo.twilio_emulator.people import Cooperative, Input, Person, Scripted

__all__ = [
    "Cooperative",
    "Emulator",
    "Input",
    "Person",
    "Refusal",
    "Scripted",
    "bind_loopback",
    "demo_account",
    "emulator_for",
    "run_in_thread",
    "url_of",
    "verify",
]
