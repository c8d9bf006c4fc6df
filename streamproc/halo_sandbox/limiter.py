"""Per-client-id rolling-window rate limiter.

Hosted Halo allows 300 requests per *rolling* 5 minutes per client (reference §4), so a fixed
window would let bursts through that the real service rejects.  Rejected requests are not counted,
so a client that backs off recovers as soon as its oldest request leaves the window.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class RollingLimiter:
    """Sliding log of request times per key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._log: dict[str, deque[float]] = {}

    def hit(self, key: str, limit: int, window: float) -> float | None:
        """Record one request; return None if allowed, else seconds until a slot frees up."""
        now = self._clock()
        log = self._log.setdefault(key, deque())
        while log and log[0] <= now - window:
            log.popleft()
        if len(log) >= limit:
            return max(0.0, log[0] + window - now)
        log.append(now)
        return None

    def usage(self, key: str, window: float) -> int:
        """Requests of ``key`` inside the current window (for /_sandbox inspection)."""
        now = self._clock()
        return sum(1 for t in self._log.get(key, ()) if t > now - window)

    def clear(self) -> None:
        self._log.clear()


def retry_after_header(wait: float) -> str:
    """Whole seconds, never 0, as HTTP requires an integer delay."""
    return str(max(1, math.ceil(wait)))
