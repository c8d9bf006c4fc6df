"""Intake, company lanes and timers: decode (guarded) → pure core → write state and emit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamproc.agents.dispatch import CatchUp, CompanyDispatcher, Handler
from streamproc.agents.drift import DriftChecks, tick_every
from streamproc.agents.handover import Handover
from streamproc.agents.intake import InputRecord, Intake
from streamproc.agents.pipeline import Pipeline
from streamproc.agents.sweep import Sweeper
from streamproc.agents.timers import TICK, HoldDownTimers
from streamproc.topology import INPUT_TOPICS

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime


def register_agents(app: faust.App, runtime: Runtime) -> Handover:
    """Attach the worker's agent, its lanes and timers to ``app``.

    The input topics are keyed by company id and co-partitioned, so a company's records are
    handled in order by the worker that owns its partition. One agent consumes them all and
    queues each record in its company's lane: a slow tenant never stalls another. Returns what
    passes jobs and replies between the lanes and this worker's instance owner (handover.py).
    """
    timers = HoldDownTimers(runtime)
    pipeline = Pipeline(runtime, timers)
    dispatcher = CompanyDispatcher(
        batch_scope=pipeline.batched.batch,
        behind=lambda record: records_behind(app, record),
        catch_up=CatchUp(runtime.settings.lane_catch_up_linger),
    )
    handlers = {
        runtime.topic(name).get_topic_name(): _guarded(pipeline, getattr(pipeline, method))
        for name, method in INPUT_TOPICS.items()
    }
    intake = Intake(dispatcher, handlers, runtime.metrics)
    runtime.pending.append(dispatcher.acks.oldest_timestamp)  # consumer lag: oldest unhandled

    @app.agent(runtime.topology.inputs, name="company-events")
    async def company_events(stream: faust.StreamT) -> None:
        await intake(stream)

    @app.on_partitions_revoked.connect
    async def _revoked(sender: faust.App, revoked: set, **_: object) -> None:
        await dispatcher.revoke(revoked)
        pipeline.forget()
        timers.forget()

    @app.on_rebalance_complete.connect
    async def _replay_uncommitted(sender: faust.App, **_: object) -> None:
        await replay_uncommitted(app, runtime)

    @app.on_before_shutdown.connect
    async def _stop(sender: faust.App, **_: object) -> None:
        await dispatcher.stop()

    sweeper = Sweeper(runtime, pipeline)
    app.timer(interval=runtime.settings.sweep_interval, name="closure-sweep")(sweeper.sweep)
    app.timer(interval=TICK, name="hold-down-timers")(timers.tick)
    pipeline.drift = DriftChecks(runtime)
    every = tick_every(runtime.settings.drift_check_interval)
    app.timer(interval=every, name="drift-checks")(pipeline.drift.tick)
    handover = Handover(
        dispatcher, pipeline.batched.holds, _guarded(pipeline, pipeline.on_local_reply)
    )
    pipeline.outputs.handover = handover
    return handover


def _guarded(pipeline: Pipeline, handler: Handler) -> Handler:
    async def guarded(record: InputRecord) -> None:
        await pipeline.guarded(record, handler)

    return guarded


def records_behind(app: faust.App, record: InputRecord) -> int | None:
    """How many records follow ``record`` in its partition, as of the consumer's last fetch
    (None for a record handed over in-process, or a partition not fetched yet)."""
    if getattr(record, "local", False):
        return None
    try:
        highwater = app.consumer.highwater(record.tp)
    except (AssertionError, KeyError, RuntimeError):  # not assigned (any more)
        return None
    return None if highwater is None else highwater - 1 - record.offset


async def replay_uncommitted(app: faust.App, runtime: Runtime) -> None:
    """Re-read input partitions that have no committed offset yet from their start.

    Work dropped in a rebalance is normally re-read from the committed offset, but for a partition
    with none yet (offset None or 0) aiokafka leaves the fetch position where it was, which would
    skip the dropped records. Replays are harmless: handled event ids are remembered.
    """
    if not app.consumer.assignment():
        return  # more workers than partitions, or a rebalance left us none: aiokafka would assert
    sources = set(runtime.topology.inputs.topics)
    committed = await app.consumer.seek_to_committed()
    for tp, offset in committed.items():
        if tp.topic in sources and not offset:
            await app.consumer.seek(tp, 0)
