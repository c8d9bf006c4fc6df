"""faust agents and timers: decode (guarded) → pure core → write state and emit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamproc.agents.dispatch import CompanyDispatcher, Handler
from streamproc.agents.pipeline import Pipeline
from streamproc.agents.sweep import Sweeper
from streamproc.topology import ALERTS, INTEGRATION_CONFIG, MANUAL_WARNINGS, TICKET_OBSERVATIONS

if TYPE_CHECKING:
    import faust

    from streamproc.app import Runtime


def register_agents(app: faust.App, runtime: Runtime) -> None:
    """Attach every agent and timer of the worker to ``app``.

    One agent per input topic; all are keyed by company id and co-partitioned, so a company's
    events are handled in order by the worker that owns its partition. Agents only hand records
    to the dispatcher: each company has its own lane, so a slow tenant never stalls another.
    """
    pipeline = Pipeline(runtime)
    dispatcher = CompanyDispatcher(batch_scope=pipeline.batched.batch)
    handlers = {
        ALERTS: pipeline.on_alert,
        MANUAL_WARNINGS: pipeline.on_warning,
        INTEGRATION_CONFIG: pipeline.on_config,
        TICKET_OBSERVATIONS: pipeline.on_observation,
    }
    for name, handler in handlers.items():
        _agent(app, runtime.topic(name), name, pipeline, dispatcher, handler)

    @app.on_partitions_revoked.connect
    async def _revoked(sender: faust.App, revoked: set, **_: object) -> None:
        await dispatcher.revoke(revoked)

    @app.on_rebalance_complete.connect
    async def _replay_uncommitted(sender: faust.App, **_: object) -> None:
        await replay_uncommitted(app, runtime)

    @app.on_before_shutdown.connect
    async def _stop(sender: faust.App, **_: object) -> None:
        await dispatcher.stop()

    sweeper = Sweeper(runtime, pipeline)
    app.timer(interval=runtime.settings.sweep_interval, name="closure-sweep")(sweeper.sweep)


async def replay_uncommitted(app: faust.App, runtime: Runtime) -> None:
    """Re-read input partitions that have no committed offset yet from their start.

    Work dropped in a rebalance is normally re-read from the committed offset, but for a partition
    with none yet (offset None or 0) aiokafka leaves the fetch position where it was, which would
    skip the dropped records. Replays are harmless: handled event ids are remembered.
    """
    if not app.consumer.assignment():
        return  # more workers than partitions, or a rebalance left us none: aiokafka would assert
    sources = {topic.get_topic_name() for topic in runtime.topology.topics.values()}
    committed = await app.consumer.seek_to_committed()
    for tp, offset in committed.items():
        if tp.topic in sources and not offset:
            await app.consumer.seek(tp, 0)


def _agent(
    app: faust.App,
    topic: faust.TopicT,
    name: str,
    pipeline: Pipeline,
    dispatcher: CompanyDispatcher,
    handler: Handler,
) -> None:
    async def guarded(event: faust.EventT) -> None:
        await pipeline.guarded(event, handler)

    async def consume(stream: faust.StreamT) -> None:
        # Acks are manual: a record becomes committable once its company lane handled it.
        async for event in stream.noack().events():
            await dispatcher.submit(event, guarded)

    consume.__name__ = consume.__qualname__ = f"agent_{name.replace('.', '_').replace('-', '_')}"
    app.agent(topic, name=f"streamproc.{name}")(consume)
