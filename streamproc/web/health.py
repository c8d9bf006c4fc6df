"""`GET /health`: liveness and readiness (joined the group, tables recovered)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from faust.web import Request, Response, View

from streamproc.runtime import is_ready

if TYPE_CHECKING:
    import faust

    from streamproc.runtime import Runtime


def register(app: faust.App, runtime: Runtime) -> None:
    """Attach /health."""

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            ready = is_ready(app, runtime)
            assigned = sorted(
                f"{tp.topic}:{tp.partition}" for tp in app.assignor.assigned_actives()
            )
            body = {
                "status": "ready" if ready else "starting",
                "assigned": assigned,
                "generation": app.consumer_generation_id,  # changes with every rebalance
            }
            return self.json(body, status=200 if ready else 503)
