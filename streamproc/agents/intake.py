"""From a fetch to the company lanes: each input record wrapped once and queued in its lane."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faust
    from faust.types import Message

    from streamproc.agents.dispatch import CompanyDispatcher
    from streamproc.metrics import Metrics


class InputRecord:
    """One input record on its way through a company lane.

    Handlers read ``key``, ``value`` and ``message``; faust's tables take it as the current event
    (they read ``message.partition``). ``ack`` makes the record committable.
    """

    __slots__ = ("__weakref__", "_consumer", "message")

    def __init__(self, message: Message, consumer: faust.types.ConsumerT) -> None:
        self.message = message
        self._consumer = consumer

    @property
    def key(self) -> bytes | None:
        return self.message.key

    @property
    def value(self) -> bytes | None:
        return self.message.value

    def ack(self) -> None:
        self.message.ack(self._consumer)


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
        self.handlers = dict(handlers)  # Kafka topic name → handler
        self.topics = frozenset(self.handlers)
        self.metrics = metrics

    async def on_fetch(self, messages: list[Message]) -> None:
        app = self.app
        if not app.flow_control.is_active():
            return  # suspended for a rebalance: these are re-read from the committed offsets
        generation = app.consumer_generation_id
        consumer, handlers, submit = app.consumer, self.handlers, self.dispatcher.submit
        counts: Counter[str] = Counter()
        for message in messages:
            if message.generation_id != generation:
                continue  # fetched for an assignment that has ended (faust skips these too)
            counts[message.topic] += 1
            full = submit(InputRecord(message, consumer), handlers[message.topic])
            if full is not None:
                await full  # the company's lane is full: wait for room (back-pressure)
        # faust's liveness check ("stream is not processing") looks at these per partition.
        inbound, now = app.monitor.stream_inbound_time, time.monotonic()
        for message in messages:
            inbound[message.tp] = now
        for topic, n in counts.items():
            self.metrics.events_consumed.labels(topic).inc(n)
