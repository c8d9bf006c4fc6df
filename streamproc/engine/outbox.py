"""Records to Kafka in batches per partition: a synchronous append, a shared send.

aiokafka's ``send`` costs about 15 µs per record on two cores (an awaited chain per record);
appending to a ``BatchBuilder`` costs about 2 µs. Every output and changelog record of the
worker goes through one :class:`Outbox`: ``append`` returns at once with a future for the
record's delivery.

As Kafka's own producer does, each partition has one batch on its way at a time, and records
appended meanwhile go into the next one, which grows with the load. ``linger`` seconds after
the first append (or after a partition's batch arrived while more was waiting), every partition
that has no batch on its way hands its next one to aiokafka, all in the same turn of the event
loop, so they travel in one produce request per broker: requests, not records, are what cost
the broker and the worker most on a small machine.

Order per partition is the order of ``append``. That is why everything written to one topic
(a table's changelog above all: ``engine/tables.py``) goes through the outbox only. The outbox has
a producer of its own (aiokafka's public batch API).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from streamproc.kafka.connection import KafkaConnection, client_kwargs

log = logging.getLogger(__name__)

Delivered = Callable[[int, int], None]  # (partition, offset of the batch's last record)


@dataclass
class _Batch:
    builder: Any  # aiokafka BatchBuilder
    future: asyncio.Future[None]


@dataclass
class _Partition:
    topic: str
    partition: int
    waiting: deque[_Batch] = field(default_factory=deque)  # the last one takes appends
    on_its_way: bool = False  # a batch was handed to aiokafka and has not arrived yet


class Outbox:
    """One worker's output: ``append(topic, key, value)`` → a future set once Kafka has it.

    ``producer`` is the aiokafka producer to send with (by default one of the outbox's own,
    started on first use); ``partitions`` gives a topic's partition count for keyed records.
    """

    def __init__(
        self,
        connection: str | KafkaConnection,
        *,
        partitions: Callable[[str], int],
        linger: float,
        max_batch_bytes: int = 512 * 1024,
        producer: Any = None,
    ) -> None:
        self._config: dict[str, Any] = {
            **client_kwargs(connection),
            "acks": "all",
            "enable_idempotence": True,  # a batch retried by aiokafka is not written twice
            "max_batch_size": max_batch_bytes,
            "linger_ms": round(linger * 1000),
        }
        self._made = producer
        self._started: asyncio.Future[None] | None = None
        self._partitions = partitions
        self.linger = linger
        self._parts: dict[tuple[str, int], _Partition] = {}
        self._key_partition: dict[tuple[str, bytes], int] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._handing: set[asyncio.Future[None]] = set()
        self._watchers: dict[str, Delivered] = {}

    def watch(self, topic: str, delivered: Delivered) -> None:
        """Call ``delivered(partition, last offset)`` after each batch of ``topic`` arrives."""
        self._watchers[topic] = delivered

    @property
    def _producer(self) -> Any:
        if self._made is None:  # made in the worker's event loop, which aiokafka binds it to
            self._made = AIOKafkaProducer(**self._config)
        return self._made

    async def start(self) -> None:
        """Connect the producer (once; every send waits for it)."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._producer.start())
        await asyncio.shield(self._started)

    async def stop(self) -> None:
        """Deliver what was handed over and disconnect."""
        if self._started is not None and self._started.done() and not self._started.exception():
            await self._producer.stop()
        self._started = None

    def partition_for(self, topic: str, key: bytes) -> int:
        """The partition Kafka's default partitioner picks for ``key`` (murmur2, as Java's)."""
        found = self._key_partition.get((topic, key))
        if found is None:
            found = (murmur2(key) & 0x7FFFFFFF) % self._partitions(topic)
            self._key_partition[(topic, key)] = found
        return found

    def append(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None
    ) -> asyncio.Future[None]:
        """Queue one record (``partition`` None: by key); the future says when it arrived."""
        if partition is None:
            if key is None:
                raise ValueError("a record without a key needs a partition")
            partition = self.partition_for(topic, key)
        part = self._parts.get((topic, partition))
        if part is None:
            part = self._parts[(topic, partition)] = _Partition(topic, partition)
        batch = part.waiting[-1] if part.waiting else None
        if batch is None or batch.builder.append(key=key, value=value, timestamp=None) is None:
            batch = self._new_batch(part)
            if batch.builder.append(key=key, value=value, timestamp=None) is None:
                raise ValueError(f"a record of {len(value or b'')} bytes does not fit a batch")
        if not part.on_its_way:
            self._soon()
        return batch.future

    def _new_batch(self, part: _Partition) -> _Batch:
        future = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)  # failures are logged here, awaited or not
        batch = _Batch(self._producer.create_batch(), future)
        part.waiting.append(batch)
        return batch

    def _soon(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.linger, self._hand_over)

    def _hand_over(self) -> None:
        """Give aiokafka the next batch of every partition that has none on its way."""
        self._timer = None
        ready = [p for p in self._parts.values() if p.waiting and not p.on_its_way]
        for part in ready:
            part.on_its_way = True
        task = asyncio.ensure_future(self._send([(p, p.waiting.popleft()) for p in ready]))
        self._handing.add(task)
        task.add_done_callback(self._handing.discard)

    async def _send(self, batches: list[tuple[_Partition, _Batch]]) -> None:
        producer = self._producer
        try:
            await self.start()
        except Exception as exc:  # every batch fails; the lanes handle theirs again
            for part, batch in batches:
                self._arrived(part, batch, exc)
            self._started = self._made = None  # a new producer for the next attempt
            return
        for part, batch in batches:
            batch.builder.close()  # complete: aiokafka's sender takes it at once
            try:  # no batch of this partition is queued in aiokafka: this does not wait
                sent = await producer.send_batch(
                    batch.builder, part.topic, partition=part.partition
                )
            except Exception as exc:
                self._arrived(part, batch, exc)
            else:
                sent.add_done_callback(lambda done, p=part, b=batch: self._arrived(p, b, done))

    def _arrived(self, part: _Partition, batch: _Batch, done: Any) -> None:
        part.on_its_way = False
        if part.waiting:
            self._soon()
        error = done if isinstance(done, BaseException) else _error(done)
        if error is not None:  # every record of the batch failed; the lanes see why
            log.warning("%s[%d]: a batch was not delivered: %r", part.topic, part.partition, error)
            if not batch.future.done():
                batch.future.set_exception(error)
            return
        watcher = self._watchers.get(part.topic)
        if watcher is not None:
            watcher(part.partition, done.result().offset + batch.builder.record_count() - 1)
        if not batch.future.done():
            batch.future.set_result(None)


def _error(done: asyncio.Future[Any]) -> BaseException | None:
    if done.cancelled():
        return asyncio.CancelledError()
    return done.exception()


def _retrieved(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
