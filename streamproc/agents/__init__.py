"""faust agents: decode (guarded) → pure core → write state and emit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faust

    from streamproc.app import Runtime


def register_agents(app: faust.App, runtime: Runtime) -> None:
    """Attach every agent of the worker to ``app``."""
    from streamproc.agents.alerts import register

    register(app, runtime)
