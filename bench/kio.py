"""Fast aiokafka helpers: bulk produce, count, and read result records with their timestamps."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streamproc.kafka.connection import client_kwargs

PRODUCER_OPTS = {"acks": 1, "linger_ms": 5, "max_batch_size": 256 * 1024}


async def produce_all(bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]]) -> float:
    """Send every (key, value) without awaiting each; returns the seconds it took."""
    producer = AIOKafkaProducer(**client_kwargs(bootstrap), **PRODUCER_OPTS)
    await producer.start()
    began = time.perf_counter()
    try:
        pending = []
        for key, value in records:
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - began


def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes, bytes]]) -> float:
    return asyncio.run(produce_all(bootstrap, topic, records))


async def _offsets(bootstrap: str, topic: str) -> tuple[dict, dict]:
    consumer = AIOKafkaConsumer(**client_kwargs(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return await consumer.beginning_offsets(parts), await consumer.end_offsets(parts)
    finally:
        await consumer.stop()


def count(bootstrap: str, topic: str) -> int:
    """Records currently in ``topic`` (end minus beginning offsets)."""
    begin, end = asyncio.run(_offsets(bootstrap, topic))
    return sum(end[tp] - begin[tp] for tp in end)


def wait_count(bootstrap: str, topic: str, target: int, *, timeout: float, alive=None) -> int:
    """Poll until ``topic`` holds ``target`` records; returns the count (short on timeout)."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        seen = count(bootstrap, topic)
        if seen >= target:
            return seen
        if alive is not None and not alive():
            raise RuntimeError(f"worker died with {seen}/{target} records in {topic}")
        time.sleep(0.5)
    return seen


@dataclass
class Records:
    """Values and broker timestamps (ms) of every record in a topic."""

    values: list[dict] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)

    @property
    def span_seconds(self) -> float:
        return (max(self.timestamps) - min(self.timestamps)) / 1000 if self.timestamps else 0.0

    def rate(self) -> float:
        """Records per second from the first to the last record."""
        span = self.span_seconds
        return (len(self.timestamps) - 1) / span if span > 0 else float("nan")

    def window_rates(self, windows: int) -> list[float]:
        """Rates over ``windows`` consecutive equal shares of the records (by timestamp)."""
        stamps = sorted(self.timestamps)
        size = len(stamps) // windows
        rates = []
        for w in range(windows):
            chunk = stamps[w * size : (w + 1) * size + 1]
            span = (chunk[-1] - chunk[0]) / 1000 if len(chunk) > 1 else 0
            rates.append((len(chunk) - 1) / span if span > 0 else float("nan"))
        return rates

    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for value in self.values:
            out[value.get("reason", "?")] = out.get(value.get("reason", "?"), 0) + 1
        return out


async def _read_all(bootstrap: str, topic: str, decode: bool) -> Records:
    _, end = await _offsets(bootstrap, topic)
    consumer = AIOKafkaConsumer(
        **client_kwargs(bootstrap),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    out = Records()
    try:
        consumer.assign(list(end))
        await consumer.seek_to_beginning()
        remaining = {tp: off for tp, off in end.items() if off > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10000)
            for tp, records in batch.items():
                for record in records:
                    out.timestamps.append(record.timestamp)
                    if decode:
                        out.values.append(json.loads(record.value))
                if records and records[-1].offset + 1 >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
    finally:
        await consumer.stop()
    return out


def read_all(bootstrap: str, topic: str, *, decode: bool = True) -> Records:
    return asyncio.run(_read_all(bootstrap, topic, decode))
