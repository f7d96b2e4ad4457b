"""Several providers behind one: each channel goes to the provider that serves it."""

from __future__ import annotations

from collections.abc import Sequence

from channels.base import ContactRequest, Provider, SendReceipt


class CompositeProvider:
    """E.g. Twilio for SMS and voice, the evaluators' worklist for manual calls."""

    def __init__(self, providers: Sequence[Provider]) -> None:
        self._by_channel: dict[str, Provider] = {}
        for provider in providers:
            for channel in provider.channels():
                self._by_channel.setdefault(channel, provider)
        self.name = "+".join(p.name for p in providers)
        # the send-rate limit applies when any part reaches a real network
        self.rate_limited = any(getattr(p, "rate_limited", True) for p in providers)
        self.real_clock = any(getattr(p, "real_clock", True) for p in providers)

    def channels(self) -> frozenset[str]:
        return frozenset(self._by_channel)

    def for_channel(self, channel: str) -> Provider:
        """The provider that sends on ``channel``."""
        return self._by_channel[channel]

    def send(self, request: ContactRequest) -> SendReceipt:
        return self._by_channel[request.channel].send(request)

    def find(self, attempt_id: str) -> SendReceipt | None:
        for provider in {id(p): p for p in self._by_channel.values()}.values():
            receipt = provider.find(attempt_id)
            if receipt is not None:
                return receipt
        return None
