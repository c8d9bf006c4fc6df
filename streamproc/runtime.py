"""What agents, timers and views share in one worker process (built by :mod:`streamproc.app`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import faust
from faust.types import TP

from streamproc.agents.batch import LaneStores
from streamproc.engine.answers import Answers
from streamproc.engine.outbox import Outbox
from streamproc.halopsa import HaloClient, HaloClientConfig, RequestObservation
from streamproc.metrics import Metrics
from streamproc.secretbox import SecretBox
from streamproc.settings import Settings
from streamproc.topology import Topology


@dataclass
class Runtime:
    """What agents, timers and views share in one worker process."""

    app: faust.App
    settings: Settings
    topology: Topology
    secrets: SecretBox
    outbox: Outbox
    stores: LaneStores
    metrics: Metrics = field(default_factory=Metrics)
    answers: Answers = field(default_factory=Answers)  # what views wait for, by job id
    joined: bool = False
    # Per agent: the Kafka timestamp of a partition's oldest record it has not handled yet
    pending: list[Callable[[TP], float | None]] = field(default_factory=list)
    _halo: HaloClient | None = None

    @property
    def halo(self) -> HaloClient:
        """The process-wide Halo client (one pooled session), created inside the worker loop."""
        if self._halo is None:
            config = HaloClientConfig(
                rate_limit_requests=self.settings.halo_rate_limit,
                rate_limit_window=self.settings.halo_rate_window,
            )
            self._halo = HaloClient(config, observer=self._observe)
        return self._halo

    def _observe(self, obs: RequestObservation) -> None:
        m = self.metrics
        m.halo_requests.labels(obs.endpoint, obs.method, str(obs.status)).inc()
        m.halo_latency.labels(obs.endpoint).observe(obs.seconds)
        if obs.limiter_wait:
            m.rate_limit_wait.inc(obs.limiter_wait)

    def pending_since(self, tp: TP) -> float | None:
        """Kafka timestamp of ``tp``'s oldest record not handled yet (None: none waiting)."""
        return next((t for t in (p(tp) for p in self.pending) if t is not None), None)

    def topic(self, name: str) -> faust.TopicT:
        """A declared topic by its logical SPEC name."""
        return self.topology.topics[name]

    async def close(self) -> None:
        """Release the Halo client's connection pool and the outbox's producer."""
        if self._halo is not None:
            await self._halo.close()
            self._halo = None
        await self.outbox.stop()


def is_ready(app: faust.App, runtime: Runtime) -> bool:
    """Ready = joined the group and recovered the tables of the partitions assigned to us."""
    return runtime.joined and not app.rebalancing and not app.in_recovery
