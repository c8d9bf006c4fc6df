"""A faust table read and written in the partition of the record being handled.

faust keeps a table key in the partition of the event its stream is processing
(``faust.current_event()``, which is task-local). Company lanes handle records on tasks of their
own, so each record carries a copy of the context its stream delivered it in, where that event is
current, and every read and write made for the record runs in it. Everything else is faust's own:
``table[key] = value`` writes RocksDB and the changelog, recovery and standbys replay it, and the
web views read the same tables.

Values are JSON objects (the tables' ``json`` value serializer).

:class:`ChangelogTable` is faust's ``Table`` keeping the future of the changelog record it sent
last, so that a write can be awaited until Kafka has it (a pending Halo intent must be durable
before Halo is called); faust's own ``producer.flush()`` waits for every record in flight.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any, Protocol

import faust

if TYPE_CHECKING:
    from faust.types import FutureMessage


class Delivered(Protocol):
    """An input record as a lane holds it: the context its stream delivered it in."""

    context: contextvars.Context


class ChangelogTable(faust.Table):
    """faust's table; ``last_sent`` is the changelog record of its latest write or delete."""

    last_sent: FutureMessage | None = None

    def send_changelog(self, *args: Any, **kwargs: Any) -> FutureMessage:
        self.last_sent = sent = super().send_changelog(*args, **kwargs)
        return sent


class TableStore:
    """Reads and writes of one faust table in the partition of a record."""

    def __init__(self, table: ChangelogTable) -> None:
        self.table = table

    def get(self, record: Delivered | None, key: bytes) -> Any:
        """``key``'s value in the record's partition (no record: in any partition of ours)."""
        if record is None:
            return self.table.get(key)
        return record.context.run(self.table.get, key)

    def put(self, record: Delivered, key: bytes, value: Any) -> FutureMessage:
        """Write ``value`` to RocksDB and send it to the changelog; await the result to know
        that Kafka has it."""
        record.context.run(self.table.__setitem__, key, value)
        sent = self.table.last_sent
        assert sent is not None, "faust sends a changelog record for every write"
        return sent

    def delete(self, record: Delivered, key: bytes) -> None:
        """Remove ``key``; a tombstone goes to the changelog."""
        record.context.run(self.table.pop, key, None)
