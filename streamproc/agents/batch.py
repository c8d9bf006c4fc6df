"""A lane's batch of records: outputs go out at once, state is written once they were delivered.

Handling a record ends with a state that marks it handled (its event id remembered), so that
state may reach the changelog only after the record's outputs were delivered: a crash in
between then repeats an output instead of losing it. Doing this per record costs one produce
round trip and two changelog writes per record. A lane therefore handles the records queued for
its company as one batch: the alert states and the company status are folded in memory, the
outputs of the whole batch are awaited together, and then each changed key is written once.

Before a Halo call the batch is flushed (:meth:`BatchedTables.flush`): the pending intent of a
create must be durable, and it may only be written after the outputs of the records before it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamproc.topology import Topology

Value = dict[str, Any]


HELD = ("alert_state", "company_status")  # the topology tables whose writes a batch holds back


@dataclass
class Batch:
    writes: dict[str, dict[bytes, Value]] = field(
        default_factory=lambda: {table: {} for table in HELD}
    )
    deliveries: list[Awaitable[Any]] = field(default_factory=list)


_current: ContextVar[Batch | None] = ContextVar("streamproc_batch", default=None)


class BatchedTables:
    """The alert-state and company-status tables as seen through the running batch (if any)."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """Scope of one lane batch; written on a normal exit, dropped when cancelled or failed."""
        batch = Batch()
        token = _current.set(batch)
        try:
            yield batch
            await self.flush()
        finally:
            _current.reset(token)

    def state(self, key: bytes) -> Value | None:
        return self._get("alert_state", key)

    def put_state(self, key: bytes, value: Value) -> None:
        """Store an alert state that may mark events handled (written after the deliveries)."""
        self._put("alert_state", key, value)

    async def put_state_now(self, key: bytes, value: Value) -> None:
        """Flush the batch, then write ``value`` at once (a pending intent before a Halo call)."""
        await self.flush()
        self.topology.alert_state[key] = value

    def status(self, key: bytes) -> Value | None:
        return self._get("company_status", key)

    def put_status(self, key: bytes, value: Value) -> None:
        self._put("company_status", key, value)

    async def delivered(self, delivery: Awaitable[Any]) -> None:
        """Count ``delivery`` in: awaited with the batch (at once when there is no batch)."""
        batch = _current.get()
        if batch is None:
            await asyncio.shield(delivery)
        else:
            batch.deliveries.append(delivery)

    async def flush(self) -> None:
        """Await the batch's deliveries, then write the states and statuses it holds."""
        batch = _current.get()
        if batch is None:
            return
        deliveries, batch.deliveries = batch.deliveries, []
        if deliveries:
            # Shielded: a lane cancelled in a rebalance must not cancel the producer's futures.
            await asyncio.shield(asyncio.gather(*deliveries))
        writes, batch.writes = batch.writes, {table: {} for table in HELD}
        for table, held in writes.items():
            target = getattr(self.topology, table)
            for key, value in held.items():
                target[key] = value

    def _get(self, table: str, key: bytes) -> Value | None:
        batch = _current.get()
        if batch is not None and key in batch.writes[table]:
            return batch.writes[table][key]
        return getattr(self.topology, table).get(key)

    def _put(self, table: str, key: bytes, value: Value) -> None:
        batch = _current.get()
        if batch is None:
            getattr(self.topology, table)[key] = value
        else:
            batch.writes[table][key] = value
