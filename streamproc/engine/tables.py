"""A faust table's RocksDB partitions read and written directly, changelogged through the outbox.

faust writes a table change as a RocksDB put and a changelog record sent on its own, whose
callback then writes the persisted offset (one more RocksDB put per record), and it reads the
partition from the current event. Here the partition is explicit, the changelog
record goes to the :class:`~streamproc.engine.outbox.Outbox` with the batch of its partition,
and the persisted offset is written once per delivered batch. What lands in RocksDB and in the
changelog is what faust would write (raw key, JSON value), so faust's recovery, standbys and
its own reads of the table (the web views) work unchanged.

Values are JSON bytes; the caller encodes and decodes (a pydantic model straight from bytes is
cheaper than through a dict).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from faust.types import TP

if TYPE_CHECKING:
    import faust

    from streamproc.engine.outbox import Outbox


class TableStore:
    """Reads and writes of one RocksDB-backed faust table by partition."""

    def __init__(self, table: faust.Table, outbox: Outbox) -> None:
        self.table = table
        self.outbox = outbox
        self._changelog: str | None = None

    @property
    def changelog(self) -> str:
        if self._changelog is None:
            self._changelog = self.table.changelog_topic.get_topic_name()
            self.outbox.watch(self._changelog, self._persisted)
        return self._changelog

    def get(self, partition: int | None, key: bytes) -> bytes | None:
        """``key``'s value in ``partition`` (None: in whichever partition of ours holds it)."""
        if partition is None:
            return self.table.data._get(key)  # faust's own lookup across the open partitions
        return self.table.data._db_for_partition(partition).get(key)

    def put(self, partition: int, key: bytes, value: bytes) -> asyncio.Future[None]:
        """Write ``value`` now; the future says when its changelog record is in Kafka."""
        self.table.data._db_for_partition(partition).put(key, value)
        return self.outbox.append(self.changelog, key, value, partition)

    def delete(self, partition: int, key: bytes) -> asyncio.Future[None]:
        """Remove ``key`` now; a tombstone goes to the changelog."""
        self.table.data._db_for_partition(partition).delete(key)
        return self.outbox.append(self.changelog, key, None, partition)

    def _persisted(self, partition: int, offset: int) -> None:
        # Recovery replays the changelog from this offset on (faust's own bookkeeping). A
        # partition revoked meanwhile is not ours any more: its database is not reopened.
        store = self.table.data
        if partition in store._dbs:
            store.set_persisted_offset(TP(self.changelog, partition), offset)
