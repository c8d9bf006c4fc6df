"""One producer flush at a time, shared by every lane that needs one.

Before each Halo create, a lane needs its pending intent (a changelog record) durable. faust's
``Producer.flush`` drains its buffer by waiting for each message with a 0.1 s ``wait_for``, so
200 lanes flushing at once meant 200 waiters woken per message sent: about 10 ms of CPU per
ticket. Here callers share one flush: whoever arrives while a flush runs waits for the next one,
which starts after their records were queued, so each caller's records are covered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class FlushGate:
    """``await gate()``: returns once a flush that started after this call has completed."""

    def __init__(self, flush: Callable[[], Awaitable[None]]) -> None:
        self._flush = flush
        self._next: asyncio.Future[None] | None = None
        self._runner: asyncio.Task[None] | None = None

    async def __call__(self) -> None:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waiting = self._next
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        await asyncio.shield(waiting)

    async def _run(self) -> None:
        while self._next is not None:
            batch, self._next = self._next, None
            try:
                await self._flush()
            except Exception as exc:  # every caller of this round sees the failure
                batch.set_exception(exc)
            else:
                batch.set_result(None)
