"""From a fetch to the company lanes: each input record wrapped once and queued in its lane."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from faust.types import TP

if TYPE_CHECKING:
    import faust

    from streamproc.agents.dispatch import CompanyDispatcher
    from streamproc.metrics import Metrics


class InputRecord:
    """One input record on its way through a company lane.

    Built straight from aiokafka's record (faust's ``ConsumerMessage`` costs more per record and
    nothing here needs the rest of it). It carries what faust's ``Consumer.ack`` reads of a
    message (``tp``, ``topic``, ``offset``, ``acked``), so :meth:`ack` hands it to faust as is:
    the offset becomes committable.
    """

    __slots__ = (
        "__weakref__",  # faust's Consumer.ack discards it from a WeakSet
        "_consumer",
        "acked",
        "key",
        "offset",
        "partition",
        "topic",
        "tp",
        "value",
    )

    def __init__(self, tp: TP, record: Any, consumer: faust.types.ConsumerT) -> None:
        self.tp = tp
        self.topic = tp.topic
        self.partition = tp.partition
        self.offset: int = record.offset
        self.key: bytes | None = record.key
        self.value: bytes | None = record.value
        self.acked = False
        self._consumer = consumer

    def ack(self) -> None:
        self._consumer.ack(self)  # type: ignore[arg-type]  # duck-types faust's Message


Handler = Callable[[InputRecord], Awaitable[None]]


class FetchIntake:
    """Takes each fetch of the input topics (:mod:`streamproc.engine.fetches`) to the lanes."""

    def __init__(
        self,
        app: faust.App,
        dispatcher: CompanyDispatcher,
        handlers: Mapping[str, Handler],
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.dispatcher = dispatcher
        self.handlers = dict(handlers)  # Kafka topic name → handler, in the order they go
        self.topics = frozenset(self.handlers)
        self._order = {topic: i for i, topic in enumerate(self.handlers)}
        self.metrics = metrics

    async def on_fetch(self, fetched: list[tuple[TP, list[Any]]], generation: int) -> None:
        """Queue the records of one fetch (aiokafka records per partition, in offset order).

        Topics go in the order of ``handlers`` (configs before alerts: an alert fetched together
        with its company's new config is handled with that config). Records fetched for an
        assignment that has ended are dropped (as faust's streams drop them): the new owner
        re-reads them from the committed offsets.
        """
        fetched = sorted(fetched, key=lambda item: self._order[item[0].topic])
        app = self.app
        consumer, handlers, submit = app.consumer, self.handlers, self.dispatcher.submit
        inbound = app.monitor.stream_inbound_time
        for tp, records in fetched:
            if not self._current(generation):
                return
            handler = handlers[tp.topic]
            for record in records:
                full = submit(InputRecord(tp, record, consumer), handler)
                if full is not None:
                    await full  # the company's lane is full: wait for room (back-pressure)
                    if not self._current(generation):
                        return
            # faust's liveness check ("stream is not processing") looks at these.
            inbound[tp] = time.monotonic()
            self.metrics.events_consumed.labels(tp.topic).inc(len(records))
        await self.dispatcher.room()  # the next fetch waits while the lanes are behind

    def _current(self, generation: int) -> bool:
        app = self.app
        return app.consumer_generation_id == generation and app.flow_control.is_active()
