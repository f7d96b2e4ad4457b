"""A local Twilio for tests and the demo: REST API for Messages and Calls, signed callbacks.

``Emulator`` holds the state and the FastAPI app; ``run_in_thread`` serves an
app on a free loopback port in a background thread; ``people`` holds the
scripted people it plays.
"""

from demo.twilio_emulator.people import Cooperative, Input, Person, Scripted
from demo.twilio_emulator.server import Emulator, bind_loopback, run_in_thread, url_of

__all__ = [
    "Cooperative",
    "Emulator",
    "Input",
    "Person",
    "Scripted",
    "bind_loopback",
    "run_in_thread",
    "url_of",
]
