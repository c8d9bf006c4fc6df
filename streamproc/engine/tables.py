"""faust tables read and written in the partition of the record being handled.

faust keeps a table key in the partition of the event its stream is processing
(``faust.current_event()``, which is task-local). Company lanes handle records on tasks of their
own, so each record carries a copy of the context its stream delivered it in, where that event is
current, and every read and write made for the record runs in it. RocksDB, recovery, standbys and
the web views' reads are faust's own.

:class:`ChangelogTable` is faust's ``Table`` with one public method overridden: its changelog
records (``send_changelog``) go to Kafka through the worker's :class:`~streamproc.engine.outbox.
Outbox`, in order per partition and in the same requests as the outputs, instead of one by one
through faust's producer buffer (a third of a worker's CPU per event on two cores, ``bench``). A
write can be awaited until Kafka has it, and the offset faust recovers from is recorded per
delivered batch (``Store.set_persisted_offset``), as faust does per record.

Values are JSON objects (the tables' ``json`` value serializer).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

import faust
from faust.types import TP

if TYPE_CHECKING:
    from streamproc.engine.outbox import Outbox


class Delivered(Protocol):
    """An input record as a lane holds it: the context its stream delivered it in."""

    context: contextvars.Context


class _Message:
    __slots__ = ("partition",)

    def __init__(self, partition: int) -> None:
        self.partition = partition


class ChangelogRecord:
    """A changelog record on its way: awaitable until Kafka has it; ``message.partition`` is
    what faust's table reads of the future it gets from ``send_changelog``."""

    __slots__ = ("delivery", "message")

    def __init__(self, partition: int, delivery: asyncio.Future[None]) -> None:
        self.message = _Message(partition)
        self.delivery = delivery

    def __await__(self) -> Generator[Any, None, None]:
        return asyncio.shield(self.delivery).__await__()


class ChangelogTable(faust.Table):
    """faust's table whose changelog goes through the outbox (``bind`` it before use)."""

    outbox: Outbox | None = None
    last_sent: ChangelogRecord | None = None
    _actives: frozenset[TP] | None = None  # this worker's active partitions, until a rebalance

    def bind(self, outbox: Outbox) -> None:
        """Send this table's changelog through ``outbox``; record faust's recovery offset."""
        self.outbox = outbox
        outbox.watch(self.changelog_topic.get_topic_name(), self._delivered)

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: Any = None,
        value_serializer: Any = None,
    ) -> ChangelogRecord:
        if self.outbox is None or partition is None:  # not bound, or keyed by the partitioner
            raise RuntimeError(f"table {self.name}: changelog records need a bound outbox")
        serializers = self.app.serializers
        raw_key = serializers.dumps_key(
            self.key_type, key, serializer=key_serializer or self.key_serializer
        )
        raw_value = (
            None
            if value is None
            else serializers.dumps_value(
                self.value_type, value, serializer=value_serializer or self.value_serializer
            )
        )
        topic = self.changelog_topic.get_topic_name()
        sent = ChangelogRecord(partition, self.outbox.append(topic, raw_key, raw_value, partition))
        self.last_sent = sent
        return sent

    def _delivered(self, partition: int, offset: int) -> None:
        # Recovery replays the changelog from this offset on. A partition no longer ours is
        # left alone (writing would reopen its database).
        tp = TP(self.changelog_topic.get_topic_name(), partition)
        if self._actives is None:
            # the assignor builds this set anew on every call (4 % of the ticket path's CPU)
            self._actives = frozenset(self.app.assignor.assigned_actives())
        if tp in self._actives:
            self.data.set_persisted_offset(tp, offset)

    async def on_rebalance(
        self, assigned: Any, revoked: Any, newly_assigned: Any, generation_id: int = 0
    ) -> None:
        # The assignor has the new assignment before faust calls this; the revoked partitions'
        # databases close inside it. Forget the set on both sides of that.
        self._actives = None
        try:
            await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        finally:
            self._actives = None


class TableStore:
    """Reads and writes of one faust table in the partition of a record."""

    def __init__(self, table: ChangelogTable) -> None:
        self.table = table

    def get(self, record: Delivered | None, key: bytes) -> Any:
        """``key``'s value in the record's partition (no record: in any partition of ours)."""
        if record is None:
            return self.table.get(key)
        return record.context.run(self.table.get, key)

    def put(self, record: Delivered, key: bytes, value: Any) -> ChangelogRecord:
        """Write ``value`` to RocksDB and send it to the changelog; await the result to know
        that Kafka has it."""
        record.context.run(self.table.__setitem__, key, value)
        return self._sent()

    def delete(self, record: Delivered, key: bytes) -> ChangelogRecord | None:
        """Remove ``key``; a tombstone goes to the changelog (nothing when there was no key)."""
        self.table.last_sent = None
        record.context.run(self.table.pop, key, None)
        return self.table.last_sent

    def _sent(self) -> ChangelogRecord:
        sent = self.table.last_sent
        assert sent is not None, "faust sends a changelog record for every write"
        return sent
