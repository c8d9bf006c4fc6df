"""TableStore reads and writes a faust table where the record's event is faust's current event."""

from __future__ import annotations

import contextvars
import weakref
from types import SimpleNamespace

import faust
import faust.streams
import pytest
from faust.types import TP

from streamproc.engine.tables import TableStore


class PartitionedTable:
    """A stand-in for a faust table: like faust's, it keys by the current event's partition."""

    def __init__(self) -> None:
        self.data: dict[tuple[int | None, bytes], object] = {}
        self.last_sent: object = None

    @staticmethod
    def _partition() -> int | None:
        event = faust.current_event()
        return None if event is None else event.message.partition

    def get(self, key: bytes, default=None):
        partition = self._partition()
        if partition is None:  # outside a stream: any partition (faust searches them all)
            found = [v for (_, k), v in self.data.items() if k == key]
            return found[0] if found else default
        return self.data.get((partition, key), default)

    def __setitem__(self, key: bytes, value: object) -> None:
        self.data[(self._partition(), key)] = value
        self.last_sent = ("sent", key)

    def pop(self, key: bytes, default=None):
        return self.data.pop((self._partition(), key), default)


class Event:
    def __init__(self, partition: int) -> None:
        self.message = SimpleNamespace(partition=partition, topic="watchman.alerts")


def delivered(partition: int) -> SimpleNamespace:
    """A record as the agent's stream delivered it: its context holds faust's current event."""
    event = Event(partition)

    def as_the_stream_does() -> contextvars.Context:
        faust.streams._current_event.set(weakref.ref(event))  # what faust's Stream sets
        return contextvars.copy_context()

    context = contextvars.copy_context().run(as_the_stream_does)
    return SimpleNamespace(context=context, event=event)


def test_reads_and_writes_land_in_the_partition_of_the_record() -> None:
    table = PartitionedTable()
    store = TableStore(table)  # type: ignore[arg-type]
    in_3, in_4 = delivered(3), delivered(4)
    store.put(in_3, b"acme/a1", {"status": "open"})
    assert table.data == {(3, b"acme/a1"): {"status": "open"}}
    assert store.get(in_3, b"acme/a1") == {"status": "open"}
    assert store.get(in_4, b"acme/a1") is None
    assert store.get(None, b"acme/a1") == {"status": "open"}  # a web view: any partition of ours
    assert faust.current_event() is None  # the caller's own context is untouched


def test_delete_removes_the_key_in_the_records_partition_only() -> None:
    table = PartitionedTable()
    store = TableStore(table)  # type: ignore[arg-type]
    store.put(delivered(3), b"k", 1)
    store.put(delivered(5), b"k", 2)
    store.delete(delivered(3), b"k")
    assert table.data == {(5, b"k"): 2}
    store.delete(delivered(3), b"k")  # deleting what is not there is a no-op


class RecordingOutbox:
    def __init__(self) -> None:
        self.appended: list[tuple[str, bytes, bytes | None, int]] = []
        self.watchers: dict = {}

    def watch(self, topic, delivered) -> None:
        self.watchers[topic] = delivered

    def append(self, topic, key, value, partition=None):
        import asyncio

        self.appended.append((topic, key, value, partition))
        future = asyncio.get_event_loop_policy().get_event_loop().create_future()
        future.set_result(None)
        return future


@pytest.fixture
def changelog_table(tmp_path):
    from streamproc.engine.tables import ChangelogTable

    app = faust.App(
        "tabletest",
        store="rocksdb://",
        datadir=str(tmp_path),
        autodiscover=False,
        Table=ChangelogTable,
        key_serializer="raw",
        value_serializer="json",
    )
    table = app.Table("states", partitions=8, key_type=bytes, default=None)
    app.finalize()
    table._verify_source_topic_partitions = lambda topic: None  # no broker to ask
    outbox = RecordingOutbox()
    table.bind(outbox)
    yield table, outbox
    table.data.reset_state()


async def test_a_write_and_a_delete_go_to_the_changelog_through_the_outbox(changelog_table) -> None:
    """faust's own Table.__setitem__/pop call send_changelog with the event's partition: this
    fails if faust stops doing so (the outbox would then miss changelog records)."""
    table, outbox = changelog_table
    store = TableStore(table)
    changelog = table.changelog_topic.get_topic_name()
    record = delivered(3)
    await store.put(record, b"acme/a1", {"status": "open"})  # awaitable until Kafka has it
    assert outbox.appended == [(changelog, b"acme/a1", b'{"status":"open"}', 3)]
    assert store.get(record, b"acme/a1") == {"status": "open"}  # faust's RocksDB, partition 3
    assert store.get(delivered(4), b"acme/a1") is None
    assert store.delete(record, b"acme/a1") is not None
    assert outbox.appended[-1] == (changelog, b"acme/a1", None, 3)
    assert store.delete(record, b"acme/a1") is None  # nothing to delete: no tombstone
    assert len(outbox.appended) == 2


def test_delivered_batches_set_faust_recovery_offset_of_owned_partitions_only(
    changelog_table,
) -> None:
    table, outbox = changelog_table
    changelog = table.changelog_topic.get_topic_name()
    owned = {TP(changelog, 3)}
    table.app.assignor.assigned_actives = lambda: owned
    outbox.watchers[changelog](3, 41)
    outbox.watchers[changelog](5, 7)  # revoked meanwhile: its database is not reopened
    assert table.data.persisted_offset(TP(changelog, 3)) == 41
    assert 5 not in table.data._dbs


def test_put_returns_the_changelog_record_of_that_write() -> None:
    table = PartitionedTable()
    table.last_sent = None

    def setitem(key, value):
        PartitionedTable.__setitem__(table, key, value)
        table.last_sent = ("sent", key)

    table.__setitem__ = setitem  # type: ignore[method-assign]
    store = TableStore(table)  # type: ignore[arg-type]
    assert store.put(delivered(3), b"k", 1) == ("sent", b"k")
