"""A fetch reaches the lanes record by record, in order, and only for the current assignment."""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import AsyncMock

from faust.types import TP

from streamproc.agents.intake import FetchIntake, InputRecord
from streamproc.engine.fetches import FetchConsumer
from streamproc.metrics import Metrics

ALERTS, CONFIGS = TP("alerts", 3), TP("configs", 3)


def rec(offset: int, key: bytes = b"acme") -> SimpleNamespace:
    return SimpleNamespace(offset=offset, key=key, value=b"{}")


class Lanes:
    """Records what the intake submits; can report a full lane once."""

    def __init__(self, app: SimpleNamespace, *, full_at: int | None = None) -> None:
        self.app, self.full_at, self.got = app, full_at, []

    async def room(self) -> None:
        pass

    def submit(self, record: InputRecord, handler):
        self.got.append((record.topic, record.offset, handler))
        if record.offset == self.full_at:

            async def room() -> None:
                self.app.consumer_generation_id += 1  # a rebalance while we waited

            return room()
        return None


def intake(*, active: bool = True, full_at: int | None = None) -> tuple[FetchIntake, Lanes]:
    app = SimpleNamespace(
        consumer=SimpleNamespace(ack=lambda message: None),
        consumer_generation_id=7,
        flow_control=SimpleNamespace(is_active=lambda: active),
        monitor=SimpleNamespace(stream_inbound_time={}),
    )
    lanes = Lanes(app, full_at=full_at)
    handlers = {"alerts": "on_alert", "configs": "on_config"}
    return FetchIntake(app, lanes, handlers, Metrics()), lanes  # type: ignore[arg-type]


async def test_records_go_to_their_topics_handler_in_offset_order() -> None:
    it, lanes = intake()
    await it.on_fetch([(ALERTS, [rec(10), rec(11)]), (CONFIGS, [rec(4)])], generation=7)
    assert lanes.got == [
        ("alerts", 10, "on_alert"),
        ("alerts", 11, "on_alert"),
        ("configs", 4, "on_config"),
    ]
    assert set(it.app.monitor.stream_inbound_time) == {ALERTS, CONFIGS}


async def test_configs_go_before_the_alerts_fetched_with_them() -> None:
    it, lanes = intake()
    it = FetchIntake(it.app, lanes, {"configs": "on_config", "alerts": "on_alert"}, Metrics())
    await it.on_fetch([(ALERTS, [rec(10)]), (CONFIGS, [rec(4)])], generation=7)
    assert [topic for topic, _, _ in lanes.got] == ["configs", "alerts"]


async def test_a_fetch_of_an_ended_assignment_is_dropped() -> None:
    it, lanes = intake()
    await it.on_fetch([(ALERTS, [rec(10)])], generation=6)
    assert lanes.got == []
    it, lanes = intake(active=False)  # flow suspended for a rebalance
    await it.on_fetch([(ALERTS, [rec(10)])], generation=7)
    assert lanes.got == []


async def test_a_rebalance_while_waiting_for_room_drops_the_rest_of_the_fetch() -> None:
    it, lanes = intake(full_at=11)
    await it.on_fetch([(ALERTS, [rec(10), rec(11), rec(12)]), (CONFIGS, [rec(4)])], generation=7)
    assert [offset for _, offset, _ in lanes.got] == [10, 11]


def test_ack_hands_the_record_to_faust_as_its_message() -> None:
    acked = []
    record = InputRecord(ALERTS, rec(10), SimpleNamespace(ack=acked.append))
    record.ack()
    assert acked == [record]
    assert (record.tp, record.topic, record.offset, record.acked) == (ALERTS, "alerts", 10, False)


async def test_the_consumer_skips_what_was_read_and_notes_offset_gaps() -> None:
    consumer = SimpleNamespace(
        _read_offset={ALERTS: 10},
        app=SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: True)),
        _add_gap=AsyncMock(),
    )
    fresh = await FetchConsumer._advance(consumer, ALERTS, [rec(9), rec(10), rec(11), rec(15)])
    assert [r.offset for r in fresh] == [10, 11, 15]  # 9 came before a seek to 10
    consumer._add_gap.assert_awaited_once_with(ALERTS, 12, 15)  # compacted away: committable
    assert consumer._read_offset[ALERTS] == 15
