"""Produce to and read from the real broker in tests (aiokafka, blocking wrappers)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streamproc.kafka.connection import KafkaConnection, client_kwargs


def produce(
    bootstrap: str | KafkaConnection, topic: str, records: list[tuple[str | None, Any]]
) -> None:
    """Send (key, value) pairs; dict values are JSON-encoded, bytes are sent as they are."""

    async def _run() -> None:
        producer = AIOKafkaProducer(**client_kwargs(bootstrap), acks="all")
        await producer.start()
        try:
            for key, value in records:
                raw = value if isinstance(value, bytes) else json.dumps(value).encode()
                await producer.send_and_wait(topic, raw, key=key.encode() if key else None)
        finally:
            await producer.stop()

    asyncio.run(_run())


def consume_all(
    bootstrap: str | KafkaConnection, topic: str, *, idle: float = 1.0, timeout: float = 10
) -> list:
    """Every record currently in ``topic`` from the beginning, as (key, decoded JSON value)."""

    async def _run() -> list:
        consumer = AIOKafkaConsumer(
            topic,
            **client_kwargs(bootstrap),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        out: list = []
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while loop.time() < deadline:
                batch = await consumer.getmany(timeout_ms=int(idle * 1000))
                if not batch:
                    break
                for records in batch.values():
                    out.extend((r.key.decode() if r.key else None, _json(r.value)) for r in records)
        finally:
            await consumer.stop()
        return out

    return asyncio.run(_run())


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
