"""TableStore writes what faust would: RocksDB in the record's partition, then its changelog."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import faust
import pytest
from faust.types import TP

from streamproc.engine.tables import TableStore


class RecordingOutbox:
    def __init__(self) -> None:
        self.appended: list[tuple[str, bytes, bytes | None, int | None]] = []
        self.watchers: dict = {}

    def watch(self, topic, delivered) -> None:
        self.watchers[topic] = delivered

    def append(self, topic, key, value, partition=None):
        self.appended.append((topic, key, value, partition))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


@pytest.fixture
def table(tmp_path: Path):
    app = faust.App("tabletest", store="rocksdb://", datadir=str(tmp_path), autodiscover=False)
    app.finalize()
    table = app.Table("states", partitions=8, key_type=bytes, default=None)
    yield table
    table.data.reset_state()


async def test_a_write_lands_in_its_partition_and_in_the_changelog(table) -> None:
    outbox = RecordingOutbox()
    store = TableStore(table, outbox)
    await store.put(3, b"acme/a1", json.dumps({"status": "open"}).encode())
    assert store.get(3, b"acme/a1") == b'{"status": "open"}'
    assert store.get(4, b"acme/a1") is None
    assert store.get(None, b"acme/a1") == b'{"status": "open"}'  # faust's lookup over partitions
    assert table[b"acme/a1"] == {"status": "open"}  # faust reads (and decodes) what we wrote
    changelog = table.changelog_topic.get_topic_name()
    assert outbox.appended == [(changelog, b"acme/a1", b'{"status": "open"}', 3)]


async def test_delivery_sets_the_persisted_offset_and_a_delete_sends_a_tombstone(table) -> None:
    outbox = RecordingOutbox()
    store = TableStore(table, outbox)
    await store.put(3, b"k", b"1")
    outbox.watchers[store.changelog](3, 41)
    assert table.data.persisted_offset(TP(store.changelog, 3)) == 41
    await store.delete(3, b"k")
    assert store.get(3, b"k") is None
    assert outbox.appended[-1] == (store.changelog, b"k", None, 3)


async def test_a_delivery_for_a_partition_no_longer_open_does_not_reopen_it(table) -> None:
    outbox = RecordingOutbox()
    store = TableStore(table, outbox)
    await store.put(5, b"k", b"1")
    table.data._dbs.pop(5)  # revoked in a rebalance meanwhile
    outbox.watchers[store.changelog](5, 7)
    assert 5 not in table.data._dbs
