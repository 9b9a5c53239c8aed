"""Per-client token buckets for `POST /book`."""

from __future__ import annotations

import math
from collections.abc import Callable


class RateLimiter:
    """Allows `rate` requests per second per key, with bursts up to `rate` (at least 1).

    `clock` is injected so tests control time. Idle buckets are forgotten once full,
    so memory follows the number of active clients, not every client ever seen.
    """

    def __init__(self, rate: float, clock: Callable[[], float], max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = max(rate, 1.0)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def retry_after(self, key: str) -> float:
        """0 if the request may go ahead (and it is counted), else seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._remember(key, tokens - 1.0, now)
            return 0.0
        self._remember(key, tokens, now)
        return (1.0 - tokens) / self.rate

    def _remember(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_keys:
            self._forget_full_buckets(now)

    def _forget_full_buckets(self, now: float) -> None:
        for key, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.rate >= self.burst:
                del self._buckets[key]


def retry_after_header(seconds: float) -> str:
    """`Retry-After` takes whole seconds; never advertise 0 for a refusal."""
    return str(max(1, math.ceil(seconds)))
