"""A faust table read and written in the partition of the record being handled.

faust keeps a table key in the partition of the event its stream is processing
(``faust.current_event()``, which is task-local). Company lanes handle records on tasks of their
own, so each record carries a copy of the context its stream delivered it in, where that event is
current, and every read and write made for the record runs in it. Everything else is faust's own:
``table[key] = value`` writes RocksDB and the changelog, recovery and standbys replay it, and the
web views read the same tables.

Values are JSON objects (the tables' ``json`` value serializer).
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import faust


class Delivered(Protocol):
    """An input record as a lane holds it: the context its stream delivered it in."""

    context: contextvars.Context


class TableStore:
    """Reads and writes of one faust table in the partition of a record."""

    def __init__(self, table: faust.Table) -> None:
        self.table = table

    def get(self, record: Delivered | None, key: bytes) -> Any:
        """``key``'s value in the record's partition (no record: in any partition of ours)."""
        if record is None:
            return self.table.get(key)
        return record.context.run(self.table.get, key)

    def put(self, record: Delivered, key: bytes, value: Any) -> None:
        """Write ``value`` to RocksDB and send it to the changelog (faust's producer buffer)."""
        record.context.run(self.table.__setitem__, key, value)

    def delete(self, record: Delivered, key: bytes) -> None:
        """Remove ``key``; a tombstone goes to the changelog."""
        record.context.run(self.table.pop, key, None)
