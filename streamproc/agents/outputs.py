"""Publish what the core decided (results, commands, activity) and fold it into company tables."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from streamproc import activity_log
from streamproc.agents.batch import BatchedTables, Store, current_record
from streamproc.contracts import dead_letter, encode
from streamproc.core import EmitActivity, EmitCommand, EmitResult
from streamproc.topology import (
    ACTIVITY_FEED,
    ALERT_COMMANDS,
    DEAD_LETTER,
    HALO_JOBS,
    TICKET_RESULTS,
)

if TYPE_CHECKING:
    from datetime import datetime

    from streamproc.agents.handover import Handover
    from streamproc.agents.intake import InputRecord
    from streamproc.core.jobs import HaloJob
    from streamproc.runtime import Runtime


OUTPUT_TOPICS = (TICKET_RESULTS, ALERT_COMMANDS, ACTIVITY_FEED, DEAD_LETTER, HALO_JOBS)


class ViaKafka:
    """A job that must travel through the jobs topic, not be handed over in-process: no held
    record replays it after a crash (a backfill's jobs), so it must be durable once sent."""

    __slots__ = ("job",)

    def __init__(self, job: HaloJob) -> None:
        self.job = job


class ActivityView:
    """The activity table in the current record's partition, as ``activity_log`` writes it."""

    def __init__(self, batched: BatchedTables, store: Store) -> None:
        self.batched, self.store = batched, store

    def get(self, key: bytes) -> Any:
        return self.store.get(current_record.get(), key)

    def __setitem__(self, key: bytes, value: Any) -> None:
        self.batched.write_now(self.store, key, value)


class Outputs:
    """Sends output records keyed by company id; keeps status and recent activity tables."""

    def __init__(self, runtime: Runtime, batched: BatchedTables) -> None:
        self.runtime = runtime
        self.batched = batched
        self.activity = ActivityView(batched, runtime.stores.activity)
        self._names = {name: runtime.topic(name).get_topic_name() for name in OUTPUT_TOPICS}
        self.handover: Handover | None = None

    def emit(self, action: EmitResult | EmitCommand | EmitActivity) -> Awaitable[Any]:
        """Publish one Emit* action; returns its delivery (to await before marking handled).

        Called in a company lane: table updates need the current record.
        """
        m = self.runtime.metrics
        if isinstance(action, EmitResult):
            result = action.result
            delivery = self._send(TICKET_RESULTS, result.company_id, encode(result))
            self.batched.count_result(result.company_id.encode(), result)
            m.count_result(result.outcome, result.reason)
        elif isinstance(action, EmitCommand):
            command = action.command
            delivery = self._send(ALERT_COMMANDS, command.company_id, encode(command))
            m.commands.labels(command.command).inc()
        else:
            entry = action.entry
            delivery = self._send(ACTIVITY_FEED, entry.company_id, encode(entry))
            activity_log.append(self.activity, entry.company_id, entry.model_dump(mode="json"))
        return delivery

    def send_job(self, job: HaloJob | ViaKafka) -> Awaitable[Any]:
        """To the owner of the job's Halo instance (the instance is the key, SPEC §9): this
        worker's own, directly, when it owns the instance (handover.py), unless it must be
        in Kafka (:class:`ViaKafka`)."""
        if isinstance(job, ViaKafka):
            job = job.job
        elif self.handover is not None and self.handover.offer_job(job):
            return _handed_over()
        value = job.model_dump_json().encode()
        return self.runtime.outbox.append(self._names[HALO_JOBS], job.instance.encode(), value)

    async def dead_letter(
        self, record: InputRecord, *, error: str, error_kind: str, now: datetime
    ) -> None:
        """Send the raw record with the reason to the dead-letter topic (nothing is dropped).

        It goes to the source record's partition (its key may be anything, or none), and like
        every output it is delivered before the record counts as handled.
        """
        letter = dead_letter(
            source_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            error=error,
            error_kind=error_kind,
            at=now,
        )
        name = self._names[DEAD_LETTER]
        delivery = self.runtime.outbox.append(name, record.key, encode(letter), record.partition)
        await self.batched.delivered(delivery)
        self.runtime.metrics.dead_letters.labels(record.topic, error_kind).inc()

    def _send(self, topic: str, company_id: str, value: bytes) -> Awaitable[Any]:
        # To the outbox, not attached to the record: faust would publish attachments only at
        # commit time, after the state that marks the record handled may be in the changelog.
        return self.runtime.outbox.append(self._names[topic], company_id.encode(), value)


def _handed_over() -> asyncio.Future[None]:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done
