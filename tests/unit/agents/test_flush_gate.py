"""Lanes share producer flushes; a caller is covered only by a flush that started after it."""

from __future__ import annotations

import asyncio

import pytest

from streamproc.agents.flush_gate import FlushGate


class SlowFlush:
    def __init__(self) -> None:
        self.started = 0
        self.release = asyncio.Event()

    async def __call__(self) -> None:
        self.started += 1
        await self.release.wait()
        self.release.clear()


async def test_concurrent_callers_share_one_flush() -> None:
    flush = SlowFlush()
    gate = FlushGate(flush)
    callers = [asyncio.create_task(gate()) for _ in range(200)]
    await asyncio.sleep(0)
    flush.release.set()
    await asyncio.gather(*callers)
    assert flush.started == 1


async def test_a_caller_arriving_during_a_flush_waits_for_the_next_one() -> None:
    flush = SlowFlush()
    gate = FlushGate(flush)
    first = asyncio.create_task(gate())
    await asyncio.sleep(0.01)  # the first flush is running
    late = asyncio.create_task(gate())
    await asyncio.sleep(0.01)
    flush.release.set()
    await first
    await asyncio.sleep(0.01)
    assert not late.done()  # its records may have been queued after the first flush drained
    assert flush.started == 2
    flush.release.set()
    await late


async def test_a_failed_flush_reaches_its_callers_and_the_gate_recovers() -> None:
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("broker gone")

    gate = FlushGate(flaky)
    with pytest.raises(ConnectionError):
        await gate()
    await gate()
    assert calls == 2
