"""Whole fetches for the worker's input topics: faust's consumer without its per-record delivery.

faust hands every fetched record to its streams one at a time: a two-task race
(``Service.wait_first``), an event object, sensors, a queue and an async-iterator step per
record. On two cores that alone caps an agent that does nothing at 4,000-5,700 records/s
(``bench`` row 1d), a fraction of what aiokafka fetches. Here the records of the intake's topics
go to ``app.intake`` once per fetch, per partition (same consumer, about 100,000 records/s on
the same machine); every other topic (table changelogs during recovery and for standbys) keeps
faust's path. Everything else faust does with its consumer is unchanged: group membership, the
co-partitioning assignor, table recovery, flow control during rebalances, read offsets and
gaps, and the commits of acknowledged records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message


class Intake(Protocol):
    """Who takes the fetched records of ``topics``: per fetch, aiokafka records per partition
    (in offset order, already past faust's read-offset bookkeeping), and the consumer
    generation they were fetched in."""

    topics: frozenset[str]

    async def on_fetch(self, fetched: list[tuple[TP, list[Any]]], generation: int) -> None: ...


class FetchConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer; records of ``app.intake.topics`` are delivered per fetch."""

    def _new_consumer_thread(self) -> FetchConsumerThread:
        return FetchConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _drain_messages(self, fetcher: Any) -> None:
        # Replaces faust's per-record loop (``Consumer._drain_messages``); the exit paths are
        # those of faust's.
        stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        try:
            while not (stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records, active = await self._wait_next_records(1.0)
                await self.sleep(0)
                if records and not self.should_stop:
                    await self._deliver(records, active)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _deliver(self, fetch: Mapping[TP, list[Any]], active: set[TP] | None) -> None:
        if not self.flow_active:
            await self.perform_seek()  # as faust's getmany: re-read from the committed offsets
            return
        app = self.app
        intake: Intake | None = getattr(app, "intake", None)
        batch_topics = intake.topics if intake is not None else frozenset()
        generation = app.consumer_generation_id
        fetched: list[tuple[TP, list[Any]]] = []
        for tp, records in fetch.items():
            if app.consumer_generation_id != generation:
                break  # a rebalance began: the new assignment re-reads from committed offsets
            if active is not None and tp not in active and tp not in self._buffered_partitions:
                continue
            app.monitor.track_tp_end_offset(tp, self.highwater(tp))
            fresh = await self._advance(tp, records)
            if not fresh:
                continue
            if tp.topic in batch_topics:
                fetched.append((tp, fresh))
            else:
                await self._deliver_each([self._to_message(tp, r) for r in fresh])
        if fetched and intake is not None:
            await intake.on_fetch(fetched, generation)
        commit_every = self._commit_every
        if commit_every is not None and self._n_acked >= commit_every:
            self._n_acked = 0
            await self.commit()

    async def _advance(self, tp: TP, records: list[Any]) -> list[Any]:
        """Move ``tp``'s read offset over ``records``; skip what was read, note offset gaps.

        Gaps (compacted topics, transaction markers) let faust commit past offsets that never
        arrive, exactly as its per-record loop does.
        """
        read = self._read_offset.get(tp)
        acking = self.app.topics.acks_enabled_for(tp.topic)
        fresh = []
        for record in records:
            offset = record.offset
            if read is not None and offset < read:
                continue  # already delivered before a seek (faust drops these too)
            if acking and read and offset - read > 1:
                await self._add_gap(tp, read + 1, offset)
            read = offset
            fresh.append(record)
        if fresh:
            self._read_offset[tp] = read
        return fresh

    async def _deliver_each(self, messages: list[Message]) -> None:
        """faust's own path for one partition's records (changelogs): one callback per record."""
        callback = self.callback
        for i, message in enumerate(messages):
            if i and not i % 100:
                await asyncio.sleep(0)  # let other tasks run during a long recovery fetch
            await self.wait_first(callback(message), self.suspend_flow.wait())


class FetchConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """faust's consumer thread; its fetches wait a little for data to gather.

    faust asks for every byte at once (``fetch_min_bytes`` 1), so at a few hundred records per
    second each record came in a fetch of its own: a request for the broker and a wake-up of
    both threads each time. On this kind of machine thread wake-ups are dear (``futex`` took
    60 µs a call): at 200 records/s a worker spent 3 ms of CPU per record, 1.5 ms with a 25 ms
    wait (``bench`` row 4). A backlog is fetched as fast as before: the broker answers as soon
    as ``fetch_min_bytes`` are there.
    """

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        app = self.app
        consumer._fetch_min_bytes = getattr(app, "fetch_min_bytes", 1)  # read when it starts
        consumer._fetch_max_wait_ms = getattr(app, "fetch_max_wait_ms", 500)
        return consumer


class FetchTransport(faust_aiokafka.Transport):
    Consumer = FetchConsumer


class StreamprocApp(faust.App):
    """faust's App with :class:`FetchConsumer`; ``intake`` is set when the agents register."""

    intake: Intake | None = None
    fetch_min_bytes: int = 256 * 1024
    fetch_max_wait_ms: int = 25

    def _new_transport(self) -> FetchTransport:
        return FetchTransport(self.conf.broker_consumer, self)
