"""A lane batch writes the states that mark records handled only after their outputs arrived."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from streamproc.agents.batch import BatchedTables


def tables() -> BatchedTables:
    return BatchedTables(SimpleNamespace(alert_state={}, company_status={}))  # type: ignore[arg-type]


async def test_states_wait_for_the_batch_deliveries() -> None:
    t = tables()
    delivery = asyncio.get_running_loop().create_future()
    async with t.batch():
        await t.delivered(delivery)
        t.put_state(b"c1/a1", {"handled_event_ids": ["e1"]})
        t.put_status(b"c1", {"events_consumed": 1})
        assert t.state(b"c1/a1") == {"handled_event_ids": ["e1"]}  # the batch sees its own write
        assert t.topology.alert_state == {}
        flushing = asyncio.create_task(t.flush())
        await asyncio.sleep(0.01)
        assert t.topology.alert_state == {}  # the result is not delivered yet
        delivery.set_result(None)
        await flushing
    assert t.topology.alert_state == {b"c1/a1": {"handled_event_ids": ["e1"]}}
    assert t.topology.company_status == {b"c1": {"events_consumed": 1}}


async def test_a_key_written_twice_in_a_batch_is_written_once_with_the_last_value() -> None:
    t = tables()
    writes = []

    class Recording(dict):
        def __setitem__(self, key, value):
            writes.append(key)
            super().__setitem__(key, value)

    t.topology.alert_state = Recording()
    async with t.batch():
        t.put_state(b"k", {"n": 1})
        t.put_state(b"k", {"n": 2})
    assert writes == [b"k"]
    assert t.topology.alert_state[b"k"] == {"n": 2}


async def test_a_cancelled_or_failed_batch_writes_nothing() -> None:
    t = tables()

    async def failing() -> None:
        async with t.batch():
            t.put_state(b"k", {"n": 1})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing()
    assert t.topology.alert_state == {}


async def test_an_undelivered_output_keeps_the_state_unwritten() -> None:
    t = tables()
    failed = asyncio.get_running_loop().create_future()
    failed.set_exception(ConnectionError("broker gone"))

    async def undelivered() -> None:
        async with t.batch():
            await t.delivered(failed)
            t.put_state(b"k", {"handled_event_ids": ["e1"]})

    with pytest.raises(ConnectionError):
        await undelivered()
    assert t.topology.alert_state == {}  # the record is replayed, its result sent again


async def test_a_pending_intent_is_written_after_the_earlier_records_of_the_batch() -> None:
    t = tables()
    delivery = asyncio.get_running_loop().create_future()
    delivery.set_result(None)
    async with t.batch():
        await t.delivered(delivery)
        t.put_state(b"c1/a1", {"handled_event_ids": ["e1"]})
        await t.put_state_now(b"c1/a2", {"status": "pending"})
        assert t.topology.alert_state == {
            b"c1/a1": {"handled_event_ids": ["e1"]},
            b"c1/a2": {"status": "pending"},
        }


async def test_without_a_batch_writes_are_immediate() -> None:
    t = tables()
    t.put_state(b"k", {"n": 1})
    assert t.topology.alert_state == {b"k": {"n": 1}}
