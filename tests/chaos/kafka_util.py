"""Raw Kafka helpers for the reliability tests and the chaos harness (keys may be any bytes)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from streamproc.kafka.connection import client_kwargs


@dataclass(frozen=True)
class Raw:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int = 0

    def json(self) -> Any:
        try:
            return json.loads(self.value) if self.value is not None else None
        except (ValueError, UnicodeDecodeError):
            return None


async def read_topics_async(
    bootstrap: str, topics: list[str], *, idle: float = 1.0, limit_s: float = 30
) -> list[Raw]:
    """Every record currently in ``topics`` (from the beginning), raw."""
    if not topics:
        return []
    consumer = AIOKafkaConsumer(
        *topics,
        **client_kwargs(bootstrap),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    out: list[Raw] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=int(idle * 1000), max_records=5000)
            if not batch:
                break
            for records in batch.values():
                out.extend(
                    Raw(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)
                    for r in records
                )
    finally:
        await consumer.stop()
    return out


def read_topics(bootstrap: str, topics: list[str], **kw: Any) -> list[Raw]:
    return asyncio.run(read_topics_async(bootstrap, topics, **kw))


def read_json(bootstrap: str, topic: str, **kw: Any) -> list[Any]:
    return [r.json() for r in read_topics(bootstrap, [topic], **kw)]


async def list_topics_async(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(**client_kwargs(bootstrap))
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


def list_topics(bootstrap: str) -> list[str]:
    return asyncio.run(list_topics_async(bootstrap))
