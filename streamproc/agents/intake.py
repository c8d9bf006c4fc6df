"""The worker's one faust agent: every input record, in partition order, to its company's lane.

The agent consumes the four input topics (co-partitioned, keyed by company id) with manual acks
(``stream.noack()``): a record is acknowledged only once its lane handled it, in offset order per
partition (:class:`~streamproc.agents.dispatch.InOrderAcks`), so faust commits past a record only
after its outputs and state are in Kafka. Records faust delivers for an assignment that has ended
never reach the agent (faust drops them); records queued in lanes when their partition is revoked
are dropped with the lane and replayed by the new owner from the committed offset.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import faust
    from faust.types import TP

    from streamproc.agents.dispatch import CompanyDispatcher
    from streamproc.metrics import Metrics


class InputRecord:
    """One input record on its way through a company lane.

    It keeps faust's event (to acknowledge it) and a copy of the context the agent's stream
    delivered it in, where that event is faust's current event: the record's table reads and
    writes run there, so they land in its partition (``engine/tables.py``).
    """

    __slots__ = (
        "context",
        "event",
        "key",
        "offset",
        "partition",
        "timestamp",
        "topic",
        "tp",
        "value",
    )

    def __init__(self, event: faust.EventT, context: contextvars.Context) -> None:
        message = event.message
        self.event = event
        self.context = context
        self.tp: TP = message.tp
        self.topic: str = message.topic
        self.partition: int = message.partition
        self.offset: int = message.offset
        self.key: bytes | None = message.key
        self.value: bytes | None = message.value
        self.timestamp: float = message.timestamp  # Kafka's record time, epoch seconds

    def ack(self) -> None:
        """The record was handled: faust may commit past it (faust's public ``Event.ack``)."""
        self.event.ack()


Handler = Callable[[InputRecord], Awaitable[None]]


class Intake:
    """The agent body: each event of the input stream, wrapped once, queued in its lane."""

    def __init__(
        self,
        dispatcher: CompanyDispatcher,
        handlers: Mapping[str, Handler],
        metrics: Metrics,
    ) -> None:
        self.dispatcher = dispatcher
        self.handlers = dict(handlers)  # Kafka topic name → handler
        self.metrics = metrics
        self._consumed = {topic: metrics.events_consumed.labels(topic) for topic in handlers}

    async def __call__(self, stream: faust.StreamT[Any]) -> None:
        dispatcher, handlers, consumed = self.dispatcher, self.handlers, self._consumed
        async for event in stream.noack().events():
            record = InputRecord(event, contextvars.copy_context())
            consumed[record.topic].inc()
            full = dispatcher.submit(record, handlers[record.topic])
            if full is not None:
                await full  # the company's lane is full: wait for room (back-pressure)
            await dispatcher.room()  # a backlog waits in Kafka, not in memory
