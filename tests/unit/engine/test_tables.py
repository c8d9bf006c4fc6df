"""TableStore reads and writes a faust table where the record's event is faust's current event."""

from __future__ import annotations

import contextvars
import weakref
from types import SimpleNamespace

import faust
import faust.streams

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
        self.message = SimpleNamespace(partition=partition)


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


def test_changelog_table_keeps_the_future_of_its_latest_changelog_record(monkeypatch) -> None:
    from streamproc.engine.tables import ChangelogTable

    sent = iter(["first", "second"])
    monkeypatch.setattr(faust.Table, "send_changelog", lambda self, *a, **kw: next(sent))
    table = ChangelogTable.__new__(ChangelogTable)  # no app: only send_changelog is exercised
    assert table.send_changelog(3, b"k", {"v": 1}) == "first"
    assert table.last_sent == "first"
    table.send_changelog(3, b"k", None)
    assert table.last_sent == "second"


def test_put_returns_the_changelog_record_of_that_write() -> None:
    table = PartitionedTable()
    table.last_sent = None

    def setitem(key, value):
        PartitionedTable.__setitem__(table, key, value)
        table.last_sent = ("sent", key)

    table.__setitem__ = setitem  # type: ignore[method-assign]
    store = TableStore(table)  # type: ignore[arg-type]
    assert store.put(delivered(3), b"k", 1) == ("sent", b"k")
