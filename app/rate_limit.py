"""Per-client token buckets for the requests that take seats."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """Allows `rate` requests per second per key, with bursts up to `rate` (at least 1).

    `clock` is injected so tests control time. Buckets are kept in the order they
    were last used; a bucket untouched for `burst / rate` seconds is full again and
    is forgotten from the front of that order, so each request costs constant time
    however many addresses there are (a full scan per request went linear past
    100,000 addresses), and memory follows the clients active in the last few
    seconds. A client still spending is never forgotten to make room.
    """

    def __init__(self, rate: float, clock: Callable[[], float], max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = max(rate, 1.0)
        self._clock = clock
        self._max_keys = max_keys
        self._refill_seconds = self.burst / rate if rate > 0 else 0.0
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

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
        buckets = self._buckets
        buckets[key] = (tokens, now)
        buckets.move_to_end(key)
        if len(buckets) > self._max_keys:
            # Oldest first: each bucket is forgotten at most once, so this is
            # constant time per request on average.
            while buckets:
                oldest = next(iter(buckets.values()))
                if oldest[1] + self._refill_seconds > now:
                    break
                buckets.popitem(last=False)


def retry_after_header(seconds: float) -> str:
    """`Retry-After` takes whole seconds; never advertise 0 for a refusal."""
    return str(max(1, math.ceil(seconds)))
