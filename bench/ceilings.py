"""Hand-written aiokafka ceilings on the alerts topic: (1a) consume only, (1b) passthrough."""

from __future__ import annotations

import asyncio
import json
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

FETCH_OPTS = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    "max_partition_fetch_bytes": 4 * 1024 * 1024,
}


async def _consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **FETCH_OPTS)
    await consumer.start()
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic)
    consumer.assign([TopicPartition(topic, p) for p in sorted(parts)])
    await consumer.seek_to_beginning()
    return consumer


async def _consume_only(bootstrap: str, topic: str, total: int) -> float:
    consumer = await _consumer(bootstrap, topic)
    try:
        seen = 0
        began = time.perf_counter()
        while seen < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(records) for records in batch.values())
        return total / (time.perf_counter() - began)
    finally:
        await consumer.stop()


async def _passthrough(bootstrap: str, topic: str, out_topic: str, total: int) -> float:
    """One ``send_batch`` per input partition and fetch; every fetch's batches awaited together.

    Results go to the output partition with the input's number (same keys, same partition count).
    """
    consumer = await _consumer(bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        seen = 0
        began = time.perf_counter()
        while seen < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            pending = []
            for tp, records in batch.items():
                out = producer.create_batch()
                for record in records:
                    event = json.loads(record.value)
                    result = {"event_id": event["event_id"], "outcome": "skipped"}
                    value = json.dumps(result).encode()
                    if out.append(key=record.key, value=value, timestamp=None) is None:
                        pending.append(
                            await producer.send_batch(out, out_topic, partition=tp.partition)
                        )
                        out = producer.create_batch()
                        out.append(key=record.key, value=value, timestamp=None)
                pending.append(await producer.send_batch(out, out_topic, partition=tp.partition))
                seen += len(records)
            await asyncio.gather(*pending)
        return total / (time.perf_counter() - began)
    finally:
        await producer.stop()
        await consumer.stop()


def consume_only(bootstrap: str, topic: str, total: int) -> float:
    """(1a) Events/s reading ``total`` records of ``topic`` from the beginning."""
    return asyncio.run(_consume_only(bootstrap, topic, total))


def passthrough(bootstrap: str, topic: str, out_topic: str, total: int) -> float:
    """(1b) Events/s: consume, ``json.loads``, produce one small JSON result per event."""
    return asyncio.run(_passthrough(bootstrap, topic, out_topic, total))
