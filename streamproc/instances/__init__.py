"""The owners of Halo instances: each instance's Halo traffic comes from one worker (SPEC §9)."""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING

from streamproc.agents.intake import InputRecord
from streamproc.engine.tables import TableStore
from streamproc.instances.owner import InstanceOwner
from streamproc.topology import HALO_JOBS

if TYPE_CHECKING:
    import faust

    from streamproc.agents.handover import Handover
    from streamproc.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_EVERY = 5.0  # seconds between two looks at the watched tickets (each has its own period)
BACKLOG_EVERY = 10.0


def register_owner(
    app: faust.App, runtime: Runtime, handover: Handover | None = None
) -> InstanceOwner:
    """The agent that runs the jobs of the instances this worker owns, and its timers.

    ``handover`` passes jobs and replies between this worker's lanes and its owner without
    Kafka when the owner owns the job's instance (agents/handover.py).
    """
    topology = runtime.topology
    owner = InstanceOwner(
        runtime,
        TableStore(topology.instance_budget),
        TableStore(topology.job_marks),
        hand_over=None if handover is None else handover.offer_reply,
    )
    if handover is not None:
        handover.take_job = owner.take_local
    runtime.pending.append(owner.acks.oldest_timestamp)  # consumer lag: oldest unhandled job

    @app.agent(runtime.topic(HALO_JOBS), name="instance-jobs")
    async def instance_jobs(stream: faust.StreamT) -> None:
        async for event in stream.noack().events():
            await owner.submit(InputRecord(event, contextvars.copy_context()))

    @app.on_partitions_revoked.connect
    async def _revoked(sender: faust.App, revoked: set, **_: object) -> None:
        await owner.revoke(revoked)

    @app.timer(interval=SWEEP_EVERY, name="instance-sweep")
    async def _sweep() -> None:
        if runtime.joined and not app.rebalancing:
            await owner.sweep()
            try:
                await owner.forget_old_marks()
            except Exception as exc:  # e.g. partitions moved while reading: next time
                log.warning("old job marks not removed: %s", exc)

    @app.timer(interval=BACKLOG_EVERY, name="instance-backlog")
    async def _backlog() -> None:
        if runtime.joined and not app.rebalancing:
            await owner.report_backlogs()

    return owner
