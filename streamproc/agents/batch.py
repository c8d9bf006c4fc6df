"""A lane's batch of records: outputs go out at once, state is written once they were delivered.

Handling a record ends with a state that marks it handled (its event id remembered), so that
state may reach the changelog only after the record's outputs were delivered: a crash in
between then repeats an output instead of losing it. A batch ends once its changelog records are
in Kafka too: only then are its records acknowledged (faust may commit past them). Doing this
per record costs two produce round trips and two changelog writes per record. A lane therefore
handles the records queued for its company as one batch: the alert states and the company
status are folded in memory, the outputs of the whole batch are awaited together, and then each
changed key is written once.

Halo work leaves a lane as jobs (``core/jobs.py``), sent when the batch ends: after its outputs
were delivered and its states, pending ticket intents among them, are in Kafka. An intent must
be durable before Halo can create anything under it (a replayed event must find it); sending all
of a batch's jobs together costs the batch one more round trip, not one per job (an alert storm
of one company is one batch of hundreds).

Tables are read and written in the partition of the record being handled (``current_record``),
as faust does for the event being processed: a company's state lives in its partition.
Values are JSON objects; an alert's state is validated from its stored object.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from streamproc.agents.holds import HoldChanges, Holds
from streamproc.contracts import TicketResult
from streamproc.core import AlertTicketState
from streamproc.core.status import apply_results

Value = dict[str, Any]


class Store(Protocol):
    """A table in the partition of a record (``engine.tables.TableStore``); JSON values."""

    def get(self, record: Any, key: bytes) -> Any: ...

    def put(self, record: Any, key: bytes, value: Any) -> Awaitable[Any]: ...

    def delete(self, record: Any, key: bytes) -> Awaitable[Any] | None: ...


@dataclass(frozen=True)
class LaneStores:
    """The tables a lane writes."""

    alert_state: Store
    company_status: Store
    configs: Store
    activity: Store


def _as_is(value: Any) -> Any:
    return value


def _state_json(state: AlertTicketState) -> Any:
    return state.model_dump(mode="json")


@dataclass
class Batch:
    # (store, key) → (store, record, value, encoder): the latest value wins
    writes: dict[tuple[int, bytes], tuple[Store, Any, Any, Callable[[Any], Any]]] = field(
        default_factory=dict
    )
    deliveries: list[Awaitable[Any]] = field(default_factory=list)
    results: dict[bytes, list[TicketResult]] = field(default_factory=dict)  # status key →
    written: list[Awaitable[Any]] = field(default_factory=list)  # changelog records
    holds: HoldChanges = field(default_factory=HoldChanges)
    deferred: set[int] = field(default_factory=set)  # ids of records whose reply is awaited
    completed: list[Any] = field(default_factory=list)  # records of earlier batches finished
    jobs: list[Any] = field(default_factory=list)  # sent once the batch's states are in Kafka


_current: ContextVar[Batch | None] = ContextVar("streamproc_batch", default=None)
current_record: ContextVar[Any] = ContextVar("streamproc_record", default=None)


class BatchedTables:
    """The lane's tables as seen through the running batch (if any)."""

    def __init__(
        self, stores: LaneStores, send_job: Callable[[Any], Awaitable[Any]] | None = None
    ) -> None:
        self.stores = stores
        self.holds = Holds()
        self.send_job = send_job

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """Scope of one lane batch; written on a normal exit, dropped when cancelled or failed."""
        batch = Batch()
        token = _current.set(batch)
        try:
            yield batch
            await self.flush()
            if batch.written:
                await asyncio.shield(asyncio.gather(*batch.written))
            if batch.jobs:
                assert self.send_job is not None, "a lane that sends jobs has a sender"
                sent = [self.send_job(job) for job in batch.jobs]
                await asyncio.shield(asyncio.gather(*sent))
            self.holds.commit(batch.holds)
        finally:
            _current.reset(token)

    # Records waiting for Halo (see holds.py).

    def changes(self) -> HoldChanges:
        """The running batch's hold changes (a lane always runs a batch)."""
        batch = _current.get()
        if batch is None:
            raise RuntimeError("holds are changed only while a lane handles a record")
        return batch.holds

    def defer_current(self) -> None:
        """The current record is finished later, when its reply comes (not acked with its
        batch)."""
        batch = _current.get()
        if batch is not None:
            batch.deferred.add(id(self._record()))

    def queue_job(self, job: Any) -> None:
        """Send ``job`` when the batch ends (its intent is then in Kafka)."""
        batch = _current.get()
        if batch is None:
            raise RuntimeError("jobs are sent only while a lane handles a record")
        batch.jobs.append(job)

    def is_deferred(self, record: Any) -> bool:
        batch = _current.get()
        return batch is not None and id(record) in batch.deferred

    def complete(self, record: Any) -> None:
        """``record`` (of an earlier batch, deferred) is finished in this one."""
        batch = _current.get()
        if batch is not None:
            batch.completed.append(record)
            batch.deferred.discard(id(record))

    # Alert states (and warning marks, JSON dicts, in the same table).

    def state(self, key: bytes) -> AlertTicketState | None:
        return self._get(self.stores.alert_state, key, AlertTicketState.model_validate)

    def put_state(self, key: bytes, state: AlertTicketState) -> None:
        """Store an alert state that may mark events handled (written after the deliveries)."""
        self._put(self.stores.alert_state, key, state, _state_json)

    def marks(self, key: bytes) -> Value | None:
        return self._get(self.stores.alert_state, key, _as_is)

    def put_marks(self, key: bytes, value: Value) -> None:
        self._put(self.stores.alert_state, key, value, _as_is)

    # Company status and the tables written at once.

    def status(self, key: bytes) -> Value | None:
        self._fold_results(key)
        return self._get(self.stores.company_status, key, _as_is)

    def count_result(self, key: bytes, result: TicketResult) -> None:
        """Fold ``result`` into company ``key``'s status (once per batch: results are hot)."""
        batch = _current.get()
        if batch is None:
            self.put_status(key, apply_results(self.status(key), (result,)))
        else:
            batch.results.setdefault(key, []).append(result)

    def _fold_results(self, key: bytes) -> None:
        batch = _current.get()
        results = batch.results.pop(key, None) if batch is not None else None
        if results:
            self.put_status(key, apply_results(self.status(key), results))

    def put_status(self, key: bytes, value: Value) -> None:
        self._put(self.stores.company_status, key, value, _as_is)

    def config(self, key: bytes) -> Value | None:
        """The company's stored config, from its partition when in a lane."""
        return self.stores.configs.get(current_record.get(), key)

    def write_now(self, store: Store, key: bytes, value: Any) -> None:
        """Write JSON ``value`` (None: delete) at once; not held back by the batch."""
        if value is None:
            self._written(store.delete(self._record(), key))
        else:
            self._written(store.put(self._record(), key, value))

    # Deliveries.

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
        for key in list(batch.results):
            self._fold_results(key)
        writes, batch.writes = batch.writes, {}
        for (_, key), (store, record, value, encode) in writes.items():
            batch.written.append(store.put(record, key, encode(value)))

    @staticmethod
    def _written(sent: Awaitable[Any] | None) -> None:
        batch = _current.get()
        if batch is not None and sent is not None:
            batch.written.append(sent)

    def _get(self, store: Store, key: bytes, decode: Callable[[Any], Any]) -> Any:
        """What the batch holds for ``key``, else the stored value, decoded."""
        held = self._held(store, key)
        if held is not None:
            return held
        raw = store.get(current_record.get(), key)
        return None if raw is None else decode(raw)

    def _held(self, store: Store, key: bytes) -> Any:
        batch = _current.get()
        if batch is None:
            return None
        held = batch.writes.get((id(store), key))
        return None if held is None else held[2]

    def _put(self, store: Store, key: bytes, value: Any, encode: Callable[[Any], Any]) -> None:
        batch = _current.get()
        if batch is None:
            store.put(self._record(), key, encode(value))  # outside a lane batch: tests only
        else:
            batch.writes[(id(store), key)] = (store, self._record(), value, encode)

    @staticmethod
    def _record() -> Any:
        record = current_record.get()
        if record is None:
            raise RuntimeError("tables are written only while a lane handles a record")
        return record
