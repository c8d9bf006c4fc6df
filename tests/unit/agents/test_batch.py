"""A lane batch writes the states that mark records handled only after their outputs arrived."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from streamproc.agents.batch import BatchedTables, LaneStores, current_record
from streamproc.core import AlertTicketState


class FakeStore:
    """A table in the partition of the record it is given (``record.partition``); ``put``
    returns a future that ``arrive()`` resolves (or resolved at once)."""

    def __init__(self, *, immediate: bool = True) -> None:
        self.data: dict[tuple[int | None, bytes], object] = {}
        self.puts: list[bytes] = []
        self.immediate = immediate
        self.pending: list[asyncio.Future[None]] = []

    def get(self, record, key: bytes):
        if record is None:
            return next((v for (_, k), v in self.data.items() if k == key), None)
        return self.data.get((record.partition, key))

    def put(self, record, key: bytes, value) -> asyncio.Future[None]:
        self.data[(record.partition, key)] = value
        self.puts.append(key)
        future = asyncio.get_running_loop().create_future()
        if self.immediate:
            future.set_result(None)
        else:
            self.pending.append(future)
        return future

    def arrive(self) -> None:
        for future in self.pending:
            future.set_result(None)

    def delete(self, record, key: bytes) -> None:
        self.data.pop((record.partition, key), None)

    def value(self, key: bytes, partition: int = 0) -> object:
        return self.data.get((partition, key))


def tables(**kw) -> BatchedTables:
    return BatchedTables(
        LaneStores(
            alert_state=FakeStore(**kw),
            company_status=FakeStore(),
            configs=FakeStore(),
            activity=FakeStore(),
        )
    )


def handling(partition: int = 0) -> None:
    current_record.set(SimpleNamespace(partition=partition))


def state(alert: str = "a1", **kw) -> AlertTicketState:
    return AlertTicketState(company_id="c1", alert_id=alert, **kw)


@pytest.fixture(autouse=True)
def _in_a_lane():
    handling(0)
    yield
    current_record.set(None)


async def test_states_wait_for_the_batch_deliveries() -> None:
    t = tables()
    delivery = asyncio.get_running_loop().create_future()
    async with t.batch():
        await t.delivered(delivery)
        t.put_state(b"c1/a1", state(recent_event_ids=("e1",)))
        t.put_status(b"c1", {"events_consumed": 1})
        assert t.state(b"c1/a1") == state(recent_event_ids=("e1",))  # the batch sees its write
        assert t.stores.alert_state.data == {}
        flushing = asyncio.create_task(t.flush())
        await asyncio.sleep(0.01)
        assert t.stores.alert_state.data == {}  # the result is not delivered yet
        delivery.set_result(None)
        await flushing
    assert t.stores.alert_state.value(b"c1/a1")["recent_event_ids"] == ["e1"]
    assert t.stores.company_status.value(b"c1") == {"events_consumed": 1}


async def test_a_key_written_twice_in_a_batch_is_written_once_with_the_last_value() -> None:
    t = tables()
    async with t.batch():
        t.put_state(b"k", state(intent_attempts=1))
        t.put_state(b"k", state(intent_attempts=2))
    assert t.stores.alert_state.puts == [b"k"]
    assert t.state(b"k") == state(intent_attempts=2)


async def test_a_cancelled_or_failed_batch_writes_nothing() -> None:
    t = tables()

    async def failing() -> None:
        async with t.batch():
            t.put_state(b"k", state())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing()
    assert t.stores.alert_state.data == {}


async def test_an_undelivered_output_keeps_the_state_unwritten() -> None:
    t = tables()
    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(ConnectionError("broker gone"))

    async def undelivered() -> None:
        async with t.batch():
            await t.delivered(failed)
            t.put_state(b"k", state(recent_event_ids=("e1",)))

    with pytest.raises(ConnectionError):
        await undelivered()
    assert t.stores.alert_state.data == {}  # the record is replayed, its result sent again


async def test_jobs_are_sent_once_the_batch_states_are_in_kafka() -> None:
    t = tables(immediate=False)
    sent: list[str] = []

    async def send(job: str) -> None:
        sent.append(job)

    t.send_job = send
    delivery = asyncio.get_running_loop().create_future()
    delivery.set_result(None)

    async def one_batch() -> None:
        async with t.batch():
            await t.delivered(delivery)
            t.put_state(b"c1/a1", state(status="pending", intent_key="wm-1"))
            t.queue_job("open a1")
            t.put_state(b"c1/a2", state("a2", status="pending", intent_key="wm-2"))
            t.queue_job("open a2")

    running = asyncio.create_task(one_batch())
    await asyncio.sleep(0.01)
    assert t.stores.alert_state.puts == [b"c1/a1", b"c1/a2"]  # the intents are written
    assert sent == [], "no job before its intent is in Kafka"
    t.stores.alert_state.arrive()
    await running
    assert sent == ["open a1", "open a2"]


async def test_without_a_batch_writes_are_immediate() -> None:
    t = tables()
    t.put_status(b"k", {"n": 1})
    assert t.stores.company_status.value(b"k") == {"n": 1}


async def test_tables_are_read_and_written_in_the_partition_of_the_record() -> None:
    t = tables()
    handling(3)
    t.put_state(b"k", state())
    assert t.stores.alert_state.value(b"k", partition=3) is not None
    handling(4)
    assert t.state(b"k") is None


async def test_writing_outside_a_lane_is_an_error() -> None:
    t = tables()
    current_record.set(None)
    with pytest.raises(RuntimeError, match="only while a lane handles a record"):
        t.put_status(b"k", {"n": 1})


def skipped(event_id: str, reason: str = "integration_disabled"):
    from datetime import UTC, datetime

    from streamproc.contracts import TicketResult

    return TicketResult(
        event_id=event_id,
        company_id="c1",
        alert_id="a1",
        outcome="skipped",
        reason=reason,
        message="m",
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def test_results_are_folded_into_the_status_once_per_batch() -> None:
    t = tables()
    async with t.batch():
        t.count_result(b"c1", skipped("e1"))
        t.count_result(b"c1", skipped("e2", "muted"))
        assert t.status(b"c1")["events_consumed"] == 2  # a read sees what was counted
        t.count_result(b"c1", skipped("e3"))
    assert t.stores.company_status.puts == [b"c1"]
    status = t.stores.company_status.value(b"c1")
    assert status["events_consumed"] == 3
    assert status["counters"]["skipped"] == {"integration_disabled": 2, "muted": 1}
