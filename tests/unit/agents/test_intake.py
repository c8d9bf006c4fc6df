"""The agent body: each event of the stream, in order, to its topic's handler in its lane."""

from __future__ import annotations

import contextvars
from types import SimpleNamespace

from faust.types import TP

from streamproc.agents.intake import InputRecord, Intake
from streamproc.metrics import Metrics

seen_in: contextvars.ContextVar[int] = contextvars.ContextVar("seen_in", default=-1)


class Event:
    def __init__(self, topic: str, offset: int, key: bytes = b"acme") -> None:
        tp = TP(topic, 3)
        self.message = SimpleNamespace(
            tp=tp, topic=topic, partition=3, offset=offset, key=key, value=b"{}", timestamp=1.0
        )
        self.acked = False

    def ack(self) -> bool:
        self.acked = True
        return True


class Stream:
    """What ``stream.noack().events()`` gives the agent: events, with a context var set per event
    (as faust sets its current event)."""

    def __init__(self, events: list[Event]) -> None:
        self._events = events
        self.manual_acks = False

    def noack(self) -> Stream:
        self.manual_acks = True
        return self

    async def events(self):
        for event in self._events:
            seen_in.set(event.message.offset)
            yield event


class Lanes:
    """Records what the intake submits; can report a full lane, and counts waits for room."""

    def __init__(self, *, full_at: int | None = None) -> None:
        self.full_at, self.got, self.waited = full_at, [], []

    async def room(self) -> None:
        self.waited.append("room")

    def submit(self, record: InputRecord, handler):
        self.got.append((record.topic, record.offset, handler, record))
        if record.offset == self.full_at:

            async def wait() -> None:
                self.waited.append(f"full at {record.offset}")

            return wait()
        return None


async def run(events: list[Event], **kw) -> tuple[Lanes, Stream]:
    lanes = Lanes(**kw)
    stream = Stream(events)
    handlers = {"alerts": "on_alert", "configs": "on_config"}
    await Intake(lanes, handlers, Metrics())(stream)  # type: ignore[arg-type]
    return lanes, stream


async def test_events_go_to_their_topics_handler_in_order_with_manual_acks() -> None:
    lanes, stream = await run([Event("alerts", 10), Event("configs", 4), Event("alerts", 11)])
    assert stream.manual_acks, "records are acked by the lanes, not by the stream"
    assert [(t, o, h) for t, o, h, _ in lanes.got] == [
        ("alerts", 10, "on_alert"),
        ("configs", 4, "on_config"),
        ("alerts", 11, "on_alert"),
    ]


async def test_each_record_keeps_the_context_its_event_was_delivered_in() -> None:
    lanes, _ = await run([Event("alerts", 10), Event("alerts", 11)])
    contexts = [record.context for *_, record in lanes.got]
    assert [ctx.run(seen_in.get) for ctx in contexts] == [10, 11]


async def test_a_full_lane_and_a_full_worker_make_the_stream_wait() -> None:
    lanes, _ = await run([Event("alerts", 10), Event("alerts", 11)], full_at=10)
    assert lanes.waited == ["full at 10", "room", "room"]


async def test_acking_a_record_acks_its_event() -> None:
    event = Event("alerts", 10)
    lanes, _ = await run([event])
    record = lanes.got[0][3]
    assert (record.tp, record.partition, record.key, record.value) == (
        TP("alerts", 3),
        3,
        b"acme",
        b"{}",
    )
    assert not event.acked
    record.ack()
    assert event.acked
