"""Hand-written aiokafka ceilings on the alerts topic: (1a) consume only, (1b) passthrough."""

from __future__ import annotations

import asyncio
import json
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streamproc.kafka.connection import client_kwargs

FETCH_OPTS = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    "max_partition_fetch_bytes": 4 * 1024 * 1024,
}


async def _consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(**client_kwargs(bootstrap), **FETCH_OPTS)
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
    producer = AIOKafkaProducer(**client_kwargs(bootstrap), acks="all", linger_ms=5)
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


async def _halo_only(instance_urls: list[str], per_instance: int) -> float:
    from streamproc.halo_sandbox.seed import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    from streamproc.halopsa import HaloClient, HaloClientConfig
    from streamproc.halopsa.config import HaloCredentials
    from streamproc.halopsa.models import NewTicket

    client = HaloClient(HaloClientConfig(rate_limit_requests=1_000_000))
    creds = [HaloCredentials(url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET) for url in instance_urls]

    def ticket(n: int, i: int) -> NewTicket:
        return NewTicket(
            summary=f"ceiling {i}",
            client_id=13,
            site_id=24,
            tickettype_id=1,
            priority_id=3,
            supplier_reference=f"ceiling-{n}-{i}",
        )

    async def instance(n: int) -> None:
        for i in range(1, per_instance + 1):
            await client.create_ticket(creds[n], ticket(n, i))

    try:
        # Tokens first (as the worker's warm-up has them), then the timed creates.
        await asyncio.gather(*(client.create_ticket(c, ticket(n, 0)) for n, c in enumerate(creds)))
        began = time.perf_counter()
        await asyncio.gather(*(instance(n) for n in range(len(creds))))
        return len(creds) * per_instance / (time.perf_counter() - began)
    finally:
        await client.close()


def halo_only(instance_urls: list[str], per_instance: int) -> float:
    """(3c) Tickets/s our Halo client creates in the sandbox alone (no Kafka, no worker).

    Creates are serialised per Halo instance, as the worker does (Halo races on numbering).
    """
    return asyncio.run(_halo_only(instance_urls, per_instance))
