"""faust agents and timers: decode (guarded) → pure core → write state and emit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamproc.agents.pipeline import Pipeline
from streamproc.agents.sweep import Sweeper
from streamproc.topology import ALERTS, INTEGRATION_CONFIG, MANUAL_WARNINGS, TICKET_OBSERVATIONS

if TYPE_CHECKING:
    import faust

    from streamproc.app import Runtime


def register_agents(app: faust.App, runtime: Runtime) -> None:
    """Attach every agent and timer of the worker to ``app``.

    One agent per input topic; all are keyed by company id and co-partitioned, so a company's
    events are handled in order by the worker that owns its partition.
    """
    pipeline = Pipeline(runtime)
    handlers = {
        ALERTS: pipeline.on_alert,
        MANUAL_WARNINGS: pipeline.on_warning,
        INTEGRATION_CONFIG: pipeline.on_config,
        TICKET_OBSERVATIONS: pipeline.on_observation,
    }
    for name, handler in handlers.items():
        _agent(app, runtime.topic(name), name, pipeline, handler)

    sweeper = Sweeper(runtime, pipeline)
    app.timer(interval=runtime.settings.sweep_interval, name="closure-sweep")(sweeper.sweep)


def _agent(app: faust.App, topic: faust.TopicT, name: str, pipeline: Pipeline, handler) -> None:
    async def consume(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await pipeline.guarded(event, handler)

    consume.__name__ = consume.__qualname__ = f"agent_{name.replace('.', '_').replace('-', '_')}"
    app.agent(topic, name=f"streamproc.{name}")(consume)
