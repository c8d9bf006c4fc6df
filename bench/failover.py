"""Row F: how long a killed worker's companies wait before a worker handles them again.

Two workers share the group; events flow at a steady rate (integration disabled: each result is a
skip, so Halo plays no part). A worker is SIGKILLed; the time is measured from the kill to the
first result of an event produced after it in a partition the victim held:

- *takeover*: the victim stays dead; the survivor gets its partitions once the session times out;
- *rejoin*: the victim is restarted 2 s later with the same data dir (the same static member id);
  it gets its partitions back without a rebalance (the survivor's group generation is unchanged).
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import murmur2

from bench import events
from bench.stack import ALERTS, RESULTS, Stack
from streamproc.kafka.connection import client_kwargs
from tests.support.worker import http_get, wait_for


@dataclass
class FailoverRun:
    takeover_s: list[float] = field(default_factory=list)
    rejoin_s: list[float] = field(default_factory=list)
    rejoin_rebalances: int = 0  # rejoins after which the survivor's generation had changed


class _Flow:
    """A steady stream of alerts and a consumer of results, each on a thread of its own."""

    def __init__(self, bootstrap: str, alerts: str, results: str, partitions: int, companies: int):
        self.bootstrap, self.alerts, self.results = bootstrap, alerts, results
        self.partitions, self.companies = partitions, companies
        self.sent: list[tuple[str, float, int]] = []  # (event id, epoch s, partition)
        self.result_at: dict[str, float] = {}  # event id → first result's timestamp (epoch s)
        self.stop = threading.Event()
        self.lock = threading.Lock()  # the producer and consumer threads write, the bench reads
        self._threads = [
            threading.Thread(target=lambda: asyncio.run(self._produce()), daemon=True),
            threading.Thread(target=lambda: asyncio.run(self._consume()), daemon=True),
        ]

    def __enter__(self) -> _Flow:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=30)

    async def _produce(self, rate: float = 50.0) -> None:
        producer = AIOKafkaProducer(**client_kwargs(self.bootstrap), acks=1, linger_ms=0)
        await producer.start()
        try:
            n = 0
            while not self.stop.is_set():
                event_id, (key, value) = events.alert_record(10_000_000 + n, self.companies, 5)
                partition = (murmur2(key) & 0x7FFFFFFF) % self.partitions
                with self.lock:
                    self.sent.append((event_id, time.time(), partition))
                await producer.send(self.alerts, value, key=key, partition=partition)
                n += 1
                await asyncio.sleep(1 / rate)
        finally:
            await producer.stop()

    async def _consume(self) -> None:
        import json

        consumer = AIOKafkaConsumer(
            self.results, **client_kwargs(self.bootstrap), auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            while not self.stop.is_set():
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for r in records:
                        event_id = json.loads(r.value)["event_id"]
                        with self.lock:
                            self.result_at.setdefault(event_id, r.timestamp / 1000)
        finally:
            await consumer.stop()

    def handled_again(self, killed_at: float, held: set[int], timeout: float = 120) -> float:
        """Seconds from ``killed_at`` to the first result of a later event in ``held``."""

        def first() -> float | None:
            with self.lock:
                sent, results = list(self.sent), dict(self.result_at)
            found = [
                results[e] - killed_at
                for e, at, p in sent
                if at >= killed_at and p in held and e in results
            ]
            return min(found) if found else None

        return wait_for(first, timeout, f"a result in partitions {sorted(held)} after the kill")


def failover(stack: Stack, companies: int, kills: int) -> FailoverRun:
    run = stack.run("failover")
    group = run.workers()
    workers = [group.add(), group.add()]
    group.wait_balanced()
    run.publish_configs(companies, enabled=False, workers=group)
    out = FailoverRun()
    alerts = run.topic(ALERTS)
    flowing = _Flow(stack.bootstrap, alerts, run.topic(RESULTS), stack.partitions, companies)
    try:
        with flowing as flow:
            time.sleep(3)
            for k in range(2 * kills):
                rejoin = k >= kills
                victim, survivor = workers[k % 2], workers[(k + 1) % 2]
                held = victim.assigned(alerts)
                generation = http_get(f"{survivor.url}/health")[1].get("generation")
                killed_at = time.time()
                victim.stop(signal.SIGKILL)
                if rejoin:
                    time.sleep(2)
                    victim.start(wait=False)
                took = flow.handled_again(killed_at, held)
                (out.rejoin_s if rejoin else out.takeover_s).append(took)
                if not rejoin:
                    victim.start(wait=True, timeout=120)
                group.wait_balanced()
                victim.wait_ready(timeout=120)
                if rejoin and http_get(f"{survivor.url}/health")[1].get("generation") != generation:
                    out.rejoin_rebalances += 1
                print(f"#   {'rejoin' if rejoin else 'takeover'} {sorted(held)}: {took:.1f}s")
                time.sleep(3)
    finally:
        group.stop_all()
    print(f"#   failover {out}", flush=True)
    return out
