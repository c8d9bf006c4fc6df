"""Records to Kafka in batches per partition: a synchronous append, a shared send.

aiokafka's ``send`` costs about 15 µs per record on two cores (an awaited chain per record);
appending to a ``BatchBuilder`` costs about 2 µs. Every output and changelog record of the
worker goes through one :class:`Outbox`: ``append`` returns at once with a future for the
record's delivery. Per partition at most one of our batches is on its way; records appended
meanwhile form the next batch, so batches grow with the load and a record waits at most one
broker round trip longer than alone. A partition that was idle sends at the next turn of the
event loop, so the records every lane appended in this turn share one request.

Order per partition is the order of ``append``. That is why everything written to one topic
(a table's changelog above all) must go through the outbox and not also through faust.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka.partitioner import murmur2

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
    batches: deque[_Batch] = field(default_factory=deque)  # the last one takes appends
    sending: bool = False


class Outbox:
    """One worker's output: ``append(topic, key, value)`` → a future set once Kafka has it.

    ``producer`` returns the started aiokafka producer (faust's, so both share connections
    and settings); ``partitions`` gives a topic's partition count for keyed records.
    """

    def __init__(self, producer: Callable[[], Any], partitions: Callable[[str], int]) -> None:
        self._producer = producer
        self._partitions = partitions
        self._parts: dict[tuple[str, int], _Partition] = {}
        self._key_partition: dict[tuple[str, bytes], int] = {}
        self._watchers: dict[str, Delivered] = {}
        self._senders: set[asyncio.Future[None]] = set()

    def watch(self, topic: str, delivered: Delivered) -> None:
        """Call ``delivered(partition, last offset)`` after each batch of ``topic`` arrives."""
        self._watchers[topic] = delivered

    def partition_for(self, topic: str, key: bytes) -> int:
        """The partition Kafka's default partitioner picks for ``key`` (murmur2, as Java's)."""
        found = self._key_partition.get((topic, key))
        if found is None:
            found = (murmur2(key) & 0x7FFFFFFF) % self._partitions(topic)
            self._key_partition[(topic, key)] = found
        return found

    def append(
        self, topic: str, key: bytes, value: bytes | None, partition: int | None = None
    ) -> asyncio.Future[None]:
        """Queue one record (``partition`` None: by key); the future says when it arrived."""
        if partition is None:
            partition = self.partition_for(topic, key)
        part = self._parts.get((topic, partition))
        if part is None:
            part = self._parts[(topic, partition)] = _Partition(topic, partition)
        batch = part.batches[-1] if part.batches else None
        if batch is None or batch.builder.append(key=key, value=value, timestamp=None) is None:
            batch = self._new_batch(part)
            if batch.builder.append(key=key, value=value, timestamp=None) is None:
                raise ValueError(f"a record of {len(value or b'')} bytes does not fit a batch")
        if not part.sending:
            part.sending = True
            asyncio.get_running_loop().call_soon(self._start, part)
        return batch.future

    def _new_batch(self, part: _Partition) -> _Batch:
        loop = asyncio.get_running_loop()
        batch = _Batch(self._producer().create_batch(), loop.create_future())
        batch.future.add_done_callback(_retrieved)  # failures are logged here, awaited or not
        part.batches.append(batch)
        return batch

    def _start(self, part: _Partition) -> None:
        task = asyncio.ensure_future(self._send(part))
        self._senders.add(task)
        task.add_done_callback(self._senders.discard)

    async def _send(self, part: _Partition) -> None:
        """Send ``part``'s batches one after the other, each once the previous one arrived."""
        topic, partition = part.topic, part.partition
        while part.batches:
            batch = part.batches.popleft()
            batch.builder.close()  # complete: aiokafka need not linger for more records
            try:
                sent = await self._producer().send_batch(batch.builder, topic, partition=partition)
                metadata = await sent
            except Exception as exc:  # every record of the batch failed; the lanes see why
                log.warning("%s[%d]: a batch was not delivered: %r", topic, partition, exc)
                if not batch.future.done():
                    batch.future.set_exception(exc)
                continue
            watcher = self._watchers.get(topic)
            if watcher is not None:
                watcher(partition, metadata.offset + batch.builder.record_count() - 1)
            if not batch.future.done():
                batch.future.set_result(None)
        part.sending = False


def _retrieved(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
