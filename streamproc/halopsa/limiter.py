"""Per-tenant rolling-window request budget, applied before every request to Halo."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress


class SlidingWindowLimiter:
    """At most `limit` requests in any rolling `window` seconds, as Halo counts them.

    A request occupies its slot from the moment it is sent until `window` seconds after its
    response arrived. Halo stamps a request somewhere in between, so counting from the response
    keeps our count at least as high as Halo's whatever the network latency: a burst waits here
    instead of drawing 429s. Waiters are served in arrival order.
    """

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._done: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._turn = asyncio.Lock()
        self._changed = asyncio.Event()
        self.waited_seconds = 0.0
        self.waiting = 0  # callers waiting for a slot

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (after Halo answered 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _delay(self, now: float) -> float | None:
        """Seconds until a slot frees up: 0 if one is free, None if only a release helps."""
        while self._done and self._done[0] <= now - self.window:
            self._done.popleft()
        if self._paused_until > now:
            return self._paused_until - now
        if self._in_flight + len(self._done) < self.limit:
            return 0.0
        if self._done:
            return self._done[0] + self.window - now
        return None

    async def acquire(self) -> float:
        """Wait for a slot and take it; return the seconds spent waiting."""
        started = time.monotonic()
        self.waiting += 1
        try:
            async with self._turn:
                while (delay := self._delay(time.monotonic())) != 0.0:
                    self._changed.clear()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), delay)
                self._in_flight += 1
        finally:
            self.waiting -= 1
        waited = time.monotonic() - started
        self.waited_seconds += waited
        return waited

    def release(self) -> None:
        """Mark one in-flight request as answered (or failed)."""
        self._in_flight -= 1
        self._done.append(time.monotonic())
        self._changed.set()

    def used(self) -> int:
        """Requests counted in the current window (in flight included)."""
        self._delay(time.monotonic())  # drops what left the window
        return self._in_flight + len(self._done)

    def spare(self, share: float) -> bool:
        """True when nobody waits and less than ``share`` of the budget is used: room for
        work that can wait (the closure sweep)."""
        return self.waiting == 0 and self.used() < share * self.limit

    def sent_at(self) -> list[float]:
        """Wall-clock times of the requests in the window (in flight: now), to persist."""
        mono, wall = time.monotonic(), time.time()
        self._delay(mono)
        return [wall - (mono - t) for t in self._done] + [wall] * self._in_flight

    def seed(self, sent_at: list[float]) -> None:
        """Start from the requests the instance's owners sent in the window (``sent_at``:
        wall-clock times, as :meth:`sent_at` gave them), instead of from what this process
        remembers: ownership moved, and the record is the whole truth."""
        mono, wall = time.monotonic(), time.time()
        self._done = deque(sorted(mono - (wall - t) for t in sent_at if wall - t < self.window))
        self._changed.set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[float]:
        """`async with limiter.slot() as waited:` around one request."""
        waited = await self.acquire()
        try:
            yield waited
        finally:
            self.release()


class TenantLimiters:
    """One `SlidingWindowLimiter` per tenant key, created on first use; tenants never share."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._by_tenant: dict[str, SlidingWindowLimiter] = {}

    def get(self, tenant_key: str) -> SlidingWindowLimiter:
        """Return the tenant's limiter."""
        limiter = self._by_tenant.get(tenant_key)
        if limiter is None:
            limiter = self._by_tenant[tenant_key] = SlidingWindowLimiter(self.limit, self.window)
        return limiter

    def waited_seconds(self) -> dict[str, float]:
        """Total seconds callers spent waiting for budget, per tenant key."""
        return {key: lim.waited_seconds for key, lim in self._by_tenant.items()}
