"""Alert-path latency, end to end: an alert produced at a steady rate → its result record read.

One producer and one consumer on the test's own event loop (nothing else runs on it): the
latency of an alert is the time from just before it is handed to the producer to the moment its
result record (matched by ``event_id``) is read back from ``halopsa.ticket-results``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streamproc.kafka.connection import client_kwargs


@dataclass(frozen=True)
class Latencies:
    """Seconds per alert (sent order) and how many alerts got no result in time."""

    seconds: list[float]
    missing: int

    def quantile(self, q: float) -> float:
        """The nearest-rank quantile (``q`` in 0..1) of the latencies."""
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    def summary(self) -> str:
        """``n=…, p50=… ms, p99=… ms, max=… ms`` for messages and reports."""
        p50, p99 = self.quantile(0.5) * 1000, self.quantile(0.99) * 1000
        worst = max(self.seconds) * 1000
        return f"n={len(self.seconds)} p50={p50:.0f} ms p99={p99:.0f} ms max={worst:.0f} ms"


async def measure(
    bootstrap: str,
    alerts_topic: str,
    results_topic: str,
    make_event: Callable[[int], dict[str, Any]],
    *,
    rate: float,
    seconds: float,
    drain: float = 15.0,
) -> Latencies:
    """Produce ``rate`` events a second for ``seconds``; wait up to ``drain`` for the rest."""
    consumer = AIOKafkaConsumer(
        **client_kwargs(bootstrap), enable_auto_commit=False, fetch_max_wait_ms=5
    )
    producer = AIOKafkaProducer(**client_kwargs(bootstrap), linger_ms=0, acks=1)
    await consumer.start()
    await producer.start()
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    all_sent, all_seen = asyncio.Event(), asyncio.Event()
    try:
        partitions = await producer.partitions_for(results_topic)  # the worker created it
        tps = [TopicPartition(results_topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)

        async def read() -> None:
            while True:
                batch = await consumer.getmany(timeout_ms=50)
                now = time.monotonic()
                for records in batch.values():
                    for record in records:
                        event_id = json.loads(record.value).get("event_id")
                        if event_id in sent and event_id not in seen:
                            seen[event_id] = now
                if all_sent.is_set() and len(seen) == len(sent):
                    all_seen.set()

        reader = asyncio.create_task(read())
        start = time.monotonic()
        for n in range(round(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            event = make_event(n)
            key = event["company_id"].encode()
            sent[event["event_id"]] = time.monotonic()
            await producer.send(alerts_topic, json.dumps(event).encode(), key=key)
        all_sent.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_seen.wait(), drain)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    finally:
        await producer.stop()
        await consumer.stop()
    latencies = [seen[e] - t for e, t in sent.items() if e in seen]
    return Latencies(latencies, missing=len(sent) - len(seen))


def measure_blocking(*args: Any, **kwargs: Any) -> Latencies:
    """:func:`measure` from synchronous test code."""
    return asyncio.run(measure(*args, **kwargs))
