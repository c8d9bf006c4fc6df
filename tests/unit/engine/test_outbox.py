"""The outbox: one batch per partition on its way, the next one growing, order kept."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.partitioner import DefaultPartitioner

from streamproc.engine.outbox import Outbox


class FakeBuilder:
    def __init__(self, capacity: int) -> None:
        self.records: list[tuple[bytes, bytes | None]] = []
        self.capacity, self.closed = capacity, False

    def append(self, *, key, value, timestamp):
        if self.closed or len(self.records) >= self.capacity:
            return None
        self.records.append((key, value))
        return object()

    def close(self) -> None:
        self.closed = True

    def record_count(self) -> int:
        return len(self.records)


class FakeProducer:
    """Keeps each sent batch with the future its delivery resolves."""

    def __init__(self, capacity: int = 100, *, refuse_start: int = 0) -> None:
        self.capacity = capacity
        self.sent: list[tuple[str, int, list, asyncio.Future]] = []
        self.starts = 0
        self.refuse_start = refuse_start  # how many start() calls fail (broker unreachable)

    async def start(self) -> None:
        self.starts += 1
        if self.starts <= self.refuse_start:
            raise ConnectionError("no broker")

    async def stop(self) -> None:
        pass

    def create_batch(self) -> FakeBuilder:
        return FakeBuilder(self.capacity)

    async def send_batch(self, builder, topic, *, partition):
        arrived = asyncio.get_running_loop().create_future()
        self.sent.append((topic, partition, list(builder.records), arrived))
        return arrived

    def arrive(self, index: int, base_offset: int) -> None:
        from types import SimpleNamespace

        self.sent[index][3].set_result(SimpleNamespace(offset=base_offset))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.002)


def outbox(producer: FakeProducer) -> Outbox:
    return Outbox("127.0.0.1:1", partitions=lambda topic: 8, linger=0.001, producer=producer)


async def test_records_appended_while_a_batch_is_on_its_way_form_the_next_one() -> None:
    producer = FakeProducer()
    box = outbox(producer)
    first = box.append("results", b"acme", b"1", partition=2)
    await settle()
    later = [box.append("results", b"acme", v, partition=2) for v in (b"2", b"3")]
    await settle()
    assert [records for _, _, records, _ in producer.sent] == [[(b"acme", b"1")]]
    producer.arrive(0, base_offset=10)
    await settle()
    assert first.done()
    assert not later[0].done()
    assert [records for _, _, records, _ in producer.sent][1] == [(b"acme", b"2"), (b"acme", b"3")]
    producer.arrive(1, base_offset=11)
    await settle()
    assert all(f.done() for f in later)


async def test_ready_partitions_are_handed_over_together() -> None:
    producer = FakeProducer()
    box = outbox(producer)
    futures = []
    for p in (0, 1, 2):
        futures.append(box.append("results", b"k", b"v", partition=p))
        futures.append(box.append("results", b"k2", b"v", partition=p))
    await settle()
    assert sorted(p for _, p, _, _ in producer.sent) == [0, 1, 2]
    assert [len(records) for _, _, records, _ in producer.sent] == [2, 2, 2]
    for i in range(3):
        producer.arrive(i, base_offset=100)
    await settle()
    assert all(f.done() and f.exception() is None for f in futures)


async def test_a_producer_that_cannot_start_fails_the_batch_and_the_next_one_retries() -> None:
    producer = FakeProducer(refuse_start=1)
    box = outbox(producer)
    first = box.append("results", b"k", b"1", partition=0)
    await settle()
    with pytest.raises(ConnectionError):
        await first
    box._made = producer  # the outbox makes a new producer after a failed start; keep the fake
    second = box.append("results", b"k", b"2", partition=0)
    await settle()
    producer.arrive(0, base_offset=0)
    await settle()
    await second
    assert producer.starts == 2


async def test_a_failed_batch_fails_its_records_and_the_next_batch_still_goes() -> None:
    producer = FakeProducer()
    box = outbox(producer)
    lost = box.append("results", b"k", b"1", partition=0)
    await settle()
    kept = box.append("results", b"k", b"2", partition=0)
    producer.sent[0][3].set_exception(ConnectionError("broker gone"))
    await settle()
    with pytest.raises(ConnectionError):
        await lost
    producer.arrive(1, base_offset=5)
    await settle()
    await kept


async def test_a_full_batch_is_followed_by_a_new_one_in_order() -> None:
    producer = FakeProducer(capacity=2)
    box = outbox(producer)
    for v in (b"1", b"2", b"3"):
        box.append("results", b"k", v, partition=0)
    await settle()
    producer.arrive(0, base_offset=0)
    await settle()
    assert [[v for _, v in records] for _, _, records, _ in producer.sent] == [[b"1", b"2"], [b"3"]]


def test_keys_go_where_kafkas_default_partitioner_puts_them() -> None:
    box = outbox(FakeProducer())
    partitioner = DefaultPartitioner()
    for key in (b"co-0001", b"co-0002", b"acme"):
        assert box.partition_for("results", key) == partitioner(key, list(range(8)), [])
