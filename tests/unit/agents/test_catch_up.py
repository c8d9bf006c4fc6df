"""A lane far behind its partition's end gathers a batch; a lane that keeps up never waits."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from faust.types import TP

from streamproc.agents import records_behind
from streamproc.agents.dispatch import CatchUp, CompanyDispatcher

P0 = TP("alerts", 0)


@dataclass
class Rec:
    key: bytes
    offset: int
    tp: TP = P0

    def ack(self) -> None:
        pass


def test_no_wait_while_keeping_up_or_when_the_lag_is_unknown() -> None:
    rule = CatchUp(linger=0.1, behind=500)
    assert rule.wait(None) == 0
    assert rule.wait(0) == 0
    assert rule.wait(499) == 0
    assert rule.wait(500) == 0.1
    assert CatchUp(linger=0, behind=500).wait(10_000) == 0


async def _run(behind: int, records: int, spacing: float) -> tuple[list[int], float]:
    """Batch sizes of one company's lane fed a record every ``spacing`` s; seconds to the first."""
    sizes: list[int] = []
    first: list[float] = []
    scope_batch: list[int] = []

    class Scope:
        async def __aenter__(self) -> Scope:
            scope_batch.append(0)
            return self

        async def __aexit__(self, *exc: object) -> None:
            sizes.append(scope_batch.pop())

    async def handler(record: Rec) -> None:
        scope_batch[-1] += 1
        if not first:
            first.append(time.monotonic())

    dispatcher = CompanyDispatcher(
        batch_scope=Scope, behind=lambda r: behind, catch_up=CatchUp(linger=0.05, behind=500)
    )
    began = time.monotonic()
    for offset in range(records):
        dispatcher.submit(Rec(b"acme", offset), handler)
        await asyncio.sleep(spacing)
    for _ in range(500):  # at most 5 s
        if not dispatcher.queued:
            break
        await asyncio.sleep(0.01)
    return sizes, first[0] - began


async def test_a_lane_behind_lingers_and_takes_its_company_records_together() -> None:
    sizes, _ = await _run(behind=10_000, records=10, spacing=0.002)
    assert len(sizes) <= 2, sizes  # one or two batches, not ten
    assert sum(sizes) == 10


async def test_a_lane_that_keeps_up_takes_each_record_at_once() -> None:
    sizes, first = await _run(behind=3, records=10, spacing=0.002)
    assert sizes == [1] * 10
    assert first < 0.02


class FakeConsumer:
    def __init__(self, highwater: int | None, assigned: bool = True) -> None:
        self._highwater, self._assigned = highwater, assigned

    def highwater(self, tp: TP) -> int | None:
        assert self._assigned, "Partition is not assigned"  # as aiokafka says it
        return self._highwater


@dataclass
class FakeApp:
    consumer: FakeConsumer


def test_records_behind_come_from_the_consumers_highwater() -> None:
    record = Rec(b"acme", offset=100)
    assert records_behind(FakeApp(FakeConsumer(1_101)), record) == 1_000
    assert records_behind(FakeApp(FakeConsumer(None)), record) is None  # not fetched yet
    assert records_behind(FakeApp(FakeConsumer(1_101, assigned=False)), record) is None
    local = Rec(b"acme", offset=0)
    local.local = True  # a reply handed over in-process has no partition position
    assert records_behind(FakeApp(FakeConsumer(1_101)), local) is None
