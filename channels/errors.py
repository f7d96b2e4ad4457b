"""Channel errors. The split between transient and permanent drives retries.

ChannelError
 ├── TransientSendError   try again later with backoff (429/20429, 5xx, timeouts)
 └── PermanentSendError   never retry; ends the case with ``disposition``
                          (21610 unsubscribed, 21211 invalid number, 21614 not mobile)
"""

from __future__ import annotations

from minyi.errors import MinyiError, Terminal, Transient


class ChannelError(MinyiError):
    """Base of every channel error."""


class TransientSendError(ChannelError, Transient):
    def __init__(self, provider: str, code: str, detail: str) -> None:
        self.provider = provider
        self.code = code
        self.detail = detail
        super().__init__(f"{provider}: transient error {code}: {detail}")


class PermanentSendError(ChannelError, Terminal):
    def __init__(self, provider: str, code: str, detail: str, outcome: str) -> None:
        self.provider = provider
        self.code = code
        self.detail = detail
        self.outcome = outcome  # an event kind: opted_out, invalid_number, not_mobile, failed
        super().__init__(f"{provider}: permanent error {code} ({outcome}): {detail}")
